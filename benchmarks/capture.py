"""``make bench-capture``: capture throughput, end to end into PostgreSQL.

Prints (never asserts) messages per second for:

* parse only, the standard library: ``BytesParser(policy=policy.default)`` and the
  fields capture needs (see ``FIELDS``), the naive baseline;
* parse only, the fastest parser (``fast_mail_parser``) with the *same* fields, and
  bare (``parse_email`` alone, for reference);
* parse only, the pipeline's own ``parse_message`` (without and with the body);
* (a) end to end from an ``.mbox`` file: split, parse, classify, match against
  100,000 contacts and write into PostgreSQL, in the batches the workers use, at the
  organization's default privacy level ("subject": no body is read) and at "full";
* (b) end to end from a local dovecot over IMAP, through the real IMAP source
  (``benchmarks/capture_imap.py``).

All on the same 20,000 generated messages, in the same run, so the ratios hold on
a noisy machine. Uses its own database (``relintel_bench`` by default; set
``BENCH_DATABASE_URL``), recreated on every run. See BENCHMARKS.md.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from unittest import mock

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relintel_bench")
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "20000"))
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
CORRESPONDENTS = 300
BATCH = 0  # BENCH_BATCH, or the workers' RELINTEL_CAPTURE_BATCH_SIZE (set by _setup_django)
# What "with field extraction" means for both parse-only baselines: the fields capture
# needs to match and thread a message. Both parsers read the whole message (neither can
# skip the body); neither decodes the body text into a string.
FIELDS = "subject, Message-ID, Date as datetime, From/To/Cc addresses lower-cased, References ids"
_MSG_ID = re.compile(r"<[^<>\s]+>")


def _recreate_database() -> None:
    import psycopg2
    from psycopg2 import sql

    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    admin = psycopg2.connect(BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relintel.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The relationship refresh each batch enqueues after commit goes nowhere: no worker
    # runs here, and the embedded filesystem broker would leave files under var/.
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    global BATCH
    BATCH = int(os.environ.get("BENCH_BATCH") or settings.RELINTEL_CAPTURE_BATCH_SIZE)
    settings.RELINTEL_CAPTURE_BATCH_SIZE = BATCH  # (b) too


def _timed(label: str, count: int, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"  {label:<58} {count:>7} msgs {elapsed:8.2f} s {rate:10.0f} msg/s", flush=True)
    return rate


def _world():
    """An organization, the rep, and CONTACTS contacts (the correspondents among them), loaded with COPY."""
    from django.db import connection

    from activities.models import CapturePolicy, PrivacyLevel
    from benchmarks.mailgen import REP_EMAIL, REP_NAME, Correspondent
    from relintel.accounts.models import Membership, Organization, Role, Team, User

    org = Organization.objects.create(
        name="Northwind Partners", slug="northwind", internal_domains=["northwind.example"]
    )
    team = Team.objects.create(organization=org, name="East")
    rep = User.objects.create_user(email=REP_EMAIL, full_name=REP_NAME, password=None)
    Membership.objects.create(user=rep, organization=org, team=team, role=Role.REP)
    CapturePolicy.objects.create(organization=org, default_privacy_level=PrivacyLevel.SUBJECT)
    correspondents = [
        Correspondent(
            email=f"person{i}@company{i % 120}.example", name=f"Person {i} Example", company=f"Company {i % 120}"
        )
        for i in range(CORRESPONDENTS)
    ]
    contacts = io.StringIO()
    emails = io.StringIO()
    now = "2026-01-01 00:00:00+00"
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('contacts_contact', 'id'))")
        first_id = cursor.fetchone()[0]
    for n in range(CONTACTS):
        email = correspondents[n].email if n < CORRESPONDENTS else f"contact{n}@firm{n % 9000}.example"
        name = f"Contact {n}"
        contact_id = first_id + n
        contacts.write(
            f"{contact_id}\t{org.pk}\t{name}\tContact\t{n}\t\t\t\t\t\t\t\t\tdemo\t\t\\N\t{name.lower()} {email}\t{now}\t{now}\n"
        )
        emails.write(f"{org.pk}\t{contact_id}\t{email}\tt\n")
    contacts.seek(0)
    emails.seek(0)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.copy_expert(
            "COPY contacts_contact (id, organization_id, full_name, first_name, last_name, title, location, linkedin_url,"
            " interests, needs, expertise, notes, salesforce_contact_id, source, salesforce_lead_id, company_id,"
            " search_text, created_at, updated_at) FROM STDIN",
            contacts,
        )
        raw.copy_expert(
            "COPY contacts_contactemail (organization_id, contact_id, email, is_primary) FROM STDIN", emails
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('contacts_contact', 'id'), %s)", [first_id + CONTACTS])
        cursor.execute("ANALYZE")
    return org, rep, correspondents


def _reset_captured() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE activities_participant, activities_capturesighting, activities_skippedmessage,"
            " activities_interaction_help_offers, activities_interaction RESTART IDENTITY CASCADE"
        )
        cursor.execute("DELETE FROM contacts_relationship")
        # Every run starts from the same contacts: no latest interaction, no dead row versions.
        cursor.execute("UPDATE contacts_contact SET last_interaction_at = NULL WHERE last_interaction_at IS NOT NULL")
        cursor.execute("VACUUM ANALYZE contacts_contact")


def parse_only_stdlib(messages: list[bytes]) -> None:
    """The standard library's modern API and ``FIELDS``."""
    from email import policy
    from email.parser import BytesParser

    parser = BytesParser(policy=policy.default)
    for raw in messages:
        message = parser.parsebytes(raw)
        date = message["date"]
        _ = (
            str(message["subject"] or ""),
            str(message["message-id"] or "").strip(),
            date.datetime if date is not None else None,
            [a.addr_spec.lower() for n in ("from", "to", "cc") for h in message.get_all(n) or () for a in h.addresses],
            _MSG_ID.findall(str(message["references"] or "")),
        )


