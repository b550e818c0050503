"""Writes for interactions: manual logging, edits and deletion.

Derived relationships live in activities.relationships (re-exported here for callers).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from activities import replies, rollups, tasks
from activities.models import (
    Direction,
    Interaction,
    InteractionKind,
    InteractionSource,
    Participant,
    ParticipantRole,
    Visibility,
)
from activities.relationships import relationships_rebuild, relationships_refresh
from contacts.models import Contact, HelpOffer
from relintel.accounts.models import Membership
from sync import services as sync_services

__all__ = [
    "contact_insights_refresh",
    "interaction_delete",
    "interaction_log",
    "interaction_update",
    "relationships_rebuild",
    "relationships_refresh",
]


def contact_insights_refresh(*, organization_id: int, contact_ids: Sequence[int]) -> int:
    """After these contacts' interactions or help changed: re-score their relationships and
    re-derive the replies owed of the reps concerned. Returns the relationship rows written."""
    written = relationships_refresh(organization_id=organization_id, contact_ids=contact_ids)
    reps = replies.replies_owed_reps_of(organization_id=organization_id, contact_ids=contact_ids)
    replies.replies_owed_refresh(organization_id=organization_id, user_ids=reps, contact_ids=contact_ids)
    return written


# Logged by hand, a kind's participants take the role that kind implies.
_CONTACT_ROLE = {
    InteractionKind.EMAIL: {Direction.INBOUND: ParticipantRole.FROM, Direction.OUTBOUND: ParticipantRole.TO},
    InteractionKind.MEETING: {
        Direction.INBOUND: ParticipantRole.ATTENDEE,
        Direction.OUTBOUND: ParticipantRole.ATTENDEE,
    },
    InteractionKind.CALL: {Direction.INBOUND: ParticipantRole.FROM, Direction.OUTBOUND: ParticipantRole.TO},
    InteractionKind.NOTE: {Direction.INBOUND: ParticipantRole.ATTENDEE, Direction.OUTBOUND: ParticipantRole.ATTENDEE},
}
_USER_ROLE = {
    InteractionKind.EMAIL: {Direction.INBOUND: ParticipantRole.TO, Direction.OUTBOUND: ParticipantRole.FROM},
    InteractionKind.MEETING: {
        Direction.INBOUND: ParticipantRole.ATTENDEE,
        Direction.OUTBOUND: ParticipantRole.ORGANIZER,
    },
    InteractionKind.CALL: {Direction.INBOUND: ParticipantRole.TO, Direction.OUTBOUND: ParticipantRole.FROM},
    InteractionKind.NOTE: {Direction.INBOUND: ParticipantRole.ORGANIZER, Direction.OUTBOUND: ParticipantRole.ORGANIZER},
}


@transaction.atomic
def interaction_log(
    *,
    membership: Membership,
    kind: str,
    contacts: Sequence[Contact],
    occurred_at: datetime.datetime | None = None,
    subject: str = "",
    body: str = "",
    direction: str = Direction.OUTBOUND,
    visibility: str = Visibility.TEAM,
    duration_minutes: int | None = None,
    help_offers: Sequence[HelpOffer] = (),
    source: str = InteractionSource.MANUAL,
) -> Interaction:
    """Log a call, meeting, note or email by hand, with the member and the given contacts."""
    errors: dict[str, list[str]] = {}
    if kind not in InteractionKind.values:
        errors["kind"] = [f"“{kind}” is not one of {', '.join(InteractionKind.values)}."]
    if direction not in (Direction.INBOUND, Direction.OUTBOUND):
        errors["direction"] = ["Choose inbound or outbound."]
    if not contacts:
        errors["contacts"] = ["Choose at least one contact."]
    elif any(c.organization_id != membership.organization_id for c in contacts):
        errors["contacts"] = ["No such contact."]
    if any(o.organization_id != membership.organization_id for o in help_offers):
        errors["help_offers"] = ["No such help offer."]
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + datetime.timedelta(days=366):
        errors["occurred_at"] = ["That is more than a year in the future."]
    if errors:
        raise ValidationError(errors)
    interaction = Interaction(
        organization=membership.organization,
        kind=kind,
        occurred_at=occurred_at,
        subject=subject.strip(),
        body=body.strip(),
        direction=direction,
        source=source,
        visibility=visibility,
        owner=membership.user,
        team_id=membership.team_id,
        duration_minutes=duration_minutes,
    )
    interaction.full_clean()
    interaction.save()
    contact_role = _CONTACT_ROLE[InteractionKind(kind)][Direction(direction)]
    user_role = _USER_ROLE[InteractionKind(kind)][Direction(direction)]
    unique_contacts = {c.pk: c for c in contacts}.values()
    Participant.objects.bulk_create(
        [Participant(interaction=interaction, user=membership.user, address=membership.user.email, role=user_role)]
        + [
            Participant(interaction=interaction, contact=c, display_name=c.full_name, role=contact_role)
            for c in unique_contacts
        ]
    )
    if help_offers:
        interaction.help_offers.set(help_offers)
    _after_change(interaction=interaction, contact_ids=[c.pk for c in unique_contacts])
    _enqueue_sync(interaction)
    return interaction


_UNSET: object = object()


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    subject: str | None = None,
    body: str | None = None,
    occurred_at: datetime.datetime | None = None,
    visibility: str | None = None,
    direction: str | None = None,
    duration_minutes: int | object | None = _UNSET,
) -> Interaction:
    """Change the given fields only; ``duration_minutes=None`` clears the duration."""
    left_week = rollups.interaction_user_week(interaction)  # its rollup week, before a date move
    for field, value in (("subject", subject), ("body", body)):
        if value is not None:
            setattr(interaction, field, value.strip())
    if occurred_at is not None:
        interaction.occurred_at = occurred_at
    if visibility is not None:
        interaction.visibility = visibility
    if direction is not None:
        interaction.direction = direction
    if duration_minutes is not _UNSET:
        interaction.duration_minutes = duration_minutes  # type: ignore[assignment]
    interaction.full_clean()
    interaction.save()
    _after_change(interaction=interaction, contact_ids=_contact_ids(interaction), also_weeks=left_week)
    _enqueue_sync(interaction)
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction) -> None:
    contact_ids = _contact_ids(interaction)
    organization_id = interaction.organization_id
    _enqueue_sync(interaction, operation="delete")
    rollups.activity_rollups_enqueue(
        organization_id=organization_id, user_weeks=rollups.interaction_user_week(interaction)
    )
    interaction.delete()
    transaction.on_commit(lambda: tasks.relationship_refresh.delay(organization_id, contact_ids))


def _enqueue_sync(interaction: Interaction, operation: str = "upsert") -> None:
    """Owe Salesforce the change (the sync leaves out private interactions and notes)."""
    sync_services.outbox_enqueue_interaction(
        organization_id=interaction.organization_id,
        interaction_id=interaction.pk,
        kind=interaction.kind,
        visibility=interaction.visibility,
        operation=operation,
    )


def _contact_ids(interaction: Interaction) -> list[int]:
    return list(
        Participant.objects.filter(interaction=interaction, contact__isnull=False).values_list("contact_id", flat=True)
    )


def _after_change(
    *, interaction: Interaction, contact_ids: list[int], also_weeks: Sequence[rollups.UserWeek] = ()
) -> None:
    latest = Contact.objects.filter(pk__in=contact_ids).filter(
        Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=interaction.occurred_at)
    )
    latest.update(last_interaction_at=interaction.occurred_at)
    organization_id = interaction.organization_id
    transaction.on_commit(lambda: tasks.relationship_refresh.delay(organization_id, contact_ids))
    rollups.activity_rollups_enqueue(
        organization_id=organization_id, user_weeks=[*rollups.interaction_user_week(interaction), *also_weeks]
    )
