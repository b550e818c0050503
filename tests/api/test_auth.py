"""Who may use the API: token holders and signed-in members, never anyone else."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from relintel.accounts.models import ApiToken
from tests.api.conftest import client_with_token, make_token
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


def test_a_valid_token_lists_the_organizations_contacts(world):
    ContactFactory(organization=world.org, full_name="Grace Hopper")
    response = client_with_token(make_token(world.rep)).get(CONTACTS)
    assert response.status_code == 200
    assert [c["full_name"] for c in response.json()["results"]] == ["Grace Hopper"]


def test_a_token_records_when_it_was_last_used(world):
    key = make_token(world.rep)
    client_with_token(key).get(CONTACTS)
    assert ApiToken.objects.get(user=world.rep.user).last_used_at is not None


def test_a_revoked_token_is_refused_with_401(world):
    response = client_with_token(make_token(world.rep, revoked=True)).get(CONTACTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_unknown_token_is_refused_with_401(world):
    assert client_with_token("rli_not-a-real-key").get(CONTACTS).status_code == 401


def test_a_malformed_authorization_header_is_refused_with_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two words")
    assert client.get(CONTACTS).status_code == 401


def test_no_credentials_at_all_is_a_401(world):
    response = APIClient().get(CONTACTS)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_deactivated_users_token_is_refused(world):
    key = make_token(world.rep)
    world.rep.user.is_active = False
    world.rep.user.save()
    assert client_with_token(key).get(CONTACTS).status_code == 401


def test_a_user_without_an_organization_gets_403(world):
    client = Client()
    client.force_login(UserFactory())
    assert client.get(CONTACTS).status_code == 403


def test_a_former_member_gets_403(world):
    key = make_token(world.rep)
    world.rep.is_active = False
    world.rep.save()
    assert client_with_token(key).get(CONTACTS).status_code == 403


def test_a_token_works_in_its_own_organization_only(world):
    """The outsider's token shows the outsider's organization, never ours."""
    ContactFactory(organization=world.org, full_name="Ours")
    ContactFactory(organization=world.other_org, full_name="Theirs")
    names = [c["full_name"] for c in client_with_token(make_token(world.outsider)).get(CONTACTS).json()["results"]]
    assert names == ["Theirs"]


def test_a_signed_in_session_can_read(world, rep_client):
    ContactFactory(organization=world.org)
    response = rep_client.get(CONTACTS)
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_session_write_without_the_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.rep.user)
    response = client.post(CONTACTS, {"full_name": "Ada Lovelace"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_session_write_with_the_csrf_token_succeeds(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.rep.user)
    client.get("/api/docs/")  # any page that sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        CONTACTS, {"full_name": "Ada Lovelace"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


def test_too_many_requests_are_throttled_with_429(world):
    from django.core.cache import cache
    from rest_framework.throttling import UserRateThrottle

    cache.clear()  # request history of an earlier run must not count
    client = client_with_token(make_token(world.rep))
    original = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = {**original, "user": "2/min"}
    try:
        statuses = [client.get(CONTACTS).status_code for _ in range(3)]
    finally:
        UserRateThrottle.THROTTLE_RATES = original
    assert statuses == [200, 200, 429]
