from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from api.v1 import api as api_v1
from api.v1 import unknown_path as api_unknown_path
from portal import health, views

portal_patterns = [
    path("", views.home, name="home"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/confirm/", views.order_confirm_receipt, name="order_confirm_receipt"),
    path("account/profile/", views.profile, name="profile"),
    path("account/weekly-summary/", views.weekly_summary_preferences, name="weekly_summary_preferences"),
    path("language/", views.language_set, name="language_set"),
    path("delivery-country/", views.delivery_country_set, name="delivery_country_set"),
    path("seller/", views.seller_home, name="seller_home"),
    path("seller/<slug:slug>/", views.store_dashboard, name="store_dashboard"),
    path("seller/<slug:slug>/orders/<int:order_id>/", views.store_order_detail, name="store_order_detail"),
    path("seller/<slug:slug>/to-ship/", views.store_orders_to_ship, name="store_orders_to_ship"),
    path("seller/<slug:slug>/orders/<int:order_id>/ship/", views.store_order_ship, name="store_order_ship"),
    path("seller/<slug:slug>/settings/", views.store_settings, name="store_settings"),
    path("seller/<slug:slug>/delivery-times/", views.store_delivery_times, name="store_delivery_times"),
    path("seller/<slug:slug>/settings/holidays/", views.store_holiday_add, name="store_holiday_add"),
    path(
        "seller/<slug:slug>/settings/holidays/<int:holiday_id>/delete/",
        views.store_holiday_delete,
        name="store_holiday_delete",
    ),
    path("seller/<slug:slug>/busy/", views.store_busy, name="store_busy"),
    path("seller/<slug:slug>/agents/add/", views.store_agent_add, name="store_agent_add"),
    path("seller/<slug:slug>/agents/<int:member_id>/remove/", views.store_agent_remove, name="store_agent_remove"),
    path("seller/<slug:slug>/products/<int:product_id>/photos/", views.product_photos, name="product_photos"),
    path(
        "seller/<slug:slug>/products/<int:product_id>/photos/<int:product_photo_id>/remove/",
        views.product_photo_remove,
        name="product_photo_remove",
    ),
    path("rules/", views.rules_page, name="rules"),
    path("rules/<int:version>/", views.rules_page, name="rules_version"),
    path("stores/", views.store_search, name="store_search"),
    path("stores/<slug:slug>/", views.store_page, name="store_page"),
    path("stores/<slug:slug>/products/<slug:product_slug>/", views.product_page, name="product_page"),
    path("photos/<uuid:photo_uuid>/", views.photo, name="photo"),
    path("photos/<uuid:photo_uuid>/thumb/", views.photo_thumbnail, name="photo_thumbnail"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # The API first: its requests are the most numerous and the cheapest, and no other prefix
    # below starts with "api/", so resolving them need not try every page's pattern first.
    path("api/v1/", api_v1.urls),
    re_path(r"^api/(?P<rest>.*)$", api_unknown_path),
    path("", include((portal_patterns, "portal"))),
    path("messages/", include("messaging.urls")),
    path("feedback/", include("feedback.urls")),
    path("disputes/", include("disputes.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("seller/<slug:slug>/api-keys/", include("api.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on every page that names no icon (admin, error pages, files).
    path("favicon.ico", views.favicon, name="favicon"),
]

if settings.OPINIA_BENCH_BARE_PAGE:
    # The benchmark's yardstick (bench/pages_vs_bare.py), never mounted in production.
    from feedback.bare_page import bare_reviews_page

    urlpatterns.append(path("bench/bare/<slug:slug>/", bare_reviews_page, name="bench_bare_page"))

handler400 = "portal.views.bad_request"
