"""Relationships in the database: the incremental refresh, the full rebuild, and band changes."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities import services, tasks
from activities.models import Interaction, Participant, ParticipantRole, ScoringPolicy
from activities.relationships import relationships_rebuild, relationships_refresh
from contacts import services as contact_services
from contacts.models import HelpDirection, HelpOffer, HelpStatus, Relationship, RelationshipChange
from tests.factories import ContactFactory

NOW = timezone.now().replace(microsecond=0)
COMPARED = (
    "user_id",
    "contact_id",
    "strength",
    "band",
    "interaction_count",
    "meeting_count",
    "inbound_count",
    "outbound_count",
    "help_given_count",
    "help_received_count",
    "first_interaction_at",
    "last_interaction_at",
    "last_inbound_at",
    "last_outbound_at",
    "rhythm_days",
    "components",
)


def rows(org) -> list[tuple[object, ...]]:
    return sorted(Relationship.objects.filter(organization=org).values_list(*COMPARED))


@pytest.fixture
def contact(world):
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper")


def log(membership, contact, kind="email", direction="outbound", days=1, **extra):
    return services.interaction_log(
        membership=membership,
        kind=kind,
        contacts=[contact] if not isinstance(contact, list) else contact,
        direction=direction,
        occurred_at=NOW - datetime.timedelta(days=days),
        **extra,
    )


def test_a_strong_relationship_is_scored_banded_and_explained(world, contact):
    for day in range(1, 40, 3):
        email = log(world.rep, contact, days=day)
        Interaction.objects.filter(pk=email.pk).update(thread_id=f"t{day}")
        reply = log(world.rep, contact, direction="inbound", days=day - 0.5)
        Interaction.objects.filter(pk=reply.pk).update(thread_id=f"t{day}")
    log(world.rep, contact, kind="meeting", days=5)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk], now=NOW)
    rita = Relationship.objects.get(user=world.rep.user, contact=contact)
    assert rita.band == "strong" and rita.strength >= 70
    assert rita.components["two_way_emails_90d"] == 26
    assert rita.rhythm_days is not None
    assert (rita.previous_band, rita.band_changed_at) == ("", NOW)


def test_a_band_change_is_recorded_once_with_the_previous_band(world, contact):
    log(world.rep, contact, kind="meeting", days=2)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk], now=NOW)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk], now=NOW)
    changes = RelationshipChange.objects.filter(user=world.rep.user, contact=contact)
    assert list(changes.values_list("from_band", "to_band")) == [("", "weak")]
    later = NOW + datetime.timedelta(days=400)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk], now=later)
    rita = Relationship.objects.get(user=world.rep.user, contact=contact)
    assert (rita.band, rita.previous_band, rita.band_changed_at) == ("cold", "weak", later)
    assert list(changes.order_by("changed_at").values_list("from_band", "to_band")) == [("", "weak"), ("weak", "cold")]


def test_the_nightly_rebuild_records_bands_that_decayed(world, contact):
    log(world.rep, contact, kind="meeting", days=2)
    relationships_rebuild(organization_id=world.org.pk, now=NOW)
    relationships_rebuild(organization_id=world.org.pk, now=NOW + datetime.timedelta(days=400))
    rita = Relationship.objects.get(user=world.rep.user, contact=contact)
    assert (rita.band, rita.previous_band) == ("cold", "weak")
    assert RelationshipChange.objects.filter(contact=contact).count() == 2


def test_mass_mail_counts_for_nobody(world):
    crowd = [ContactFactory(organization=world.org) for _ in range(12)]
    log(world.rep, crowd, days=1)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[c.pk for c in crowd], now=NOW)
    row = Relationship.objects.get(user=world.rep.user, contact=crowd[0])
    assert (row.strength, row.interaction_count, row.components["mass_mail_ignored"]) == (0, 0, 1)


def test_the_organizations_policy_weights_the_score(world, contact):
    log(world.rep, contact, kind="call", days=30)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk], now=NOW)
    default = Relationship.objects.get(user=world.rep.user, contact=contact).strength
    ScoringPolicy.objects.filter(organization=world.org).update(call_weight=12)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk], now=NOW)
    assert Relationship.objects.get(user=world.rep.user, contact=contact).strength > default


def test_relationships_of_another_organization_are_untouched(world, contact):
    theirs = ContactFactory(organization=world.other_org)
    log(world.outsider, theirs, kind="meeting", days=1)
    relationships_refresh(organization_id=world.other_org.pk, contact_ids=[theirs.pk], now=NOW)
    before = rows(world.other_org)
    log(world.rep, contact, kind="meeting", days=1)
    relationships_rebuild(organization_id=world.org.pk, now=NOW)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk, theirs.pk], now=NOW)
    assert rows(world.other_org) == before
    assert not Relationship.objects.filter(organization=world.org, contact=theirs).exists()


def test_delivering_help_rescores_the_pair_after_commit(world, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        offer = contact_services.help_offer_create(
            membership=world.rep, contact=contact, kind="advice", description="Pricing benchmarks"
        )
    assert not Relationship.objects.filter(contact=contact).exists(), "an open offer does not count yet"
    with django_capture_on_commit_callbacks(execute=True):
        offer = contact_services.help_offer_transition(offer=offer, status=HelpStatus.DELIVERED)
    assert Relationship.objects.get(user=world.rep.user, contact=contact).help_given_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        contact_services.help_offer_delete(offer=offer)
    assert not Relationship.objects.filter(contact=contact).exists()


def test_an_introduction_names_who_they_were_introduced_to(world, contact):
    other = ContactFactory(organization=world.org, first_name="Ana", last_name="Ruiz")
    contact_services.help_offer_create(
        membership=world.rep,
        contact=contact,
        kind="intro",
        description="Intro to a CFO",
        intro_contact=other,
        status=HelpStatus.DELIVERED,
    )
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk], now=NOW)
    row = Relationship.objects.get(user=world.rep.user, contact=contact)
    assert row.components["introduced"] == [other.full_name]


def test_a_rebuild_writes_awkward_names_and_every_time_exactly_as_a_refresh_does(world, contact):
    """The rebuild stages rows in COPY's text format: backslashes, tabs, quotes and accents survive."""
    other = ContactFactory(organization=world.org, first_name='Zoë "Z" \\N', last_name="O\tBrien\\")
    contact_services.help_offer_create(
        membership=world.rep,
        contact=contact,
        kind="intro",
        description="Intro",
        intro_contact=other,
        status=HelpStatus.DELIVERED,
    )
    email = log(world.rep, contact, kind="email", direction="inbound", days=3)
    Interaction.objects.filter(pk=email.pk).update(occurred_at=NOW - datetime.timedelta(days=3, microseconds=123457))
    log(world.rep, contact, kind="meeting", days=-2)  # ahead: counts as now
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk], now=NOW)
    refreshed = rows(world.org)
    relationships_rebuild(organization_id=world.org.pk, now=NOW)
    assert rows(world.org) == refreshed
    assert Relationship.objects.get(user=world.rep.user, contact=contact).components["introduced"] == [other.full_name]


