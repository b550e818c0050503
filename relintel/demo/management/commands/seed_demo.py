"""``manage.py seed_demo``: build the deterministic demo organization (Northwind Partners)."""

from __future__ import annotations

import datetime
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from relintel.accounts.models import Organization
from relintel.demo import services
from relintel.demo.constants import DEMO_LOGINS, DEMO_PASSWORD


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"“{value}” is not a date like 2025-06-30.") from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ArgumentTypeError(f"“{value}” is not a whole number.") from None
    if number < 1:
        raise ArgumentTypeError("Use a number of 1 or more.")
    return number


class Command(BaseCommand):
    help = "Build the demo organization: teams, users, contacts, companies, interactions and help offers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed; the same seed and --today give the same data."
        )
        parser.add_argument(
            "--today", type=_date, default=None, help="The day the data ends (YYYY-MM-DD); default today."
        )
        parser.add_argument("--contacts", type=_positive, default=2_000, help="Number of contacts (default 2000).")
        parser.add_argument(
            "--interactions", type=_positive, default=30_000, help="Number of interactions (default 30000)."
        )
        parser.add_argument("--users", type=_positive, default=9, help="Number of users, 5 or more (default 9).")
        parser.add_argument("--replace", action="store_true", help="Delete the demo organization first if it exists.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if the database has any organization.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Organization.objects.exists():
            self.stdout.write("The database already has an organization; not seeding the demo.")
            return
        try:
            result = services.demo_seed(
                seed=options["seed"],
                today=options["today"],
                contacts=options["contacts"],
                interactions=options["interactions"],
                users=options["users"],
                replace=options["replace"],
                log=self.stdout.write,
            )
        except ValidationError as exc:
            messages = [m for ms in exc.message_dict.values() for m in ms]
            hint = " Use --replace to rebuild it." if "organization" in exc.message_dict else ""
            raise CommandError(" ".join(messages) + hint) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Built {result.organization.name} in {result.seconds:.1f}s: {result.users} users, "
                f"{result.companies:,} companies, {result.contacts:,} contacts, {result.interactions:,} interactions, "
                f"{result.help_offers:,} help offers, {result.relationships:,} relationships."
            )
        )
        self.stdout.write("Open http://127.0.0.1:8000/ and sign in as:")
        for role, email in DEMO_LOGINS.items():
            self.stdout.write(f"  {role:<8} {email}  password: {DEMO_PASSWORD}")
