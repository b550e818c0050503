"""Personas shared by every test module.

``rep`` and ``teammate`` share team A, managed by ``manager``; ``other_rep`` is in
team B; ``admin`` runs the organization; ``outsider`` is an admin of another
organization and must never see anything of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from relintel.accounts.models import Membership, Organization, Role, Team
from tests.factories import MembershipFactory, OrganizationFactory, TeamFactory, UserFactory


@dataclass
class World:
    org: Organization
    team_a: Team
    team_b: Team
    rep: Membership
    teammate: Membership
    manager: Membership
    other_rep: Membership
    admin: Membership
    other_org: Organization
    outsider: Membership


@pytest.fixture
def world(db) -> World:
    org = OrganizationFactory(name="Acme Sales", slug="acme", internal_domains=["acme.example"])
    team_a = TeamFactory(organization=org, name="East")
    team_b = TeamFactory(organization=org, name="West")

    def member(email: str, name: str, role: str, team: Team | None, organization: Organization = org) -> Membership:
        return MembershipFactory(
            user=UserFactory(email=email, full_name=name), organization=organization, team=team, role=role
        )

    other_org = OrganizationFactory(name="Globex", slug="globex", internal_domains=["globex.example"])
    return World(
        org=org,
        team_a=team_a,
        team_b=team_b,
        rep=member("rita@acme.example", "Rita Rep", Role.REP, team_a),
        teammate=member("tom@acme.example", "Tom Teammate", Role.REP, team_a),
        manager=member("mia@acme.example", "Mia Manager", Role.MANAGER, team_a),
        other_rep=member("wes@acme.example", "Wes West", Role.REP, team_b),
        admin=member("ada@acme.example", "Ada Admin", Role.ADMIN, None),
        other_org=other_org,
        outsider=member("otto@globex.example", "Otto Outsider", Role.ADMIN, None, other_org),
    )


def client_for(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def rep_client(world: World) -> Client:
    return client_for(world.rep)


@pytest.fixture
def outsider_client(world: World) -> Client:
    return client_for(world.outsider)


@pytest.fixture
def admin_client_(world: World) -> Client:
    return client_for(world.admin)
