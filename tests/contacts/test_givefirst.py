"""The give-first index: help delivered and intros made against asks, over a period."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from contacts.givefirst import GiveFirstFigures, give_first_index, give_first_total
from contacts.models import HelpDirection, HelpKind, HelpStatus, IntroRequest, IntroStatus
from tests.factories import ContactFactory, HelpOfferFactory

NOW = timezone.now()
START, END = NOW - datetime.timedelta(days=28), NOW + datetime.timedelta(days=1)


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, full_name="Grace Hopper")


def delivered(member, contact, *, when=NOW, **fields):
    return HelpOfferFactory(contact=contact, user=member.user, status=HelpStatus.DELIVERED, delivered_at=when, **fields)


def index_of(world, member, start=START, end=END):
    return give_first_index(organization_id=world.org.pk, user_ids=[member.user_id], start=start, end=end)[
        member.user_id
    ]


def test_help_delivered_in_the_period_counts_and_open_or_older_help_does_not(world, grace):
    delivered(world.rep, grace)
    delivered(world.rep, grace, when=NOW - datetime.timedelta(days=40))
    HelpOfferFactory(contact=grace, user=world.rep.user)  # offered, not delivered
    assert index_of(world, world.rep) == GiveFirstFigures(help_delivered=1)


def test_intros_made_count_intro_offers_and_requests_delivered_as_introducer(world, grace):
    other = ContactFactory(organization=world.org)
    delivered(world.rep, grace, kind=HelpKind.INTRO, intro_contact=other)
    request = IntroRequest.objects.create(
        organization=world.org, requester=world.teammate.user, introducer=world.rep.user, target=grace
    )
    IntroRequest.objects.filter(pk=request.pk).update(status=IntroStatus.DELIVERED, delivered_at=NOW)
    # A request already linked to the introducer's offer is counted once, as that offer.
    offer = delivered(world.rep, other, kind=HelpKind.INTRO)
    IntroRequest.objects.create(
        organization=world.org,
        requester=world.teammate.user,
        introducer=world.rep.user,
        target=other,
        status=IntroStatus.DELIVERED,
        delivered_at=NOW,
        help_offer=offer,
    )
    figures = index_of(world, world.rep)
    assert (figures.help_delivered, figures.intros_made) == (0, 3)


def test_asks_are_help_received_and_intro_requests_made_in_the_period(world, grace):
    delivered(world.rep, grace, direction=HelpDirection.RECEIVED)
    delivered(world.rep, grace, direction=HelpDirection.RECEIVED, when=NOW - datetime.timedelta(days=60))
    IntroRequest.objects.create(
        organization=world.org, requester=world.rep.user, introducer=world.teammate.user, target=grace
    )
    old = IntroRequest.objects.create(
        organization=world.org, requester=world.rep.user, introducer=world.teammate.user, target=grace
    )
    IntroRequest.objects.filter(pk=old.pk).update(created_at=NOW - datetime.timedelta(days=60))
    assert index_of(world, world.rep).asks == 2
    assert index_of(world, world.teammate).asks == 0


def test_the_index_is_given_per_ask_with_at_least_one_ask():
    assert GiveFirstFigures(help_delivered=3, intros_made=1, asks=2).index == 2.0
    assert GiveFirstFigures(help_delivered=3).index == 3.0
    assert GiveFirstFigures(asks=4).index == 0.0


def test_the_team_total_sums_the_parts_and_takes_the_index_of_the_sums():
    total = give_first_total([GiveFirstFigures(4, 0, 1), GiveFirstFigures(0, 0, 3)])
    assert total == GiveFirstFigures(4, 0, 4)
    assert total.index == 1.0


def test_every_user_gets_figures_and_other_organizations_never_count(world, grace):
    foreign = ContactFactory(organization=world.other_org)
    delivered(world.outsider, foreign)
    figures = give_first_index(
        organization_id=world.org.pk, user_ids=[world.rep.user_id, world.outsider.user_id], start=START, end=END
    )
    assert figures == {world.rep.user_id: GiveFirstFigures(), world.outsider.user_id: GiveFirstFigures()}


def test_a_custom_period_is_half_open(world, grace):
    edge = NOW - datetime.timedelta(days=7)
    delivered(world.rep, grace, when=edge)
    assert index_of(world, world.rep, start=edge, end=NOW).help_delivered == 1
    assert index_of(world, world.rep, start=START, end=edge).help_delivered == 0


def test_the_index_takes_three_queries_whatever_the_rows(world, grace, django_assert_num_queries):
    for _ in range(5):
        delivered(world.rep, grace)
        delivered(world.teammate, grace, direction=HelpDirection.RECEIVED)
    with django_assert_num_queries(3):
        give_first_index(
            organization_id=world.org.pk, user_ids=[world.rep.user_id, world.teammate.user_id], start=START, end=END
        )
