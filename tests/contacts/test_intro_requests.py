"""Intro requests: Rita (rep) asks Tom (teammate) to introduce her to Grace."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404

from contacts.intros import requests as intros
from contacts.models import HelpDirection, HelpKind, HelpOffer, HelpStatus, IntroStatus
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, full_name="Grace Hopper")


@pytest.fixture
def bob(world):
    return ContactFactory(organization=world.org, full_name="Bob Bridge")


def ask(world, grace, *, via=None, message="They are hiring", introducer=None):
    return intros.intro_request_create(
        membership=world.rep,
        target=grace,
        introducer=(introducer or world.teammate).user,
        via=via,
        message=message,
    )


def test_asking_creates_a_pending_request_and_emails_the_teammate_after_commit(
    world, grace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(world, grace)
    assert request.status == IntroStatus.PENDING
    [email] = mail.outbox
    assert email.to == ["tom@acme.example"]
    assert email.subject == "Rita Rep asks you for an introduction to Grace Hopper"
    assert "They are hiring" in email.body and "/intros/" in email.body


def test_nothing_is_emailed_when_the_transaction_rolls_back(world, grace, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ask(world, grace)
    assert len(callbacks) == 1 and mail.outbox == []


def test_a_cancelled_request_sends_no_email_when_the_worker_runs_late(world, grace):
    from contacts.intros.notify import intro_request_notify

    request = ask(world, grace)
    intros.intro_request_cancel(request=request)
    assert intro_request_notify(request_id=request.pk) is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("self", "introducer"),
        ("outsider", "introducer"),
        ("foreign_target", "target"),
        ("via_is_target", "via"),
        ("long_message", "message"),
    ],
)
def test_a_bad_request_names_its_field_and_changes_nothing(world, grace, change, field):
    kwargs = {"membership": world.rep, "target": grace, "introducer": world.teammate.user, "via": None, "message": ""}
    if change == "self":
        kwargs["introducer"] = world.rep.user
    elif change == "outsider":
        kwargs["introducer"] = world.outsider.user
    elif change == "foreign_target":
        kwargs["target"] = ContactFactory(organization=world.other_org)
    elif change == "via_is_target":
        kwargs["via"] = grace
    else:
        kwargs["message"] = "x" * 2001
    with pytest.raises(ValidationError) as excinfo:
        intros.intro_request_create(**kwargs)
    assert field in excinfo.value.message_dict
    assert not intros.IntroRequest.objects.exists()


def test_asking_the_same_teammate_twice_while_open_is_refused(world, grace):
    ask(world, grace)
    with pytest.raises(ValidationError, match="already asked Tom Teammate"):
        ask(world, grace)


def test_delivering_records_the_intro_on_both_ledgers(world, grace, bob):
    request = ask(world, grace, via=bob)
    request = intros.intro_request_accept(
        request=intros.intro_request_get(membership=world.teammate, request_id=request.pk)
    )
    assert request.status == IntroStatus.ACCEPTED and request.responded_at is not None
    request = intros.intro_request_deliver(request=request, response="Emailed you both")
    assert request.status == IntroStatus.DELIVERED and request.delivered_at is not None
    given = HelpOffer.objects.get(user=world.teammate.user)
    assert (given.kind, given.status, given.direction) == (HelpKind.INTRO, HelpStatus.DELIVERED, HelpDirection.GIVEN)
    assert (given.contact, given.intro_contact) == (grace, bob)
    assert given.description == "Intro: Grace Hopper to Rita Rep"
    assert request.help_offer == given
    received = HelpOffer.objects.get(user=world.rep.user)
    assert (received.contact, received.direction, received.status) == (grace, HelpDirection.RECEIVED, "delivered")
    assert "by Tom Teammate through Bob Bridge" in received.description


def test_a_pending_request_may_be_delivered_directly(world, grace):
    request = intros.intro_request_deliver(request=ask(world, grace))
    assert request.status == IntroStatus.DELIVERED
    assert HelpOffer.objects.count() == 2


def test_a_closed_request_cannot_move_again(world, grace):
    request = intros.intro_request_decline(request=ask(world, grace), response="I barely know her")
    assert request.response == "I barely know her"
    for action in ("accept", "deliver", "cancel"):
        with pytest.raises(ValidationError):
            intros.intro_request_act(request=request, action=action)
    assert not HelpOffer.objects.exists()


def test_only_the_introducer_may_answer_and_only_the_requester_may_cancel(world, grace):
    request = ask(world, grace)
    for action in intros.INTRODUCER_ACTIONS:
        intros.intro_request_get_for(membership=world.teammate, request_id=request.pk, action=action)
        with pytest.raises(Http404):
            intros.intro_request_get_for(membership=world.rep, request_id=request.pk, action=action)
    intros.intro_request_get_for(membership=world.rep, request_id=request.pk, action="cancel")
    with pytest.raises(Http404):
        intros.intro_request_get_for(membership=world.teammate, request_id=request.pk, action="cancel")


def test_a_request_is_seen_by_its_two_people_only(world, grace):
    request = ask(world, grace)
    for member in (world.rep, world.teammate):
        assert intros.intro_request_get(membership=member, request_id=request.pk) == request
    for member in (world.manager, world.admin, world.other_rep, world.outsider):
        with pytest.raises(Http404):
            intros.intro_request_get(membership=member, request_id=request.pk)


def test_the_inbox_lists_waiting_made_and_answered(world, grace, bob):
    waiting = intros.intro_request_create(membership=world.teammate, target=grace, introducer=world.rep.user)
    made = ask(world, bob)
    answered = intros.intro_request_decline(
        request=intros.intro_request_create(membership=world.other_rep, target=bob, introducer=world.rep.user)
    )
    inbox = intros.intro_inbox(membership=world.rep)
    assert (inbox.waiting, inbox.made, inbox.answered) == ([waiting], [made], [answered])
