"""Contacts from captured activity: who becomes a contact, created and linked in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When

from activities.capture.items import CaptureContext
from activities.models import (
    ContactCreationRule,
    Direction,
    InteractionKind,
    Participant,
    ParticipantRole,
    ResponseStatus,
)
from contacts.services import CapturedPerson, contact_create_from_capture, duplicate_candidates_find
from relintel.accounts.models import Organization, User


def _is_external(address: str, context: CaptureContext) -> bool:
    if "@" not in address or address in context.own_addresses or address in context.excluded_addresses:
        return False
    domain = address.rsplit("@", 1)[1]
    if domain in context.internal_domains:
        return False
    return not any(domain == d or domain.endswith("." + d) for d in context.excluded_domains)


def two_way_addresses(*, organization: Organization, addresses: Iterable[str]) -> set[str]:
    """The addresses the organization has had a two-way exchange or a shared meeting with.

    Two-way: at least one inbound email *from* the address and one outbound email *to*
    (or cc) it. Shared meeting: a meeting with the address as organizer or attendee
    (not declined) that a member attended (not declined). Two queries.
    """
    candidates = sorted(set(addresses))
    if not candidates:
        return set()
    rows = (
        Participant.objects.filter(
            interaction__organization=organization,
            interaction__kind=InteractionKind.EMAIL,
            address__in=candidates,
        )
        .values_list("address", "role", "interaction__direction")
        .distinct()
    )
    inbound_from: set[str] = set()
    outbound_to: set[str] = set()
    for address, role, direction in rows:
        if role == ParticipantRole.FROM and direction == Direction.INBOUND:
            inbound_from.add(address)
        elif role in (ParticipantRole.TO, ParticipantRole.CC) and direction == Direction.OUTBOUND:
            outbound_to.add(address)
    member_attended = Participant.objects.filter(interaction=OuterRef("interaction"), user__isnull=False).exclude(
        response_status=ResponseStatus.DECLINED
    )
    met = set(
        Participant.objects.filter(
            interaction__organization=organization,
            interaction__kind=InteractionKind.MEETING,
            address__in=candidates,
            role__in=(ParticipantRole.ORGANIZER, ParticipantRole.ATTENDEE),
            user__isnull=True,
        )
        .exclude(response_status=ResponseStatus.DECLINED)
        .filter(Exists(member_attended))
        .values_list("address", flat=True)
        .distinct()
    )
    return (inbound_from & outbound_to) | met


def contacts_from_activity(
    *,
    organization: Organization,
    user: User,
    rule: str,
    context: CaptureContext,
    unknown: Mapping[str, str],
) -> list[int]:
    """Create the contacts the policy's rule allows among ``unknown`` (address → display name).

    Links every earlier participant row of the organization with a created address (and no
    contact) to its new contact, and offers likely duplicates for merge. Returns the ids
    of the contacts created.
    """
    if rule == ContactCreationRule.NEVER:
        return []
    external = {a: n for a, n in unknown.items() if _is_external(a, context)}
    if rule == ContactCreationRule.TWO_WAY:
        allowed = two_way_addresses(organization=organization, addresses=external)
        external = {a: n for a, n in external.items() if a in allowed}
    if not external:
        return []
    created = contact_create_from_capture(
        organization=organization,
        owner=user,
        people=[CapturedPerson(email=a, name=n) for a, n in sorted(external.items())],
    )
    if not created:
        return []
    participant_link(organization=organization, contact_by_address=created)
    duplicate_candidates_find(organization_id=organization.pk, contact_ids=list(created.values()))
    return list(created.values())


def participant_link(*, organization: Organization, contact_by_address: Mapping[str, int]) -> int:
    """Point every contact-less participant row with one of these addresses at its contact (one UPDATE)."""
    if not contact_by_address:
        return 0
    return Participant.objects.filter(
        Q(interaction__organization=organization),
        address__in=list(contact_by_address),
        contact__isnull=True,
    ).update(
        contact_id=Case(
            *(When(address=a, then=Value(cid)) for a, cid in contact_by_address.items()),
            output_field=IntegerField(),
        )
    )
