from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from datetime import timedelta

        from portal.deadlines import register_sweep
        from portal.events import register_event_publisher, register_listener_check
        from portal.settings_sections import StoreSettingsSection, register_store_settings_section
        from webhooks import delivery, services
        from webhooks.notifications import register_kinds

        register_kinds()
        # The outbox: every published event is written, with its deliveries, in the service's transaction.
        register_event_publisher("webhooks.outbox", services.event_record)
        register_listener_check("webhooks.outbox", services.stores_with_endpoints)
        # Deliveries due (new events, retries whose backoff ended, claims of dead workers that
        # lapsed): POST them signed. Every few seconds, so events arrive promptly; not a clock of
        # the product, so `run_deadlines` leaves it to beat.
        register_sweep(
            "webhooks.deliver",
            lambda now: delivery.webhooks_deliver_sweep(now=now),
            schedule=timedelta(seconds=5),
            deadline=False,
        )
        register_store_settings_section(
            StoreSettingsSection(
                key="webhooks",
                label=_("Webhooks"),
                description=_("Endpoints that receive signed events about this store: orders, reviews, disputes…"),
                url_name="webhooks:endpoint_list",
            )
        )
