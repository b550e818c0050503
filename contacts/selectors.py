"""Reads for contacts, companies, help offers. Every one is scoped to the member's organization.

A foreign or unknown id is a 404 (``Http404``), never a 403 that would confirm it exists.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from contacts.models import (
    OPEN_HELP_STATUSES,
    Company,
    Contact,
    ContactEmail,
    DuplicateCandidate,
    DuplicateStatus,
    HelpDirection,
    HelpOffer,
    HelpStatus,
    Relationship,
)
from relintel.accounts.models import Membership

CONTACT_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    "recent": (F("last_interaction_at").desc(nulls_last=True), "-id"),  # type: ignore[dict-item]
    "created": ("-created_at", "-id"),
    "company": (F("company__name").asc(nulls_last=True), "last_name", "id"),  # type: ignore[dict-item]
}


@dataclass(frozen=True)
class ContactFilters:
    q: str = ""
    company_id: int | None = None
    owner_id: int | None = None
    mine: bool = False
    has_open_help: bool = False
    sort: str = "name"


def contacts_for(*, membership: Membership) -> QuerySet[Contact]:
    return Contact.objects.filter(organization_id=membership.organization_id, merged_into__isnull=True)


def search_uses_trigrams(q: str) -> bool:
    """Whether every word of a search can use the trigram index (three characters or more)."""
    words = q.strip().split()[:6]
    return bool(words) and all(len(word) >= 3 for word in words)


def contact_list(*, membership: Membership, filters: ContactFilters, few_matches: bool = False) -> QuerySet[Contact]:
    """The member's view of the contacts, filtered and sorted.

    ``few_matches``: the caller knows the search matches few contacts (a count told it). PostgreSQL would otherwise walk the index in sort order and test every
    contact until it has a page — 80,000 rows for a surname late in the alphabet — where
    finding the matches through the trigram index and sorting them takes milliseconds.
    """
    qs = contacts_for(membership=membership).select_related("company", "owner")
    q = filters.q.strip().lower()
    if q:
        # Every word must match somewhere in the name, an email or the company name.
        for word in q.split()[:6]:
            qs = qs.filter(search_text__contains=word)
    if filters.company_id is not None:
        qs = qs.filter(company_id=filters.company_id)
    if filters.mine:
        qs = qs.filter(owner_id=membership.user_id)
    elif filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.has_open_help:
        qs = qs.filter(
            Exists(
                HelpOffer.objects.filter(
                    contact_id=OuterRef("pk"), status__in=OPEN_HELP_STATUSES, direction=HelpDirection.GIVEN
                )
            )
        )
    order: tuple[Any, ...] = CONTACT_SORTS.get(filters.sort, CONTACT_SORTS["name"])
    if few_matches:
        # An expression first in ORDER BY (always 0, so the order is the same) that no
        # index provides: the planner sorts the matches instead of walking a sorted index.
        order = (ExpressionWrapper(F("id") * 0, output_field=IntegerField()), *order)
    # Into a plain list (``email_list``): a prefetch into the related manager builds one
    # queryset per contact, which costs more than the query itself on a page of 50.
    return qs.order_by(*order).prefetch_related(
        Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "id"), to_attr="email_list")
    )


def contact_get(*, membership: Membership, contact_id: int) -> Contact:
    try:
        return (
            contacts_for(membership=membership)
            .select_related("company", "owner")
            .prefetch_related("emails", "phones")
            .get(pk=contact_id)
        )
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact") from None


def contact_by_email(*, membership: Membership, email: str) -> Contact | None:
    return contacts_for(membership=membership).filter(emails__email=email.strip().lower()).first()


def companies_for(*, membership: Membership) -> QuerySet[Company]:
    return Company.objects.filter(organization_id=membership.organization_id)


def company_list(*, membership: Membership, q: str = "") -> QuerySet[Company]:
    qs = companies_for(membership=membership).annotate(
        contact_count=Count("contacts", filter=Q(contacts__merged_into__isnull=True))
    )
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(domains__domain__icontains=q.strip().lower())).distinct()
    return qs.order_by("name", "id").prefetch_related("domains")


def company_get(*, membership: Membership, company_id: int) -> Company:
    try:
        return companies_for(membership=membership).prefetch_related("domains").get(pk=company_id)
    except (Company.DoesNotExist, ValueError, TypeError):
        raise Http404("No such company") from None


def help_offers_for(*, membership: Membership) -> QuerySet[HelpOffer]:
    return HelpOffer.objects.filter(organization_id=membership.organization_id).select_related(
        "contact", "intro_contact", "user"
    )


def help_offer_get(*, membership: Membership, offer_id: int) -> HelpOffer:
    try:
        return help_offers_for(membership=membership).get(pk=offer_id)
    except (HelpOffer.DoesNotExist, ValueError, TypeError):
        raise Http404("No such help offer") from None


def my_help_offers(*, membership: Membership, include_closed: bool = False) -> list[HelpOffer]:
    """The member's help offers: overdue first, then due soonest, then undated, then closed."""
    qs = help_offers_for(membership=membership).filter(user_id=membership.user_id, direction=HelpDirection.GIVEN)
    if not include_closed:
        qs = qs.filter(status__in=OPEN_HELP_STATUSES)
    open_first = qs.order_by(F("due_date").asc(nulls_last=True), "-created_at")
    offers = list(open_first[:500])
    offers.sort(key=lambda o: (not o.is_open, o.due_date is None))
    return offers


