"""Matchmaking suggestions in the database: refreshed per rep, accepted in one click."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from contacts import services as contact_services
from contacts import tasks
from contacts.matchmaking import service
from contacts.models import HelpKind, HelpStatus, IntroSuggestion, Relationship, SuggestionStatus
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(world):
    return ContactFactory(organization=world.org, full_name="Dana Scully", needs="a CFO")


@pytest.fixture
def lee(world):
    return ContactFactory(organization=world.org, full_name="Lee Adama", expertise="CFO search; board building")


def knows(member, *contacts, strength=50):
    for contact in contacts:
        Relationship.objects.create(
            organization_id=member.organization_id, user=member.user, contact=contact, strength=strength
        )


def refresh(member):
    return service.intro_suggestions_refresh(organization_id=member.organization_id, user_id=member.user_id)


def test_a_rep_who_knows_both_is_suggested_the_introduction(world, dana, lee):
    knows(world.rep, dana, lee)
    assert refresh(world.rep) == {"created": 1, "updated": 0, "removed": 0}
    suggestion = IntroSuggestion.objects.get()
    assert (suggestion.user, suggestion.contact, suggestion.other) == (world.rep.user, dana, lee)
    assert suggestion.reason == "Dana needs 'a CFO'; Lee knows 'CFO search'"


def test_contacts_the_rep_barely_knows_are_not_matched(world, dana, lee):
    knows(world.rep, dana)
    knows(world.rep, lee, strength=service.KNOWS_FLOOR - 1)
    knows(world.teammate, lee)  # someone else's relationship does not count for the rep
    refresh(world.rep)
    assert not IntroSuggestion.objects.exists()


def test_refreshing_twice_changes_nothing(world, dana, lee):
    knows(world.rep, dana, lee)
    refresh(world.rep)
    assert refresh(world.rep) == {"created": 0, "updated": 0, "removed": 0}


def test_a_dismissed_or_accepted_suggestion_never_comes_back(world, dana, lee):
    knows(world.rep, dana, lee)
    refresh(world.rep)
    service.intro_suggestion_dismiss(suggestion=IntroSuggestion.objects.get())
    refresh(world.rep)
    assert IntroSuggestion.objects.get().status == SuggestionStatus.DISMISSED


def test_an_open_suggestion_that_no_longer_matches_is_removed(world, dana, lee):
    knows(world.rep, dana, lee)
    refresh(world.rep)
    dana.needs = "a sailing coach"
    dana.save()
    assert refresh(world.rep)["removed"] == 1
    assert not IntroSuggestion.objects.exists()


def test_accepting_offers_the_introduction_due_in_a_week(world, dana, lee):
    knows(world.rep, dana, lee)
    refresh(world.rep)
    suggestion = service.intro_suggestion_get(membership=world.rep, suggestion_id=IntroSuggestion.objects.get().pk)
    offer = service.intro_suggestion_accept(membership=world.rep, suggestion=suggestion)
    assert (offer.kind, offer.status, offer.contact, offer.intro_contact) == (HelpKind.INTRO, "offered", dana, lee)
    assert offer.due_date == timezone.localdate() + datetime.timedelta(days=7)
    assert offer.description.startswith("Introduce Dana Scully to Lee Adama: Dana needs")
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.help_offer) == (SuggestionStatus.ACCEPTED, offer)
    with pytest.raises(ValidationError, match="already accepted"):
        service.intro_suggestion_accept(membership=world.rep, suggestion=suggestion)
    # The rep then delivers it through the help offer's own lifecycle.
    assert contact_services.help_offer_transition(offer=offer, status=HelpStatus.DELIVERED).status == "delivered"


def test_a_suggestion_is_its_reps_alone(world, dana, lee):
    knows(world.rep, dana, lee)
    refresh(world.rep)
    pk = IntroSuggestion.objects.get().pk
    for member in (world.teammate, world.manager, world.admin, world.outsider):
        with pytest.raises(Http404):
            service.intro_suggestion_get(membership=member, suggestion_id=pk)


def test_changing_a_contacts_needs_refreshes_the_reps_who_know_them(
    world, dana, lee, django_capture_on_commit_callbacks
):
    knows(world.rep, dana, lee)
    knows(world.teammate, dana, lee)
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_update(membership=world.rep, contact=dana, needs="someone who did CFO search")
    assert set(IntroSuggestion.objects.values_list("user_id", flat=True)) == {world.rep.user_id, world.teammate.user_id}


def test_only_needs_expertise_or_interests_changes_refresh_suggestions(
    world, dana, monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[int] = []
    monkeypatch.setattr(tasks.intro_suggestions_refresh_contact, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_update(membership=world.rep, contact=dana, title="CEO", needs="a CFO")
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_update(membership=world.rep, contact=dana, interests="sailing")
    assert queued == [dana.pk]


def test_the_nightly_task_refreshes_every_active_member(world, dana, lee):
    knows(world.rep, dana, lee)
    knows(world.manager, dana, lee)
    assert tasks.intro_suggestions_refresh_all() == 6  # every persona's membership
    assert IntroSuggestion.objects.count() == 2
