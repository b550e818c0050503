"""Logging interactions, visibility rules and derived relationships."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from activities import selectors, services
from activities.models import Interaction, Participant, ParticipantRole, Visibility
from contacts.models import HelpDirection, HelpStatus, Relationship
from tests.factories import ContactFactory, HelpOfferFactory, InteractionFactory


@pytest.fixture
def contact(world):
    return ContactFactory(organization=world.org)


def test_a_logged_call_has_the_rep_and_the_contact_as_participants(world, contact):
    call = services.interaction_log(
        membership=world.rep, kind="call", contacts=[contact], subject="Intro call", direction="outbound"
    )
    roles = {(p.user_id, p.contact_id, p.role) for p in call.participants.all()}
    assert roles == {(world.rep.user_id, None, ParticipantRole.FROM), (None, contact.pk, ParticipantRole.TO)}
    assert call.team == world.team_a
    contact.refresh_from_db()
    assert contact.last_interaction_at == call.occurred_at


def test_logging_refuses_bad_input_per_field_and_saves_nothing(world):
    foreign = ContactFactory(organization=world.other_org)
    with pytest.raises(ValidationError) as excinfo:
        services.interaction_log(membership=world.rep, kind="telegram", contacts=[foreign], direction="sideways")
    assert set(excinfo.value.message_dict) == {"kind", "contacts", "direction"}
    assert not Interaction.objects.exists()


def test_a_meeting_far_in_the_future_is_refused(world, contact):
    with pytest.raises(ValidationError) as excinfo:
        services.interaction_log(
            membership=world.rep,
            kind="meeting",
            contacts=[contact],
            occurred_at=timezone.now() + datetime.timedelta(days=800),
        )
    assert "occurred_at" in excinfo.value.message_dict


def _visible_to(membership):
    return set(selectors.interactions_visible(membership=membership).values_list("subject", flat=True))


def test_private_interactions_are_seen_by_their_owner_only(world, contact):
    services.interaction_log(
        membership=world.rep, kind="note", contacts=[contact], subject="secret", visibility="private"
    )
    assert "secret" in _visible_to(world.rep)
    for other in (world.teammate, world.manager, world.other_rep, world.admin, world.outsider):
        assert "secret" not in _visible_to(other)


def test_team_interactions_are_seen_by_the_team_and_its_manager(world, contact):
    services.interaction_log(membership=world.rep, kind="call", contacts=[contact], subject="team call")
    assert "team call" in _visible_to(world.teammate)
    assert "team call" in _visible_to(world.manager)
    assert "team call" not in _visible_to(world.other_rep)
    assert "team call" not in _visible_to(world.outsider)


def test_organization_interactions_are_seen_by_everyone_in_the_organization(world, contact):
    services.interaction_log(
        membership=world.rep, kind="meeting", contacts=[contact], subject="all hands", visibility="organization"
    )
    for member in (world.teammate, world.manager, world.other_rep, world.admin):
        assert "all hands" in _visible_to(member)
    assert "all hands" not in _visible_to(world.outsider)


def test_a_participant_sees_an_interaction_they_took_part_in(world, contact):
    interaction = InteractionFactory(
        organization=world.org,
        owner=world.other_rep.user,
        visibility=Visibility.TEAM,
        subject="cc'd",
        contacts=[contact],
    )
    Participant.objects.create(interaction=interaction, user=world.rep.user, role=ParticipantRole.CC)
    assert "cc'd" in _visible_to(world.rep)


def test_taking_part_does_not_reveal_a_private_interaction(world, contact):
    interaction = InteractionFactory(
        organization=world.org,
        owner=world.other_rep.user,
        visibility=Visibility.PRIVATE,
        subject="mine",
        contacts=[contact],
    )
    Participant.objects.create(interaction=interaction, user=world.rep.user, role=ParticipantRole.CC)
    assert "mine" not in _visible_to(world.rep)


def test_the_timeline_of_a_contact_lists_only_visible_interactions_newest_first(world, contact):
    now = timezone.now()
    services.interaction_log(
        membership=world.rep,
        kind="call",
        contacts=[contact],
        subject="old",
        occurred_at=now - datetime.timedelta(days=3),
    )
    services.interaction_log(membership=world.rep, kind="call", contacts=[contact], subject="new", occurred_at=now)
    services.interaction_log(
        membership=world.teammate, kind="note", contacts=[contact], subject="tom private", visibility="private"
    )
    timeline = selectors.contact_timeline(membership=world.rep, contact=contact)
    assert [i.subject for i in timeline] == ["new", "old"]


def test_relationships_count_each_users_interactions_and_delivered_help(
    world, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.interaction_log(membership=world.rep, kind="meeting", contacts=[contact], direction="outbound")
        services.interaction_log(membership=world.rep, kind="email", contacts=[contact], direction="inbound")
        services.interaction_log(membership=world.teammate, kind="call", contacts=[contact], visibility="private")
    HelpOfferFactory(contact=contact, user=world.rep.user, status=HelpStatus.DELIVERED, delivered_at=timezone.now())
    HelpOfferFactory(
        contact=contact,
        user=world.rep.user,
        direction=HelpDirection.RECEIVED,
        status=HelpStatus.DELIVERED,
        delivered_at=timezone.now(),
    )
    services.relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    rita = Relationship.objects.get(user=world.rep.user, contact=contact)
    assert (rita.interaction_count, rita.meeting_count, rita.inbound_count, rita.outbound_count) == (2, 1, 1, 1)
    assert (rita.help_given_count, rita.help_received_count) == (1, 1)
    assert rita.last_inbound_at is not None
    # A private interaction still counts for its owner's relationship (its content is never shown).
    assert Relationship.objects.get(user=world.teammate.user, contact=contact).interaction_count == 1


def test_refreshing_relationships_twice_gives_the_same_rows(world, contact):
    services.interaction_log(membership=world.rep, kind="call", contacts=[contact])
    services.relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    first = list(Relationship.objects.values("user_id", "contact_id", "interaction_count", "last_interaction_at"))
    services.relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    assert (
        list(Relationship.objects.values("user_id", "contact_id", "interaction_count", "last_interaction_at")) == first
    )


def test_deleting_the_last_interaction_removes_the_relationship(world, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call = services.interaction_log(membership=world.rep, kind="call", contacts=[contact])
    assert Relationship.objects.filter(contact=contact).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.interaction_delete(interaction=call)
    assert not Relationship.objects.filter(contact=contact).exists()


def test_a_rep_who_captured_the_same_email_sees_it_even_when_the_owner_keeps_it_private(world, contact):
    from activities.models import CaptureSighting, InteractionSource

    interaction = InteractionFactory(
        organization=world.org,
        owner=world.other_rep.user,
        visibility=Visibility.PRIVATE,
        subject="both",
        contacts=[contact],
    )
    assert "both" not in _visible_to(world.rep)
    CaptureSighting.objects.create(interaction=interaction, user=world.rep.user, source=InteractionSource.IMAP)
    assert "both" in _visible_to(world.rep)
    assert "both" not in _visible_to(world.teammate)