def parse_only_fast(messages: list[bytes], *, fields: bool = True) -> None:
    """``fast_mail_parser`` and ``FIELDS`` (or bare: ``parse_email`` alone)."""
    import fast_mail_parser

    for raw in messages:
        try:
            mail = fast_mail_parser.parse_email(raw)
        except Exception:  # noqa: S112 — the rate counts what the parser accepts
            continue
        if not fields:
            continue
        headers: dict[str, list[str]] = {}
        for name, values in mail.headers.items():
            headers.setdefault(name.lower(), values)
        addresses = [mail.from_] if mail.from_ else []
        _ = (
            mail.subject,
            (headers.get("message-id") or [""])[0].strip(),
            mail.date_parsed,
            [a.address.lower() for group in (addresses, mail.to, mail.cc) for a in group],
            _MSG_ID.findall(" ".join(headers.get("references") or ())),
        )


def mbox_end_to_end(*, org, rep, mbox_path: Path, privacy_level: str, spent: dict[str, float]) -> None:
    """(a): what an upload does: split the mbox, parse, and ingest in the workers' batches.

    ``spent`` receives where the time went: split and parse, ``capture_ingest``, and the SQL
    statements inside it (their execution in PostgreSQL, round trips included).
    """
    from django.db import connection

    from activities import tasks
    from activities.capture.ingest import capture_ingest
    from activities.capture.parse_email import parse_message, split_mbox

    def sql_timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["sql"] += time.perf_counter() - started

    def write(batch: list) -> None:
        started = time.perf_counter()
        capture_ingest(
            organization=org, user=rep, source="upload", items=batch, privacy_level=privacy_level, visibility="team"
        )
        took = time.perf_counter() - started
        spent["ingest"] += took
        spent["longest"] = max(spent["longest"], took)

    with_body = privacy_level == "full"
    spent.update(parse=0.0, ingest=0.0, sql=0.0, longest=0.0)
    # The contacts' latest interaction is moved by a worker task after each batch commits
    # (derived data, off the write path): record those tasks here and run them afterwards,
    # untimed for (a), so ``deferred_work`` can report what they cost the database.
    deferred.clear()
    with (
        connection.execute_wrapper(sql_timer),
        mock.patch.object(tasks.contacts_touch_latest, "delay", lambda *args: deferred.append(args)),
    ):
        batch = []
        started = time.perf_counter()
        for raw in split_mbox(mbox_path.read_bytes()):
            batch.append(parse_message(raw, with_body=with_body))
            if len(batch) == BATCH:
                spent["parse"] += time.perf_counter() - started
                write(batch)
                batch = []
                started = time.perf_counter()
        spent["parse"] += time.perf_counter() - started
        if batch:
            write(batch)


