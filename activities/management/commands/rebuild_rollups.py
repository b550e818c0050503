"""``manage.py rebuild_rollups [--organization SLUG]``: re-derive what the dashboards read.

The team dashboards' weekly activity rollups and every rep's stored replies owed (Today).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from activities.replies import replies_owed_rebuild
from activities.rollups import activity_rollups_rebuild
from relintel.accounts.models import Organization


class Command(BaseCommand):
    help = (
        "Rebuild the weekly activity rollups the team dashboards read and the replies owed Today lists "
        "(every organization, or one)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="Slug of one organization (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = Organization.objects.order_by("pk")
        if options["organization"]:
            organizations = organizations.filter(slug=options["organization"])
            if not organizations.exists():
                raise CommandError(f"No organization with the slug {options['organization']!r}.")
        for organization in organizations:
            rows = activity_rollups_rebuild(organization_id=organization.pk)
            owed = replies_owed_rebuild(organization_id=organization.pk)
            self.stdout.write(f"{organization.slug}: {rows:,} rollup rows, {owed:,} replies owed")
