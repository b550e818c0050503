"""Weekly activity rollups stay equal to a fresh aggregation of the interactions they count."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core.management import call_command

from activities.capture.ingest.writer import capture_ingest
from activities.models import ActivityRollup, Direction, Interaction, InteractionKind
from activities.rollups import activity_rollups_rebuild, activity_rollups_refresh, week_of
from activities.services import interaction_delete, interaction_log, interaction_update
from activities.tasks import activity_rollups_refresh_all
from tests.capture.ingest_helpers import email, meeting
from tests.factories import ContactFactory, InteractionFactory

MONDAY = datetime.date(2026, 11, 16)
AT = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=datetime.UTC)  # a Wednesday


def fresh(organization) -> dict[tuple[int, datetime.date, str], tuple[int, int, int]]:
    """What the rollups should hold, aggregated in Python from every interaction."""
    counts: Counter[tuple[int, datetime.date, str, str]] = Counter()
    for owner_id, when, kind, direction in Interaction.objects.filter(
        organization=organization, owner__isnull=False
    ).values_list("owner_id", "occurred_at", "kind", "direction"):
        counts[(owner_id, week_of(when), kind, direction)] += 1
    out: dict[tuple[int, datetime.date, str], tuple[int, int, int]] = {}
    for (owner_id, week, kind, direction), n in counts.items():
        total, inbound, outbound = out.get((owner_id, week, kind), (0, 0, 0))
        out[(owner_id, week, kind)] = (
            total + n,
            inbound + (n if direction == Direction.INBOUND else 0),
            outbound + (n if direction == Direction.OUTBOUND else 0),
        )
    return out


def stored(organization) -> dict[tuple[int, datetime.date, str], tuple[int, int, int]]:
    return {
        (r.user_id, r.week, r.kind): (r.count, r.inbound, r.outbound)
        for r in ActivityRollup.objects.filter(organization=organization)
    }


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper")


def test_week_of_is_the_monday_of_the_week():
    assert week_of(AT) == MONDAY
    assert week_of(datetime.datetime(2026, 11, 16, 0, 0, tzinfo=datetime.UTC)) == MONDAY
    assert week_of(datetime.datetime(2026, 11, 22, 23, 59, tzinfo=datetime.UTC)) == MONDAY
    assert week_of(datetime.date(2026, 11, 23)) == datetime.date(2026, 11, 23)


def test_rebuild_counts_each_owner_week_and_kind_with_directions(world, grace):
    for when, kind, direction in [
        (AT, InteractionKind.EMAIL, Direction.INBOUND),
        (AT, InteractionKind.EMAIL, Direction.OUTBOUND),
        (AT + datetime.timedelta(days=7), InteractionKind.CALL, Direction.OUTBOUND),
    ]:
        InteractionFactory(
            organization=world.org, owner=world.rep.user, occurred_at=when, kind=kind, direction=direction
        )
    InteractionFactory(organization=world.other_org, owner=world.outsider.user, occurred_at=AT)
    assert activity_rollups_rebuild(organization_id=world.org.pk) == 2
    assert stored(world.org) == {
        (world.rep.user_id, MONDAY, "email"): (2, 1, 1),
        (world.rep.user_id, MONDAY + datetime.timedelta(days=7), "call"): (1, 0, 1),
    }
    assert stored(world.other_org) == {}
    # Idempotent, and it replaces what was there.
    ActivityRollup.objects.filter(organization=world.org).update(count=99)
    activity_rollups_rebuild(organization_id=world.org.pk)
    assert stored(world.org) == fresh(world.org)


def test_refresh_rederives_only_the_given_pairs_and_deletes_emptied_rows(world):
    a = InteractionFactory(organization=world.org, owner=world.rep.user, occurred_at=AT)
    InteractionFactory(organization=world.org, owner=world.teammate.user, occurred_at=AT)
    activity_rollups_rebuild(organization_id=world.org.pk)
    Interaction.objects.filter(pk=a.pk).update(kind=InteractionKind.MEETING)  # a kind change behind its back
    activity_rollups_refresh(organization_id=world.org.pk, user_weeks=[(world.rep.user_id, AT.date())])
    assert stored(world.org) == fresh(world.org)
    Interaction.objects.filter(pk=a.pk).delete()
    activity_rollups_refresh(organization_id=world.org.pk, user_weeks=[(world.rep.user_id, MONDAY)])
    assert (world.rep.user_id, MONDAY, "meeting") not in stored(world.org)
    assert stored(world.org) == fresh(world.org)


def test_logging_editing_and_deleting_by_hand_keep_the_rollups_fresh(world, grace, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call = interaction_log(membership=world.rep, kind=InteractionKind.CALL, contacts=[grace], occurred_at=AT)
        interaction_log(membership=world.rep, kind=InteractionKind.NOTE, contacts=[grace], occurred_at=AT)
    assert stored(world.org) == fresh(world.org)
    assert stored(world.org)[(world.rep.user_id, MONDAY, "call")] == (1, 0, 1)

    # Moving its date moves it to another week: the week it left is emptied.
    later = AT + datetime.timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        interaction_update(interaction=call, occurred_at=later, direction=Direction.INBOUND)
    assert stored(world.org) == fresh(world.org)
    assert (world.rep.user_id, MONDAY, "call") not in stored(world.org)
    assert stored(world.org)[(world.rep.user_id, week_of(later), "call")] == (1, 1, 0)

    with django_capture_on_commit_callbacks(execute=True):
        interaction_delete(interaction=Interaction.objects.get(pk=call.pk))
    assert stored(world.org) == fresh(world.org)
    assert set(stored(world.org)) == {(world.rep.user_id, MONDAY, "note")}


def test_a_capture_batch_refreshes_its_weeks_including_moved_and_cancelled_meetings(
    world, django_capture_on_commit_callbacks
):
    def ingest(items, source="imap"):
        with django_capture_on_commit_callbacks(execute=True):
            capture_ingest(
                organization=world.org,
                user=world.rep.user,
                source=source,
                items=items,
                privacy_level="full",
                visibility="team",
            )

    ingest([email("<a@x>", when=AT), email("<b@x>", when=AT + datetime.timedelta(days=7))])
    assert stored(world.org) == fresh(world.org)
    assert stored(world.org)[(world.rep.user_id, MONDAY, "email")][0] == 1

    ingest([meeting(when=AT)], source="caldav")
    assert stored(world.org)[(world.rep.user_id, MONDAY, "meeting")][0] == 1
    moved = AT + datetime.timedelta(days=21)
    ingest([meeting(when=moved, version="1|20250102T000000Z")], source="caldav")
    assert (world.rep.user_id, MONDAY, "meeting") not in stored(world.org)
    assert stored(world.org) == fresh(world.org)

    ingest([meeting(when=moved, version="2|20250103T000000Z", status="cancelled")], source="caldav")
    assert not any(kind == "meeting" for _, _, kind in stored(world.org))
    assert stored(world.org) == fresh(world.org)


def test_the_nightly_task_and_the_command_rebuild_every_organization(world):
    InteractionFactory(organization=world.org, owner=world.rep.user, occurred_at=AT)
    InteractionFactory(organization=world.other_org, owner=world.outsider.user, occurred_at=AT)
    assert activity_rollups_refresh_all() == 2
    assert stored(world.org) == fresh(world.org)
    assert stored(world.other_org) == fresh(world.other_org)
    ActivityRollup.objects.all().delete()
    call_command("rebuild_rollups", "--organization", "acme", verbosity=0)
    assert stored(world.org) == fresh(world.org)
    assert stored(world.other_org) == {}