deferred: list[tuple] = []  # the contacts_touch_latest tasks (a) enqueued, see mbox_end_to_end


def deferred_work() -> tuple[int, float]:
    """Run the after-commit tasks (a) left behind, as a worker would; returns (tasks, seconds)."""
    from activities import tasks

    started = time.perf_counter()
    for args in deferred:
        tasks.contacts_touch_latest(*args)
    return len(deferred), time.perf_counter() - started


def main() -> None:
    _recreate_database()
    _setup_django()
    print(f"Capture benchmark: {MESSAGES} messages, {CONTACTS} contacts, batches of {BATCH}", flush=True)
    from activities.capture.parse_email import parse_message
    from activities.models import PrivacyLevel
    from benchmarks.mailgen import generate, to_mbox

    org, rep, correspondents = _world()
    messages = list(generate(correspondents, count=MESSAGES))
    mbox_path = Path(tempfile.mkdtemp(prefix="relintel-bench-")) / "mailbox.mbox"
    with mbox_path.open("wb") as handle:
        for chunk in to_mbox(iter(messages)):
            handle.write(chunk)
    print(f"  mailbox: {mbox_path} ({mbox_path.stat().st_size / 1e6:.1f} MB)", flush=True)

    rates: dict[str, float] = {}
    print(f"  fields: {FIELDS}", flush=True)
    rates["stdlib"] = _timed(
        "parse only: stdlib BytesParser(policy=default) + fields", len(messages), lambda: parse_only_stdlib(messages)
    )
    rates["fast"] = _timed(
        "parse only: fast_mail_parser.parse_email + fields", len(messages), lambda: parse_only_fast(messages)
    )
    _timed(
        "parse only: fast_mail_parser.parse_email bare",
        len(messages),
        lambda: parse_only_fast(messages, fields=False),
    )
    _timed(
        "parse only: the pipeline's parse_message(with_body=False)",
        len(messages),
        lambda: [parse_message(raw, with_body=False) for raw in messages],
    )
    _timed(
        "parse only: the pipeline's parse_message(with_body=True)",
        len(messages),
        lambda: [parse_message(raw, with_body=True) for raw in messages],
    )

    from activities.models import Interaction, SkippedMessage

    for level, key in ((PrivacyLevel.SUBJECT, "mbox"), (PrivacyLevel.FULL, "mbox_full")):
        _reset_captured()
        spent: dict[str, float] = {}
        rates[key] = _timed(
            f"(a) end to end from .mbox into PostgreSQL (privacy {level})",
            len(messages),
            partial(mbox_end_to_end, org=org, rep=rep, mbox_path=mbox_path, privacy_level=level, spent=spent),
        )
        per = {k: v / len(messages) * 1e6 for k, v in spent.items()}
        print(
            f"      captured {Interaction.objects.count()} interactions, skipped {SkippedMessage.objects.count()};"
            f" per message: split+parse {per['parse']:.0f} us, capture_ingest {per['ingest']:.0f} us"
            f" (SQL statements {per['sql']:.0f} us); longest batch transaction {spent['longest'] * 1000:.0f} ms",
            flush=True,
        )
        count, seconds = deferred_work()
        print(
            f"      after commit, in a worker (not in the rate): {count} contacts_touch_latest tasks,"
            f" {seconds / len(messages) * 1e6:.0f} us per message",
            flush=True,
        )

    try:
        from benchmarks.capture_imap import imap_end_to_end
    except ImportError as exc:
        print(f"  (b) IMAP: not available ({exc})")
    else:
        _reset_captured()
        rates["imap"] = imap_end_to_end(org=org, rep=rep, messages=messages, timed=_timed)

    shutil.rmtree(mbox_path.parent, ignore_errors=True)
    print()
    print("  ratios, (a) at the default privacy level (subject); both parse-only rates with the same fields:")
    print(f"  (a) / stdlib parse-only   = {rates['mbox'] / rates['stdlib']:.2f}x   (goal >= 3)")
    print(f"  (a) / fastest parse-only  = {rates['mbox'] / rates['fast']:.2f}x   (goal >= 0.25)")
    if "imap" in rates:
        print(f"  (b) / (a)                 = {rates['imap'] / rates['mbox']:.2f}x   (goal >= 0.5)")


if __name__ == "__main__":
    main()
