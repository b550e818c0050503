"""XOAUTH2: a mailbox connected with an OAuth2 access token instead of a password.

Against a real dovecot whose oauth2 passdb asks a local token-info endpoint who a token
belongs to, as Gmail's and Microsoft's IMAP servers do with their own token services.
"""

from __future__ import annotations

import pytest

from activities.capture.sources.diagnostics import test_connection
from activities.capture.sources.runner import run_account_batch
from activities.models import AuthMethod, CaptureAccount, Interaction
from relintel import crypto
from tests.capture.servers import Dovecot, TokenInfo, oauth_dovecot  # noqa: F401 - fixture
from tests.capture.test_imap import customer_mail

pytestmark = pytest.mark.django_db

TOKEN = "ya29.a0-relintel-test-token"


def oauth_account(server: Dovecot, membership, *, token: str = TOKEN, **fields) -> CaptureAccount:
    values = {
        "organization": membership.organization,
        "user": membership.user,
        "kind": "imap",
        "name": "Work mailbox (OAuth)",
        "host": "127.0.0.1",
        "port": server.port,
        "security": "plain",
        "username": "rita@acme.example",
        "auth_method": AuthMethod.XOAUTH2,
        "secret": crypto.encrypt(token),
        "privacy_level": "subject",
    }
    values.update(fields)
    return CaptureAccount.objects.create(**values)


@pytest.fixture
def server(oauth_dovecot):  # noqa: F811
    dovecot, info = oauth_dovecot
    info.tokens = {TOKEN: "rita@acme.example"}
    return dovecot, info


def test_an_access_token_logs_in_and_lists_the_folders(server, world):
    dovecot, info = server
    asked = info.asked

    report = test_connection(oauth_account(dovecot, world.rep))

    assert report.ok, report.message
    assert "INBOX" in report.message
    assert info.asked > asked  # dovecot really checked the token with the token service


def test_mail_is_captured_through_an_oauth_login(server, world):
    dovecot, _info = server
    folder = f"OAuth{world.rep.pk}"
    client = dovecot.client()
    client.create_folder(folder)
    client.logout()
    dovecot.append(customer_mail(3, prefix="oauth"), folder=folder)
    account = oauth_account(dovecot, world.rep, folders=[folder])

    outcome = run_account_batch(account)

    assert outcome.captured == 3
    assert Interaction.objects.filter(organization=world.org, source="imap").count() == 3


def test_an_expired_or_revoked_token_is_a_refused_login(server, world):
    dovecot, info = server
    info.tokens = {}  # the token service no longer knows the token

    report = test_connection(oauth_account(dovecot, world.rep))

    assert not report.ok
    assert report.stage == "login"
    assert report.message.startswith("The server refused the login:")


def test_a_token_of_another_mailbox_does_not_open_this_one(server, world):
    dovecot, info = server
    info.tokens = {TOKEN: "tom@acme.example"}

    report = test_connection(oauth_account(dovecot, world.rep))

    assert report.stage == "login"


def test_passwords_still_work_beside_oauth(server, world):
    dovecot, _info = server
    account = oauth_account(
        dovecot, world.rep, auth_method=AuthMethod.PASSWORD, token=dovecot.users["rita@acme.example"]
    )

    assert test_connection(account).ok