def test_rebuild_relationships_command_reports_progress_and_timing(world, contact):
    log(world.rep, contact, kind="call", days=3)
    out = StringIO()
    call_command("rebuild_relationships", "--organization", world.org.slug, stdout=out)
    assert f"{world.org.slug}: 1 relationships from 1 interaction facts" in out.getvalue()
    assert "Done in" in out.getvalue()
    with pytest.raises(CommandError, match="No organization"):
        call_command("rebuild_relationships", "--organization", "nope", stdout=StringIO())


def test_nightly_rescoring_rebuilds_every_organization(world, contact):
    log(world.rep, contact, kind="call", days=3)
    Relationship.objects.all().delete()
    assert tasks.relationships_rescore_all() == 2
    assert Relationship.objects.filter(organization=world.org, contact=contact).exists()
    assert tasks.relationships_rescore(organization_id=10**9) == 0


# --- the property: one by one through the services == from scratch ----------------------

KINDS = ["email", "meeting", "call", "note"]
action = st.one_of(
    st.tuples(
        st.just("log"),
        st.integers(0, 2),  # who
        st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True),  # contacts
        st.sampled_from(KINDS),
        st.sampled_from(["inbound", "outbound"]),
        st.integers(0, 700),  # days ago
        st.sampled_from(["", "a", "b"]),  # thread
        st.sampled_from(["private", "team", "organization"]),
    ),
    st.tuples(
        st.just("help"),
        st.integers(0, 2),
        st.integers(0, 3),
        st.sampled_from(["given", "received"]),
        st.sampled_from(["delivered", "offered", "declined"]),
    ),
    st.tuples(st.just("delete"), st.integers(0, 50)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(action, min_size=1, max_size=12))
