from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from portal import services
        from portal.actions import orders_to_ship_actions, register_store_actions
        from portal.deadlines import register_sweep
        from portal.mail import use_readable_text_encoding

        use_readable_text_encoding()

        register_sweep(
            "orders.auto_confirm_reminders", lambda now: services.orders_auto_confirm_reminder_sweep(now=now)
        )
        register_sweep("orders.auto_confirm", lambda now: services.orders_auto_confirm_sweep(now=now))
        register_store_actions(orders_to_ship_actions)
