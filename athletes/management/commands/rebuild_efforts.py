"""Finds the best efforts and pace curves of runs stored before they existed (or after their
rules changed): `manage.py rebuild_efforts [--user USERNAME]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from athletes.models import RUNNING_SPORTS, Activity
from athletes.services import activities as activity_services


class Command(BaseCommand):
    help = "Finds again the best efforts and pace curve of every stored run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="only this username's runs")

    def handle(self, *args: Any, **options: Any) -> None:
        runs = Activity.objects.filter(sport__in=RUNNING_SPORTS).order_by("pk")
        if options.get("user"):
            runs = runs.filter(user__username=options["user"])
        activities = list(runs)
        count = activity_services.efforts_rebuild(activities=activities)
        self.stdout.write(f"{count} runs read.")
