"""Stored secrets are encrypted at rest and survive key rotation (relintel/crypto.py)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from relintel import crypto

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def keys(settings):
    """Set RELINTEL_ENCRYPTION_KEYS for one test (newest first)."""

    def use(*keys: str) -> None:
        settings.RELINTEL_ENCRYPTION_KEYS = list(keys)

    use(OLD_KEY)
    return use


def test_a_secret_round_trips(keys):
    stored = crypto.encrypt("imap-password-ü")

    assert crypto.decrypt(stored) == "imap-password-ü"


def test_the_stored_value_does_not_contain_the_secret(keys):
    stored = crypto.encrypt("hunter2-hunter2")

    assert "hunter2" not in stored
    assert crypto.is_encrypted(stored)


def test_encrypting_twice_gives_different_ciphertexts(keys):
    assert crypto.encrypt("same") != crypto.encrypt("same")


def test_a_passphrase_works_as_a_key(keys):
    keys("correct horse battery staple")

    assert crypto.decrypt(crypto.encrypt("token")) == "token"


def test_after_adding_a_new_key_first_old_values_still_decrypt(keys):
    stored_with_old = crypto.encrypt("refresh-token")

    keys(NEW_KEY, OLD_KEY)

    assert crypto.decrypt(stored_with_old) == "refresh-token"


def test_new_values_are_encrypted_with_the_newest_key(keys):
    keys(NEW_KEY, OLD_KEY)
    stored = crypto.encrypt("fresh")

    keys(NEW_KEY)

    assert crypto.decrypt(stored) == "fresh"


def test_rotate_re_encrypts_an_old_value_to_the_newest_key(keys):
    stored_with_old = crypto.encrypt("refresh-token")
    keys(NEW_KEY, OLD_KEY)

    rotated = crypto.rotate(stored_with_old)
    keys(NEW_KEY)  # the old key is retired after rotation

    assert crypto.decrypt(rotated) == "refresh-token"


def test_rotate_encrypts_a_value_that_was_stored_in_plain_text(keys):
    rotated = crypto.rotate("legacy-plain")

    assert crypto.is_encrypted(rotated)
    assert crypto.decrypt(rotated) == "legacy-plain"


def test_a_value_whose_key_was_removed_gives_a_decryption_error(keys):
    stored_with_old = crypto.encrypt("refresh-token")

    keys(NEW_KEY)

    with pytest.raises(crypto.DecryptionError, match="no configured key"):
        crypto.decrypt(stored_with_old)
    with pytest.raises(crypto.DecryptionError):
        crypto.rotate(stored_with_old)


def test_a_tampered_value_gives_a_decryption_error(keys):
    stored = crypto.encrypt("secret")
    tampered = stored[:-6] + ("AAAAAA" if not stored.endswith("AAAAAA") else "BBBBBB")

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


def test_a_plain_value_is_not_mistaken_for_an_encrypted_one(keys):
    with pytest.raises(crypto.DecryptionError, match="not an encrypted secret"):
        crypto.decrypt("plain text")


def test_no_keys_at_all_is_a_configuration_error(keys):
    from django.core.exceptions import ImproperlyConfigured

    keys()

    with pytest.raises(ImproperlyConfigured, match="RELINTEL_ENCRYPTION_KEYS"):
        crypto.encrypt("x")
