from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("seller/<slug:slug>/", views.endpoint_list, name="endpoint_list"),
    path("seller/<slug:slug>/new/", views.endpoint_create, name="endpoint_create"),
    path("seller/<slug:slug>/<int:endpoint_id>/", views.endpoint_detail, name="endpoint_detail"),
    path("seller/<slug:slug>/<int:endpoint_id>/active/", views.endpoint_set_active, name="endpoint_set_active"),
    path("seller/<slug:slug>/<int:endpoint_id>/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path("seller/<slug:slug>/<int:endpoint_id>/test/", views.endpoint_test, name="endpoint_test"),
    path(
        "seller/<slug:slug>/<int:endpoint_id>/deliveries/<int:delivery_id>/replay/",
        views.delivery_replay,
        name="delivery_replay",
    ),
]
