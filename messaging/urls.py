from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("store/<slug:slug>/", views.store_inbox, name="store_inbox"),
    path("support/", views.support_inbox, name="support_inbox"),
    path("support/new/", views.support_start, name="support_start"),
    path("badge/", views.badge, name="badge"),
    path("write/<slug:slug>/", views.start, name="start"),
    path("write/<slug:slug>/order/<int:order_id>/", views.store_write, name="store_write"),
    path("c/<int:conversation_id>/", views.thread, name="thread"),
    path("c/<int:conversation_id>/poll/", views.poll, name="poll"),
    path("c/<int:conversation_id>/send/", views.send, name="send"),
    path("c/<int:conversation_id>/read/", views.mark_read, name="mark_read"),
    path("c/<int:conversation_id>/block/", views.block, name="block"),
    path("c/<int:conversation_id>/close/", views.close, name="close"),
    path("c/<int:conversation_id>/rate/", views.rate, name="rate"),
    path("m/<int:message_id>/report/", views.report, name="report"),
    path("m/<int:message_id>/photos/<uuid:photo_uuid>/", views.message_photo, name="message_photo"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("preferences/", views.preferences, name="preferences"),
]
