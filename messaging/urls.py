from django.urls import path

from messaging.views import conversations, inbox, notifications, safety, store, support

app_name = "messaging"

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("store/<slug:slug>/", store.store_inbox, name="store_inbox"),
    path("support/", support.support_inbox, name="support_inbox"),
    path("support/new/", support.support_start, name="support_start"),
    path("badge/", inbox.badge, name="badge"),
    path("write/<slug:slug>/", conversations.start, name="start"),
    path("write/<slug:slug>/order/<int:order_id>/", store.store_write, name="store_write"),
    path("c/<int:conversation_id>/", conversations.thread, name="thread"),
    path("c/<int:conversation_id>/poll/", conversations.poll, name="poll"),
    path("c/<int:conversation_id>/send/", conversations.send, name="send"),
    path("c/<int:conversation_id>/read/", conversations.mark_read, name="mark_read"),
    path("c/<int:conversation_id>/block/", safety.block, name="block"),
    path("c/<int:conversation_id>/close/", conversations.close, name="close"),
    path("c/<int:conversation_id>/rate/", conversations.rate, name="rate"),
    path("m/<int:message_id>/report/", safety.report, name="report"),
    path("m/<int:message_id>/photos/<uuid:photo_uuid>/", conversations.message_photo, name="message_photo"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/read/", notifications.notification_read, name="notification_read"),
    path("preferences/", notifications.preferences, name="preferences"),
]
