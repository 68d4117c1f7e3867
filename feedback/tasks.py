"""Tasks of the feedback app.

Its sweeps (closing windows, reminders, the nightly score recount) are registered with their
schedules in `FeedbackConfig.ready()` and run by the one task `portal.tasks.run_sweep`.
"""
