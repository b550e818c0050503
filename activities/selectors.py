"""Reads for interactions, always through the visibility rules.

A member sees an interaction when it is theirs, when it is shared with the
organization, when it is shared with the team it was recorded in and that is
their team, or when they took part in a shared one. Private ones are seen by
their owner only: not by participants, managers or admins.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from activities.models import CaptureSighting, Interaction, Participant, Visibility
from activities.relationship_selectors import (
    WHO_KNOWS_LIMIT,
    TeammateStrength,
    contact_relationship_rows,
    who_knows_company,
)
from contacts.models import OPEN_HELP_STATUSES, Company, Contact, ContactEmail, HelpOffer, Relationship
from contacts.selectors import (
    Ledger,
    PossibleDuplicate,
    company_get,
    contact_get,
    contact_ledger,
    contact_possible_duplicates,
    contacts_for,
    help_offers_for,
)
from relintel.accounts.models import Membership


def visibility_filter(*, membership: Membership) -> Q:
    took_part = Exists(Participant.objects.filter(interaction_id=OuterRef("pk"), user_id=membership.user_id))
    # Captured from your own mailbox or calendar too: it is yours as much as its owner's,
    # whatever the owner's privacy (one email in two mailboxes is one interaction).
    captured_by_you = Exists(CaptureSighting.objects.filter(interaction_id=OuterRef("pk"), user_id=membership.user_id))
    # Taking part shares a team or organization interaction with you; a private one
    # stays its owner's alone, even from the people who were copied on it.
    rule = (
        Q(visibility=Visibility.ORGANIZATION)
        | Q(owner_id=membership.user_id)
        | Q(captured_by_you)
        | (Q(took_part) & ~Q(visibility=Visibility.PRIVATE))
    )
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


# --- pages: the contact page, the company page and the logging form -------------------------


def interaction_get_owned(*, membership: Membership, interaction_id: int) -> Interaction:
    """An interaction the member owns, to edit or delete; anyone else's is a 404."""
    qs = Interaction.objects.filter(organization_id=membership.organization_id, owner_id=membership.user_id)
    try:
        return _with_people(qs).get(pk=interaction_id)
    except (Interaction.DoesNotExist, ValueError, TypeError):
        raise Http404("No such interaction") from None


def interaction_help_offers(*, membership: Membership, interaction: Interaction) -> list[HelpOffer]:
    """The help offers an interaction carried (the member sees the interaction, so its offers)."""
    return list(help_offers_for(membership=membership).filter(interactions=interaction).order_by("-created_at")[:20])


def log_colleague_choices(*, membership: Membership, contact: Contact, limit: int = 50) -> QuerySet[Contact]:
    """Who else may have been there: up to ``limit`` of the contact's colleagues at the same company.

    Unsliced on the outside (a form field filters it to validate), bounded on the inside.
    """
    if contact.company_id is None:
        return Contact.objects.none()
    colleagues = (
        contacts_for(membership=membership)
        .filter(company_id=contact.company_id)
        .exclude(pk=contact.pk)
        .order_by(F("last_interaction_at").desc(nulls_last=True), "id")
        .values("pk")[:limit]
    )
    return contacts_for(membership=membership).filter(pk__in=colleagues).order_by("last_name", "first_name", "id")


def contacts_by_emails(*, membership: Membership, emails: list[str]) -> dict[str, Contact]:
    """The organization's contacts known by these (normalized) addresses, keyed by address."""
    found = ContactEmail.objects.filter(
        organization_id=membership.organization_id, email__in=emails[:50], contact__merged_into__isnull=True
    ).select_related("contact")
    return {e.email: e.contact for e in found}


def log_help_offer_choices(*, membership: Membership, contact: Contact) -> QuerySet[HelpOffer]:
    """The member's open offers to this contact, which a logged interaction may have carried."""
    return (
        help_offers_for(membership=membership)
        .filter(user_id=membership.user_id, contact=contact, status__in=OPEN_HELP_STATUSES)
        .order_by(F("due_date").asc(nulls_last=True), "-created_at")
    )


@dataclass(frozen=True)
class ContactOverview:
    """Everything the contact page shows, each part bounded."""

    contact: Contact
    timeline: list[Interaction]
    ledger: Ledger
    relationships: list[Relationship]
    possible_duplicates: list[PossibleDuplicate]


def contact_overview(*, membership: Membership, contact_id: int, timeline_limit: int = 50) -> ContactOverview:
    contact = contact_get(membership=membership, contact_id=contact_id)
    return ContactOverview(
        contact=contact,
        timeline=contact_timeline(membership=membership, contact=contact, limit=timeline_limit),
        ledger=contact_ledger(membership=membership, contact=contact),
        relationships=list(contact_relationship_rows(membership=membership, contact=contact)[:WHO_KNOWS_LIMIT]),
        possible_duplicates=contact_possible_duplicates(membership=membership, contact=contact),
    )


@dataclass(frozen=True)
class CompanyOverview:
    company: Company
    contacts: list[Contact]
    contact_count: int
    interactions: list[Interaction]
    teammates: list[TeammateStrength]


def company_overview(
    *, membership: Membership, company_id: int, contact_limit: int = 50, interaction_limit: int = 20
) -> CompanyOverview:
    company = company_get(membership=membership, company_id=company_id)
    people = contacts_for(membership=membership).filter(company=company)
    contacts = list(
        people.select_related("owner")
        .prefetch_related("emails")
        .order_by(F("last_interaction_at").desc(nulls_last=True), "last_name", "id")[:contact_limit]
    )
    contact_count = len(contacts) if len(contacts) < contact_limit else people.count()
    return CompanyOverview(
        company=company,
        contacts=contacts,
        contact_count=contact_count,
        interactions=list(interaction_list(membership=membership, company_id=company.pk)[:interaction_limit]),
        teammates=who_knows_company(membership=membership, company=company),
    )
