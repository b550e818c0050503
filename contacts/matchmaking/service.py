"""Matchmaking suggestions: refresh them for a rep, accept or dismiss one.

A rep is suggested introductions between contacts they know (their relationships of
``KNOWS_FLOOR`` or more, the strongest ``MAX_CONTACTS``): matching runs over those
contacts only, so what is suggested is an introduction the rep can actually make.

Refreshing never brings back a suggestion the rep accepted or dismissed (the row stays,
with its status, and the pair is skipped); open suggestions that no longer match are
removed; the others get the new score and reason.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from contacts import services as contact_services
from contacts.matchmaking.core import Person, find_matches
from contacts.models import (
    Contact,
    HelpKind,
    HelpOffer,
    HelpStatus,
    IntroSuggestion,
    Relationship,
    SuggestionStatus,
)
from relintel.accounts.models import Membership

KNOWS_FLOOR = 15  # "weak" and up: someone the rep can write to
MAX_CONTACTS = 500
MAX_SUGGESTIONS = 50
ACCEPTED_DUE_IN = datetime.timedelta(days=7)


# --- reads ---------------------------------------------------------------------------


def intro_suggestions_for(*, membership: Membership) -> QuerySet[IntroSuggestion]:
    """The member's own suggestions: anyone else's are not theirs to see."""
    return IntroSuggestion.objects.filter(
        organization_id=membership.organization_id, user_id=membership.user_id
    ).select_related("contact", "other", "help_offer")


def intro_suggestion_get(*, membership: Membership, suggestion_id: int) -> IntroSuggestion:
    try:
        return intro_suggestions_for(membership=membership).get(pk=suggestion_id)
    except (IntroSuggestion.DoesNotExist, ValueError, TypeError):
        raise Http404("No such suggestion") from None


def intro_suggestions_open(*, membership: Membership, limit: int = 20) -> list[IntroSuggestion]:
    return list(
        intro_suggestions_for(membership=membership)
        .filter(status=SuggestionStatus.OPEN, contact__merged_into__isnull=True, other__merged_into__isnull=True)
        .order_by("-score", "id")[:limit]
    )


def intro_suggestion_list(*, membership: Membership, status: str = SuggestionStatus.OPEN) -> QuerySet[IntroSuggestion]:
    qs = intro_suggestions_for(membership=membership)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-score", "id")


# --- writes --------------------------------------------------------------------------


def _known_people(*, organization_id: int, user_id: int) -> list[Person]:
    rows = (
        Relationship.objects.filter(
            organization_id=organization_id,
            user_id=user_id,
            strength__gte=KNOWS_FLOOR,
            contact__merged_into__isnull=True,
        )
        .order_by("-strength", "id")
        .values_list("contact_id", "contact__full_name", "contact__needs", "contact__expertise", "contact__interests")[
            :MAX_CONTACTS
        ]
    )
    return [
        Person(id=cid, name=name, needs=needs, expertise=exp, interests=ints) for cid, name, needs, exp, ints in rows
    ]


@transaction.atomic
def intro_suggestions_refresh(*, organization_id: int, user_id: int) -> dict[str, int]:
    """Bring the rep's suggestions in step with their contacts' needs and expertise."""
    matches = find_matches(_known_people(organization_id=organization_id, user_id=user_id), limit=MAX_SUGGESTIONS)
    existing = {
        (s.contact_id, s.other_id): s
        for s in IntroSuggestion.objects.select_for_update().filter(organization_id=organization_id, user_id=user_id)
    }
    wanted = {(m.contact_id, m.other_id): m for m in matches}
    created: list[IntroSuggestion] = []
    updated: list[IntroSuggestion] = []
    for pair, match in wanted.items():
        row = existing.get(pair)
        if row is None:
            created.append(
                IntroSuggestion(
                    organization_id=organization_id,
                    user_id=user_id,
                    contact_id=match.contact_id,
                    other_id=match.other_id,
                    reason=match.reason,
                    score=match.score,
                )
            )
        elif row.status == SuggestionStatus.OPEN and (row.reason != match.reason or row.score != match.score):
            row.reason, row.score = match.reason, match.score
            updated.append(row)
    stale = [s.pk for pair, s in existing.items() if s.status == SuggestionStatus.OPEN and pair not in wanted]
    # ignore_conflicts: a concurrent refresh of the same rep may have written the pair.
    IntroSuggestion.objects.bulk_create(created, ignore_conflicts=True)
    IntroSuggestion.objects.bulk_update(updated, ["reason", "score"])
    IntroSuggestion.objects.filter(pk__in=stale).delete()
    return {"created": len(created), "updated": len(updated), "removed": len(stale)}


def _decide(suggestion: IntroSuggestion, *, to: str) -> IntroSuggestion:
    locked = IntroSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.status != SuggestionStatus.OPEN:
        raise ValidationError({"status": [f"This suggestion was already {locked.get_status_display().lower()}."]})
    locked.contact, locked.other = suggestion.contact, suggestion.other
    locked.status = to
    locked.decided_at = timezone.now()
    return locked


@transaction.atomic
def intro_suggestion_accept(*, membership: Membership, suggestion: IntroSuggestion) -> HelpOffer:
    """One click: offer to introduce A to B (due in a week), and close the suggestion.

    The offer is "offered" (not yet accepted by A): the rep delivers it through the
    help offer's own lifecycle once the introduction is made.
    """
    suggestion = _decide(suggestion, to=SuggestionStatus.ACCEPTED)
    contact: Contact = suggestion.contact
    other: Contact = suggestion.other
    offer = contact_services.help_offer_create(
        membership=membership,
        contact=contact,
        kind=HelpKind.INTRO,
        description=f"Introduce {contact.full_name} to {other.full_name}: {suggestion.reason}",
        due_date=timezone.localdate() + ACCEPTED_DUE_IN,
        intro_contact=other,
        status=HelpStatus.OFFERED,
    )
    suggestion.help_offer = offer
    suggestion.save(update_fields=["status", "decided_at", "help_offer"])
    return offer


@transaction.atomic
def intro_suggestion_dismiss(*, suggestion: IntroSuggestion) -> IntroSuggestion:
    suggestion = _decide(suggestion, to=SuggestionStatus.DISMISSED)
    suggestion.save(update_fields=["status", "decided_at"])
    return suggestion


def members_to_refresh_for(*, contact_id: int, limit: int = 100) -> list[tuple[int, int]]:
    """(organization, user) of the members who know this contact: whose suggestions it may change."""
    return list(
        Relationship.objects.filter(contact_id=contact_id, strength__gte=KNOWS_FLOOR)
        .order_by("-strength", "id")
        .values_list("organization_id", "user_id")[:limit]
    )


def members_to_refresh_all() -> QuerySet[Membership]:
    return Membership.objects.filter(is_active=True, user__is_active=True).order_by("organization_id", "user_id")
