"""Accounts services: organizations, teams, invitations, memberships, API tokens."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from relintel.accounts import services
from relintel.accounts.models import ApiToken, Invitation, Membership, Role, User
from relintel.accounts.tokens import hash_token
from tests.factories import TEST_PASSWORD, MembershipFactory, OrganizationFactory, TeamFactory, UserFactory

BASE_URL = "https://crm.example.com/"
NEW_PASSWORD = "a long and unusual passphrase"


def _invite(world, email="newbie@acme.example", **kwargs):
    defaults = {
        "organization": world.org,
        "invited_by": world.admin.user,
        "email": email,
        "full_name": "Nina Newbie",
        "role": Role.REP,
        "team": world.team_b,
        "base_url": BASE_URL,
    }
    defaults.update(kwargs)
    return services.invitation_create(**defaults)


# --- organizations ---------------------------------------------------------------------


def test_organization_update_normalizes_internal_domains(world):
    services.organization_update(
        organization=world.org,
        name=" Acme Sales EU ",
        internal_domains=["Acme.example", " https://www.acme-eu.example/about", "@acme.example", ""],
    )
    world.org.refresh_from_db()
    assert world.org.name == "Acme Sales EU"
    assert world.org.internal_domains == ["acme.example", "acme-eu.example"]


def test_organization_update_refuses_a_bad_domain_and_changes_nothing(world):
    with pytest.raises(ValidationError) as exc:
        services.organization_update(organization=world.org, name="New name", internal_domains=["not a domain"])
    assert "internal_domains" in exc.value.message_dict
    world.org.refresh_from_db()
    assert world.org.name == "Acme Sales"


def test_organization_create_makes_the_first_admin(db):
    membership = services.organization_create(
        name="Initech", slug="initech", admin_email="Boss@Initech.example", admin_password=NEW_PASSWORD
    )
    assert membership.role == Role.ADMIN
    assert membership.user.email == "boss@initech.example"
    assert membership.user.check_password(NEW_PASSWORD)
    assert membership.organization.slug == "initech"


def test_organization_create_refuses_a_taken_slug(world):
    with pytest.raises(ValidationError) as exc:
        services.organization_create(name="Acme 2", slug="acme", admin_email="x@y.example", admin_password=NEW_PASSWORD)
    assert "slug" in exc.value.message_dict


# --- teams ------------------------------------------------------------------------------


def test_team_create_and_rename(world):
    team = services.team_create(organization=world.org, name=" North ")
    assert team.name == "North"
    services.team_rename(team=team, name="North & Nordics")
    team.refresh_from_db()
    assert team.name == "North & Nordics"


def test_team_names_are_unique_per_organization_ignoring_case(world):
    with pytest.raises(ValidationError) as exc:
        services.team_create(organization=world.org, name="east")
    assert "name" in exc.value.message_dict
    # Another organization may use the name.
    assert services.team_create(organization=world.other_org, name="East").pk


def test_team_delete_leaves_its_members_without_a_team(world):
    moved = services.team_delete(team=world.team_a)
    assert moved == 3
    world.rep.refresh_from_db()
    assert world.rep.team is None
    assert world.rep.is_active


# --- invitations --------------------------------------------------------------------------


def test_invitation_create_stores_only_the_hash_and_emails_the_link(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, key = _invite(world, email=" Newbie@Acme.example ")
    assert invitation.email == "newbie@acme.example"
    assert invitation.token_hash == hash_token(key)
    assert key not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    assert invitation.expires_at - timezone.now() > datetime.timedelta(days=6, hours=23)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newbie@acme.example"]
    assert "Acme Sales" in message.subject
    assert f"https://crm.example.com/invite/{key}/" in message.body
    assert "Ada Admin" in message.body


def test_invitation_email_leaves_only_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _invite(world)
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_invitation_refuses_an_existing_member(world):
    with pytest.raises(ValidationError) as exc:
        _invite(world, email="RITA@acme.example")
    assert "already a member" in exc.value.message_dict["email"][0]


def test_invitation_refuses_a_second_open_invitation_for_the_same_email(world):
    _invite(world)
    with pytest.raises(ValidationError) as exc:
        _invite(world)
    assert "open invitation" in exc.value.message_dict["email"][0]


def test_an_expired_invitation_does_not_block_a_new_one(world):
    old, _ = _invite(world)
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    new, _ = _invite(world)
    assert new.pk != old.pk


def test_invitation_refuses_a_team_of_another_organization(world):
    foreign_team = TeamFactory(organization=world.other_org)
    with pytest.raises(ValidationError) as exc:
        _invite(world, team=foreign_team)
    assert "team" in exc.value.message_dict


def test_accepting_an_invitation_creates_the_user_and_membership(world):
    invitation, key = _invite(world, role=Role.MANAGER)
    membership = services.invitation_accept(key=key, full_name="Nina N.", password=NEW_PASSWORD)
    assert membership.organization == world.org
    assert membership.role == Role.MANAGER
    assert membership.team == world.team_b
    assert membership.user.full_name == "Nina N."
    assert membership.user.check_password(NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_an_invitation_works_only_once(world):
    _, key = _invite(world)
    services.invitation_accept(key=key, full_name="Nina", password=NEW_PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(key=key, full_name="Nina", password=NEW_PASSWORD)
    assert "already been used" in exc.value.message_dict["key"][0]


def test_an_expired_invitation_is_refused(world):
    invitation, key = _invite(world)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(key=key, full_name="Nina", password=NEW_PASSWORD)
    assert "expired" in exc.value.message_dict["key"][0]
    assert not User.objects.filter(email="newbie@acme.example").exists()


def test_a_revoked_invitation_is_refused(world):
    invitation, key = _invite(world)
    services.invitation_revoke(invitation=invitation)
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(key=key, full_name="Nina", password=NEW_PASSWORD)
    assert "withdrawn" in exc.value.message_dict["key"][0]


def test_an_unknown_key_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(key="nope", full_name="Nina", password=NEW_PASSWORD)
    assert "not valid" in exc.value.message_dict["key"][0]


def test_a_weak_password_is_refused_and_nothing_is_created(world):
    invitation, key = _invite(world)
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(key=key, full_name="Nina", password="password")
    assert "password" in exc.value.message_dict
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not User.objects.filter(email="newbie@acme.example").exists()


def test_an_existing_user_joins_with_their_own_password_only(world):
    _, key = _invite(world, email="otto@globex.example")
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(key=key, full_name="", password=NEW_PASSWORD)
    assert "password" in exc.value.message_dict
    membership = services.invitation_accept(key=key, full_name="", password=TEST_PASSWORD)
    assert membership.user == world.outsider.user
    assert membership.organization == world.org
    assert membership.user.check_password(TEST_PASSWORD)


def test_a_revoked_invitation_email_is_not_sent_by_a_late_task(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation, _ = _invite(world)
    services.invitation_revoke(invitation=invitation)
    for callback in callbacks:
        callback()
    assert mail.outbox == []


# --- memberships -----------------------------------------------------------------------


def test_membership_update_changes_role_and_team(world):
    services.membership_update(membership=world.rep, role=Role.MANAGER, team=world.team_b)
    world.rep.refresh_from_db()
    assert (world.rep.role, world.rep.team) == (Role.MANAGER, world.team_b)


def test_membership_update_refuses_a_team_of_another_organization(world):
    foreign_team = TeamFactory(organization=world.other_org)
    with pytest.raises(ValidationError) as exc:
        services.membership_update(membership=world.rep, role=Role.REP, team=foreign_team)
    assert "team" in exc.value.message_dict


def test_the_last_admin_cannot_be_demoted(world):
    with pytest.raises(ValidationError) as exc:
        services.membership_update(membership=world.admin, role=Role.REP, team=None)
    assert "at least one active admin" in exc.value.message_dict["role"][0]
    world.admin.refresh_from_db()
    assert world.admin.role == Role.ADMIN


def test_an_admin_can_step_down_when_another_admin_exists(world):
    services.membership_update(membership=world.manager, role=Role.ADMIN, team=world.team_a)
    services.membership_update(membership=world.admin, role=Role.REP, team=None)
    world.admin.refresh_from_db()
    assert world.admin.role == Role.REP


def test_an_inactive_admin_does_not_count_as_the_other_admin(world):
    other = MembershipFactory(organization=world.org, role=Role.ADMIN, is_active=False)
    assert not other.is_active
    with pytest.raises(ValidationError):
        services.membership_update(membership=world.admin, role=Role.MANAGER, team=None)


def test_the_last_admin_cannot_be_deactivated(world):
    second = MembershipFactory(organization=world.org, role=Role.ADMIN)
    with pytest.raises(ValidationError):
        services.membership_deactivate(membership=world.admin, actor=world.admin)
    services.membership_deactivate(membership=second, actor=world.admin)
    with pytest.raises(ValidationError) as exc:
        services.membership_deactivate(membership=world.admin)
    assert "at least one active admin" in exc.value.messages[0]


def test_deactivate_and_reactivate_a_member(world):
    services.membership_deactivate(membership=world.rep, actor=world.admin)
    world.rep.refresh_from_db()
    assert not world.rep.is_active
    services.membership_reactivate(membership=world.rep)
    world.rep.refresh_from_db()
    assert world.rep.is_active


# --- API tokens ----------------------------------------------------------------------------


def test_api_token_create_returns_the_key_once_and_stores_its_hash(world):
    token, key = services.api_token_create(membership=world.rep, name="Zapier")
    assert re.fullmatch(r"rli_[\w-]{40,}", key)
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["key_hash"] == hash_token(key)
    assert key not in str(row)
    assert row["prefix"] == key[:12]
    assert token.organization == world.org


def test_api_token_needs_a_name(world):
    with pytest.raises(ValidationError) as exc:
        services.api_token_create(membership=world.rep, name="  ")
    assert "name" in exc.value.message_dict


def test_api_token_revoke(world):
    token, _ = services.api_token_create(membership=world.rep, name="Script")
    services.api_token_revoke(token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not token.is_active


def test_a_member_of_two_organizations_gets_a_token_for_one(world):
    user = UserFactory()
    MembershipFactory(user=user, organization=world.org)
    second = MembershipFactory(user=user, organization=OrganizationFactory())
    token, _ = services.api_token_create(membership=second, name="Other org")
    assert token.organization == second.organization
    assert Membership.objects.filter(user=user).count() == 2
