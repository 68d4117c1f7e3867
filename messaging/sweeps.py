"""Sweeps of the message centre, run by beat and by `run_deadlines`."""

from datetime import datetime


def unread_message_emails_sweep(*, now: datetime) -> int:
    """E-mail each recipient once about messages unread for 10 minutes; returns e-mails sent."""
    return 0
