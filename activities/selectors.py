"""Reads for interactions, always through the visibility rules.

A member sees an interaction when it is theirs, when they took part in it, when
it is shared with the organization, or when it is shared with the team it was
recorded in and that is their team. Private ones are seen by their owner only:
not by managers, not by admins.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from activities.models import Interaction, Participant, Visibility
from contacts.models import Contact
from relintel.accounts.models import Membership


def visibility_filter(*, membership: Membership) -> Q:
    took_part = Exists(Participant.objects.filter(interaction_id=OuterRef("pk"), user_id=membership.user_id))
    rule = Q(visibility=Visibility.ORGANIZATION) | Q(owner_id=membership.user_id) | Q(took_part)
    if membership.team_id is not None:
        rule |= Q(visibility=Visibility.TEAM, team_id=membership.team_id)
    return rule


def interactions_visible(*, membership: Membership) -> QuerySet[Interaction]:
    return Interaction.objects.filter(organization_id=membership.organization_id).filter(
        visibility_filter(membership=membership)
    )


def _with_people(qs: QuerySet[Interaction]) -> QuerySet[Interaction]:
    return qs.select_related("owner").prefetch_related(
        Prefetch("participants", queryset=Participant.objects.select_related("contact", "user").order_by("id"))
    )


def interaction_get(*, membership: Membership, interaction_id: int) -> Interaction:
    try:
        return _with_people(interactions_visible(membership=membership)).get(pk=interaction_id)
    except (Interaction.DoesNotExist, ValueError, TypeError):
        raise Http404("No such interaction") from None


def interaction_list(
    *,
    membership: Membership,
    contact_id: int | None = None,
    company_id: int | None = None,
    kind: str | None = None,
    owner_id: int | None = None,
) -> QuerySet[Interaction]:
    qs = interactions_visible(membership=membership)
    if contact_id is not None:
        qs = qs.filter(Exists(Participant.objects.filter(interaction_id=OuterRef("pk"), contact_id=contact_id)))
    if company_id is not None:
        qs = qs.filter(
            Exists(Participant.objects.filter(interaction_id=OuterRef("pk"), contact__company_id=company_id))
        )
    if kind:
        qs = qs.filter(kind=kind)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return _with_people(qs).order_by("-occurred_at", "-id")


def contact_timeline(*, membership: Membership, contact: Contact, limit: int = 50) -> list[Interaction]:
    return list(interaction_list(membership=membership, contact_id=contact.pk)[:limit])


def interaction_get_owned(*, membership: Membership, interaction_id: int) -> Interaction:
    """An interaction the member owns (to edit or delete); anyone else's is a 404."""
    interaction = interaction_get(membership=membership, interaction_id=interaction_id)
    if interaction.owner_id != membership.user_id:
        raise Http404("No such interaction")
    return interaction
