"""Encryption at rest for stored secrets (TOTP seeds, passwords, OAuth tokens).

Keys come from ``RELINTEL_ENCRYPTION_KEYS``, newest first: the newest key
encrypts, every listed key decrypts, so an operator rotates by putting a new key
in front and re-encrypting (``rotate`` below) before dropping the old one.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_PREFIX = "enc1:"


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


def _fernet_for(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError):
        # Accept any passphrase too: derive a Fernet key from it.
        digest = hashlib.sha256(key.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))


def _cipher() -> MultiFernet:
    keys = list(settings.RELINTEL_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("RELINTEL_ENCRYPTION_KEYS must list at least one key")
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt(plaintext: str) -> str:
    return _PREFIX + _cipher().encrypt(plaintext.encode()).decode()


def is_encrypted(value: str) -> bool:
    return value.startswith(_PREFIX)


def decrypt(ciphertext: str) -> str:
    if not is_encrypted(ciphertext):
        raise DecryptionError("value is not an encrypted secret")
    try:
        return _cipher().decrypt(ciphertext[len(_PREFIX) :].encode()).decode()
    except InvalidToken:
        raise DecryptionError("no configured key decrypts this secret (was a key removed too early?)") from None


def rotate(ciphertext: str) -> str:
    """Re-encrypt with the newest key."""
    if not is_encrypted(ciphertext):
        return encrypt(ciphertext)
    try:
        return _PREFIX + _cipher().rotate(ciphertext[len(_PREFIX) :].encode()).decode()
    except InvalidToken:
        raise DecryptionError("no configured key decrypts this secret") from None


def is_current(ciphertext: str) -> bool:
    """Whether the newest key encrypted this value (``rotate`` would change nothing of substance)."""
    if not is_encrypted(ciphertext):
        return False
    keys = list(settings.RELINTEL_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("RELINTEL_ENCRYPTION_KEYS must list at least one key")
    try:
        _fernet_for(keys[0]).decrypt(ciphertext[len(_PREFIX) :].encode())
    except InvalidToken:
        return False
    return True
