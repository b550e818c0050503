"""Daily help reminders: one email per rep for help due tomorrow, today or overdue; once a day."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from contacts import tasks
from contacts.help_reminders import help_offer_reminders_send
from contacts.models import HelpDirection, HelpStatus
from tests.factories import ContactFactory, HelpOfferFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2031, 3, 12)


@pytest.fixture(autouse=True)
def _fresh_claims():
    cache.clear()  # the claims live in this test run's own Redis database
    yield
    cache.clear()


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, full_name="Grace Hopper")


def offer(member, contact, days, **fields):
    return HelpOfferFactory(contact=contact, user=member.user, due_date=TODAY + datetime.timedelta(days=days), **fields)


def test_each_rep_gets_one_email_listing_overdue_today_and_tomorrow(world, grace):
    offer(world.rep, grace, -2, description="Send the deck")
    offer(world.rep, grace, 0, description="Intro to Lee")
    offer(world.rep, grace, 1, description="Share the playbook")
    offer(world.rep, grace, 2, description="Later")
    offer(world.teammate, grace, 0, description="Tom's promise")
    result = help_offer_reminders_send(today=TODAY)
    assert result.sent == 2
    rita = next(m for m in mail.outbox if m.to == ["rita@acme.example"])
    assert rita.subject == "Help you promised: 3 items due"
    assert "overdue by 2 days" in rita.body and "due today" in rita.body and "due tomorrow" in rita.body
    assert "Later" not in rita.body and "Tom's promise" not in rita.body


def test_closed_and_received_help_is_not_reminded(world, grace):
    offer(
        world.rep,
        grace,
        0,
        status=HelpStatus.DELIVERED,
        delivered_at=datetime.datetime(2031, 3, 1, tzinfo=datetime.UTC),
    )
    offer(world.rep, grace, 0, status=HelpStatus.WITHDRAWN)
    offer(world.rep, grace, 0, direction=HelpDirection.RECEIVED)
    assert help_offer_reminders_send(today=TODAY).sent == 0
    assert mail.outbox == []


def test_a_second_run_on_the_same_day_sends_nothing_and_the_next_day_sends_again(world, grace):
    offer(world.rep, grace, 0)
    assert help_offer_reminders_send(today=TODAY).sent == 1
    again = help_offer_reminders_send(today=TODAY)
    assert (again.sent, again.skipped) == (0, 1)
    assert len(mail.outbox) == 1
    assert help_offer_reminders_send(today=TODAY + datetime.timedelta(days=1)).sent == 1


def test_a_failed_send_releases_the_claim_so_a_retry_sends(world, grace, monkeypatch):
    offer(world.rep, grace, 0)
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send
    monkeypatch.setattr(EmailMessage, "send", lambda self, *a, **k: (_ for _ in ()).throw(OSError("smtp down")))
    with pytest.raises(OSError, match="smtp down"):
        help_offer_reminders_send(today=TODAY)
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert help_offer_reminders_send(today=TODAY).sent == 1


def test_inactive_members_are_not_emailed(world, grace):
    offer(world.rep, grace, 0)
    world.rep.is_active = False
    world.rep.save()
    assert help_offer_reminders_send(today=TODAY).sent == 0


def test_the_daily_task_sends_todays_reminders(world, grace):
    HelpOfferFactory(contact=grace, user=world.rep.user, due_date=timezone.localdate())
    assert tasks.help_offer_reminders_send() == 1
