"""Capture from a real dovecot: backfill in batches, new mail, UIDVALIDITY changes, two mailboxes."""

from __future__ import annotations

import datetime
import time

import pytest

from activities.capture.sources.imap import imap_connect, imap_folders
from activities.capture.sources.runner import capture_account_run_once, run_account_batch
from activities.models import CaptureAccount, CaptureCursor, CaptureSighting, Interaction
from relintel import crypto
from tests.capture.servers import Dovecot, dovecot, make_message  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def imap_account(server: Dovecot, membership, *, user: str = "rita@acme.example", **fields) -> CaptureAccount:
    values = {
        "organization": membership.organization,
        "user": membership.user,
        "kind": "imap",
        "name": "Work mailbox",
        "host": "127.0.0.1",
        "port": server.port,
        "security": "plain",
        "username": user,
        "secret": crypto.encrypt(server.users[user]),
        "privacy_level": "subject",
    }
    values.update(fields)
    return CaptureAccount.objects.create(**values)


@pytest.fixture
def fresh_folder(dovecot: Dovecot):  # noqa: F811
    """An empty folder of its own for each test (the server is shared by the module)."""
    names = []

    def make(user: str = "rita@acme.example") -> str:
        name = f"T{time.monotonic_ns()}"
        client = dovecot.client(user)
        client.create_folder(name)
        client.logout()
        names.append((user, name))
        return name

    yield make
    for user, name in names:
        client = dovecot.client(user)
        client.delete_folder(name)
        client.logout()


def customer_mail(count: int, *, prefix: str = "m", days_ago: int = 1) -> list[bytes]:
    when = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days_ago)
    return [
        make_message(
            subject=f"{prefix} {i}", message_id=f"<{prefix}-{i}-{time.monotonic_ns()}@customer.example>", date=when
        )
        for i in range(count)
    ]


def test_default_folders_are_the_inbox_and_the_special_use_sent_folder(dovecot, world):  # noqa: F811
    account = imap_account(dovecot, world.rep)
    client = imap_connect(account)
    try:
        assert imap_folders(client, account) == ["INBOX", "Sent"]
    finally:
        client.logout()


def test_backfill_runs_in_batches_with_visible_progress(dovecot, world, fresh_folder, settings):  # noqa: F811
    settings.RELINTEL_CAPTURE_BATCH_SIZE = 4
    folder = fresh_folder()
    dovecot.append(customer_mail(10), folder=folder)
    account = imap_account(dovecot, world.rep, folders=[folder])
    batches: list[int] = []

    def watch() -> None:
        account.refresh_from_db(fields=["backfill_done", "backfill_total"])
        batches.append(account.backfill_done)

    outcome = run_account_batch(account, on_batch=watch)

    account.refresh_from_db()
    assert batches == [4, 8, 10]
    assert (account.backfill_done, account.backfill_total) == (10, 10)
    assert account.backfill_completed_at is not None
    assert outcome.captured == 10
    assert Interaction.objects.filter(organization=world.org, source="imap").count() == 10
    cursor = CaptureCursor.objects.get(account=account, folder=folder)
    assert cursor.backfill_complete
    assert cursor.uidvalidity == dovecot.uidvalidity(folder=folder)
    assert cursor.highest_modseq is not None


def test_a_backfill_cut_short_by_its_deadline_carries_on_where_it_stopped(dovecot, world, fresh_folder, settings):  # noqa: F811
    settings.RELINTEL_CAPTURE_BATCH_SIZE = 3
    folder = fresh_folder()
    dovecot.append(customer_mail(7), folder=folder)
    account = imap_account(dovecot, world.rep, folders=[folder])

    partial = run_account_batch(account, deadline=time.monotonic() - 1)

    assert partial.more is True
    assert CaptureCursor.objects.get(account=account).backfill_complete is False
    account.refresh_from_db()
    assert (account.backfill_done, account.backfill_total) == (0, 7)
    rest = run_account_batch(account)
    assert rest.more is False
    assert rest.captured == 7
    assert Interaction.objects.filter(organization=world.org).count() == 7


def test_new_mail_is_captured_incrementally(dovecot, world, fresh_folder):  # noqa: F811
    folder = fresh_folder()
    dovecot.append(customer_mail(3), folder=folder)
    account = imap_account(dovecot, world.rep, folders=[folder])
    run_account_batch(account)
    last_uid = CaptureCursor.objects.get(account=account).last_uid

    dovecot.append(customer_mail(2, prefix="new"), folder=folder)
    outcome = run_account_batch(account)

    assert outcome.fetched == 2
    assert outcome.captured == 2
    assert CaptureCursor.objects.get(account=account).last_uid == last_uid + 2
    assert Interaction.objects.filter(organization=world.org, subject__startswith="new ").count() == 2


