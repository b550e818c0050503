"""``manage.py rotate_secrets``: re-encrypt every stored secret with the newest key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from activities.capture.secret_rotation import secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (capture source passwords and tokens, two-factor secrets) with the "
        "newest key of RELINTEL_ENCRYPTION_KEYS. Put the new key first, run this, then drop the old key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only report how many values are not yet on the newest key."
        )
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        counts = secrets_rotate(check=options["check"], batch_size=options["batch_size"])
        failed = 0
        for count in counts:
            if options["check"]:
                line = f"{count.label}: {count.values} stored, {count.stale} not yet on the newest key"
            else:
                line = f"{count.label}: {count.values} stored, {count.rotated} re-encrypted, {count.current} already on the newest key"
            if count.failed:
                line += f", {count.failed} could not be decrypted with any configured key"
            failed += count.failed
            self.stdout.write(line)
        if options["check"]:
            stale = sum(count.stale for count in counts)
            self.stdout.write("All secrets are on the newest key." if not stale else f"{stale} to rotate.")
        if failed:
            raise CommandError(
                f"{failed} secret(s) could not be decrypted: was an old key removed before rotating? "
                "Put it back in RELINTEL_ENCRYPTION_KEYS (after the new one) and run rotate_secrets again."
            )