def test_refreshing_one_change_at_a_time_equals_a_full_rebuild(world, actions):
    with transaction.atomic():
        members = [world.rep, world.teammate, world.other_rep]
        people = [ContactFactory(organization=world.org) for _ in range(4)]
        logged: list[Interaction] = []

        def refresh(contact_ids):  # what the worker does after commit
            relationships_refresh(organization_id=world.org.pk, contact_ids=contact_ids, now=NOW)

        for step in actions:
            if step[0] == "log":
                _, who, which, kind, direction, days, thread, visibility = step
                chosen = [people[i] for i in which]
                interaction = log(
                    members[who], chosen, kind=kind, direction=direction, days=days, visibility=visibility
                )
                if thread and kind == "email":
                    Interaction.objects.filter(pk=interaction.pk).update(thread_id=thread)
                logged.append(interaction)
                refresh([c.pk for c in chosen])
            elif step[0] == "help":
                _, who, which, direction, status = step
                offer = contact_services.help_offer_create(
                    membership=members[who],
                    contact=people[which],
                    kind="advice",
                    description="Useful",
                    direction=direction,
                    status=status,
                )
                assert isinstance(offer, HelpOffer)
                refresh([people[which].pk])
            elif logged:
                interaction = logged.pop(step[1] % len(logged))
                contact_ids = list(
                    Participant.objects.filter(interaction=interaction, contact__isnull=False).values_list(
                        "contact_id", flat=True
                    )
                )
                services.interaction_delete(interaction=interaction)
                refresh(contact_ids)
        incremental = rows(world.org)
        relationships_rebuild(organization_id=world.org.pk, now=NOW)
        assert rows(world.org) == incremental
        transaction.set_rollback(True)


def test_a_participant_user_who_is_not_the_owner_gets_no_credit(world, contact):
    """Strength counts the interactions a user owns (as the timeline's owner does)."""
    meeting = log(world.rep, contact, kind="meeting", days=1)
    Participant.objects.create(interaction=meeting, user=world.teammate.user, role=ParticipantRole.ATTENDEE)
    relationships_rebuild(organization_id=world.org.pk, now=NOW)
    assert list(Relationship.objects.filter(contact=contact).values_list("user_id", flat=True)) == [world.rep.user_id]


def test_help_received_without_any_interaction_is_a_relationship(world, contact):
    HelpOffer.objects.create(
        organization=world.org,
        user=world.rep.user,
        contact=contact,
        direction=HelpDirection.RECEIVED,
        kind="advice",
        description="Told us how they buy",
        status=HelpStatus.DELIVERED,
        delivered_at=NOW - datetime.timedelta(days=2),
    )
    relationships_rebuild(organization_id=world.org.pk, now=NOW)
    row = Relationship.objects.get(user=world.rep.user, contact=contact)
    assert (row.interaction_count, row.help_received_count, row.band) == (0, 1, "weak")
    assert row.components["reciprocal"] is True
