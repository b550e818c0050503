"""The Today rules, one by one, and how done, snoozed and dismissed items hide and come back."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from contacts.models import Band, HelpStatus, IntroStatus, NudgeAction, NudgeState, SuggestionStatus
from contacts.nudges import nudge_action_clear, nudge_action_record, snooze_until
from relintel.dashboards import services, today
from tests.dashboards.makers import email, intro_request, relationship, suggestion
from tests.factories import ContactFactory, HelpOfferFactory

NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)  # a Wednesday


def days(n: float) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def keys(group: today.NudgeGroup) -> list[str]:
    return [item.key for item in group.items]


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper", full_name="Grace Hopper")


@pytest.fixture
def alan(world):
    return ContactFactory(organization=world.org, first_name="Alan", last_name="Turing", full_name="Alan Turing")


# --- going cold ----------------------------------------------------------------------------------


def cold(world, now=NOW):
    return today.going_cold(membership=world.rep, now=now)


def test_a_relationship_that_dropped_a_band_this_week_is_going_cold(world, grace):
    relationship(
        world.rep,
        grace,
        band=Band.MEDIUM,
        previous_band=Band.STRONG,
        band_changed_at=NOW - days(3),
        last_interaction_at=NOW - days(40),
    )
    group = cold(world)
    assert keys(group) == [f"cold:{grace.pk}"]
    assert "Dropped from strong to medium" in group.items[0].reason


def test_a_band_that_rose_or_dropped_long_ago_is_not_news(world, grace, alan):
    relationship(world.rep, grace, band=Band.STRONG, previous_band=Band.MEDIUM, band_changed_at=NOW - days(2))
    relationship(
        world.rep,
        alan,
        band=Band.WEAK,
        previous_band=Band.MEDIUM,
        band_changed_at=NOW - days(30),
        last_interaction_at=NOW - days(60),
    )
    assert keys(cold(world)) == []


def test_a_drop_followed_by_an_interaction_is_handled(world, grace):
    relationship(
        world.rep,
        grace,
        band=Band.WEAK,
        previous_band=Band.MEDIUM,
        band_changed_at=NOW - days(5),
        last_interaction_at=NOW - days(1),
    )
    assert keys(cold(world)) == []


def test_past_twice_its_own_rhythm_a_strong_relationship_is_going_cold(world, grace, alan):
    relationship(world.rep, grace, band=Band.STRONG, rhythm_days=7, last_interaction_at=NOW - days(15))
    relationship(world.rep, alan, band=Band.STRONG, rhythm_days=7, last_interaction_at=NOW - days(13))
    group = cold(world)
    assert keys(group) == [f"cold:{grace.pk}"]
    assert "every 7 days" in group.items[0].reason


def test_a_fast_rhythm_still_waits_a_week(world, grace):
    relationship(world.rep, grace, band=Band.STRONG, rhythm_days=1, last_interaction_at=NOW - days(4))
    assert keys(cold(world)) == []


def test_weak_relationships_past_their_rhythm_are_not_nagged(world, grace):
    relationship(world.rep, grace, band=Band.WEAK, rhythm_days=7, last_interaction_at=NOW - days(40))
    assert keys(cold(world)) == []


def test_only_my_relationships_and_not_merged_contacts(world, grace, alan):
    relationship(world.teammate, grace, band=Band.STRONG, rhythm_days=3, last_interaction_at=NOW - days(30))
    relationship(world.rep, alan, band=Band.STRONG, rhythm_days=3, last_interaction_at=NOW - days(30))
    alan.merged_into = grace
    alan.save()
    assert keys(cold(world)) == []


# --- replies owed ------------------------------------------------------------------------------


def test_replies_owed_item_names_the_sender_and_subject(world, grace):
    mail = email(world.rep, grace, at=NOW - days(5), subject="Pricing for 2027?")
    group = today.replies_owed_items(membership=world.rep, now=NOW)
    assert keys(group) == [f"reply:{mail.pk}"]
    assert group.items[0].title == "Grace Hopper: Pricing for 2027?"
    assert group.items[0].contact_id == grace.pk


# --- help promised -------------------------------------------------------------------------------


def test_help_overdue_and_due_this_week_but_not_later_closed_or_others(world, grace):
    day = timezone.localdate(NOW)
    late = HelpOfferFactory(contact=grace, user=world.rep.user, due_date=day - days(2), description="Late")
    soon = HelpOfferFactory(contact=grace, user=world.rep.user, due_date=day + days(3), description="Soon")
    HelpOfferFactory(contact=grace, user=world.rep.user, due_date=day + days(30))
    HelpOfferFactory(contact=grace, user=world.rep.user, due_date=day - days(3), status=HelpStatus.DECLINED)
    HelpOfferFactory(contact=grace, user=world.teammate.user, due_date=day)
    group = today.help_due(membership=world.rep, now=NOW)
    assert keys(group) == [f"help:{late.pk}", f"help:{soon.pk}"]
    assert group.items[0].overdue and "overdue by 2 days" in group.items[0].reason
    assert not group.items[1].overdue


# --- introductions -------------------------------------------------------------------------------


def test_intro_requests_waiting_for_me_pending_and_accepted(world, grace, alan):
    pending = intro_request(world.teammate, world.rep, grace, message="They are hiring")
    accepted = intro_request(world.other_rep, world.rep, alan, status=IntroStatus.ACCEPTED)
    intro_request(world.teammate, world.rep, alan, status=IntroStatus.DELIVERED)
    intro_request(world.rep, world.teammate, grace)  # asked by me: waits for Tom, not me
    group = today.intro_requests_waiting(membership=world.rep, now=NOW)
    assert keys(group) == [f"intro:{pending.pk}", f"intro:{accepted.pk}"]
    assert group.items[0].title == "Tom Teammate asks for an introduction to Grace Hopper"
    assert "make the introduction" in group.items[1].reason


def test_open_suggestions_best_first(world, grace, alan):
    ada = ContactFactory(organization=world.org)
    good = suggestion(world.rep, grace, alan, score=0.9)
    fair = suggestion(world.rep, alan, ada, score=0.4)
    suggestion(world.rep, grace, ada, status=SuggestionStatus.DISMISSED)
    suggestion(world.teammate, grace, alan)
    group = today.suggested_introductions(membership=world.rep, now=NOW)
    assert keys(group) == [f"suggestion:{good.pk}", f"suggestion:{fair.pk}"]


# --- hiding, resurfacing, undo ---------------------------------------------------------------------


def act(world, key, action, snooze="tomorrow", now=NOW):
    return services.nudge_act(membership=world.rep, key=key, action=action, snooze=snooze, now=now)


def test_a_dismissed_item_stays_hidden_until_undone(world, grace):
    mail = email(world.rep, grace, at=NOW - days(5))
    act(world, f"reply:{mail.pk}", "dismiss")
    assert keys(today.replies_owed_items(membership=world.rep, now=NOW + days(30))) == []
    services.nudge_undo(membership=world.rep, key=f"reply:{mail.pk}", now=NOW)
    assert keys(today.replies_owed_items(membership=world.rep, now=NOW)) == [f"reply:{mail.pk}"]


def test_a_snoozed_item_comes_back_the_next_morning(world, grace):
    relationship(world.rep, grace, band=Band.STRONG, rhythm_days=5, last_interaction_at=NOW - days(20))
    outcome = act(world, f"cold:{grace.pk}", "snooze")
    assert outcome.action.until == datetime.datetime(2026, 11, 26, 8, 0, tzinfo=datetime.UTC)
    assert keys(cold(world, now=NOW + days(0.5))) == []
    assert keys(cold(world, now=NOW + days(1))) == [f"cold:{grace.pk}"]


def test_snoozing_for_next_week_means_monday_morning():
    friday = datetime.datetime(2026, 11, 27, 17, 0, tzinfo=datetime.UTC)
    monday = datetime.datetime(2026, 11, 30, 8, 0, tzinfo=datetime.UTC)
    assert snooze_until(choice="next_week", now=friday) == monday
    assert snooze_until(choice="next_week", now=monday) == monday + days(7)
    with pytest.raises(ValidationError):
        snooze_until(choice="someday", now=friday)


def test_a_done_cold_item_returns_when_the_relationship_goes_quiet_again(world, grace):
    rel = relationship(world.rep, grace, band=Band.MEDIUM, rhythm_days=5, last_interaction_at=NOW - days(12))
    act(world, f"cold:{grace.pk}", "done")
    assert keys(cold(world)) == []
    # They talked again, then went silent again: a new fact.
    rel.last_interaction_at = NOW - days(11)
    rel.save()
    assert keys(cold(world)) == [f"cold:{grace.pk}"]


def test_a_dismissed_help_item_returns_when_its_due_date_moves(world, grace):
    day = timezone.localdate(NOW)
    offer = HelpOfferFactory(contact=grace, user=world.rep.user, due_date=day)
    act(world, f"help:{offer.pk}", "dismiss")
    assert keys(today.help_due(membership=world.rep, now=NOW)) == []
    offer.due_date = day + days(2)
    offer.save()
    assert keys(today.help_due(membership=world.rep, now=NOW)) == [f"help:{offer.pk}"]


def test_done_on_help_delivers_it_and_cannot_be_undone_from_today(world, grace):
    offer = HelpOfferFactory(contact=grace, user=world.rep.user, due_date=timezone.localdate(NOW))
    outcome = act(world, f"help:{offer.pk}", "done")
    offer.refresh_from_db()
    assert offer.status == HelpStatus.DELIVERED
    assert not outcome.undoable
    assert outcome.message == "Delivered."


def test_done_is_not_an_answer_to_an_introduction(world, grace, alan):
    request = intro_request(world.teammate, world.rep, grace)
    with pytest.raises(ValidationError) as error:
        act(world, f"intro:{request.pk}", "done")
    assert "action" in error.value.message_dict
    assert not NudgeAction.objects.exists()


def test_an_unknown_action_is_refused_and_records_nothing(world, grace):
    mail = email(world.rep, grace, at=NOW - days(5))
    with pytest.raises(ValidationError):
        act(world, f"reply:{mail.pk}", "forget")
    assert not NudgeAction.objects.exists()


def test_acting_twice_replaces_the_first_answer(world, grace):
    mail = email(world.rep, grace, at=NOW - days(5))
    act(world, f"reply:{mail.pk}", "snooze")
    act(world, f"reply:{mail.pk}", "dismiss")
    assert list(NudgeAction.objects.values_list("state", flat=True)) == [NudgeState.DISMISSED]


def test_another_members_action_does_not_hide_my_item(world, grace):
    offer = HelpOfferFactory(contact=grace, user=world.rep.user, due_date=timezone.localdate(NOW))
    nudge_action_record(membership=world.teammate, key=f"help:{offer.pk}", state=NudgeState.DISMISSED, fingerprint="x")
    assert keys(today.help_due(membership=world.rep, now=NOW)) == [f"help:{offer.pk}"]


def test_clearing_nothing_says_so(world):
    assert nudge_action_clear(membership=world.rep, key="help:1") is False


# --- keys name only what the member may act on ---------------------------------------------------


@pytest.mark.parametrize("key", ["", "help", "help:", "help:abc", "nope:1", "help:-1", "help:1:2", "cold:99999999"])
def test_a_malformed_or_unknown_key_is_a_404(world, key):
    with pytest.raises(Http404):
        today.nudge_get(membership=world.rep, key=key)


def test_keys_of_other_members_objects_are_404(world, grace, alan):
    offer = HelpOfferFactory(contact=grace, user=world.teammate.user, due_date=timezone.localdate(NOW))
    mail = email(world.teammate, grace, at=NOW - days(5))
    request = intro_request(world.rep, world.teammate, grace)
    idea = suggestion(world.teammate, grace, alan)
    relationship(world.teammate, alan)
    for key in (
        f"help:{offer.pk}",
        f"reply:{mail.pk}",
        f"intro:{request.pk}",
        f"suggestion:{idea.pk}",
        f"cold:{alan.pk}",
    ):
        with pytest.raises(Http404):
            services.nudge_act(membership=world.rep, key=key, action="dismiss")
    assert not NudgeAction.objects.exists()


def test_an_outsider_cannot_name_our_items(world, grace):
    offer = HelpOfferFactory(contact=grace, user=world.rep.user, due_date=timezone.localdate(NOW))
    with pytest.raises(Http404):
        services.nudge_act(membership=world.outsider, key=f"help:{offer.pk}", action="done")
    offer.refresh_from_db()
    assert offer.status == HelpStatus.OFFERED


def test_the_whole_list_keeps_the_page_order(world):
    page = today.today_list(membership=world.rep, now=NOW)
    assert [g.kind for g in page.groups] == ["reply", "help", "cold", "intro", "suggestion"]
    assert page.total == 0