def test_mail_older_than_the_backfill_window_is_not_read(dovecot, world, fresh_folder):  # noqa: F811
    folder = fresh_folder()
    client = dovecot.client()
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=400)
    client.append(folder, customer_mail(1, prefix="old", days_ago=400)[0], msg_time=old)
    client.logout()
    dovecot.append(customer_mail(1, prefix="recent"), folder=folder)
    account = imap_account(dovecot, world.rep, folders=[folder], backfill_days=180)

    run_account_batch(account)

    assert list(Interaction.objects.values_list("subject", flat=True)) == ["recent 0"]


def test_capture_never_marks_mail_as_read(dovecot, world, fresh_folder):  # noqa: F811
    folder = fresh_folder()
    dovecot.append(customer_mail(2), folder=folder)
    account = imap_account(dovecot, world.rep, folders=[folder])

    run_account_batch(account)

    client = dovecot.client()
    client.select_folder(folder, readonly=True)
    assert client.search(["UNSEEN"]) != []
    assert len(client.search(["SEEN"])) == 0
    client.logout()


def test_a_new_uidvalidity_resyncs_the_folder_without_duplicates(dovecot, world, fresh_folder):  # noqa: F811
    folder = fresh_folder()
    dovecot.append(customer_mail(5), folder=folder)
    account = imap_account(dovecot, world.rep, folders=[folder])
    run_account_batch(account)
    before = dovecot.uidvalidity(folder=folder)

    dovecot.set_uidvalidity(before + 1000, folder=folder)
    outcome = run_account_batch(account)

    cursor = CaptureCursor.objects.get(account=account)
    assert cursor.uidvalidity == before + 1000
    assert outcome.fetched == 5  # everything in the window was read again
    assert outcome.captured == 0
    assert Interaction.objects.filter(organization=world.org).count() == 5
    account.refresh_from_db()
    assert account.backfill_completed_at is not None


def test_a_message_in_two_reps_mailboxes_is_one_interaction_with_two_sightings(dovecot, world, fresh_folder):  # noqa: F811
    raw = make_message(
        subject="Proposal",
        to="Rita Rep <rita@acme.example>, Tom Teammate <tom@acme.example>",
        message_id="<shared-proposal@customer.example>",
    )
    rita_folder, tom_folder = fresh_folder("rita@acme.example"), fresh_folder("tom@acme.example")
    dovecot.append([raw], folder=rita_folder)
    dovecot.append([raw], user="tom@acme.example", folder=tom_folder)
    rita = imap_account(dovecot, world.rep, folders=[rita_folder])
    tom = imap_account(dovecot, world.teammate, user="tom@acme.example", folders=[tom_folder])

    run_account_batch(rita)
    run_account_batch(tom)

    interaction = Interaction.objects.get(organization=world.org, external_id="<shared-proposal@customer.example>")
    users = set(CaptureSighting.objects.filter(interaction=interaction).values_list("user_id", flat=True))
    assert users == {world.rep.user_id, world.teammate.user_id}


def test_privacy_level_subject_stores_no_body(dovecot, world, fresh_folder):  # noqa: F811
    folder = fresh_folder()
    dovecot.append(customer_mail(1, prefix="private"), folder=folder)
    account = imap_account(dovecot, world.rep, folders=[folder], privacy_level="subject")

    run_account_batch(account)

    interaction = Interaction.objects.get(organization=world.org)
    assert interaction.subject == "private 0"
    assert interaction.body == ""


def test_a_successful_run_records_success_and_schedules_the_next_poll(dovecot, world, fresh_folder, settings):  # noqa: F811
    settings.RELINTEL_CAPTURE_POLL_SECONDS = 120
    folder = fresh_folder()
    dovecot.append(customer_mail(1), folder=folder)
    account = imap_account(dovecot, world.rep, folders=[folder], status="failing", consecutive_failures=3)

    assert capture_account_run_once(account_id=account.pk) == "done"

    account.refresh_from_db()
    assert account.status == "active"
    assert account.consecutive_failures == 0
    assert account.last_error == ""
    assert account.lease_owner == ""
    assert account.last_success_at is not None
    assert account.next_poll_at is not None
    wait = (account.next_poll_at - account.last_success_at).total_seconds()
    assert 119 <= wait <= 121


def test_a_missing_folder_fails_the_run_with_its_name(dovecot, world):  # noqa: F811
    account = imap_account(dovecot, world.rep, folders=["Nope"])

    assert capture_account_run_once(account_id=account.pk) == "failed"

    account.refresh_from_db()
    assert account.status == "failing"
    assert account.last_error_kind == "folder"
    assert account.last_error == "No such folder on the server: Nope"
    assert account.consecutive_failures == 1
