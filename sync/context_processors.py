"""The "Salesforce needs re-authorization" banner, shown to every admin on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from relintel.accounts.models import Role
from sync.selectors import salesforce_connection_needs_reauth

_CACHE_ATTR = "_salesforce_needs_reauth"


def salesforce_banner(request: HttpRequest) -> dict[str, Any]:
    """One indexed query per request, for admins only (reps and managers cannot act on it)."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is None:
        membership = getattr(request, "membership", None)
        # SimpleLazyObject wrapping None is truthy: read a real attribute.
        role = getattr(membership, "role", None) if membership is not None else None
        organization_id = getattr(membership, "organization_id", None) if role == Role.ADMIN else None
        cached = isinstance(organization_id, int) and salesforce_connection_needs_reauth(
            organization_id=organization_id
        )
        setattr(request, _CACHE_ATTR, cached)
    return {"salesforce_needs_reauth": cached}
