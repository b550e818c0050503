"""The manager's team dashboard: figures per rep and team over a period, charts, CSV, access."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import InteractionKind, Visibility
from activities.rollups import activity_rollups_rebuild, week_of
from contacts.models import Band, HelpStatus, Relationship, RelationshipChange, TargetAccount
from relintel.dashboards.team import team_figures
from relintel.dashboards.team_period import period_preset
from tests.conftest import client_for
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    HelpOfferFactory,
    InteractionFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

TEAM = reverse("dashboards:team")
CSV = reverse("dashboards:team_csv")


@pytest.fixture(autouse=True)
def uncached(settings):
    """Figures computed on every request here (caching has its own test)."""
    settings.RELINTEL_TEAM_FIGURES_CACHE_SECONDS = 0


@pytest.fixture
def contact(world):
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper")


def _log(world, member, contact, visibility=Visibility.TEAM, **extra):
    return InteractionFactory(
        organization=world.org, owner=member.user, team=member.team, visibility=visibility, contacts=[contact], **extra
    )


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _know(member, contact, band, strength=50):
    return Relationship.objects.create(
        organization_id=contact.organization_id, user=member.user, contact=contact, band=band, strength=strength
    )


# --- access ---------------------------------------------------------------------------


def test_a_rep_gets_403_on_the_team_page_and_its_csv(world):
    assert client_for(world.rep).get(TEAM).status_code == 403
    assert client_for(world.rep).get(CSV, {"chart": "activity"}).status_code == 403


def test_the_manager_sees_their_team_members_and_not_another_team(world):
    body = client_for(world.manager).get(TEAM).content.decode()
    assert "East" in body
    assert "Rita Rep" in body
    assert "Tom Teammate" in body
    assert "Wes West" not in body


def test_a_manager_cannot_look_at_another_team(world):
    client = client_for(world.manager)
    assert client.get(TEAM, {"team": world.team_b.pk}).status_code == 404
    assert client.get(CSV, {"team": world.team_b.pk, "chart": "activity"}).status_code == 404
    assert client.get(TEAM, {"team": world.team_a.pk}).status_code == 200


def test_an_admin_chooses_any_team(world):
    client = client_for(world.admin)
    assert 'id="team-select"' in client.get(TEAM).content.decode()
    body = client.get(TEAM, {"team": world.team_b.pk}).content.decode()
    assert "Wes West" in body
    assert "Rita Rep" not in body


def test_a_foreign_or_malformed_team_id_is_404(world):
    foreign = TeamFactory(organization=world.other_org, name="Globex team")
    client = client_for(world.admin)
    assert client.get(TEAM, {"team": foreign.pk}).status_code == 404
    assert client.get(TEAM, {"team": "abc"}).status_code == 404
    assert client.get(CSV, {"team": foreign.pk, "chart": "activity"}).status_code == 404


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


# --- the period -------------------------------------------------------------------------


def test_the_period_chooser_offers_4_12_26_weeks_and_custom_dates(world):
    body = client_for(world.manager).get(TEAM, {"period": "26w"}).content.decode()
    assert "Last 26 weeks" in body
    assert 'value="26w" checked' in body
    body = client_for(world.manager).get(TEAM, {"from": "2026-01-05", "to": "2026-02-01"}).content.decode()
    assert "5 Jan 2026 – 1 Feb 2026" in body


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "forever"}, "period"),
        ({"period": "custom", "from": "yesterday", "to": "2026-01-01"}, "from"),
        ({"period": "custom", "from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"period": "custom", "from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"period": "custom"}, "from"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(world, params, field):
    response = client_for(world.manager).get(TEAM, params)
    assert response.status_code == 400
    assert field in response.context["errors"]
    csv_response = client_for(world.manager).get(CSV, {**params, "chart": "activity"})
    assert csv_response.status_code == 400
    assert field in csv_response.content.decode()


# --- figures ------------------------------------------------------------------------------


def test_interactions_by_kind_per_week_come_from_the_rollups(world, contact):
    now = timezone.now()
    _log(world, world.rep, contact, kind=InteractionKind.CALL, occurred_at=now)
    _log(world, world.rep, contact, kind=InteractionKind.CALL, occurred_at=now, visibility=Visibility.PRIVATE)
    _log(world, world.teammate, contact, kind=InteractionKind.MEETING, occurred_at=now - datetime.timedelta(days=7))
    _log(world, world.rep, contact, kind=InteractionKind.EMAIL, occurred_at=now - datetime.timedelta(days=60))
    _log(world, world.other_rep, contact, kind=InteractionKind.CALL, occurred_at=now)
    activity_rollups_rebuild(organization_id=world.org.pk)
    figures = team_figures(membership=world.manager, team_id=None, period=period_preset("4w", today=now.date()))
    rita = next(m for m in figures.members if m.membership == world.rep)
    assert rita.by_kind == {"call": 2}
    assert figures.weekly[(week_of(now), "call")] == 2
    assert figures.weekly[(week_of(now - datetime.timedelta(days=7)), "meeting")] == 1
    assert figures.interactions == 3
    assert len(figures.weeks) == 4


def test_relationships_by_band_their_moves_and_new_ones(world, contact):
    _know(world.rep, contact, Band.STRONG)
    _know(world.rep, ContactFactory(organization=world.org), Band.COLD)
    _know(world.teammate, contact, Band.MEDIUM)
    recently = timezone.now() - datetime.timedelta(days=2)
    for from_band, to_band in [
        ("", Band.WEAK),
        (Band.WEAK, Band.MEDIUM),
        (Band.MEDIUM, Band.STRONG),
        (Band.STRONG, Band.WEAK),
    ]:
        RelationshipChange.objects.create(
            organization=world.org, user=world.rep.user, contact=contact, from_band=from_band, to_band=to_band,
            changed_at=recently,
        )  # fmt: skip
    RelationshipChange.objects.create(
        organization=world.org, user=world.rep.user, contact=contact, from_band="", to_band=Band.WEAK,
        changed_at=recently - datetime.timedelta(days=200),
    )  # fmt: skip
    figures = team_figures(
        membership=world.manager, team_id=None, period=period_preset("12w", today=timezone.localdate())
    )
    rita = next(m for m in figures.members if m.membership == world.rep)
    assert rita.bands == {"strong": 1, "cold": 1}
    assert (rita.moved_up, rita.moved_down, rita.new) == (2, 1, 1)
    assert figures.band_totals == [1, 1, 0, 1]


def test_the_page_shows_charts_the_give_first_index_with_its_parts_and_csv_links(world, contact):
    HelpOfferFactory(contact=contact, user=world.rep.user, status=HelpStatus.DELIVERED, delivered_at=timezone.now())
    _log(world, world.rep, contact)
    activity_rollups_rebuild(organization_id=world.org.pk)
    body = client_for(world.manager).get(TEAM).content.decode()
    assert body.count('role="img"') == 3
    assert "Interactions by kind per week, East" in body
    assert "Help delivered" in body and "Intros made" in body and "Asks" in body
    assert "How the index is counted" in body
    for chart in ("activity", "relationships", "givefirst", "at_risk", "targets"):
        assert f"chart={chart}" in body
    assert "/static/css/dashboards.css" in body


def test_private_interactions_count_but_their_content_never_shows(world, contact):
    _log(world, world.rep, contact, subject="Rita's secret", visibility=Visibility.PRIVATE, body="secret terms")
    activity_rollups_rebuild(organization_id=world.org.pk)
    body = client_for(world.manager).get(TEAM).content.decode()
    assert "secret" not in body


# --- CSV ------------------------------------------------------------------------------------


def test_a_manager_downloads_the_activity_csv_named_after_team_and_period(world, contact):
    _log(world, world.rep, contact, kind=InteractionKind.CALL)
    activity_rollups_rebuild(organization_id=world.org.pk)
    response = client_for(world.manager).get(CSV, {"chart": "activity", "period": "4w"})
    rows = _csv(response)
    assert rows[0] == ["week", "member", "Email", "Meeting", "Call", "Note", "total"]
    assert len([r for r in rows if r[1] == "Team"]) == 4
    assert ["period", "Rita Rep", "0", "0", "1", "0", "1"] in rows
    period = period_preset("4w", today=timezone.localdate())
    assert response["Content-Disposition"] == f'attachment; filename="relintel-east-activity-{period.slug}.csv"'


def test_each_chart_has_a_csv_with_a_header_row(world, contact):
    company = CompanyFactory(organization=world.org, name="=cmd|Initech")
    person = ContactFactory(organization=world.org, company=company)
    _know(world.rep, person, Band.STRONG, strength=80)
    TargetAccount.objects.create(organization=world.org, team=world.team_a, company=company)
    client = client_for(world.manager)
    relationships = _csv(client.get(CSV, {"chart": "relationships"}))
    assert relationships[0][:3] == ["member", "Strong", "Medium"]
    assert ["Rita Rep", "1", "0", "0", "0", "1", "0", "0", "0"] in relationships
    givefirst = _csv(client.get(CSV, {"chart": "givefirst"}))
    assert givefirst[0] == ["member", "help delivered", "intros made", "asks", "give-first index"]
    assert givefirst[-1][0] == "Team"
    at_risk = _csv(client.get(CSV, {"chart": "at_risk"}))
    assert at_risk[1][:3] == ["'=cmd|Initech", "hangs on one person", "Rita Rep"]  # formulas neutralised
    targets = _csv(client.get(CSV, {"chart": "targets"}))
    assert targets[1][:3] == ["'=cmd|Initech", "team", "thin"]
    replies = _csv(client.get(CSV, {"chart": "replies"}))
    assert replies[0] == ["member", "replies owed"]


def test_an_unknown_chart_is_a_400_naming_it(world):
    response = client_for(world.manager).get(CSV, {"chart": "pie"})
    assert response.status_code == 400
    assert "chart" in response.content.decode()


# --- bounded queries -------------------------------------------------------------------------


def _queries(client, url, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured.captured_queries)


def test_the_dashboard_query_count_is_the_same_with_few_and_many_rows(world, contact):
    client = client_for(world.manager)
    client.get(TEAM)
    few = _queries(client, TEAM, {})
    companies = [CompanyFactory(organization=world.org) for _ in range(3)]
    for i in range(6):
        MembershipFactory(
            user=UserFactory(full_name=f"New rep {i}"), organization=world.org, team=world.team_a, role="rep"
        )
    for member in (world.rep, world.teammate):
        for i in range(15):
            person = ContactFactory(organization=world.org, company=companies[i % 3])
            _log(
                world,
                member,
                person,
                kind=InteractionKind.values[i % 4],
                occurred_at=timezone.now() - datetime.timedelta(days=i * 5),
            )
            _know(member, person, [Band.STRONG, Band.MEDIUM, Band.WEAK][i % 3], strength=90 - i)
            RelationshipChange.objects.create(
                organization=world.org, user=member.user, contact=person, from_band=Band.STRONG, to_band=Band.WEAK,
                changed_at=timezone.now() - datetime.timedelta(days=i),
            )  # fmt: skip
            HelpOfferFactory(contact=person, user=member.user, status=HelpStatus.DELIVERED, delivered_at=timezone.now())
    for company in companies:
        TargetAccount.objects.create(organization=world.org, team=world.team_a, company=company)
    activity_rollups_rebuild(organization_id=world.org.pk)
    many = _queries(client, TEAM, {})
    assert many == few
    assert _queries(client, TEAM, {"period": "26w"}) == few


def test_accounts_at_risk_and_replies_owed_are_cached_for_a_few_minutes(world, contact, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RELINTEL_TEAM_FIGURES_CACHE_SECONDS = 300
    company = CompanyFactory(organization=world.org, name="Initech")
    _know(world.rep, ContactFactory(organization=world.org, company=company), Band.STRONG)
    period = period_preset("4w", today=timezone.localdate())
    first = team_figures(membership=world.manager, team_id=None, period=period)
    assert first.at_risk.one_person_total == 1
    _know(world.teammate, ContactFactory(organization=world.org, company=company), Band.STRONG)
    assert team_figures(membership=world.manager, team_id=None, period=period).at_risk.one_person_total == 1
    cache.clear()
    assert team_figures(membership=world.manager, team_id=None, period=period).at_risk.one_person_total == 0
