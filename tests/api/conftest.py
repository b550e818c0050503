"""API clients for the personas: each authenticates with its own personal API token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from relintel.accounts.models import ApiToken, Membership
from relintel.accounts.tokens import hash_token, new_api_key


def make_token(membership: Membership, *, revoked: bool = False) -> str:
    key = new_api_key()
    ApiToken.objects.create(
        user=membership.user,
        organization=membership.organization,
        name="tests",
        prefix=key[:8],
        key_hash=hash_token(key),
        revoked_at=timezone.now() if revoked else None,
    )
    return key


def client_with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.default_format = "json"  # every test request is JSON
    return client


@pytest.fixture
def api(world) -> Callable[[Membership], APIClient]:
    """``api(world.rep)``: a client authenticated with a fresh token of that member."""

    def build(membership: Membership) -> APIClient:
        return client_with_token(make_token(membership))

    return build
