"""``manage.py rebuild_relationships [--organization SLUG]``: re-score every relationship from scratch."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from activities.relationships import relationships_rebuild_detailed
from relintel.accounts.models import Organization


class Command(BaseCommand):
    help = (
        "Rebuild every user × contact relationship (strength, band, counts) from the interactions and "
        "delivered help, for every organization or one. Records a band change for each pair that moved."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="Slug of one organization (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = Organization.objects.order_by("pk")
        if options["organization"]:
            organizations = organizations.filter(slug=options["organization"])
            if not organizations.exists():
                raise CommandError(f"No organization with the slug {options['organization']!r}.")
        started = time.perf_counter()
        for organization in organizations:
            self.stdout.write(f"{organization.slug}: rebuilding…")
            result = relationships_rebuild_detailed(
                organization_id=organization.pk, progress=lambda message: self.stdout.write(f"  {message}")
            )
            self.stdout.write(
                f"{organization.slug}: {result.relationships:,} relationships from "
                f"{result.interactions_read:,} interaction facts, {result.changes:,} band changes "
                f"in {result.seconds:.1f} s"
            )
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
