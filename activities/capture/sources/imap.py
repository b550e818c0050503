"""Read a mailbox over IMAP: a backfill of the window, then new mail, folder by folder.

Per folder a ``CaptureCursor`` keeps UIDVALIDITY and the last UID read; each batch is
fetched by an explicit UID list (imapclient 4.x fails on ``1:*``) with ``BODY.PEEK[]``
(never marks mail as read), parsed, and ingested in one transaction together with the
cursor that records it, so a crash between batches loses and repeats nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from imapclient import IMAPClient

from activities.capture.items import CaptureContext
from activities.capture.sources.base import BatchOutcome, SourceError, account_secret
from activities.models import AuthMethod, CaptureAccount, CaptureCursor, ImapSecurity, PrivacyLevel

SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail", "INBOX.Sent", "INBOX/Sent")
CONNECT_TIMEOUT_SECONDS = 30
# Messages per IMAP FETCH: bounds the raw mail held in memory at once, independently of
# RELINTEL_CAPTURE_BATCH_SIZE (the messages written per transaction).
FETCH_CHUNK = 200


def imap_port(account: CaptureAccount) -> int:
    if account.port:
        return int(account.port)
    return 993 if account.security == ImapSecurity.TLS else 143


def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def imap_connect(account: CaptureAccount, *, secret: str | None = None) -> IMAPClient:
    """A logged-in client, over TLS, STARTTLS or plain as the account says."""
    password = account_secret(account.secret) if secret is None else secret
    port = imap_port(account)
    if account.security == ImapSecurity.TLS:
        client = IMAPClient(
            account.host, port=port, ssl=True, ssl_context=tls_context(), timeout=CONNECT_TIMEOUT_SECONDS
        )
    else:
        client = IMAPClient(account.host, port=port, ssl=False, timeout=CONNECT_TIMEOUT_SECONDS)
        if account.security == ImapSecurity.STARTTLS:
            client.starttls(tls_context())
    try:
        if account.auth_method == AuthMethod.XOAUTH2:
            client.oauth2_login(account.username, password)
        else:
            client.login(account.username, password)
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()


def imap_folders(client: IMAPClient, account: CaptureAccount) -> list[str]:
    """The folders to read: the account's, or INBOX and the Sent folder."""
    listed = client.list_folders()
    names = {name for _flags, _delimiter, name in listed}
    by_lower = {name.lower(): name for name in names}
    if account.folders:
        folders = []
        for wanted in account.folders:
            found = wanted if wanted in names else by_lower.get(str(wanted).lower())
            if found is None:
                raise SourceError("folder", f"No such folder on the server: {wanted}")
            folders.append(found)
        return folders
    folders = [by_lower.get("inbox", "INBOX")]
    sent = next((name for flags, _delimiter, name in listed if b"\\Sent" in flags), None)
    if sent is None:
        sent = next((by_lower[n.lower()] for n in SENT_NAMES if n.lower() in by_lower), None)
    if sent and sent not in folders:
        folders.append(sent)
    return folders


def imap_check(account: CaptureAccount, *, secret: str | None = None) -> str:
    """Connect, log in, open each folder: the "Test connection" of a mailbox."""
    client = imap_connect(account, secret=secret)
    try:
        folders = imap_folders(client, account)
        counts = []
        for folder in folders:
            info = client.select_folder(folder, readonly=True)
            counts.append(f"{folder} ({int(info.get(b'EXISTS', 0))} messages)")
        return "Connected and logged in. Folders: " + ", ".join(counts)
    finally:
        _close(client)


@dataclass
class _FolderPlan:
    folder: str
    cursor: CaptureCursor
    uidvalidity: int
    highest_modseq: int | None
    backfilling: bool
    uids: list[int] = field(default_factory=list)


def _plan_folder(client: IMAPClient, account: CaptureAccount, folder: str) -> tuple[_FolderPlan, bool]:
    """Open a folder and list the UIDs still to read. True when UIDVALIDITY changed."""
    info = client.select_folder(folder, readonly=True)
    uidvalidity = int(info[b"UIDVALIDITY"])
    modseq = info.get(b"HIGHESTMODSEQ")
    cursor, _ = CaptureCursor.objects.get_or_create(account=account, folder=folder)
    reset = False
    if cursor.uidvalidity != uidvalidity:
        # A new UIDVALIDITY makes every UID we knew meaningless: read the window again.
        # Ingest dedupes by Message-ID, so nothing is captured twice.
        reset = cursor.uidvalidity is not None
        cursor.uidvalidity = uidvalidity
        cursor.last_uid = 0
        cursor.highest_modseq = None
        cursor.backfill_complete = False
        cursor.save()
    criteria: list[object] = []
    if not cursor.backfill_complete:
        since = (timezone.now() - datetime.timedelta(days=account.backfill_days)).date()
        criteria += ["SINCE", since]
    if cursor.last_uid:
        criteria += ["UID", f"{cursor.last_uid + 1}:*"]
    uids = sorted(int(uid) for uid in client.search(criteria or ["ALL"]) if int(uid) > cursor.last_uid)
    plan = _FolderPlan(
        folder=folder,
        cursor=cursor,
        uidvalidity=uidvalidity,
        highest_modseq=int(modseq) if modseq is not None else None,
        backfilling=not cursor.backfill_complete,
        uids=uids,
    )
    return plan, reset


_FETCH_UID = re.compile(rb"\bUID (\d+)")


