"""A deterministic, realistic mailbox for the capture benchmark.

About 20,000 messages between a rep and a few hundred correspondents: threads
(Re:/References), multipart/alternative bodies, attachments, RFC 2047 encoded
names and subjects in several charsets, and about 30% automated or bulk mail
(newsletters with List-Id/List-Unsubscribe, no-reply notifications, auto-replies).
The correspondents' addresses are those of existing contacts, so matching runs
against a realistic contact table.
"""

from __future__ import annotations

import base64
import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime

REP_EMAIL = "riley.rep@northwind.example"
REP_NAME = "Riley Rep"

_SUBJECTS = [
    "Quarterly review",
    "Pricing proposal for {company}",
    "Intro: {name} <> Riley",
    "Follow-up from our call",
    "Contract redlines",
    "Agenda for Thursday",
    "Réunion de suivi",
    "Angebot für {company}",
    "提案書について",
    "Next steps on the pilot",
    "Security questionnaire",
    "Can we move our meeting?",
]
_BODY = (
    "Hi {first},\n\nThanks for the time today. As discussed, here is a summary of where we are and what we "
    "agreed to do next. {line}\n\nBest,\n{sender}\n"
)
_LINES = [
    "We will send the revised pricing by Friday.",
    "Our security team reviewed the questionnaire and had two follow-up questions.",
    "Happy to introduce you to our CFO, who did this migration last year.",
    "The pilot starts on the first of next month with three teams.",
    "Could you share the procurement contact so we can get the paperwork moving?",
]
_NEWSLETTERS = [
    ("news@saasweekly.example", "SaaS Weekly", "<weekly.saasweekly.example>"),
    ("digest@cloudinsider.example", "Cloud Insider", "<digest.cloudinsider.example>"),
    ("updates@events.example", "Events Team", "<updates.events.example>"),
]
_NOREPLY = ["no-reply@calendar.example", "notifications@crm-tool.example", "noreply@billing.example"]


@dataclass(frozen=True)
class Correspondent:
    email: str
    name: str
    company: str


def _encoded(value: str, rng: random.Random) -> str:
    """Encode a header value the way real clients do, some of the time."""
    if value.isascii() and rng.random() < 0.7:
        return value
    charset = "utf-8" if not value.isascii() or rng.random() < 0.7 else "iso-8859-1"
    return Header(value, charset).encode()


def _address(name: str, email: str, rng: random.Random) -> str:
    return f"{_encoded(name, rng)} <{email}>"


def generate(correspondents: list[Correspondent], *, count: int = 20_000, seed: int = 7) -> Iterator[bytes]:
    """Yield ``count`` raw messages (bytes, CRLF line endings) deterministically."""
    rng = random.Random(seed)
    start = datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC)
    threads: list[tuple[str, str, Correspondent, int]] = []  # (root id, subject, who, depth)
    for n in range(count):
        when = start + datetime.timedelta(minutes=17 * n + rng.randint(0, 9))
        message_id = f"<{n}.{rng.getrandbits(40):x}@mail.northwind.example>"
        kind = rng.random()
        if kind < 0.30:
            yield _automated(n, rng, when, message_id)
            continue
        if threads and rng.random() < 0.45:
            root, subject, who, depth = threads[rng.randrange(len(threads))]
            subject = subject if subject.startswith("Re: ") else f"Re: {subject}"
            refs = root
        else:
            who = correspondents[rng.randrange(len(correspondents))]
            subject = rng.choice(_SUBJECTS).format(company=who.company, name=who.name)
            root, refs, depth = message_id, "", 0
            threads.append((root, subject, who, 0))
            if len(threads) > 400:
                threads.pop(0)
        outbound = rng.random() < 0.5
        sender = (REP_NAME, REP_EMAIL) if outbound else (who.name, who.email)
        recipient = (who.name, who.email) if outbound else (REP_NAME, REP_EMAIL)
        cc = [correspondents[rng.randrange(len(correspondents))] for _ in range(rng.choice((0, 0, 0, 1, 2)))]
        body = _BODY.format(first=who.name.split()[0], line=rng.choice(_LINES), sender=sender[0])
        yield _conversation(rng, when, message_id, refs, sender, recipient, cc, subject, body, depth)


