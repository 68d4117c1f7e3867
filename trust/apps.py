from datetime import datetime

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrustConfig(AppConfig):
    name = "trust"
    verbose_name = _("Trust signals")

    def ready(self) -> None:
        from portal.deadlines import EVERY_MINUTE, HOURLY, register_sweep
        from portal.demo import register_demo_seeder
        from portal.integrity import register_integrity_listener, register_review_report_annotation
        from trust import bursts, notifications, services
        from trust.admin import annotate_after_dispute
        from trust.demo import seed_trust

        notifications.register()

        def enqueue(*, source: str, source_id: int, now: datetime) -> object:
            return services.check_enqueue(source=source, source_id=source_id, now=now)

        # A pending check is written with every text, seller rating and review report.
        register_integrity_listener("trust.check", enqueue)
        register_review_report_annotation(annotate_after_dispute)
        # Pending checks a lost task left behind (the task checks each text right after commit).
        register_sweep("trust.checks", lambda now: services.checks_sweep(now=now), schedule=EVERY_MINUTE)
        # Hourly: yesterday's and today's ratings per store against the store's norm.
        register_sweep("trust.bursts", lambda now: bursts.bursts_sweep(now=now), schedule=HOURLY, deadline=False)
        register_demo_seeder(seed_trust)
