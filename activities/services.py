"""Writes for interactions: manual logging, edits, deletion, derived relationships."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from activities import rollups, tasks
from activities.models import (
    Direction,
    Interaction,
    InteractionKind,
    InteractionSource,
    Participant,
    ParticipantRole,
    Visibility,
)
from contacts.models import Band, Contact, HelpDirection, HelpOffer, HelpStatus, Relationship
from relintel.accounts.models import Membership
from sync import services as sync_services

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


@transaction.atomic
def relationships_refresh(*, organization_id: int, contact_ids: Sequence[int]) -> int:
    """Recompute the user × contact rows of these contacts from their interactions and help.

    Idempotent: the rows are derived, so running it twice gives the same result.
    Returns the number of relationship rows written.
    """
    contact_ids = list(contact_ids)
    base = Participant.objects.filter(
        contact_id__in=contact_ids, interaction__organization_id=organization_id, interaction__owner__isnull=False
    )
    stats = base.values("interaction__owner_id", "contact_id").annotate(
        n=Count("interaction", distinct=True),
        meetings=Count("interaction", filter=Q(interaction__kind=InteractionKind.MEETING), distinct=True),
        inbound=Count("interaction", filter=Q(interaction__direction=Direction.INBOUND), distinct=True),
        outbound=Count("interaction", filter=Q(interaction__direction=Direction.OUTBOUND), distinct=True),
        first=Min("interaction__occurred_at"),
        last=Max("interaction__occurred_at"),
        last_in=Max("interaction__occurred_at", filter=Q(interaction__direction=Direction.INBOUND)),
        last_out=Max("interaction__occurred_at", filter=Q(interaction__direction=Direction.OUTBOUND)),
    )
    help_stats = (
        HelpOffer.objects.filter(
            organization_id=organization_id, contact_id__in=contact_ids, status=HelpStatus.DELIVERED
        )
        .values("user_id", "contact_id")
        .annotate(
            given=Count("id", filter=Q(direction=HelpDirection.GIVEN)),
            received=Count("id", filter=Q(direction=HelpDirection.RECEIVED)),
        )
    )
    help_by_pair = {(h["user_id"], h["contact_id"]): h for h in help_stats}
    rows: dict[tuple[int, int], Relationship] = {}
    for s in stats:
        key = (s["interaction__owner_id"], s["contact_id"])
        rows[key] = Relationship(
            organization_id=organization_id,
            user_id=key[0],
            contact_id=key[1],
            interaction_count=s["n"],
            meeting_count=s["meetings"],
            inbound_count=s["inbound"],
            outbound_count=s["outbound"],
            first_interaction_at=s["first"],
            last_interaction_at=s["last"],
            last_inbound_at=s["last_in"],
            last_outbound_at=s["last_out"],
        )
    for key, h in help_by_pair.items():
        row = rows.setdefault(key, Relationship(organization_id=organization_id, user_id=key[0], contact_id=key[1]))
        row.help_given_count = h["given"]
        row.help_received_count = h["received"]
    existing = Relationship.objects.filter(organization_id=organization_id, contact_id__in=contact_ids)
    stale = [
        pk
        for pk, user_id, contact_id in existing.values_list("pk", "user_id", "contact_id")
        if (user_id, contact_id) not in rows
    ]
    Relationship.objects.filter(pk__in=stale).delete()
    Relationship.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["user", "contact"],
        update_fields=[
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
            "updated_at",
        ],
    )
    return len(rows)


@transaction.atomic
def relationships_rebuild(*, organization_id: int) -> int:
    """Rebuild every user × contact row of an organization in two set-based statements.

    Computes the same fields as ``relationships_refresh`` (counts and dates; strength and
    components keep their defaults), but without a round trip per batch: at a million
    interactions this is the difference between seconds and minutes. Returns the row count.
    """
    relationship = connection.ops.quote_name(Relationship._meta.db_table)
    participant = connection.ops.quote_name(Participant._meta.db_table)
    interaction = connection.ops.quote_name(Interaction._meta.db_table)
    help_offer = connection.ops.quote_name(HelpOffer._meta.db_table)
    now = timezone.now()
    columns = (
        "organization_id, user_id, contact_id, strength, interaction_count, meeting_count, inbound_count, "
        "outbound_count, help_given_count, help_received_count, first_interaction_at, last_interaction_at, "
        "last_inbound_at, last_outbound_at, components, updated_at, band, previous_band"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {relationship} WHERE organization_id = %s", [organization_id])  # noqa: S608
        cursor.execute(
            f"""
            INSERT INTO {relationship} ({columns})
            SELECT %s, i.owner_id, p.contact_id, 0,
                   COUNT(DISTINCT i.id),
                   COUNT(DISTINCT CASE WHEN i.kind = %s THEN i.id END),
                   COUNT(DISTINCT CASE WHEN i.direction = %s THEN i.id END),
                   COUNT(DISTINCT CASE WHEN i.direction = %s THEN i.id END),
                   0, 0,
                   MIN(i.occurred_at), MAX(i.occurred_at),
                   MAX(CASE WHEN i.direction = %s THEN i.occurred_at END),
                   MAX(CASE WHEN i.direction = %s THEN i.occurred_at END),
                   %s, %s, %s, ''
            FROM {participant} p JOIN {interaction} i ON i.id = p.interaction_id
            WHERE i.organization_id = %s AND i.owner_id IS NOT NULL AND p.contact_id IS NOT NULL
            GROUP BY i.owner_id, p.contact_id
            """,  # noqa: S608 - table names from model meta
            [
                organization_id,
                InteractionKind.MEETING,
                Direction.INBOUND,
                Direction.OUTBOUND,
                Direction.INBOUND,
                Direction.OUTBOUND,
                "{}",
                now,
                Band.COLD,
                organization_id,
            ],
        )
        cursor.execute(
            f"""
            INSERT INTO {relationship} ({columns})
            SELECT %s, h.user_id, h.contact_id, 0, 0, 0, 0, 0,
                   SUM(CASE WHEN h.direction = %s THEN 1 ELSE 0 END),
                   SUM(CASE WHEN h.direction = %s THEN 1 ELSE 0 END),
                   NULL, NULL, NULL, NULL, %s, %s, %s, ''
            FROM {help_offer} h
            WHERE h.organization_id = %s AND h.status = %s
            GROUP BY h.user_id, h.contact_id
            ON CONFLICT (user_id, contact_id) DO UPDATE
            SET help_given_count = excluded.help_given_count, help_received_count = excluded.help_received_count
            """,  # noqa: S608 - table names from model meta
            [
                organization_id,
                HelpDirection.GIVEN,
                HelpDirection.RECEIVED,
                "{}",
                now,
                Band.COLD,
                organization_id,
                HelpStatus.DELIVERED,
            ],
        )
    return Relationship.objects.filter(organization_id=organization_id).count()
