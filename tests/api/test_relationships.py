"""/api/v1/contacts/{id}/relationships/, /api/v1/relationships/ and /api/v1/scoring-policy/."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from activities import services
from activities.models import ScoringPolicy, Visibility
from activities.relationships import relationships_refresh
from contacts.models import Relationship
from tests.factories import ContactFactory

POLICY = "/api/v1/scoring-policy/"
MINE = "/api/v1/relationships/"


def who_knows(contact) -> str:
    return f"/api/v1/contacts/{contact.pk}/relationships/"


@pytest.fixture
def contact(world):
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper")


def log(membership, contact, kind="meeting", days=1, **extra):
    return services.interaction_log(
        membership=membership,
        kind=kind,
        contacts=[contact],
        occurred_at=timezone.now() - datetime.timedelta(days=days),
        **extra,
    )


def test_who_knows_a_contact_ranks_teammates_and_explains_only_my_row(api, world, contact):
    log(world.rep, contact)
    for day in (1, 2, 3):
        log(world.teammate, contact, days=day, subject="Private strategy", visibility=Visibility.PRIVATE)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    response = api(world.rep).get(who_knows(contact))
    assert response.status_code == 200
    data = response.json()
    assert data["contact"] == contact.pk
    names = [row["name"] for row in data["results"]]
    assert names == ["Tom Teammate", "Rita Rep"]
    tom, rita = data["results"]
    assert (tom["is_you"], tom["explanation"]) == (False, None)
    assert rita["is_you"] is True and rita["explanation"].startswith(f"{rita['band']}: 1 meeting in 90 days")
    assert "Private strategy" not in response.content.decode()
    assert set(tom) == {
        "user",
        "name",
        "is_you",
        "strength",
        "band",
        "interaction_count",
        "last_interaction_at",
        "explanation",
    }


def test_an_outsider_gets_404_for_who_knows_our_contact(api, world, contact):
    assert api(world.outsider).get(who_knows(contact)).status_code == 404
    assert api(world.rep).get("/api/v1/contacts/987654/relationships/").status_code == 404


def test_my_relationships_are_mine_only_strongest_first_and_filter_by_band(api, world, contact):
    weak = ContactFactory(organization=world.org)
    for day in range(1, 30, 2):
        log(world.rep, contact, days=day)
    log(world.rep, contact, kind="call", days=1, direction="inbound")
    log(world.rep, weak, kind="call", days=200)
    log(world.teammate, weak)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk, weak.pk])
    response = api(world.rep).get(MINE)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["contact"] for r in rows] == [contact.pk, weak.pk]
    assert rows[0]["band"] == "strong" and rows[0]["explanation"].startswith("strong: ")
    assert rows[0]["components"]["meetings_90d"] == 15
    strong = api(world.rep).get(MINE, {"band": "strong"}).json()["results"]
    assert [r["contact"] for r in strong] == [contact.pk]
    assert api(world.outsider).get(MINE).json()["results"] == []


def test_a_bad_band_filter_is_a_400_that_names_it(api, world):
    response = api(world.rep).get(MINE, {"band": "lukewarm"})
    assert response.status_code == 400
    assert "band" in response.json()["errors"]


def test_every_member_reads_the_scoring_policy(api, world):
    response = api(world.rep).get(POLICY)
    assert response.status_code == 200
    assert response.json()["half_life_days"] == 90
    assert response.json()["meeting_weight"] == 6.0


def test_an_admin_patches_the_policy_and_relationships_are_rescored(
    api, world, contact, django_capture_on_commit_callbacks
):
    log(world.rep, contact, kind="call", days=20)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    before = Relationship.objects.get(user=world.rep.user, contact=contact).strength
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.admin).patch(POLICY, {"call_weight": 10, "half_life_days": 180})
    assert response.status_code == 200, response.content
    assert (response.json()["call_weight"], response.json()["half_life_days"]) == (10.0, 180)
    assert Relationship.objects.get(user=world.rep.user, contact=contact).strength > before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"half_life_days": 3}, "half_life_days"),
        ({"meeting_weight": -2}, "meeting_weight"),
        ({"mass_mail_recipients": 1}, "mass_mail_recipients"),
        ({"call_weight": "lots"}, "call_weight"),
    ],
)
def test_a_bad_policy_is_a_400_that_names_the_field_and_changes_nothing(api, world, payload, field):
    response = api(world.admin).patch(POLICY, payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    policy, _ = ScoringPolicy.objects.get_or_create(organization=world.org)
    assert (policy.half_life_days, policy.meeting_weight) == (90, 6.0)


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_only_admins_change_the_policy(api, world, who):
    assert api(getattr(world, who)).patch(POLICY, {"half_life_days": 30}).status_code == 403


def test_an_outsider_admin_changes_only_their_own_policy(api, world):
    assert api(world.outsider).patch(POLICY, {"half_life_days": 30}).status_code == 200
    assert ScoringPolicy.objects.get(organization=world.other_org).half_life_days == 30
    assert not ScoringPolicy.objects.filter(organization=world.org, half_life_days=30).exists()


def test_put_is_not_offered(api, world):
    assert api(world.admin).put(POLICY, {"half_life_days": 30}).status_code == 405


def test_the_schema_documents_the_relationship_endpoints(api, world):
    schema = api(world.rep).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content.decode()
    for path in ("/api/v1/relationships/", "/api/v1/contacts/{contact_id}/relationships/", POLICY):
        assert path in schema
