from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.deadlines import run_all_sweeps


class Command(BaseCommand):
    help = "Run every deadline sweep once, now (what beat does every minute)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        results = run_all_sweeps(now=timezone.now())
        if not options["quiet"]:
            for name, count in results.items():
                self.stdout.write(f"{name}: {count}")
