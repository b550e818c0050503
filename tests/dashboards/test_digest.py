"""The weekly digest: the Today list by email, skipped when empty, sent once per member and week."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from contacts.models import Band, NudgeState
from contacts.nudges import nudge_action_record
from relintel.dashboards import digest
from relintel.dashboards.models import DigestDelivery
from relintel.dashboards.tasks import digest_send_member, digest_send_weekly
from tests.dashboards.makers import email, intro_request, relationship, suggestion
from tests.factories import ContactFactory, HelpOfferFactory

NOW = datetime.datetime(2026, 11, 23, 7, 30, tzinfo=datetime.UTC)  # a Monday morning


def days(n: float) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, full_name="Grace Hopper")


@pytest.fixture
def busy_rep(world, grace):
    """The rep with one item of each kind."""
    alan = ContactFactory(organization=world.org, full_name="Alan Turing")
    email(world.rep, grace, at=NOW - days(6), subject="Pricing for 2027?")
    HelpOfferFactory(
        contact=grace, user=world.rep.user, due_date=timezone.localdate(NOW) - days(1), description="Send the playbook"
    )
    relationship(world.rep, alan, band=Band.STRONG, rhythm_days=5, last_interaction_at=NOW - days(20))
    intro_request(world.teammate, world.rep, grace)
    suggestion(world.rep, grace, alan)
    return world.rep


def test_the_digest_has_the_todays_content_in_text_and_html(busy_rep, grace, settings):
    settings.RELINTEL_BASE_URL = "https://crm.example.com"
    built = digest.digest_build(membership=busy_rep, now=NOW)
    assert built.subject == "Your week in Relintel: 5 things to look at"
    for text in (built.text, built.html):
        for expected in (
            "Replies owed",
            "Grace Hopper: Pricing for 2027?",
            "Send the playbook",
            "Going cold",
            "Alan Turing",
            "Tom Teammate asks for an introduction to Grace Hopper",
            "Introduce Grace Hopper to Alan Turing",
            f"https://crm.example.com/contacts/{grace.pk}/",
        ):
            assert expected in text, expected
    assert "https://crm.example.com/" in built.text


def test_groups_without_items_are_left_out(world, grace):
    email(world.rep, grace, at=NOW - days(6), subject="Only this")
    built = digest.digest_build(membership=world.rep, now=NOW)
    assert "Replies owed" in built.text
    assert "Going cold" not in built.text and "Going cold" not in built.html


def test_items_snoozed_or_dismissed_on_the_page_are_not_in_the_digest(world, grace):
    mail_item = email(world.rep, grace, at=NOW - days(6), subject="Waved away")
    nudge_action_record(membership=world.rep, key=f"reply:{mail_item.pk}", state=NudgeState.DISMISSED)
    assert digest.digest_build(membership=world.rep, now=NOW).is_empty


def test_sending_writes_one_email_to_the_member(busy_rep):
    assert digest.digest_send(membership=busy_rep, now=NOW) == digest.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rita@acme.example"]
    assert message.alternatives[0][1] == "text/html"
    delivery = DigestDelivery.objects.get()
    assert delivery.week == datetime.date(2026, 11, 23) and delivery.sent_at is not None and delivery.item_count == 5


def test_an_empty_digest_is_not_sent(world):
    assert digest.digest_send(membership=world.rep, now=NOW) == digest.EMPTY
    assert mail.outbox == []
    assert not DigestDelivery.objects.exists()


def test_sending_twice_in_a_week_sends_once(busy_rep):
    digest.digest_send(membership=busy_rep, now=NOW)
    assert digest.digest_send(membership=busy_rep, now=NOW + days(2)) == digest.ALREADY_SENT
    assert len(mail.outbox) == 1


def test_next_week_sends_again(busy_rep):
    digest.digest_send(membership=busy_rep, now=NOW)
    assert digest.digest_send(membership=busy_rep, now=NOW + days(7)) == digest.SENT
    assert len(mail.outbox) == 2


def test_a_claim_in_progress_is_left_alone_and_a_stale_one_is_taken_over(busy_rep):
    claim = DigestDelivery.objects.create(
        organization=busy_rep.organization, user=busy_rep.user, week=datetime.date(2026, 11, 23), claimed_at=NOW
    )
    assert digest.digest_send(membership=busy_rep, now=NOW + datetime.timedelta(minutes=1)) == digest.IN_PROGRESS
    assert mail.outbox == []
    assert digest.digest_send(membership=busy_rep, now=NOW + datetime.timedelta(hours=1)) == digest.SENT
    claim.refresh_from_db()
    assert claim.sent_at is not None


def test_a_failed_send_releases_its_claim_for_the_retry(busy_rep):
    class Broken:
        def send_messages(self, messages):
            raise ConnectionError("SMTP server went away")

    with pytest.raises(ConnectionError):
        digest.digest_send(membership=busy_rep, now=NOW, connection=Broken())
    assert not DigestDelivery.objects.exists()
    assert digest.digest_send(membership=busy_rep, now=NOW) == digest.SENT


def test_each_member_gets_only_their_own_items(world, busy_rep, grace):
    email(world.teammate, grace, at=NOW - days(6), subject="Tom's own thread")
    digest_send_member(world.teammate.pk, "2026-11-23")
    digest_send_member(world.rep.pk, "2026-11-23")
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "Tom's own thread" in by_recipient["tom@acme.example"]
    assert "Pricing for 2027?" not in by_recipient["tom@acme.example"]
    assert "Tom's own thread" not in by_recipient["rita@acme.example"]


def test_the_weekly_task_fans_out_to_every_active_member_and_skips_the_empty(world, busy_rep):
    world.other_rep.is_active = False
    world.other_rep.save()
    assert digest_send_weekly() == 5  # rep, teammate, manager, admin, outsider
    assert [m.to for m in mail.outbox] == [["rita@acme.example"]]
    digest_send_weekly()
    assert len(mail.outbox) == 1


def test_a_departed_member_gets_nothing(world, busy_rep):
    busy_rep.is_active = False
    busy_rep.save()
    assert digest_send_member(busy_rep.pk, "2026-11-23") == "no longer a member"
    assert mail.outbox == []


# --- manage.py send_digest -----------------------------------------------------------------------


def test_the_command_dry_run_prints_and_records_nothing(busy_rep):
    out = StringIO()
    call_command("send_digest", "--dry-run", stdout=out)
    assert "Subject: Your week in Relintel" in out.getvalue()
    assert "rita@acme.example (Acme Sales): would send" in out.getvalue()
    assert mail.outbox == [] and not DigestDelivery.objects.exists()


def test_the_command_sends_to_one_user_once(busy_rep):
    out = StringIO()
    call_command("send_digest", "--user", "RITA@acme.example", stdout=out)
    call_command("send_digest", "--user", "rita@acme.example", stdout=out)
    assert len(mail.outbox) == 1
    assert "already sent" in out.getvalue()


def test_the_command_refuses_an_unknown_user(world):
    with pytest.raises(CommandError, match=r"nobody@acme\.example"):
        call_command("send_digest", "--user", "nobody@acme.example")