def help_offer_is_overdue(offer: HelpOffer, *, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return offer.is_open and offer.due_date is not None and offer.due_date < today


@dataclass(frozen=True)
class Ledger:
    """The give-first reciprocity ledger of one contact with the organization."""

    given: list[HelpOffer]
    received: list[HelpOffer]

    @property
    def given_delivered(self) -> int:
        return sum(1 for o in self.given if o.status == HelpStatus.DELIVERED)

    @property
    def received_delivered(self) -> int:
        return sum(1 for o in self.received if o.status == HelpStatus.DELIVERED)

    @property
    def balance(self) -> int:
        """Positive when we have given more than we received."""
        return self.given_delivered - self.received_delivered


def contact_ledger(*, membership: Membership, contact: Contact) -> Ledger:
    offers = list(help_offers_for(membership=membership).filter(contact=contact).order_by("-created_at")[:200])
    return Ledger(
        given=[o for o in offers if o.direction == HelpDirection.GIVEN],
        received=[o for o in offers if o.direction == HelpDirection.RECEIVED],
    )


def contact_relationships(*, membership: Membership, contact: Contact) -> QuerySet[Relationship]:
    """Which teammates have interacted with this person, strongest first."""
    return (
        Relationship.objects.filter(
            organization_id=membership.organization_id, contact=contact, interaction_count__gt=0
        )
        .select_related("user")
        .order_by("-strength", "-last_interaction_at")
    )


# --- read helpers for the REST API ------------------------------------------------


def company_detail(*, membership: Membership, company_id: int) -> Company:
    """One company with its ``contact_count``, as the list shows it."""
    try:
        return company_list(membership=membership).get(pk=company_id)
    except (Company.DoesNotExist, ValueError, TypeError):
        raise Http404("No such company") from None


@dataclass(frozen=True)
class HelpOfferFilters:
    contact_id: int | None = None
    status: str = ""
    direction: str = ""
    mine: bool = False
    open_only: bool = False


def help_offer_list(*, membership: Membership, filters: HelpOfferFilters) -> QuerySet[HelpOffer]:
    qs = help_offers_for(membership=membership)
    if filters.contact_id is not None:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.direction:
        qs = qs.filter(direction=filters.direction)
    if filters.mine:
        qs = qs.filter(user_id=membership.user_id)
    if filters.open_only:
        qs = qs.filter(status__in=OPEN_HELP_STATUSES)
    return qs.order_by(F("due_date").asc(nulls_last=True), "-created_at", "-id")


def help_offer_get_own(*, membership: Membership, offer_id: int) -> HelpOffer:
    """A help offer the member recorded; anyone else's is a 404, like a foreign one."""
    offer = help_offer_get(membership=membership, offer_id=offer_id)
    if offer.user_id != membership.user_id:
        raise Http404("No such help offer")
    return offer


# --- choices for forms and filters (small, bounded reads) ---------------------


def company_choices(*, membership: Membership, limit: int = 500) -> list[tuple[int, str]]:
    """``(id, name)`` of the organization's companies by name, at most ``limit + 1``.

    One more than ``limit`` tells the caller the list was cut (a select of thousands
    of companies helps nobody; search does).
    """
    return list(companies_for(membership=membership).order_by("name", "id").values_list("id", "name")[: limit + 1])


def contact_choices(
    *, membership: Membership, q: str = "", limit: int = 50, exclude_id: int | None = None
) -> list[Contact]:
    """A short list of contacts to pick from (e.g. whom to introduce): matches for ``q``, most recently active first."""
    qs = contacts_for(membership=membership).select_related("company").only("id", "full_name", "company__name")
    for word in q.strip().lower().split()[:6]:
        qs = qs.filter(search_text__contains=word)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.order_by(F("last_interaction_at").desc(nulls_last=True), "-id")[:limit])


def my_closed_help_offers(*, membership: Membership, limit: int = 50) -> list[HelpOffer]:
    """The member's given help offers that are over (delivered, declined, withdrawn), latest first."""
    return list(
        help_offers_for(membership=membership)
        .filter(user_id=membership.user_id, direction=HelpDirection.GIVEN)
        .exclude(status__in=OPEN_HELP_STATUSES)
        .order_by("-updated_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class PossibleDuplicate:
    candidate_id: int
    other: Contact
    reason: str


def contact_possible_duplicates(*, membership: Membership, contact: Contact) -> list[PossibleDuplicate]:
    """Open duplicate candidates involving ``contact``, each with the other contact."""
    candidates = (
        DuplicateCandidate.objects.filter(organization_id=membership.organization_id, status=DuplicateStatus.OPEN)
        .filter(Q(contact=contact) | Q(other=contact))
        .select_related("contact__company", "other__company")
        .order_by("id")[:10]
    )
    return [
        PossibleDuplicate(
            candidate_id=c.pk, other=c.other if c.contact_id == contact.pk else c.contact, reason=c.reason
        )
        for c in candidates
    ]


def duplicate_candidate_get(*, membership: Membership, candidate_id: int) -> DuplicateCandidate:
    try:
        return DuplicateCandidate.objects.get(organization_id=membership.organization_id, pk=candidate_id)
    except (DuplicateCandidate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such duplicate candidate") from None
