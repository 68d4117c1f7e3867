from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Message centre")

    def ready(self) -> None:
        from messaging.services import notification_send
        from portal.notify import register_notification_handler

        register_notification_handler(notification_send)
