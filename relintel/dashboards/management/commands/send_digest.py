"""``manage.py send_digest [--user EMAIL] [--dry-run]``: send this week's digests now.

Sending is idempotent per member and week (see relintel.dashboards.digest): running it
twice, or after the Monday beat task, sends nothing twice. ``--dry-run`` prints each
digest's text instead and records nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from relintel.dashboards import digest


class Command(BaseCommand):
    help = "Send this week's digest email to every active member (or one), skipping empty ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", metavar="EMAIL", help="Only this user's digest (every organization of theirs).")
        parser.add_argument("--dry-run", action="store_true", help="Print the digests instead of sending them.")

    def handle(self, *args: Any, **options: Any) -> None:
        members = digest.digest_members()
        if options["user"]:
            members = members.filter(user__email__iexact=options["user"].strip())
            if not members.exists():
                raise CommandError(f"No active member with the email {options['user']!r}.")
        counts: dict[str, int] = {}
        for membership in members.iterator(chunk_size=200):
            who = f"{membership.user.email} ({membership.organization.name})"
            if options["dry_run"]:
                built = digest.digest_build(membership=membership)
                outcome = digest.EMPTY if built.is_empty else "would send"
                if not built.is_empty:
                    self.stdout.write(f"--- To: {who}\nSubject: {built.subject}\n\n{built.text}")
            else:
                outcome = digest.digest_send(membership=membership)
            counts[outcome] = counts.get(outcome, 0) + 1
            self.stdout.write(f"{who}: {outcome}")
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no members"
        self.stdout.write(self.style.SUCCESS(f"Digests: {summary}."))
