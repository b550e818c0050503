"""Rows for the Today tests: emails from contacts, relationships in a band, intro requests."""

from __future__ import annotations

import datetime
import itertools

from django.utils import timezone

from activities.models import Direction, Interaction, InteractionKind, Participant, ParticipantRole, Visibility
from activities.replies import replies_owed_refresh
from contacts.models import Band, Contact, IntroRequest, IntroSuggestion, Relationship
from relintel.accounts.models import Membership

_ids = itertools.count(1)


def email(
    member: Membership,
    contact: Contact | None,
    *,
    at: datetime.datetime,
    direction: str = Direction.INBOUND,
    thread: str = "",
    subject: str = "A question",
    owner: Membership | None = None,
    sender_address: str = "",
    extra_recipients: int = 0,
    refresh: bool = True,
) -> Interaction:
    """An email between ``member`` and ``contact`` (inbound: from the contact, to the member).

    ``owner`` captured it (default: the member); ``sender_address`` replaces the contact
    as sender (e.g. a no-reply address); ``extra_recipients`` copies in more people.
    ``refresh``: re-derive the reps' stored replies owed, as the worker does after a capture.
    """
    owner = owner or member
    n = next(_ids)
    interaction = Interaction.objects.create(
        organization_id=member.organization_id,
        owner=owner.user,
        team=owner.team,
        kind=InteractionKind.EMAIL,
        direction=direction,
        occurred_at=at,
        subject=subject,
        thread_id=thread,
        external_id=f"<msg-{n}@test.example>",
        visibility=Visibility.TEAM,
    )
    them = ParticipantRole.FROM if direction == Direction.INBOUND else ParticipantRole.TO
    us = ParticipantRole.TO if direction == Direction.INBOUND else ParticipantRole.FROM
    if sender_address and direction == Direction.INBOUND:
        Participant.objects.create(interaction=interaction, address=sender_address, role=ParticipantRole.FROM)
        if contact is not None:
            Participant.objects.create(interaction=interaction, contact=contact, role=ParticipantRole.CC)
    elif contact is not None:
        Participant.objects.create(interaction=interaction, contact=contact, role=them)
    Participant.objects.create(interaction=interaction, user=member.user, role=us)
    if owner != member:
        Participant.objects.create(interaction=interaction, user=owner.user, role=ParticipantRole.TO)
    for i in range(extra_recipients):
        Participant.objects.create(interaction=interaction, address=f"someone{n}-{i}@crowd.example", role="to")
    # What the worker does once an email is captured: re-derive the reps' stored replies owed
    # (Today reads those), as of the email's time.
    if refresh:
        replies_owed_refresh(organization_id=member.organization_id, user_ids={member.user_id, owner.user_id}, now=at)
    return interaction


def relationship(
    member: Membership,
    contact: Contact,
    *,
    band: str = Band.MEDIUM,
    previous_band: str = "",
    band_changed_at: datetime.datetime | None = None,
    last_interaction_at: datetime.datetime | None = None,
    rhythm_days: float | None = None,
    strength: int = 50,
) -> Relationship:
    return Relationship.objects.create(
        organization_id=member.organization_id,
        user=member.user,
        contact=contact,
        band=band,
        previous_band=previous_band,
        band_changed_at=band_changed_at,
        last_interaction_at=last_interaction_at or timezone.now(),
        rhythm_days=rhythm_days,
        strength=strength,
        interaction_count=5,
    )


def intro_request(requester: Membership, introducer: Membership, target: Contact, **fields) -> IntroRequest:
    return IntroRequest.objects.create(
        organization_id=requester.organization_id,
        requester=requester.user,
        introducer=introducer.user,
        target=target,
        **fields,
    )


def suggestion(member: Membership, contact: Contact, other: Contact, **fields) -> IntroSuggestion:
    fields.setdefault("reason", f"{contact.full_name} needs a CFO; {other.full_name} knows CFO search")
    return IntroSuggestion.objects.create(
        organization_id=member.organization_id, user=member.user, contact=contact, other=other, **fields
    )
