from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("", views.store_keys, name="store_keys"),
    path("<int:key_id>/revoke/", views.store_key_revoke, name="store_key_revoke"),
]
