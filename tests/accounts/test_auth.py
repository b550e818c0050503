"""Login, logout, password reset, failed-login throttling, TOTP two-factor, hashing."""

from __future__ import annotations

import importlib
import re
import time
import uuid

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from relintel import crypto
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps failed-login counters and used TOTP codes in the cache."""
    cache.clear()
    yield
    cache.clear()


def _login(client: Client, email: str, password: str = TEST_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _signed_in(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


# --- login and logout ----------------------------------------------------------------------


def test_login_page_has_labelled_inputs_and_a_forgot_password_link(db, client):
    body = client.get(reverse("account_login")).content.decode()
    assert re.search(r'<label for="id_login">Email', body)
    assert '<label for="id_password">Password' in body
    assert 'id="id_login"' in body and 'type="email"' in body
    assert 'type="password"' in body
    assert f'href="{reverse("account_reset_password")}">Forgot password?' in body
    assert 'href="/static/css/app.css"' in body  # our layout, not allauth's bare one


def test_a_rep_logs_in_by_email_in_any_case(world, client):
    response = _login(client, "RITA@Acme.Example")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in(client)


def test_a_wrong_password_gets_a_clear_error(world, client):
    response = _login(client, "rita@acme.example", "wrong password")
    assert response.status_code == 200
    body = response.content.decode()
    assert "The email address and/or password you specified are not correct." in body
    assert 'role="alert"' in body
    assert not _signed_in(client)


def test_logout_ends_the_session(world, client):
    _login(client, "rita@acme.example")
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not _signed_in(client)


def test_logout_page_uses_our_layout(world, client):
    _login(client, "rita@acme.example")
    body = client.get(reverse("account_logout")).content.decode()
    assert 'class="btn btn-primary"' in body
    assert 'aria-label="Main"' in body


def test_a_deactivated_member_signs_in_to_the_no_membership_page(world, client):
    world.rep.is_active = False
    world.rep.save()
    _login(client, "rita@acme.example")
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 403
    assert "not an active member" in response.content.decode()


def test_signup_is_closed(db, client):
    response = client.get(reverse("account_signup"))
    assert "invitation" in response.content.decode().lower()
    client.post(reverse("account_signup"), {"email": "x@y.example", "password1": "abc", "password2": "abc"})
    from relintel.accounts.models import User

    assert not User.objects.filter(email="x@y.example").exists()


# --- throttling ---------------------------------------------------------------------------------


def test_failed_logins_are_throttled_with_a_cool_off(db, client, settings):
    email = f"throttle-{uuid.uuid4().hex[:8]}@acme.example"
    MembershipFactory(user=UserFactory(email=email))
    for _ in range(5):
        assert _login(client, email, "wrong password").status_code == 200
    response = _login(client, email)  # the right password, during the cool-off
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not _signed_in(client)
    # After the cool-off (the counters expire), the right password works again.
    cache.clear()
    assert _login(client, email).status_code == 302
    assert _signed_in(client)


def test_throttling_one_address_does_not_lock_out_another(db, client):
    victim = f"victim-{uuid.uuid4().hex[:8]}@acme.example"
    other = f"other-{uuid.uuid4().hex[:8]}@acme.example"
    for address in (victim, other):
        MembershipFactory(user=UserFactory(email=address))
    for _ in range(5):
        _login(client, victim, "wrong password")
    assert _login(Client(), other).status_code == 302


# --- password reset and change -------------------------------------------------------------------


def test_password_reset_sends_an_email_whose_link_sets_a_new_password(world, client):
    response = client.post(reverse("account_reset_password"), {"email": "Rita@acme.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link is not None
    page = client.get(link.group(1), follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link.group(1)
    new_password = "a brand new long passphrase"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    world.rep.user.refresh_from_db()
    assert world.rep.user.check_password(new_password)
    assert _login(Client(), "rita@acme.example", new_password).status_code == 302


def test_password_reset_page_uses_our_layout(db, client):
    body = client.get(reverse("account_reset_password")).content.decode()
    assert '<label for="id_email">' in body
    assert 'class="btn btn-primary"' in body


def test_a_used_reset_link_says_so(world, client):
    client.post(reverse("account_reset_password"), {"email": "rita@acme.example"})
    path = re.search(r"https?://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)
    page = client.get(path, follow=True)
    form_url = page.redirect_chain[-1][0]
    client.post(form_url, {"password1": "a brand new long passphrase", "password2": "a brand new long passphrase"})
    again = Client().get(path, follow=True)
    assert "invalid" in again.content.decode()


def test_password_change_page_renders_in_our_layout(world, client):
    _login(client, "rita@acme.example")
    body = client.get(reverse("account_change_password")).content.decode()
    assert '<label for="id_oldpassword">' in body
    assert 'aria-label="Main"' in body


# --- two-factor authentication ----------------------------------------------------------------------


def _activate_totp(client: Client) -> str:
    # Security-sensitive changes ask for the password again, even right after login.
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("account_reauthenticate"))
    reauth = client.get(page["Location"]).content.decode()
    assert '<label for="id_password">' in reauth
    client.post(page["Location"], {"password": TEST_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert "QR code" in page.content.decode()
    response = client.post(reverse("mfa_activate_totp"), {"code": _totp_code(secret)})
    assert response.status_code == 302
    return secret


def test_a_user_activates_totp_and_then_login_needs_the_code(world):
    client = Client()
    assert _login(client, "rita@acme.example").status_code == 302
    secret = _activate_totp(client)
    assert Authenticator.objects.filter(user=world.rep.user, type=Authenticator.Type.TOTP).exists()
    client.post(reverse("account_logout"))
    cache.clear()  # forget that the activation code was used

    client = Client()
    response = _login(client, "rita@acme.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert not _signed_in(client)
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert "Two-Factor Authentication" in page
    assert "<label" in page

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if _totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert not _signed_in(client)
    response = client.post(reverse("mfa_authenticate"), {"code": _totp_code(secret)})
    assert response.status_code == 302
    assert _signed_in(client)


def test_the_stored_totp_secret_is_encrypted(world):
    client = Client()
    _login(client, "rita@acme.example")
    secret = _activate_totp(client)
    stored = Authenticator.objects.get(user=world.rep.user, type=Authenticator.Type.TOTP).data
    assert secret not in str(stored)
    assert crypto.is_encrypted(stored["secret"])
    assert crypto.decrypt(stored["secret"]) == secret
    codes = Authenticator.objects.get(user=world.rep.user, type=Authenticator.Type.RECOVERY_CODES).data
    assert crypto.is_encrypted(codes["seed"])


def test_the_two_factor_pages_use_our_layout(world):
    client = Client()
    _login(client, "rita@acme.example")
    body = client.get(reverse("mfa_index")).content.decode()
    assert "Authenticator App" in body
    assert 'class="card"' in body
    assert 'aria-label="Main"' in body
    _activate_totp(client)
    codes = client.get(reverse("mfa_view_recovery_codes"))
    assert codes.status_code == 200
    assert '<label for="recovery_codes">' in codes.content.decode()


# --- hashing ---------------------------------------------------------------------------------------


def test_argon2_is_the_first_password_hasher_in_production_settings():
    production = importlib.import_module("relintel.settings")
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
