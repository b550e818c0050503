"""Serve the Salesforce emulator over HTTPS on loopback until interrupted."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sync.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERNAME, EmulatorServer, EmulatorState
from sync.emulator.demo import seed_demo_org


class Command(BaseCommand):
    help = "Run the Salesforce REST emulator (HTTPS on loopback, self-signed CA) for development and demos."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8443)
        parser.add_argument("--host", default="127.0.0.1", help="Loopback only: 127.0.0.1 or localhost.")
        parser.add_argument("--seed-demo", action="store_true", help="Pre-populate Accounts, Contacts and Leads.")
        parser.add_argument(
            "--state-file",
            default=str(
                Path(getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var")) / "emulator" / "state.json"
            ),
            help="Persist the org here (reloaded on start); pass '' to keep it in memory only.",
        )
        parser.add_argument("--daily-api-limit", type=int, default=100_000)
        parser.add_argument("--token-ttl", type=float, default=7200.0, help="Access token lifetime in seconds.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["host"] not in ("127.0.0.1", "localhost", "::1"):
            self.stderr.write("The emulator serves loopback only.")
            return
        state = EmulatorState(
            daily_api_limit=options["daily_api_limit"],
            token_ttl=options["token_ttl"],
            persist_path=options["state_file"] or None,
        )
        loaded = state.load()
        if options["seed_demo"] and not any(state.records[name] for name in ("Account", "Contact", "Lead")):
            seed_demo_org(state)
        server = EmulatorServer(port=options["port"], state=state, host=options["host"]).start()
        out = self.stdout
        out.write(f"Salesforce emulator listening on {server.url}")
        out.write(f"  login URL / instance URL: {server.url}")
        out.write(f"  CA bundle: {server.ca_bundle}")
        out.write(f"  export REQUESTS_CA_BUNDLE={server.ca_bundle}")
        out.write(f"  client id: {DEMO_CLIENT_ID}")
        out.write(f"  client secret: {DEMO_CLIENT_SECRET}")
        out.write(f"  username: {DEMO_USERNAME}")
        out.write(f"  state: {options['state_file'] or 'in memory'}{' (reloaded)' if loaded else ''}")
        out.write(f"  faults: POST {server.url}/__emulator__/faults, counters: GET {server.url}/__emulator__/state")
        out.flush()
        stopped = threading.Event()
        # SIGTERM (from make run's process manager) stops cleanly too, so the state file is saved.
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        try:
            while not stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            self.stdout.write("Salesforce emulator stopped.")
