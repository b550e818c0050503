"""Part (b) of ``make bench-capture``: the generated mailbox read from a local dovecot over IMAP.

The messages are written straight into the maildir (``cur/``, proper maildir names, the
file time set to the message's date so it is the INTERNALDATE that SEARCH SINCE reads)
before dovecot first opens the mailbox: loading 20,000 messages takes a second instead
of 20,000 APPENDs. Mail the rep sent goes to ``Sent``, the rest to ``INBOX``, so the
source reads two folders as it would in a real mailbox.

Then a ``CaptureAccount`` (IMAP, plain, privacy "subject", a backfill window that covers
the messages) is run exactly as a worker runs it, without Celery:
``capture_account_run_once`` (lease, ``run_account_batch``, release) until the backfill
is complete. Only that loop is timed.
"""

from __future__ import annotations

import datetime
import email.utils
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.mailgen import REP_EMAIL
from tests.capture.servers import Dovecot

PASSWORD = "bench-secret"
FIRST_MESSAGE_DAY = datetime.date(2026, 1, 5)  # benchmarks.mailgen dates messages from here on
_FROM = re.compile(rb"^From:[^\r\n]*<([^>\r\n]+)>", re.MULTILINE | re.IGNORECASE)
_DATE = re.compile(rb"^Date: *([^\r\n]+)", re.MULTILINE | re.IGNORECASE)


def _maildir(root: Path) -> Path:
    return root / "mail" / REP_EMAIL / "Maildir"


def load_maildir(server: Dovecot, messages: list[bytes]) -> dict[str, int]:
    """Write the messages as maildir files (INBOX, and ``.Sent`` for the rep's own mail)."""
    maildir = _maildir(server.root)
    owner = (server.root / "mail").stat()
    folders = {"INBOX": maildir, "Sent": maildir / ".Sent"}
    for directory in folders.values():
        for sub in ("cur", "new", "tmp"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
    (maildir / ".Sent" / "maildirfolder").touch()
    host = socket.gethostname().replace("/", "_").replace(":", "_")
    counts = dict.fromkeys(folders, 0)
    for index, raw in enumerate(messages):
        sender = _FROM.search(raw)
        folder = "Sent" if sender and sender.group(1).decode().lower() == REP_EMAIL else "INBOX"
        date = _DATE.search(raw)
        when = email.utils.parsedate_to_datetime(date.group(1).decode()).timestamp() if date else None
        stamp = int(when or 0)
        path = folders[folder] / "cur" / f"{stamp}.M{index}P{os.getpid()}.{host},S={len(raw)}:2,S"
        path.write_bytes(raw)
        if when is not None:
            os.utime(path, (when, when))
        counts[folder] += 1
    for walked, _subdirs, files in os.walk(server.root / "mail"):
        os.chown(walked, owner.st_uid, owner.st_gid)
        for name in files:
            os.chown(os.path.join(walked, name), owner.st_uid, owner.st_gid)
    return counts


def imap_end_to_end(
    *, org, rep, messages: list[bytes], timed: Callable[[str, int, Callable[[], object]], float]
) -> float:
    from activities.capture.sources.runner import capture_account_run_once
    from activities.models import CaptureAccount, CaptureCursor, CaptureKind, ImapSecurity, PrivacyLevel

    root = Path(tempfile.mkdtemp(prefix="relintel-bench-dovecot-"))
    server = Dovecot(root=root, users={REP_EMAIL: PASSWORD})
    try:
        server.start()
        counts = load_maildir(server, messages)
        # A mailbox the server already knows: its index is built before the clock starts.
        client = server.client(REP_EMAIL)
        for folder in counts:
            client.select_folder(folder, readonly=True)
        client.logout()
        print(f"  dovecot on 127.0.0.1:{server.port}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)

        backfill_days = (datetime.date.today() - FIRST_MESSAGE_DAY).days + 30
        account = CaptureAccount.objects.create(
            organization=org,
            user=rep,
            kind=CaptureKind.IMAP,
            name="Bench mailbox",
            host="127.0.0.1",
            port=server.port,
            security=ImapSecurity.PLAIN,
            username=REP_EMAIL,
            secret=PASSWORD,
            privacy_level=PrivacyLevel.SUBJECT,
            backfill_days=backfill_days,
        )
        runs: list[str] = []

        def backfill() -> None:
            while True:
                result = capture_account_run_once(account_id=account.pk)
                runs.append(result)
                if result in ("done", "failed") or len(runs) > 1000:
                    return

        rate = timed("(b) end to end from dovecot over IMAP (privacy subject)", len(messages), backfill)
        account.refresh_from_db()
        complete = CaptureCursor.objects.filter(account=account, backfill_complete=True).count()
        print(
            f"      {len(runs)} runs ({runs[-1]}), backfill {account.backfill_done}/{account.backfill_total},"
            f" {complete} folders complete, {account.captured_count} captured,"
            f" {sum(account.skipped_counts.values())} skipped"
            + (f", last error: {account.last_error}" if account.last_error else ""),
            flush=True,
        )
        return rate
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
