"""What the classifier needs to know about a rep and their organization."""

from __future__ import annotations

import datetime

from django.db.models import Q

from activities.capture.items import CaptureContext
from activities.models import CaptureAccount, CaptureKind, CapturePolicy, Exclusion, ExclusionKind
from relintel.accounts.models import Organization, User


def capture_policy_for(*, organization: Organization) -> CapturePolicy:
    """The organization's capture policy, created with the defaults the first time it is needed."""
    policy, _ = CapturePolicy.objects.get_or_create(organization=organization)
    return policy


def own_addresses_for(*, organization: Organization, user: User) -> frozenset[str]:
    """The rep's addresses: their login email and the usernames of their mailboxes that are addresses."""
    usernames = CaptureAccount.objects.filter(
        organization=organization, user=user, kind=CaptureKind.IMAP, username__contains="@"
    ).values_list("username", flat=True)
    return frozenset({user.email.strip().lower()} | {u.strip().lower() for u in usernames})


def capture_context_for(
    *,
    organization: Organization,
    user: User,
    window_start: datetime.datetime | None = None,
    window_end: datetime.datetime | None = None,
    policy: CapturePolicy | None = None,
) -> CaptureContext:
    """Build the rep's ``CaptureContext``: own addresses, internal domains, exclusions, limits.

    Exclusions are the organization's and the rep's own; the recipient limit is the
    policy's (the policy row is created with its defaults if missing).
    """
    policy = policy or capture_policy_for(organization=organization)
    excluded_addresses: set[str] = set()
    excluded_domains: set[str] = set()
    exclusions = Exclusion.objects.filter(organization=organization).filter(Q(user__isnull=True) | Q(user=user))
    for kind, value in exclusions.values_list("kind", "value"):
        (excluded_addresses if kind == ExclusionKind.EMAIL else excluded_domains).add(value.lower())
    return CaptureContext(
        own_addresses=own_addresses_for(organization=organization, user=user),
        internal_domains=frozenset(d.strip().lower() for d in organization.internal_domains or () if d.strip()),
        excluded_addresses=frozenset(excluded_addresses),
        excluded_domains=frozenset(excluded_domains),
        max_recipients=policy.max_recipients,
        window_start=window_start,
        window_end=window_end,
    )
