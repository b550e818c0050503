"""The manager's team page: activity per member, help delivered and overdue, shared interactions."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import InteractionKind, Visibility
from contacts.models import HelpStatus
from relintel.dashboards.selectors import team_dashboard
from tests.conftest import client_for
from tests.factories import ContactFactory, HelpOfferFactory, InteractionFactory

TEAM = reverse("dashboards:team")


@pytest.fixture
def contact(world):
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper")


def _log(world, member, contact, visibility=Visibility.TEAM, **extra):
    return InteractionFactory(
        organization=world.org, owner=member.user, team=member.team, visibility=visibility, contacts=[contact], **extra
    )


def test_a_rep_gets_403_on_the_team_page(world):
    assert client_for(world.rep).get(TEAM).status_code == 403


def test_the_manager_sees_their_team_members_and_not_another_team(world):
    body = client_for(world.manager).get(TEAM).content.decode()
    assert "East" in body
    assert "Rita Rep" in body
    assert "Tom Teammate" in body
    assert "Wes West" not in body


def test_activity_is_counted_by_kind_over_thirty_days(world, contact):
    now = timezone.now()
    _log(world, world.rep, contact, kind=InteractionKind.CALL)
    _log(world, world.rep, contact, kind=InteractionKind.CALL, visibility=Visibility.PRIVATE)
    _log(world, world.rep, contact, kind=InteractionKind.MEETING)
    _log(world, world.rep, contact, kind=InteractionKind.CALL, occurred_at=now - datetime.timedelta(days=40))
    dash = team_dashboard(membership=world.manager)
    rita = next(m for m in dash.members if m.membership == world.rep)
    assert rita.by_kind == {"call": 2, "meeting": 1}
    assert rita.total == 3


def test_help_delivered_in_ninety_days_and_open_overdue_are_counted(world, contact):
    now = timezone.now()
    today = timezone.localdate()
    HelpOfferFactory(contact=contact, user=world.rep.user, status=HelpStatus.DELIVERED, delivered_at=now)
    HelpOfferFactory(
        contact=contact,
        user=world.rep.user,
        status=HelpStatus.DELIVERED,
        delivered_at=now - datetime.timedelta(days=120),
    )
    HelpOfferFactory(contact=contact, user=world.rep.user, due_date=today - datetime.timedelta(days=1))
    HelpOfferFactory(contact=contact, user=world.rep.user, due_date=today + datetime.timedelta(days=1))
    rita = next(m for m in team_dashboard(membership=world.manager).members if m.membership == world.rep)
    assert (rita.delivered, rita.overdue) == (1, 1)


def test_shared_interactions_are_listed_but_private_content_never(world, contact):
    _log(world, world.rep, contact, subject="Shared with East")
    _log(world, world.rep, contact, subject="Rita's secret", visibility=Visibility.PRIVATE, body="secret terms")
    _log(world, world.manager, contact, subject="Mia's own private", visibility=Visibility.PRIVATE)
    _log(world, world.other_rep, contact, subject="West business", visibility=Visibility.ORGANIZATION)
    body = client_for(world.manager).get(TEAM).content.decode()
    assert "Shared with East" in body
    assert "Rita&#x27;s secret" not in body and "Rita's secret" not in body
    assert "secret terms" not in body
    assert "Mia&#x27;s own private" not in body
    assert "West business" not in body


def test_an_admin_chooses_any_team(world, contact):
    _log(world, world.other_rep, contact, subject="West org-wide", visibility=Visibility.ORGANIZATION)
    _log(world, world.other_rep, contact, subject="West team only", visibility=Visibility.TEAM)
    client = client_for(world.admin)
    default = client.get(TEAM).content.decode()
    assert 'id="team-select"' in default
    body = client.get(TEAM, {"team": world.team_b.pk}).content.decode()
    assert "Wes West" in body
    assert "Rita Rep" not in body
    assert "West org-wide" in body
    # Team visibility shares with the team, not with admins outside it.
    assert "West team only" not in body


def test_a_manager_cannot_look_at_another_team(world):
    client = client_for(world.manager)
    assert client.get(TEAM, {"team": world.team_b.pk}).status_code == 404
    assert client.get(TEAM, {"team": world.team_a.pk}).status_code == 200


def test_a_foreign_or_malformed_team_id_is_404(world):
    from tests.factories import TeamFactory

    foreign = TeamFactory(organization=world.other_org, name="Globex team")
    client = client_for(world.admin)
    assert client.get(TEAM, {"team": foreign.pk}).status_code == 404
    assert client.get(TEAM, {"team": "abc"}).status_code == 404


def test_an_outsider_admin_sees_only_their_own_teams(world, contact):
    _log(world, world.rep, contact, subject="Zanzibar shared", visibility=Visibility.ORGANIZATION)
    response = client_for(world.outsider).get(TEAM)
    assert response.status_code == 200
    body = response.content.decode()
    assert "East" not in body
    assert "Zanzibar" not in body
    assert client_for(world.outsider).get(TEAM, {"team": world.team_a.pk}).status_code == 404


def test_a_manager_without_a_team_gets_a_helpful_empty_page(world):
    world.manager.team = None
    world.manager.save()
    response = client_for(world.manager).get(TEAM)
    assert response.status_code == 200
    assert "not in a team" in response.content.decode()


def test_the_team_page_query_count_does_not_grow_with_rows(world, contact, django_assert_max_num_queries):
    client = client_for(world.manager)
    client.get(TEAM)
    with django_assert_max_num_queries(14):
        client.get(TEAM)
    for member in (world.rep, world.teammate):
        for _ in range(20):
            _log(world, member, contact)
            HelpOfferFactory(
                contact=contact, user=member.user, due_date=timezone.localdate() - datetime.timedelta(days=1)
            )
    with django_assert_max_num_queries(14):
        assert client.get(TEAM).status_code == 200
