"""Uploads of ``.eml``, ``.mbox`` and ``.ics`` files into the capture pipeline.

Uploads are processed synchronously, in batches, up to ``MAX_UPLOAD_BYTES`` (50 MB);
a larger file is refused with a message that points to connecting the mailbox over
IMAP. Why not store big files and hand them to a worker: the web and worker
processes may run on different hosts (no shared ``var/``), raw mail kept on disk
would sit outside the privacy levels until cleaned up, and an upload is a one-off
import — the pipeline reads thousands of messages a second, so 50 MB is done
within a request's time, while a whole mailbox belongs on IMAP, which has
cursors, back-off and progress. Each batch is one transaction and capture is
idempotent, so uploading the same file again only reports "already known".
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from activities.capture.ingest import capture_context_for, capture_ingest, capture_policy_for
from activities.capture.items import CapturedItem
from activities.capture.parse_calendar import parse_calendar
from activities.capture.parse_email import parse_message, split_mbox
from activities.models import InteractionSource, PrivacyLevel, SkipReason, Visibility
from relintel.accounts.models import Membership

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
CALENDAR_WINDOW_DAYS = 365
EXTENSIONS = {".eml": "eml", ".mbox": "mbox", ".mbx": "mbox", ".ics": "ics", ".ical": "ics"}
ACCEPT = ".eml,.mbox,.ics"

_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?", re.MULTILINE)
_KNOWN_HEADERS = re.compile(rb"^(from|date|subject|message-id|to|received|return-path|mime-version):", re.I | re.M)


@dataclass
class Unreadable:
    position: int  # 1-based: the n-th message or event of the file
    reason: str


@dataclass
class UploadResult:
    filename: str
    kind: str  # "eml" | "mbox" | "ics"
    items: int = 0
    captured: int = 0
    already_known: int = 0
    updated: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unreadable: list[Unreadable] = field(default_factory=list)

    @property
    def skipped_labelled(self) -> list[tuple[str, str, int]]:
        """(reason, label, count), most frequent first; unreadable items are listed separately."""
        labels = dict(SkipReason.choices)
        return [
            (reason, str(labels.get(reason, reason)), count)
            for reason, count in self.skipped.most_common()
            if reason != SkipReason.MALFORMED
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "kind": self.kind,
            "items": self.items,
            "captured": self.captured,
            "already_known": self.already_known,
            "updated": self.updated,
            "skipped": [{"reason": r, "label": label, "count": n} for r, label, n in self.skipped_labelled],
            "unreadable": [{"position": u.position, "reason": u.reason} for u in self.unreadable],
        }


def _error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def upload_kind(*, filename: str, data: bytes) -> str:
    """The file's kind from its extension, checked against its content; a ``ValidationError`` otherwise."""
    name = filename.lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    if extension not in EXTENSIONS:
        raise _error("Upload an .eml (one email), .mbox (a mailbox export) or .ics (a calendar) file.")
    if not data.strip():
        raise _error("The file is empty.")
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if EXTENSIONS[extension] == "ics":
        raise _error("This is not an iCalendar file: it does not start with BEGIN:VCALENDAR.")
    if head.startswith(b"From "):
        return "mbox"  # an mbox, or a single message saved with its mbox separator line
    header_block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    if _HEADER_LINE.match(header_block) and _KNOWN_HEADERS.search(header_block):
        return "eml"
    noun = "a mailbox (mbox) file" if EXTENSIONS[extension] == "mbox" else "an email message"
    raise _error(f"This is not {noun}: no email headers (From, Date, Subject…) were found at its start.")


def _items(kind: str, data: bytes, *, with_body: bool, now: datetime.datetime) -> list[CapturedItem]:
    if kind == "ics":
        window = datetime.timedelta(days=CALENDAR_WINDOW_DAYS)
        return parse_calendar(data, window_start=now - window, window_end=now + window, with_body=with_body)
    raws = [data] if kind == "eml" else list(split_mbox(data))
    return [parse_message(raw, with_body=with_body) for raw in raws]


def capture_upload(
    *, membership: Membership, filename: str, data: bytes, visibility: str = Visibility.TEAM
) -> UploadResult:
    """Capture an uploaded file into ``membership``'s organization, attributed to its user.

    Raises ``ValidationError`` (``{"file": [...]}`` or ``{"visibility": [...]}``) and writes
    nothing when the file is too big, empty, of the wrong type or not what it claims to be.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise _error(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; uploads are limited to "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB. For a whole mailbox, connect it over IMAP "
            "in Settings → Capture instead: it is read in the background, with progress."
        )
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": [f"Choose one of: {', '.join(Visibility.values)}."]})
    kind = upload_kind(filename=filename, data=data)
    organization, user = membership.organization, membership.user
    privacy_level = capture_policy_for(organization=organization).default_privacy_level
    now = timezone.now()
    items = _items(kind, data, with_body=privacy_level == PrivacyLevel.FULL, now=now)
    if kind == "eml" and items and items[0].parse_error:
        raise _error(f"This email could not be read: {items[0].parse_error}.")
    result = UploadResult(filename=filename, kind=kind, items=len(items))
    result.unreadable = [
        Unreadable(position=index, reason=item.parse_error) for index, item in enumerate(items, 1) if item.parse_error
    ]
    window = datetime.timedelta(days=CALENDAR_WINDOW_DAYS)
    context = capture_context_for(
        organization=organization,
        user=user,
        window_start=now - window if kind == "ics" else None,
        window_end=now + window if kind == "ics" else None,
    )
    batch = settings.RELINTEL_CAPTURE_BATCH_SIZE
    for start in range(0, len(items), batch):
        outcome = capture_ingest(
            organization=organization,
            user=user,
            source=InteractionSource.UPLOAD,
            items=items[start : start + batch],
            privacy_level=privacy_level,
            visibility=visibility,
            context=context,
        )
        result.captured += outcome.captured
        result.already_known += outcome.duplicates
        result.updated += outcome.updated
        result.skipped.update(outcome.skipped)
    return result
