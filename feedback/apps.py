from datetime import datetime

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from celery.schedules import crontab

        from feedback import notifications, services
        from portal.deadlines import EVERY_MINUTE, register_sweep
        from portal.models import Order
        from portal.services import register_order_completed_listener
        from portal.uploads import register_photo_access

        notifications.register()

        def start_feedback_window(*, order: Order, now: datetime) -> None:
            services.window_open(order=order, now=now)

        # The window (and the invitation) is created inside the completing transaction.
        register_order_completed_listener("feedback.window_open", start_feedback_window)
        # Feedback windows at OPINIA_FEEDBACK_WINDOW_DAYS: publish, leave automatic ratings.
        register_sweep(
            "feedback.windows_close", lambda now: services.feedback_windows_close_sweep(now=now), schedule=EVERY_MINUTE
        )
        # Open windows OPINIA_FEEDBACK_REMINDER_DAYS before they close: remind the buyer.
        register_sweep(
            "feedback.reminders", lambda now: services.feedback_reminders_sweep(now=now), schedule=EVERY_MINUTE
        )
        # Nightly at 03:17 UTC: rebuild the store score buckets from the raw reviews, correcting any
        # drift. A full recount of every store, not a clock, so `run_deadlines` leaves it to beat.
        register_sweep(
            "feedback.score_recount",
            lambda now: services.store_scores_recount(now=now),
            schedule=crontab(hour=3, minute=17),
            deadline=False,
        )
        register_photo_access(notifications.photo_is_public_review)
        from feedback.demo import seed_feedback
        from portal.demo import register_demo_seeder

        register_demo_seeder(seed_feedback)
        self._register_pages()

    def _register_pages(self) -> None:
        from feedback import panels, summary

        panels.register()
        summary.register()
