"""Random secrets for API tokens and invitations; only their hashes are stored."""

from __future__ import annotations

import hashlib
import secrets

API_TOKEN_PREFIX = "rli_"


def new_api_key() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_invitation_key() -> str:
    return secrets.token_urlsafe(32)


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
