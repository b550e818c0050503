"""Replies owed: working days, threads, automated and bulk mail, the look-back window, counts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities import services, tasks
from activities.models import Direction, ReplyOwed, ScoringPolicy
from activities.replies import (
    replies_owed,
    replies_owed_listed,
    replies_owed_rebuild,
    replies_owed_refresh,
    replies_owed_reps_of,
    replies_owed_tally,
    working_days_before,
    working_days_between,
)
from tests.dashboards.makers import email
from tests.factories import ContactFactory

UTC = datetime.UTC
# A Wednesday noon: two working days ago is Monday noon.
WEDNESDAY = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime.datetime:
    return WEDNESDAY - datetime.timedelta(days=days)


# --- working days (no database) ------------------------------------------------------------------


def test_two_working_days_before_a_wednesday_is_the_monday():
    assert working_days_before(WEDNESDAY, 2) == datetime.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_working_days_before_steps_over_the_weekend():
    tuesday = datetime.datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert working_days_before(tuesday, 2) == datetime.datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # Friday


def test_working_days_before_from_a_saturday_counts_friday_first():
    saturday = datetime.datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert working_days_before(saturday, 1) == datetime.datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_zero_working_days_is_now_and_negative_is_refused():
    assert working_days_before(WEDNESDAY, 0) == WEDNESDAY
    with pytest.raises(ValueError, match="negative"):
        working_days_before(WEDNESDAY, -1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (datetime.date(2026, 11, 20), datetime.date(2026, 11, 24), 2),  # Fri → Tue
        (datetime.date(2026, 11, 21), datetime.date(2026, 11, 23), 1),  # Sat → Mon
        (datetime.date(2026, 11, 23), datetime.date(2026, 11, 23), 0),
        (datetime.date(2026, 11, 23), datetime.date(2026, 12, 7), 10),  # two weeks
        (datetime.date(2026, 11, 25), datetime.date(2026, 11, 20), 0),  # end before start
    ],
)
def test_working_days_between_counts_weekdays_after_start(start, end, expected):
    assert working_days_between(start, end) == expected


# --- replies_owed ------------------------------------------------------------------------------


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, full_name="Grace Hopper", first_name="Grace", last_name="Hopper")


def owed(world, member=None, **kwargs):
    """The rule computed, checked against the stored list a worker keeps (what Today reads)."""
    member = member or world.rep
    computed = replies_owed(organization_id=world.org.pk, user_id=member.user_id, now=WEDNESDAY, **kwargs)
    replies_owed_refresh(organization_id=world.org.pk, user_ids=[member.user_id], now=WEDNESDAY)
    stored = replies_owed_listed(organization_id=world.org.pk, user_id=member.user_id, now=WEDNESDAY, **kwargs)
    assert [(m.pk, m.sender_contact_id, m.sender_name) for m in stored] == [
        (m.pk, m.sender_contact_id, m.sender_name) for m in computed
    ]
    return computed


def test_an_unanswered_email_older_than_two_working_days_is_owed(world, grace):
    mail = email(world.rep, grace, at=ago(2.5), subject="Pricing?")
    result = owed(world)
    assert [m.pk for m in result] == [mail.pk]
    assert result[0].sender_name == "Grace Hopper"
    assert result[0].sender_contact_id == grace.pk


def test_an_email_younger_than_the_working_days_is_not_owed_yet(world, grace):
    email(world.rep, grace, at=ago(1.5))
    assert owed(world) == []


def test_friday_mail_is_not_owed_on_monday_but_is_on_tuesday(world, grace):
    friday = datetime.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    email(world.rep, grace, at=friday)
    monday = datetime.datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    tuesday = datetime.datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert replies_owed(organization_id=world.org.pk, user_id=world.rep.user_id, now=monday) == []
    assert len(replies_owed(organization_id=world.org.pk, user_id=world.rep.user_id, now=tuesday)) == 1


def test_the_organizations_policy_sets_the_working_days(world, grace):
    email(world.rep, grace, at=ago(2.5))
    ScoringPolicy.objects.create(organization=world.org, reply_owed_working_days=5)
    assert owed(world) == []
    assert len(owed(world, working_days=1)) == 1


def test_reading_the_policy_does_not_write_one(world, grace):
    owed(world)
    assert not ScoringPolicy.objects.filter(organization=world.org).exists()


def test_a_later_reply_in_the_same_thread_settles_it(world, grace):
    email(world.rep, grace, at=ago(6), thread="<t1>")
    email(world.rep, grace, at=ago(5), thread="<t1>", direction=Direction.OUTBOUND)
    assert owed(world) == []


def test_a_reply_in_another_thread_does_not_settle_a_threaded_email(world, grace):
    mail = email(world.rep, grace, at=ago(6), thread="<t1>")
    email(world.rep, grace, at=ago(5), thread="<t2>", direction=Direction.OUTBOUND)
    assert [m.pk for m in owed(world)] == [mail.pk]


def test_an_earlier_outbound_email_does_not_count_as_a_reply(world, grace):
    mail = email(world.rep, grace, at=ago(6), thread="<t1>")
    email(world.rep, grace, at=ago(7), thread="<t1>", direction=Direction.OUTBOUND)
    assert [m.pk for m in owed(world)] == [mail.pk]


def test_a_teammates_reply_in_the_thread_does_not_settle_mine(world, grace):
    mail = email(world.rep, grace, at=ago(6), thread="<t1>")
    email(world.teammate, grace, at=ago(5), thread="<t1>", direction=Direction.OUTBOUND)
    assert [m.pk for m in owed(world)] == [mail.pk]


def test_without_a_thread_any_later_email_to_the_contact_settles_it(world, grace):
    email(world.rep, grace, at=ago(6))
    email(world.rep, grace, at=ago(4), direction=Direction.OUTBOUND, subject="Different subject")
    assert owed(world) == []


def test_one_item_per_thread_the_newest_message(world, grace):
    email(world.rep, grace, at=ago(8), thread="<t1>")
    newest = email(world.rep, grace, at=ago(6), thread="<t1>")
    assert [m.pk for m in owed(world)] == [newest.pk]


def test_a_new_message_in_the_thread_restarts_the_clock(world, grace):
    email(world.rep, grace, at=ago(8), thread="<t1>")
    email(world.rep, grace, at=ago(0.5), thread="<t1>", subject="Any news?")
    assert owed(world) == []


def test_no_reply_senders_and_crowded_emails_are_excluded(world, grace):
    email(world.rep, grace, at=ago(5), sender_address="no-reply@vendor.example")
    email(world.rep, grace, at=ago(5), extra_recipients=15)
    kept = email(world.rep, grace, at=ago(5), extra_recipients=3)
    assert [m.pk for m in owed(world)] == [kept.pk]


def test_email_from_an_unknown_address_is_not_owed(world):
    email(world.rep, None, at=ago(5), sender_address="stranger@nowhere.example")
    assert owed(world) == []


def test_emails_older_than_the_look_back_window_are_left_alone(world, grace):
    email(world.rep, grace, at=ago(45))
    assert owed(world) == []


def test_outbound_and_other_reps_emails_are_not_mine_to_answer(world, grace):
    email(world.rep, grace, at=ago(5), direction=Direction.OUTBOUND)
    email(world.teammate, grace, at=ago(5))
    assert owed(world) == []
    assert len(owed(world, member=world.teammate)) == 1


def test_an_email_a_teammate_captured_that_was_addressed_to_me_is_owed_by_me(world, grace):
    mail = email(world.rep, grace, at=ago(5), owner=world.teammate, thread="<shared>")
    assert [m.pk for m in owed(world)] == [mail.pk]


def test_oldest_wait_first_and_bounded_by_the_limit(world, grace):
    mails = [email(world.rep, grace, at=ago(3 + i), thread=f"<t{i}>") for i in range(6)]
    result = owed(world, limit=4)
    assert [m.pk for m in result] == [m.pk for m in reversed(mails[2:])]


def test_outsiders_emails_never_show(world, grace):
    stranger = ContactFactory(organization=world.other_org)
    email(world.outsider, stranger, at=ago(5))
    assert owed(world) == []


# --- counts for the team dashboard ---------------------------------------------------------------


def test_counts_per_rep_from_the_stored_lists_in_a_constant_number_of_queries(world, grace):
    email(world.rep, grace, at=ago(5), thread="<a>")
    email(world.rep, grace, at=ago(4), thread="<a>")  # same thread: one
    email(world.rep, grace, at=ago(5))
    email(world.teammate, grace, at=ago(5), thread="<b>")
    email(world.teammate, grace, at=ago(5), thread="<c>")
    email(world.teammate, grace, at=ago(4), thread="<c>", direction=Direction.OUTBOUND)
    email(world.other_rep, grace, at=ago(5), owner=world.manager, thread="<d>")
    users = [world.rep.user_id, world.teammate.user_id, world.other_rep.user_id, world.admin.user_id]
    # The team dashboard reads the numbers from the lists the workers keep, in two queries.
    replies_owed_refresh(organization_id=world.org.pk, user_ids=[*users, world.manager.user_id], now=WEDNESDAY)
    with CaptureQueriesContext(connection) as queries:
        counts = replies_owed_tally(organization_id=world.org.pk, user_ids=users, now=WEDNESDAY)
    assert counts == {
        world.rep.user_id: 2,
        world.teammate.user_id: 1,
        world.other_rep.user_id: 1,
        world.admin.user_id: 0,
    }
    assert len(queries.captured_queries) == 2


def test_counts_of_no_one_are_empty(world):
    assert replies_owed_tally(organization_id=world.org.pk, user_ids=[], now=WEDNESDAY) == {}


# --- the stored list a worker keeps (what Today reads) -------------------------------------------


def _stored(world) -> set[tuple[int, int]]:
    return set(ReplyOwed.objects.filter(organization=world.org).values_list("user_id", "interaction_id"))


def test_after_a_contacts_emails_change_the_worker_re_derives_the_lists_of_the_reps_concerned(world, grace):
    alan = ContactFactory(organization=world.org, full_name="Alan Turing")
    now = timezone.now()
    mine = email(world.rep, grace, at=now - datetime.timedelta(days=6), thread="<q>")
    shared = email(world.rep, grace, at=now - datetime.timedelta(days=5), owner=world.teammate, thread="<s>")
    theirs = email(world.manager, alan, at=now - datetime.timedelta(days=5))
    ReplyOwed.objects.all().delete()

    assert replies_owed_reps_of(organization_id=world.org.pk, contact_ids=[grace.pk]) == {
        world.rep.user_id,
        world.teammate.user_id,
    }
    tasks.relationship_refresh(world.org.pk, [grace.pk])  # what capture and logging enqueue
    # Grace's emails are back: the rep owes both (one captured by the teammate but addressed
    # to the rep), the teammate the one they captured. Alan's email to the manager was not
    # concerned: the manager's list was left alone.
    assert _stored(world) == {
        (world.rep.user_id, mine.pk),
        (world.rep.user_id, shared.pk),
        (world.teammate.user_id, shared.pk),
    }
    assert (world.manager.user_id, theirs.pk) not in _stored(world)

    # The rep answers in the first thread: the next refresh drops it.
    email(
        world.rep, grace, at=now - datetime.timedelta(days=1), thread="<q>", direction=Direction.OUTBOUND, refresh=False
    )
    assert (world.rep.user_id, mine.pk) in _stored(world)
    tasks.relationship_refresh(world.org.pk, [grace.pk])
    assert _stored(world) == {(world.rep.user_id, shared.pk), (world.teammate.user_id, shared.pk)}


def test_a_refresh_replaces_only_its_reps_rows_and_twice_changes_nothing(world, grace):
    now = timezone.now()
    mine = email(world.rep, grace, at=now - datetime.timedelta(days=5))
    theirs = email(world.teammate, grace, at=now - datetime.timedelta(days=5))
    before = _stored(world)

    replies_owed_refresh(organization_id=world.org.pk, user_ids=[world.rep.user_id])
    replies_owed_refresh(organization_id=world.org.pk, user_ids=[world.rep.user_id, world.outsider.user_id])

    assert _stored(world) == before == {(world.rep.user_id, mine.pk), (world.teammate.user_id, theirs.pk)}


def test_the_nightly_rescore_and_the_rebuild_command_re_derive_every_list(world, grace):
    now = timezone.now()
    mine = email(world.rep, grace, at=now - datetime.timedelta(days=5))
    ReplyOwed.objects.all().delete()

    tasks.relationships_rescore(world.org.pk)
    assert _stored(world) == {(world.rep.user_id, mine.pk)}

    ReplyOwed.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_rollups", organization=world.org.slug, stdout=out)
    assert "1 replies owed" in out.getvalue()
    assert _stored(world) == {(world.rep.user_id, mine.pk)}


def test_the_stored_list_applies_the_grace_the_window_and_the_limit_when_read(world, grace):
    now = timezone.now()
    fresh = email(world.rep, grace, at=now - datetime.timedelta(hours=2), thread="<fresh>")
    due = [email(world.rep, grace, at=now - datetime.timedelta(days=8 + i), thread=f"<due{i}>") for i in range(3)]
    replies_owed_refresh(organization_id=world.org.pk, user_ids=[world.rep.user_id])
    assert (world.rep.user_id, fresh.pk) in _stored(world)  # stored while still in its grace

    def listed(at, **kwargs):
        rows = replies_owed_listed(organization_id=world.org.pk, user_id=world.rep.user_id, now=at, **kwargs)
        return [m.pk for m in rows]

    assert listed(now) == [m.pk for m in reversed(due)]
    assert listed(now, limit=2) == [due[2].pk, due[1].pk]
    assert fresh.pk in listed(now + datetime.timedelta(days=5))  # its working days are up
    assert listed(now + datetime.timedelta(days=60)) == []  # past the look-back window


def test_a_refresh_for_some_contacts_re_derives_their_whole_threads_and_matches_a_full_one(world, grace):
    alan = ContactFactory(organization=world.org, full_name="Alan Turing")
    ada = ContactFactory(organization=world.org, full_name="Ada Lovelace")
    now = timezone.now()
    asked = email(world.rep, grace, at=now - datetime.timedelta(days=9), thread="<deal>")
    other = email(world.rep, ada, at=now - datetime.timedelta(days=8))
    assert _stored(world) == {(world.rep.user_id, asked.pk), (world.rep.user_id, other.pk)}

    # Alan writes last in Grace's thread: the thread is owed once, to Alan's message; the
    # refresh names only Alan, yet it drops Grace's row in that thread and leaves Ada's alone.
    later = email(world.rep, alan, at=now - datetime.timedelta(days=7), thread="<deal>", refresh=False)
    services.contact_insights_refresh(organization_id=world.org.pk, contact_ids=[alan.pk])
    scoped = _stored(world)
    assert scoped == {(world.rep.user_id, later.pk), (world.rep.user_id, other.pk)}

    replies_owed_rebuild(organization_id=world.org.pk)
    assert _stored(world) == scoped
