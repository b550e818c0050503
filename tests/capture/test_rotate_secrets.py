"""manage.py rotate_secrets: every stored secret moves to the newest key, and the old key can then go."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import CommandError, call_command
from django.test import override_settings

from activities.models import CaptureAccount, CaptureKind
from relintel import crypto

OLD = "old-key-passphrase"
NEW = "new-key-passphrase"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def _run(*args: str) -> str:
    out = StringIO()
    call_command("rotate_secrets", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def stored(world):
    """Two sources with passwords, one without, and a rep's TOTP and recovery codes, all under the old key."""
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[OLD]):
        accounts = [
            CaptureAccount.objects.create(
                organization=world.org,
                user=member.user,
                kind=CaptureKind.IMAP,
                name="Work",
                host="imap.acme.example",
                username=member.user.email,
                secret=crypto.encrypt(f"password of {member.user.email}"),
            )
            for member in (world.rep, world.teammate)
        ]
        CaptureAccount.objects.create(
            organization=world.org,
            user=world.rep.user,
            kind=CaptureKind.ICS,
            name="Feed",
            url="https://x.example/f.ics",
        )
        TOTP.activate(world.rep.user, TOTP_SECRET)
        codes = RecoveryCodes.activate(world.rep.user).get_unused_codes()
    return {"accounts": accounts, "codes": codes, "user": world.rep.user}


def _all_values() -> list[str]:
    values = [a.secret for a in CaptureAccount.objects.exclude(secret="")]
    for authenticator in Authenticator.objects.all():
        values.append(authenticator.data.get("secret") or authenticator.data.get("seed"))
    return values


def test_after_rotation_everything_decrypts_with_the_new_key_alone(stored):
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW, OLD]):
        output = _run()
    assert "Capture source passwords and tokens: 2 stored, 2 re-encrypted, 0 already on the newest key" in output
    assert "Two-factor secrets (TOTP and recovery codes): 2 stored, 2 re-encrypted" in output

    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW]):
        passwords = sorted(crypto.decrypt(a.secret) for a in CaptureAccount.objects.exclude(secret=""))
        assert passwords == ["password of rita@acme.example", "password of tom@acme.example"]
        totp = Authenticator.objects.get(user=stored["user"], type=Authenticator.Type.TOTP)
        assert crypto.decrypt(totp.data["secret"]) == TOTP_SECRET
        recovery = Authenticator.objects.get(user=stored["user"], type=Authenticator.Type.RECOVERY_CODES)
        # The seed is unchanged, so the rep's printed recovery codes still work.
        assert RecoveryCodes(recovery).get_unused_codes() == stored["codes"]
    assert CaptureAccount.objects.get(kind=CaptureKind.ICS).secret == ""


def test_without_rotation_the_new_key_alone_cannot_read_the_old_secrets(stored):
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW]), pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored["accounts"][0].secret)


def test_a_second_run_changes_nothing(stored):
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW, OLD]):
        _run()
        before = _all_values()
        output = _run()
    assert _all_values() == before
    assert "2 stored, 0 re-encrypted, 2 already on the newest key" in output


def test_check_counts_what_is_not_on_the_newest_key_and_writes_nothing(stored):
    before = _all_values()
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW, OLD]):
        output = _run("--check")
        assert "Capture source passwords and tokens: 2 stored, 2 not yet on the newest key" in output
        assert "4 to rotate." in output
        assert _all_values() == before
        _run()
        assert "All secrets are on the newest key." in _run("--check")


def test_small_batches_rotate_every_row(stored):
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW, OLD]):
        _run("--batch-size", "1")
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW]):
        for value in _all_values():
            crypto.decrypt(value)


def test_a_secret_no_key_decrypts_is_reported_and_the_others_still_rotate(stored):
    with override_settings(RELINTEL_ENCRYPTION_KEYS=["a-lost-key"]):
        lost = crypto.encrypt("unrecoverable")
    CaptureAccount.objects.filter(pk=stored["accounts"][0].pk).update(secret=lost)
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW, OLD]):
        with pytest.raises(CommandError, match="could not be decrypted"):
            _run()
        assert crypto.decrypt(CaptureAccount.objects.get(pk=stored["accounts"][1].pk).secret) == (
            "password of tom@acme.example"
        )
    assert CaptureAccount.objects.get(pk=stored["accounts"][0].pk).secret == lost


def test_a_secret_stored_in_clear_gets_encrypted(stored):
    CaptureAccount.objects.filter(pk=stored["accounts"][0].pk).update(secret="plain-password")
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW, OLD]):
        _run()
        assert crypto.decrypt(CaptureAccount.objects.get(pk=stored["accounts"][0].pk).secret) == "plain-password"


def test_is_current_tells_the_newest_key_from_older_ones():
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[OLD]):
        old = crypto.encrypt("x")
    with override_settings(RELINTEL_ENCRYPTION_KEYS=[NEW, OLD]):
        assert not crypto.is_current(old)
        assert crypto.is_current(crypto.rotate(old))
        assert not crypto.is_current("not encrypted")
