"""Excluded people and domains: never captured, and removed from what was captured before."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from activities.models import (
    CaptureSighting,
    Exclusion,
    ExclusionKind,
    Interaction,
    InteractionSource,
    Participant,
    ParticipantRole,
    SkippedMessage,
    SkipReason,
)
from contacts.normalize import normalize_domain, normalize_email
from relintel.accounts.models import Organization, User

# Interactions a person logged or another system owns are never removed by an exclusion.
_NOT_CAPTURED = (InteractionSource.MANUAL, InteractionSource.API, InteractionSource.DEMO, InteractionSource.SALESFORCE)


def _normalized(kind: str, value: str) -> str:
    if kind == ExclusionKind.EMAIL:
        try:
            return normalize_email(value)
        except ValidationError:
            raise ValidationError({"value": [f"“{value.strip()}” is not an email address."]}) from None
    if kind == ExclusionKind.DOMAIN:
        try:
            return normalize_domain(value.strip().lstrip("@").lstrip("*."))
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
    raise ValidationError({"kind": [f"“{kind}” is not one of {', '.join(ExclusionKind.values)}."]})


def _matching(kind: str, value: str) -> Q:
    """Participant rows with this address, or at this domain or one of its subdomains."""
    if kind == ExclusionKind.EMAIL:
        return Q(address=value)
    return Q(address__endswith="@" + value) | Q(address__contains="@", address__endswith="." + value)


@transaction.atomic
def exclusion_add(
    *,
    organization: Organization,
    kind: str,
    value: str,
    user: User | None = None,
    created_by: User | None = None,
) -> Exclusion:
    """Exclude a person or a domain (subdomains included), org-wide or for one rep; idempotent.

    Applies retroactively: captured interactions (not ones logged by hand, through the API,
    demo data or Salesforce) with a participant matching the exclusion are deleted, and a
    ``SkippedMessage`` records why for each rep who had captured them. An organization-wide
    exclusion deletes all of them; a rep's own exclusion deletes only the interactions no
    other rep has captured, and otherwise removes that rep's sighting. Relationships are
    refreshed after commit.
    """
    normalized = _normalized(kind, value)
    exclusion = Exclusion.objects.filter(organization=organization, kind=kind, value=normalized, user=user).first()
    if exclusion is None:
        exclusion = Exclusion(organization=organization, kind=kind, value=normalized, user=user, created_by=created_by)
        exclusion.full_clean()
        exclusion.save()
    _apply_retroactively(exclusion=exclusion)
    return exclusion


@transaction.atomic
def exclusion_remove(*, exclusion: Exclusion) -> None:
    """Stop excluding a person or domain.

    What the exclusion removed does not come back by itself: it is captured again by the
    next full resync of the rep's sources (new mail is captured from now on).
    """
    exclusion.delete()


def _apply_retroactively(*, exclusion: Exclusion) -> None:
    from activities.capture.ingest.records import contacts_touch

    organization = exclusion.organization
    reason = SkipReason.EXCLUDED_PERSON if exclusion.kind == ExclusionKind.EMAIL else SkipReason.EXCLUDED_DOMAIN
    affected = (
        Interaction.objects.filter(organization=organization)
        .exclude(source__in=_NOT_CAPTURED)
        .filter(pk__in=Participant.objects.filter(_matching(exclusion.kind, exclusion.value)).values("interaction_id"))
    )
    sightings = CaptureSighting.objects.filter(interaction__in=affected)
    by_interaction: dict[int, list[tuple[int, int | None, str]]] = {}
    for interaction_id, user_id, account_id, source in sightings.values_list(
        "interaction_id", "user_id", "account_id", "source"
    ):
        by_interaction.setdefault(interaction_id, []).append((user_id, account_id, source))
    ids = list(affected.values_list("pk", flat=True))
    if exclusion.user_id is None:
        doomed = ids
        removed = {i: by_interaction.get(i, []) for i in ids}
    else:
        # Only what this rep captured; what others captured too stays theirs.
        doomed = []
        removed = {}
        for i in ids:
            seen_by = by_interaction.get(i, [])
            mine = [s for s in seen_by if s[0] == exclusion.user_id]
            if not mine:
                continue
            removed[i] = mine
            if all(s[0] == exclusion.user_id for s in seen_by):
                doomed.append(i)
    if not removed:
        return
    rows = list(
        Interaction.objects.filter(pk__in=list(removed)).values_list("pk", "external_id", "subject", "occurred_at")
    )
    senders = dict(
        Participant.objects.filter(
            interaction_id__in=list(removed), role__in=(ParticipantRole.FROM, ParticipantRole.ORGANIZER)
        ).values_list("interaction_id", "address")
    )
    skipped = [
        SkippedMessage(
            organization=organization,
            user_id=user_id,
            account_id=account_id,
            source=source,
            external_id=external_id,
            subject=subject,  # already only what the privacy level allowed
            sender=senders.get(pk, "")[:254],
            reason=reason,
            detail=f"Excluded: {exclusion.value}",
            occurred_at=occurred_at,
        )
        for pk, external_id, subject, occurred_at in rows
        for user_id, account_id, source in removed[pk]
    ]
    contact_ids = set(
        Participant.objects.filter(interaction_id__in=list(removed), contact__isnull=False).values_list(
            "contact_id", flat=True
        )
    )
    stale = Q()
    for pk, external_id, _, _ in rows:
        for user_id, _, source in removed[pk]:
            stale |= Q(user_id=user_id, source=source, external_id=external_id)
    SkippedMessage.objects.filter(organization=organization).filter(stale).delete()
    SkippedMessage.objects.bulk_create(skipped, ignore_conflicts=True)
    Interaction.objects.filter(pk__in=doomed).delete()
    kept_for_others = [i for i in removed if i not in set(doomed)]
    if kept_for_others:
        CaptureSighting.objects.filter(interaction_id__in=kept_for_others, user=exclusion.user).delete()
    if contact_ids:
        contacts_touch(organization_id=organization.pk, contact_ids=contact_ids)