def fetch_bodies(client: IMAPClient, uids: list[int]) -> dict[int, bytes]:
    """UID → the whole message (``BODY.PEEK[]``, so nothing is marked seen), for these UIDs.

    What ``client.fetch(uids, ["BODY.PEEK[]"])`` returns, without imapclient's general
    response parser (a lexer in Python over every token, ~20 % of an IMAP batch's time):
    imaplib already splits each message's literal out, only its UID is read here. Anything
    it does not recognise (a server that puts the UID somewhere unexpected) goes back to
    ``client.fetch``.
    """
    imap = client._imap
    tag = imap._command("UID", "FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    bodies: dict[int, bytes] = {}
    wanted = set(uids)
    for index, entry in enumerate(data or ()):
        if not isinstance(entry, tuple) or len(entry) != 2 or b"BODY[]" not in entry[0]:
            continue
        found = _FETCH_UID.search(entry[0])
        if found is None and index + 1 < len(data) and isinstance(data[index + 1], bytes):
            found = _FETCH_UID.search(data[index + 1])  # "BODY[] {n}" first, " UID n)" after it
        if found is None:
            response = client.fetch(uids, ["BODY.PEEK[]"])
            return {uid: value[b"BODY[]"] for uid, value in response.items() if b"BODY[]" in value}
        uid = int(found.group(1))
        if uid in wanted:  # unsolicited responses for other messages are dropped
            bodies[uid] = entry[1]
    return bodies


def imap_run(
    account: CaptureAccount,
    *,
    context: CaptureContext | None,
    deadline: float,
    batch_size: int | None = None,
    on_batch: Callable[[], None] | None = None,
) -> BatchOutcome:
    """Read the mailbox until done or until ``deadline`` (``time.monotonic()``)."""
    from activities.capture.ingest import capture_ingest
    from activities.capture.parse_email import parse_message

    batch_size = batch_size or int(settings.RELINTEL_CAPTURE_BATCH_SIZE)
    with_body = account.privacy_level == PrivacyLevel.FULL
    outcome = BatchOutcome()
    client = imap_connect(account)
    try:
        if client.has_capability("CONDSTORE"):
            # Makes SELECT report HIGHESTMODSEQ, kept in the cursor.
            client.enable("CONDSTORE")
        plans = []
        for folder in imap_folders(client, account):
            plan, reset = _plan_folder(client, account, folder)
            if reset:
                CaptureAccount.objects.filter(pk=account.pk).update(
                    backfill_done=0, backfill_total=0, backfill_completed_at=None
                )
                account.backfill_done = account.backfill_total = 0
                account.backfill_completed_at = None
            plans.append(plan)
        backfilling = [plan for plan in plans if plan.backfilling]
        if backfilling:
            account.backfill_total = account.backfill_done + sum(len(plan.uids) for plan in backfilling)
            CaptureAccount.objects.filter(pk=account.pk).update(backfill_total=account.backfill_total)
        for plan in plans:
            if time.monotonic() >= deadline:
                outcome.more = outcome.more or bool(plan.uids) or plan.backfilling
                continue
            if len(plans) > 1:
                info = client.select_folder(plan.folder, readonly=True)
                if int(info[b"UIDVALIDITY"]) != plan.uidvalidity:
                    outcome.more = True  # changed under us: the next run starts it over
                    continue
            chunks = [plan.uids[i : i + batch_size] for i in range(0, len(plan.uids), batch_size)] or [[]]
            for index, chunk in enumerate(chunks):
                if time.monotonic() >= deadline:
                    outcome.more = True
                    break
                last = index == len(chunks) - 1
                items = []
                if chunk:
                    # Fetched a few hundred at a time whatever the batch size: only parsed
                    # items (never raw messages) accumulate for the batch's transaction.
                    for start in range(0, len(chunk), FETCH_CHUNK):
                        part = chunk[start : start + FETCH_CHUNK]
                        bodies = fetch_bodies(client, part)
                        for uid in part:
                            raw = bodies.get(uid)
                            if raw is not None:
                                items.append(parse_message(bytes(raw), with_body=with_body))
                        del bodies
                    plan.cursor.last_uid = chunk[-1]
                plan.cursor.highest_modseq = plan.highest_modseq
                if plan.backfilling and last:
                    plan.cursor.backfill_complete = True
                if not chunk and not (plan.backfilling and last):
                    break
                outcome.fetched += len(items)
                with transaction.atomic():
                    if items:
                        result = capture_ingest(
                            organization=account.organization,
                            user=account.user,
                            source="imap",
                            items=items,
                            privacy_level=account.privacy_level,
                            visibility=account.visibility,
                            account=account,
                            cursor=plan.cursor,
                            context=context,
                        )
                        outcome.add(result)
                    else:
                        plan.cursor.save()
                    if plan.backfilling and chunk:
                        CaptureAccount.objects.filter(pk=account.pk).update(
                            backfill_done=F("backfill_done") + len(chunk)
                        )
                        account.backfill_done += len(chunk)
                if on_batch is not None:
                    on_batch()
        if backfilling and not outcome.more and all(plan.cursor.backfill_complete for plan in plans):
            account.backfill_completed_at = timezone.now()
            CaptureAccount.objects.filter(pk=account.pk).update(
                backfill_completed_at=account.backfill_completed_at, backfill_done=F("backfill_total")
            )
    finally:
        _close(client)
    return outcome
