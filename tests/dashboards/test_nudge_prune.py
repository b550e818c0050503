"""Answers to Today items that can no longer hide anything are pruned; the others stay."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from activities.models import Interaction
from contacts.models import NudgeAction, NudgeState
from contacts.nudges import nudge_action_record
from relintel.dashboards import services, tasks
from tests.dashboards.makers import email, intro_request, suggestion
from tests.factories import ContactFactory, HelpOfferFactory

pytestmark = pytest.mark.django_db


def days(n: float) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def answer(world, key: str, state: str, *, now: datetime.datetime, snooze: str = "tomorrow") -> NudgeAction:
    return nudge_action_record(membership=world.rep, key=key, state=state, snooze=snooze, now=now)


def kept(world) -> set[str]:
    return set(NudgeAction.objects.filter(organization=world.org).values_list("key", flat=True))


def test_prune_keeps_what_still_hides_and_deletes_what_cannot(world):
    now = timezone.now()
    grace = ContactFactory(organization=world.org, full_name="Grace Hopper")
    alan = ContactFactory(organization=world.org, full_name="Alan Turing")
    mail = email(world.rep, grace, at=now - days(3))
    old_mail = email(world.rep, grace, at=now - days(3), thread="<old>")
    gone_mail = email(world.rep, grace, at=now - days(3), thread="<gone>")
    offer = HelpOfferFactory(organization=world.org, contact=grace, user=world.rep.user)
    gone_offer = HelpOfferFactory(organization=world.org, contact=alan, user=world.rep.user)
    request = intro_request(world.teammate, world.rep, alan)
    idea = suggestion(world.rep, grace, alan)

    answer(world, f"reply:{mail.pk}", NudgeState.DISMISSED, now=now)
    answer(world, f"reply:{old_mail.pk}", NudgeState.DONE, now=now)
    answer(world, f"reply:{gone_mail.pk}", NudgeState.DISMISSED, now=now)
    answer(world, f"help:{offer.pk}", NudgeState.SNOOZED, now=now, snooze="next_week")
    answer(world, f"help:{gone_offer.pk}", NudgeState.DISMISSED, now=now)
    answer(world, f"cold:{grace.pk}", NudgeState.SNOOZED, now=now - days(10))  # ran out days ago
    answer(world, f"cold:{alan.pk}", NudgeState.DONE, now=now)
    answer(world, f"intro:{request.pk}", NudgeState.SNOOZED, now=now)
    answer(world, f"suggestion:{idea.pk}", NudgeState.DISMISSED, now=now)
    NudgeAction.objects.filter(key=f"reply:{old_mail.pk}").update(created_at=now - days(45))
    Interaction.objects.filter(pk=gone_mail.pk).delete()
    gone_offer.delete()

    assert services.nudge_actions_prune(now=now) == 4
    assert kept(world) == {
        f"reply:{mail.pk}",  # its email can still be listed
        f"help:{offer.pk}",  # snoozed to next week
        f"cold:{alan.pk}",  # done on this fact
        f"intro:{request.pk}",
        f"suggestion:{idea.pk}",
    }
    assert services.nudge_actions_prune(now=now) == 0  # nothing left to prune


def test_the_nightly_task_prunes_every_organization(world):
    grace = ContactFactory(organization=world.org)
    stranger = ContactFactory(organization=world.other_org)
    now = timezone.now()
    answer(world, f"cold:{grace.pk}", NudgeState.SNOOZED, now=now - days(10))
    nudge_action_record(
        membership=world.outsider, key=f"cold:{stranger.pk}", state=NudgeState.SNOOZED, now=now - days(10)
    )

    assert tasks.nudge_actions_prune() == 2
    assert not NudgeAction.objects.exists()
