"""Accounts pages: settings, API tokens, and the admins' users, teams and organization."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from relintel.accounts import services
from relintel.accounts.models import ApiToken, Invitation, Role, Team
from relintel.accounts.tokens import hash_token
from tests.conftest import client_for
from tests.factories import MembershipFactory, TeamFactory

NEW_PASSWORD = "a long and unusual passphrase"
ADMIN_PAGES = ["accounts:members", "accounts:invite", "accounts:teams", "accounts:org_settings"]


@pytest.fixture
def invitation(world):
    invitation, key = services.invitation_create(
        organization=world.org,
        invited_by=world.admin.user,
        email="newbie@acme.example",
        full_name="Nina Newbie",
        role=Role.REP,
        team=world.team_b,
        base_url="http://testserver/",
    )
    invitation.key = key
    return invitation


# --- who may open what --------------------------------------------------------------


@pytest.mark.parametrize("page", ADMIN_PAGES)
@pytest.mark.parametrize("persona", ["rep", "manager"])
def test_reps_and_managers_get_403_on_admin_pages(world, page, persona):
    response = client_for(getattr(world, persona)).get(reverse(page))
    assert response.status_code == 403
    assert "admins" in response.content.decode()


def test_reps_and_managers_get_403_on_admin_object_pages(world):
    client = client_for(world.manager)
    assert client.get(reverse("accounts:member_edit", args=[world.rep.pk])).status_code == 403
    assert client.post(reverse("accounts:member_edit", args=[world.rep.pk]), {"role": "admin"}).status_code == 403
    assert client.get(reverse("accounts:team_edit", args=[world.team_a.pk])).status_code == 403
    world.manager.refresh_from_db()
    assert world.manager.role == Role.MANAGER


@pytest.mark.parametrize("page", [*ADMIN_PAGES, "accounts:profile", "accounts:tokens"])
def test_anonymous_visitors_are_sent_to_login(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_user_without_membership_sees_the_no_membership_page(world):
    services.membership_deactivate(membership=world.rep, actor=world.admin)
    response = client_for(world.rep).get(reverse("accounts:profile"))
    assert response.status_code == 403
    assert "not an active member" in response.content.decode()


def test_outsider_admin_gets_404_on_our_member_team_and_invitation(world, invitation, outsider_client):
    for url in (
        reverse("accounts:member_edit", args=[world.rep.pk]),
        reverse("accounts:team_edit", args=[world.team_a.pk]),
    ):
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.post(url, {"action": "delete"}).status_code == 404
    response = outsider_client.post(reverse("accounts:member_edit", args=[world.rep.pk]), {"action": "deactivate"})
    assert response.status_code == 404
    assert outsider_client.post(reverse("accounts:invitation_revoke", args=[invitation.pk])).status_code == 404
    world.rep.refresh_from_db()
    invitation.refresh_from_db()
    assert world.rep.is_active
    assert invitation.revoked_at is None
    assert Team.objects.filter(pk=world.team_a.pk).exists()


def test_outsider_lists_show_none_of_our_rows(world, invitation, outsider_client):
    members = outsider_client.get(reverse("accounts:members")).content.decode()
    assert "Rita Rep" not in members
    assert "newbie@acme.example" not in members
    assert "Otto Outsider" in members
    teams = outsider_client.get(reverse("accounts:teams")).content.decode()
    assert "East" not in teams


def test_outsider_cannot_revoke_our_api_token(world, outsider_client):
    token, _ = services.api_token_create(membership=world.rep, name="Rita's script")
    assert outsider_client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_a_teammate_cannot_revoke_my_api_token(world):
    token, _ = services.api_token_create(membership=world.rep, name="Rita's script")
    assert client_for(world.teammate).post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404


# --- members -------------------------------------------------------------------------------


def test_admin_sees_members_and_open_invitations(world, invitation, admin_client_):
    world.rep.user.last_login = timezone.now() - datetime.timedelta(days=2)
    world.rep.user.save()
    response = admin_client_.get(reverse("accounts:members"))
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("Rita Rep", "Mia Manager", "East", "West", "newbie@acme.example", "Invite user", "2\xa0days ago"):
        assert text in body
    assert "Otto Outsider" not in body


def test_member_page_shows_the_current_role_and_team(world, admin_client_):
    response = admin_client_.get(reverse("accounts:member_edit", args=[world.rep.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' not in body
    assert f'<option value="{world.team_a.pk}" selected>East</option>' in body
    assert '<option value="rep" selected>Rep</option>' in body
    assert "West" in body and "Globex" not in body


def test_admin_changes_role_and_team(world, admin_client_):
    response = admin_client_.post(
        reverse("accounts:member_edit", args=[world.rep.pk]),
        {"action": "update", "role": Role.MANAGER, "team": world.team_b.pk},
    )
    assert response.status_code == 302
    world.rep.refresh_from_db()
    assert (world.rep.role, world.rep.team) == (Role.MANAGER, world.team_b)


def test_admin_cannot_pick_a_team_of_another_organization(world, admin_client_):
    foreign_team = TeamFactory(organization=world.other_org)
    response = admin_client_.post(
        reverse("accounts:member_edit", args=[world.rep.pk]),
        {"action": "update", "role": Role.REP, "team": foreign_team.pk},
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    world.rep.refresh_from_db()
    assert world.rep.team == world.team_a


def test_the_last_admin_cannot_demote_themselves(world, admin_client_):
    response = admin_client_.post(
        reverse("accounts:member_edit", args=[world.admin.pk]), {"action": "update", "role": Role.REP, "team": ""}
    )
    assert response.status_code == 400
    assert "at least one active admin" in response.content.decode()
    world.admin.refresh_from_db()
    assert world.admin.role == Role.ADMIN


def test_an_admin_cannot_deactivate_themselves(world, admin_client_):
    url = reverse("accounts:member_edit", args=[world.admin.pk])
    response = admin_client_.post(url, {"action": "deactivate"}, follow=True)
    assert "cannot deactivate yourself" in response.content.decode()
    world.admin.refresh_from_db()
    assert world.admin.is_active


def test_admin_deactivates_and_reactivates_a_member(world, admin_client_):
    url = reverse("accounts:member_edit", args=[world.rep.pk])
    assert admin_client_.post(url, {"action": "deactivate"}).status_code == 302
    world.rep.refresh_from_db()
    assert not world.rep.is_active
    assert client_for(world.rep).get(reverse("accounts:profile")).status_code == 403
    assert admin_client_.post(url, {"action": "reactivate"}).status_code == 302
    world.rep.refresh_from_db()
    assert world.rep.is_active


# --- invitations ------------------------------------------------------------------------------


def test_admin_invites_a_user_and_the_email_carries_a_working_link(
    world, admin_client_, client, django_capture_on_commit_callbacks
):
    page = admin_client_.get(reverse("accounts:invite")).content.decode()
    assert '<label for="id_email">' in page
    assert "Globex" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            reverse("accounts:invite"),
            {"email": "Newbie@Acme.example", "full_name": "Nina Newbie", "role": Role.MANAGER, "team": world.team_b.pk},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/invite/" in line).strip()
    assert link.startswith("http://testserver/invite/")
    path = link.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    response = client.post(path, {"full_name": "Nina Newbie", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get(reverse("accounts:profile")).status_code == 200  # signed in
    invitation = Invitation.objects.get(email="newbie@acme.example")
    assert invitation.accepted_at is not None
    assert invitation.organization.memberships.get(user__email="newbie@acme.example").role == Role.MANAGER


def test_inviting_an_existing_member_shows_the_error_by_the_email_field(world, admin_client_):
    response = admin_client_.post(reverse("accounts:invite"), {"email": "tom@acme.example", "role": Role.REP})
    assert response.status_code == 400
    body = response.content.decode()
    assert "already a member" in body
    assert 'aria-describedby="id_email_error"' in body
    assert mail.outbox == []


def test_admin_revokes_an_invitation(world, invitation, admin_client_, client):
    response = admin_client_.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    page = client.get(reverse("accounts:invitation_accept", args=[invitation.key]))
    assert page.status_code == 404
    assert "withdrawn" in page.content.decode()


def test_an_expired_invitation_link_shows_a_friendly_404(world, invitation, client):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    response = client.get(reverse("accounts:invitation_accept", args=[invitation.key]))
    assert response.status_code == 404
    assert "expired" in response.content.decode()
    response = client.post(
        reverse("accounts:invitation_accept", args=[invitation.key]),
        {"full_name": "N", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 404


def test_an_unknown_invitation_key_is_404(db, client):
    response = client.get(reverse("accounts:invitation_accept", args=["made-up"]))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_accepting_with_mismatched_passwords_shows_the_error(world, invitation, client):
    response = client.post(
        reverse("accounts:invitation_accept", args=[invitation.key]),
        {"full_name": "Nina", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"},
    )
    assert response.status_code == 400
    assert "The two passwords differ" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- teams and organization ----------------------------------------------------------------


def test_admin_lists_teams_with_member_counts_and_creates_one(world, admin_client_):
    body = admin_client_.get(reverse("accounts:teams")).content.decode()
    assert "East" in body and "West" in body
    response = admin_client_.post(reverse("accounts:teams"), {"name": "North"})
    assert response.status_code == 302
    assert Team.objects.filter(organization=world.org, name="North").exists()
    duplicate = admin_client_.post(reverse("accounts:teams"), {"name": "north"})
    assert duplicate.status_code == 400
    assert "already a team" in duplicate.content.decode()


def test_admin_renames_and_deletes_a_team(world, admin_client_):
    url = reverse("accounts:team_edit", args=[world.team_a.pk])
    assert admin_client_.get(url).status_code == 200
    assert admin_client_.post(url, {"action": "rename", "name": "East Coast"}).status_code == 302
    world.team_a.refresh_from_db()
    assert world.team_a.name == "East Coast"
    assert admin_client_.post(url, {"action": "delete"}).status_code == 302
    assert not Team.objects.filter(pk=world.team_a.pk).exists()
    world.rep.refresh_from_db()
    assert world.rep.team is None


def test_admin_edits_the_organization(world, admin_client_):
    page = admin_client_.get(reverse("accounts:org_settings")).content.decode()
    assert "acme.example" in page
    response = admin_client_.post(
        reverse("accounts:org_settings"), {"name": "Acme Global", "internal_domains": "ACME.example\nacme.co.uk\n"}
    )
    assert response.status_code == 302
    world.org.refresh_from_db()
    assert world.org.name == "Acme Global"
    assert world.org.internal_domains == ["acme.example", "acme.co.uk"]


def test_a_bad_internal_domain_is_shown_by_the_field(world, admin_client_):
    response = admin_client_.post(
        reverse("accounts:org_settings"), {"name": "Acme", "internal_domains": "not a domain"}
    )
    assert response.status_code == 400
    assert "is not a domain name" in response.content.decode()
    world.org.refresh_from_db()
    assert world.org.name == "Acme Sales"


# --- settings and API tokens -------------------------------------------------------------------


def test_profile_page_links_to_password_two_factor_and_tokens(world, rep_client):
    body = rep_client.get(reverse("accounts:profile")).content.decode()
    for url in (reverse("account_change_password"), reverse("mfa_index"), reverse("accounts:tokens")):
        assert f'href="{url}"' in body
    response = rep_client.post(reverse("accounts:profile"), {"full_name": "Rita R. Rep"})
    assert response.status_code == 302
    world.rep.user.refresh_from_db()
    assert world.rep.user.full_name == "Rita R. Rep"


def test_creating_a_token_shows_the_key_once_and_stores_only_its_hash(world, rep_client):
    response = rep_client.post(reverse("accounts:tokens"), {"name": "Zapier"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "will not be shown again" in body
    token = ApiToken.objects.get(user=world.rep.user)
    key = body.split('id="new-key" value="', 1)[1].split('"', 1)[0]
    assert key.startswith(token.prefix)
    assert token.key_hash == hash_token(key)
    assert "no-store" in response["Cache-Control"]
    again = rep_client.get(reverse("accounts:tokens")).content.decode()
    assert key not in again
    assert token.prefix in again
    api = rep_client.get("/api/v1/contacts/", headers={"authorization": f"Bearer {key}"})
    assert api.status_code == 200


def test_revoking_a_token_stops_it_working(world):
    token, key = services.api_token_create(membership=world.rep, name="Script")
    client = client_for(world.rep)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    from django.test import Client

    assert Client().get("/api/v1/contacts/", headers={"authorization": f"Bearer {key}"}).status_code == 401


def test_token_revoke_needs_post(world, rep_client):
    token, _ = services.api_token_create(membership=world.rep, name="Script")
    assert rep_client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405


def test_a_deactivated_member_cannot_use_their_token(world):
    _, key = services.api_token_create(membership=world.rep, name="Script")
    services.membership_deactivate(membership=world.rep, actor=world.admin)
    from django.test import Client

    assert Client().get("/api/v1/contacts/", headers={"authorization": f"Bearer {key}"}).status_code in (401, 403)


def test_a_second_admin_is_allowed_to_demote_the_first(world):
    second = MembershipFactory(organization=world.org, role=Role.ADMIN)
    response = client_for(second).post(
        reverse("accounts:member_edit", args=[world.admin.pk]), {"action": "update", "role": Role.REP, "team": ""}
    )
    assert response.status_code == 302
    world.admin.refresh_from_db()
    assert world.admin.role == Role.REP