def _headers(rng: random.Random, pairs: list[tuple[str, str]]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in pairs).encode("ascii", "replace")


def _conversation(rng, when, message_id, refs, sender, recipient, cc, subject, body, depth) -> bytes:
    headers = [
        ("Return-Path", f"<{sender[1]}>"),
        ("From", _address(sender[0], sender[1], rng)),
        ("To", _address(recipient[0], recipient[1], rng)),
    ]
    if cc:
        headers.append(("Cc", ", ".join(_address(c.name, c.email, rng) for c in cc)))
    headers += [
        ("Subject", _encoded(subject, rng)),
        ("Date", format_datetime(when)),
        ("Message-ID", message_id),
        ("MIME-Version", "1.0"),
    ]
    if refs:
        headers += [("In-Reply-To", refs), ("References", refs)]
    text = body.replace("\n", "\r\n")
    html = "<html><body><p>" + body.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p></body></html>"
    boundary = f"=_b{rng.getrandbits(48):x}"
    parts = [
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n",
        f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n",
    ]
    if rng.random() < 0.12:
        # mixed: alternative + an attachment
        outer = f"=_m{rng.getrandbits(48):x}"
        blob = base64.encodebytes(rng.randbytes(rng.randint(2_000, 60_000))).decode().replace("\n", "\r\n")
        alternative = (
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
            + "".join(parts)
            + f"--{boundary}--\r\n"
        )
        body_bytes = (
            f"--{outer}\r\n{alternative}"
            f'--{outer}\r\nContent-Type: application/pdf; name="proposal-{depth}.pdf"\r\n'
            f'Content-Disposition: attachment; filename="proposal-{depth}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n{blob}'
            f"--{outer}--\r\n"
        )
        headers.append(("Content-Type", f'multipart/mixed; boundary="{outer}"'))
    else:
        body_bytes = "".join(parts) + f"--{boundary}--\r\n"
        headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
    return _headers(rng, headers) + b"\r\n" + body_bytes.encode("utf-8")


def _automated(n: int, rng: random.Random, when: datetime.datetime, message_id: str) -> bytes:
    roll = rng.random()
    if roll < 0.6:
        address, name, list_id = rng.choice(_NEWSLETTERS)
        extra = [
            ("List-Id", f"{name} {list_id}"),
            ("List-Unsubscribe", f"<mailto:unsubscribe@{address.split('@')[1]}>"),
            ("Precedence", "bulk"),
        ]
        subject = f"{name} #{n}: this week in cloud software"
    elif roll < 0.9:
        address, name = rng.choice(_NOREPLY), "Notifications"
        extra = [("Auto-Submitted", "auto-generated")]
        subject = f"Your invoice {n} is ready"
    else:
        address, name = f"ooo{n % 50}@partner.example", "Out of office"
        extra = [("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")]
        subject = "Automatic reply: Quarterly review"
    headers = [
        ("From", f"{name} <{address}>"),
        ("To", f"{REP_NAME} <{REP_EMAIL}>"),
        ("Subject", subject),
        ("Date", format_datetime(when)),
        ("Message-ID", message_id),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        *extra,
    ]
    return _headers(rng, headers) + b"\r\n" + (f"Hello,\r\n\r\nThis is message {n}.\r\n" * 5).encode()


def to_mbox(messages: Iterator[bytes]) -> Iterator[bytes]:
    """mboxrd framing: a From_ line per message, body lines starting with From quoted."""
    for raw in messages:
        yield b"From bench@relintel Thu Jan  1 00:00:00 2026\n"
        for line in raw.replace(b"\r\n", b"\n").split(b"\n"):
            if line.lstrip(b">").startswith(b"From "):
                line = b">" + line
            yield line + b"\n"
        yield b"\n"
