"""Reads for merges: history, one merge, and where a merged contact went."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from contacts.models import Contact, ContactMerge
from relintel.accounts.models import Membership

# A merged contact merged again: follow at most this many hops to today's survivor.
MAX_HOPS = 10


def merges_for(*, membership: Membership) -> QuerySet[ContactMerge]:
    return ContactMerge.objects.filter(organization_id=membership.organization_id).select_related(
        "survivor", "merged", "performed_by", "undone_by"
    )


def merge_history(*, membership: Membership, limit: int = 50) -> list[ContactMerge]:
    return list(merges_for(membership=membership).order_by("-created_at", "-id")[:limit])


def merge_get(*, membership: Membership, merge_id: int) -> ContactMerge:
    try:
        return merges_for(membership=membership).get(pk=merge_id)
    except (ContactMerge.DoesNotExist, ValueError, TypeError):
        raise Http404("No such merge") from None


def merged_contact_survivor_id(*, membership: Membership, contact_id: int) -> int | None:
    """The contact a merged contact now lives on (following later merges), or None."""
    current = contact_id
    seen: list[int] = []
    for _ in range(MAX_HOPS):
        found = list(
            Contact.objects.filter(organization_id=membership.organization_id, pk=current).values_list(
                "merged_into_id", flat=True
            )
        )
        if not found:
            return None
        if found[0] is None:
            return current if seen else None
        seen.append(current)
        current = found[0]
    return None
