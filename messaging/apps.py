from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Message centre")

    def ready(self) -> None:
        from messaging import panels, selectors, sweeps
        from messaging.demo import seed_conversations
        from messaging.kinds import register_kinds
        from messaging.services import notification_send
        from portal.actions import register_store_actions
        from portal.deadlines import EVERY_MINUTE, HOURLY, register_sweep
        from portal.demo import register_demo_seeder
        from portal.navigation import register_nav_counter
        from portal.notify import register_notification_handler
        from portal.panels import register_panel
        from portal.uploads import register_photo_access

        register_notification_handler(notification_send)
        register_kinds()
        register_photo_access(selectors.photo_visible_in_conversation)
        # Messages unread for OPINIA_UNREAD_EMAIL_DELAY_MINUTES: one batched e-mail per recipient.
        register_sweep(
            "messaging.unread_emails", lambda now: sweeps.unread_message_emails_sweep(now=now), schedule=EVERY_MINUTE
        )
        # Retention, not clocks of the product, so `run_deadlines` leaves them to beat. Notifications
        # read OPINIA_READ_NOTIFICATION_RETENTION_DAYS ago: delete (unread ones never).
        register_sweep(
            "notifications.prune_read",
            lambda now: sweeps.notifications_prune_read(now=now),
            schedule=HOURLY,
            deadline=False,
        )
        # Records of unread-message e-mails sent OPINIA_DELIVERED_EMAIL_RETENTION_DAYS ago: delete.
        register_sweep(
            "messaging.prune_delivered_emails",
            lambda now: sweeps.message_emails_prune_delivered(now=now),
            schedule=HOURLY,
            deadline=False,
        )
        register_nav_counter(
            "messages", selectors.unread_badge_parts, cap=selectors.BADGE_CAP + 1, shape=selectors.user_is_support_agent
        )
        register_nav_counter("notifications", selectors.unread_notifications_parts, cap=100)
        register_panel("product_page", panels.product_panel)
        register_panel("buyer_order", panels.buyer_order_panel)
        register_panel("seller_order", panels.seller_order_panel)
        register_panel("store_page", panels.store_page_panel)
        register_panel("store_dashboard", panels.store_dashboard_panel)
        register_store_actions(panels.store_actions)
        from messaging import summary

        summary.register()
        register_demo_seeder(seed_conversations)
