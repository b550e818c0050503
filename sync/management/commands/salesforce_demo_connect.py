"""Connect the demo organization to the local Salesforce emulator (``make run`` does this)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from relintel.demo.constants import DEMO_ORGANIZATION_SLUG
from sync.demo import DemoConnectError, salesforce_demo_connect
from sync.emulator.tls import ensure_certificates


class Command(BaseCommand):
    help = "Connect the demo organization to the Salesforce emulator and queue its first sync."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="https://127.0.0.1:8443", help="The running emulator's URL.")
        parser.add_argument("--organization", default=DEMO_ORGANIZATION_SLUG, help="The organization's slug.")

    def handle(self, *args: Any, **options: Any) -> None:
        ca_bundle = str(ensure_certificates(None).ca_bundle)
        try:
            done = salesforce_demo_connect(
                organization_slug=options["organization"], emulator_url=options["url"], ca_bundle=ca_bundle
            )
        except DemoConnectError as exc:
            raise CommandError(str(exc)) from None
        if done.connected_now:
            queued = sum(done.queued.values())
            self.stdout.write(
                f"Connected “{options['organization']}” to the Salesforce emulator at {options['url']}; "
                f"{queued} records queued for the first sync."
            )
        else:
            self.stdout.write(f"“{options['organization']}” is already connected to {options['url']}.")
