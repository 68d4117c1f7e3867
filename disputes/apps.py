from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Disputes")

    def ready(self) -> None:
        from disputes import panels, sweeps
        from disputes.access import dispute_photo_visible
        from disputes.demo import seed_disputes
        from disputes.notes import register_note_kinds
        from disputes.notifications import register_kinds
        from disputes.services.complaints import complaint_from_message_report
        from disputes.services.custody import evidence_photo_served
        from messaging.services import register_message_report_listener
        from portal.actions import register_buyer_actions, register_store_actions
        from portal.buyer_record import register_buyer_facts
        from portal.deadlines import EVERY_MINUTE, register_sweep
        from portal.demo import register_demo_seeder
        from portal.navigation import register_nav_counter
        from portal.panels import register_panel
        from portal.uploads import register_photo_access, register_photo_served_listener

        register_kinds()
        register_note_kinds()
        register_photo_access(dispute_photo_visible)
        register_photo_served_listener(evidence_photo_served)
        # Dispute clocks (seller response, escalation, returns, overdue decisions), complaint
        # reminders and penalty expiry.
        register_sweep("disputes.deadlines", lambda now: sweeps.sweep_dispute_deadlines(now=now), schedule=EVERY_MINUTE)
        register_panel("buyer_order", panels.buyer_order_panel)
        register_panel("seller_order", panels.seller_order_panel)
        register_panel("store_dashboard", panels.store_dashboard_panel)
        register_panel("store_page", panels.store_page_panel)
        register_panel("product_page", panels.store_page_panel)
        register_store_actions(panels.store_actions)
        from disputes import summary

        summary.register()
        register_buyer_actions(panels.buyer_actions)
        register_nav_counter("disputes", panels.open_disputes_parts, cap=99)
        register_buyer_facts(panels.buyer_facts)
        register_demo_seeder(seed_disputes)
        register_message_report_listener(complaint_from_message_report)
