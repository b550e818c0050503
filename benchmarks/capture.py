"""``make bench-capture``: capture throughput, end to end into PostgreSQL.

Prints (never asserts) messages per second for:

* parse only, standard library ``BytesParser(policy=policy.default)`` with field
  extraction (the naive baseline);
* parse only, the fastest parser available (``fast_mail_parser``);
* (a) end to end from an ``.mbox`` file: split, parse, classify, match against
  100,000 contacts and write, in the batches the workers use;
* (b) end to end from a local dovecot over IMAP, through the real IMAP source.

All on the same 20,000 generated messages, in the same run, so the ratios hold on
a noisy machine. Uses its own database (``relintel_bench`` by default; set
``BENCH_DATABASE_URL``), recreated on every run.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relintel_bench")
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "20000"))
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
CORRESPONDENTS = 300
BATCH = int(os.environ.get("BENCH_BATCH", "200"))


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
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


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
    CapturePolicy.objects.create(organization=org, default_privacy_level=PrivacyLevel.FULL)
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


def parse_only_stdlib(messages: list[bytes]) -> None:
    from email import policy
    from email.parser import BytesParser

    parser = BytesParser(policy=policy.default)
    for raw in messages:
        message = parser.parsebytes(raw)
        _ = (message["message-id"], message["subject"], message["date"], message["from"], message["to"], message["cc"])
        _ = (message["references"], message["in-reply-to"], message["list-id"], message["auto-submitted"])
        body = message.get_body(("plain", "html"))
        if body is not None:
            body.get_content()


def parse_only_fast(messages: list[bytes]) -> None:
    import fast_mail_parser

    for raw in messages:
        try:
            fast_mail_parser.parse_email(raw)
        except Exception:  # noqa: S112 — the rate counts what the parser accepts
            continue


def main() -> None:
    print(f"Capture benchmark: {MESSAGES} messages, {CONTACTS} contacts, batches of {BATCH}", flush=True)
    _recreate_database()
    _setup_django()
    from activities.capture.ingest import capture_ingest
    from activities.capture.parse_email import parse_message, split_mbox
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
    rates["stdlib"] = _timed(
        "parse only: stdlib BytesParser(policy=default) + fields", len(messages), lambda: parse_only_stdlib(messages)
    )
    rates["fast"] = _timed("parse only: fast_mail_parser.parse_email", len(messages), lambda: parse_only_fast(messages))
    rates["ours"] = _timed(
        "parse only: the pipeline's parse_message(with_body=True)",
        len(messages),
        lambda: [parse_message(raw, with_body=True) for raw in messages],
    )

    def mbox_end_to_end() -> None:
        batch = []
        for raw in split_mbox(mbox_path.read_bytes()):
            batch.append(parse_message(raw, with_body=True))
            if len(batch) == BATCH:
                capture_ingest(
                    organization=org,
                    user=rep,
                    source="upload",
                    items=batch,
                    privacy_level=PrivacyLevel.FULL,
                    visibility="team",
                )
                batch = []
        if batch:
            capture_ingest(
                organization=org,
                user=rep,
                source="upload",
                items=batch,
                privacy_level=PrivacyLevel.FULL,
                visibility="team",
            )

    _reset_captured()
    rates["mbox"] = _timed("(a) end to end from .mbox into PostgreSQL", len(messages), mbox_end_to_end)
    from activities.models import Interaction, SkippedMessage

    print(
        f"      captured {Interaction.objects.count()} interactions, skipped {SkippedMessage.objects.count()}",
        flush=True,
    )

    try:
        from benchmarks.capture_imap import imap_end_to_end
    except ImportError as exc:
        print(f"  (b) IMAP: not available ({exc})")
    else:
        _reset_captured()
        rates["imap"] = imap_end_to_end(org=org, rep=rep, messages=messages, timed=_timed)

    print()
    print(f"  (a) / stdlib parse-only   = {rates['mbox'] / rates['stdlib']:.2f}x   (goal >= 3)")
    print(f"  (a) / fastest parse-only  = {rates['mbox'] / rates['fast']:.2f}x   (goal >= 0.25)")
    if "imap" in rates:
        print(f"  (b) / (a)                 = {rates['imap'] / rates['mbox']:.2f}x   (goal >= 0.5)")


if __name__ == "__main__":
    main()
