from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from messaging.owners import BATCH, fill_message_owners


class Command(BaseCommand):
    help = (
        "Give the messages written without their conversation's buyer and store (by an older release "
        "still running during an upgrade) those owners, which the inbox search needs."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch", type=int, default=BATCH, help="messages per statement")

    def handle(self, *args: Any, **options: Any) -> None:
        filled = fill_message_owners(connection, batch=max(1, options["batch"]))
        self.stdout.write(f"messages given their owners: {filled}")
