"""``manage.py capture_smtp``: the "BCC to log" SMTP server, until interrupted."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from activities.capture.smtp import logging_controller


class Command(BaseCommand):
    help = (
        "Run the SMTP server that accepts mail for reps' logging addresses "
        "(log+<token>@RELINTEL_BCC_DOMAIN) and captures it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None, help="Address to listen on (default: RELINTEL_SMTP_HOST).")
        parser.add_argument("--port", type=int, default=None, help="Port to listen on (default: RELINTEL_SMTP_PORT).")

    def handle(self, *args: Any, **options: Any) -> None:
        host = options["host"] or settings.RELINTEL_SMTP_HOST
        port = options["port"] if options["port"] is not None else settings.RELINTEL_SMTP_PORT
        controller = logging_controller(host=host, port=port)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        controller.start()
        self.stdout.write(
            f"capture_smtp: listening on {host}:{port} for log+<token>@{settings.RELINTEL_BCC_DOMAIN} "
            f"(messages up to {settings.RELINTEL_SMTP_MAX_MESSAGE_BYTES} bytes)"
        )
        try:
            while not stop.wait(1.0):  # wake up now and then so signals are handled promptly
                pass
        finally:
            controller.stop()
            self.stdout.write("capture_smtp: stopped")
