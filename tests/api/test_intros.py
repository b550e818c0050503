"""/api/v1/ intro paths, intro requests and suggestions: the same rules as the pages."""

from __future__ import annotations

import pytest

from contacts.models import HelpOffer, IntroRequest, IntroStatus, IntroSuggestion, Relationship, SuggestionStatus
from tests.factories import CompanyFactory, ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/intro-requests/"
SUGGESTIONS = "/api/v1/intro-suggestions/"


@pytest.fixture
def grace(world):
    return ContactFactory(
        organization=world.org, full_name="Grace Hopper", company=CompanyFactory(organization=world.org, name="Globex")
    )


@pytest.fixture
def bob(world):
    return ContactFactory(organization=world.org, full_name="Bob Bridge")


def knows(member, contact, strength):
    Relationship.objects.create(organization=member.organization, user=member.user, contact=contact, strength=strength)


def test_paths_to_a_contact_best_first(world, api, grace, bob):
    knows(world.other_rep, grace, 20)
    knows(world.teammate, bob, 90)
    for _ in range(4):
        InteractionFactory(organization=world.org, owner=world.teammate.user, kind="meeting", contacts=[grace, bob])
    body = api(world.rep).get(f"/api/v1/contacts/{grace.pk}/intro-paths/").json()
    assert body["contact"] == grace.pk
    first, second = body["results"]
    assert (first["introducer"], first["via"], first["hops"], first["meetings"]) == (
        world.teammate.user_id,
        bob.pk,
        2,
        4,
    )
    assert first["strength"] == min(first["teammate_link"], first["bridge_link"])
    assert (second["introducer"], second["via"], second["strength"]) == (world.other_rep.user_id, None, 20)


def test_paths_to_a_company(world, api, grace):
    knows(world.teammate, grace, 60)
    body = api(world.rep).get(f"/api/v1/companies/{grace.company_id}/intro-paths/").json()
    assert [(r["target"], r["introducer"]) for r in body["results"]] == [(grace.pk, world.teammate.user_id)]


def test_an_outsider_gets_404_for_every_intro_route(world, api, grace, bob):
    request = IntroRequest.objects.create(
        organization=world.org, requester=world.rep.user, introducer=world.teammate.user, target=grace
    )
    suggestion = IntroSuggestion.objects.create(
        organization=world.org, user=world.rep.user, contact=grace, other=bob, reason="x"
    )
    outsider = api(world.outsider)
    for url in (
        f"/api/v1/contacts/{grace.pk}/intro-paths/",
        f"/api/v1/companies/{grace.company_id}/intro-paths/",
        f"{REQUESTS}{request.pk}/",
        f"{SUGGESTIONS}{suggestion.pk}/",
    ):
        assert outsider.get(url).status_code == 404, url
    for action in ("accept", "decline", "deliver", "cancel"):
        assert outsider.post(f"{REQUESTS}{request.pk}/{action}/").status_code == 404
    for action in ("accept", "dismiss"):
        assert outsider.post(f"{SUGGESTIONS}{suggestion.pk}/{action}/").status_code == 404
    assert outsider.get(REQUESTS).json()["results"] == []
    assert outsider.get(SUGGESTIONS).json()["results"] == []
    response = outsider.post(REQUESTS, {"target": grace.pk, "introducer": world.rep.user_id})
    assert response.status_code == 400 and "target" in response.json()["errors"]


def test_the_full_lifecycle_over_the_api(world, api, grace, bob):
    rep, tom = api(world.rep), api(world.teammate)
    response = rep.post(REQUESTS, {"target": grace.pk, "introducer": world.teammate.user_id, "via": bob.pk})
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert [r["id"] for r in tom.get(REQUESTS, {"role": "received"}).json()["results"]] == [pk]
    assert tom.get(REQUESTS, {"role": "made"}).json()["results"] == []
    assert tom.post(f"{REQUESTS}{pk}/accept/", {"response": "Sure"}).json()["status"] == "accepted"
    body = tom.post(f"{REQUESTS}{pk}/deliver/").json()
    assert body["status"] == "delivered" and body["help_offer"] is not None
    assert HelpOffer.objects.filter(kind="intro", status="delivered").count() == 2
    assert tom.post(f"{REQUESTS}{pk}/decline/").status_code == 400


def test_a_teammate_cannot_act_on_others_requests(world, api, grace):
    request = IntroRequest.objects.create(
        organization=world.org, requester=world.rep.user, introducer=world.teammate.user, target=grace
    )
    for member in (world.manager, world.admin, world.other_rep):
        client = api(member)
        assert client.get(f"{REQUESTS}{request.pk}/").status_code == 404
        for action in ("accept", "decline", "deliver", "cancel"):
            assert client.post(f"{REQUESTS}{request.pk}/{action}/").status_code == 404
    assert api(world.rep).post(f"{REQUESTS}{request.pk}/accept/").status_code == 404  # the requester cannot accept
    assert api(world.teammate).post(f"{REQUESTS}{request.pk}/cancel/").status_code == 404
    request.refresh_from_db()
    assert request.status == IntroStatus.PENDING


def test_bad_requests_name_their_field(world, api, grace):
    rep = api(world.rep)
    assert "introducer" in rep.post(REQUESTS, {"target": grace.pk, "introducer": world.rep.user_id}).json()["errors"]
    assert (
        "introducer" in rep.post(REQUESTS, {"target": grace.pk, "introducer": world.outsider.user_id}).json()["errors"]
    )
    assert (
        "via"
        in rep.post(REQUESTS, {"target": grace.pk, "introducer": world.teammate.user_id, "via": grace.pk}).json()[
            "errors"
        ]
    )
    assert not IntroRequest.objects.exists()


def test_suggestions_list_accept_and_dismiss(world, api, grace, bob):
    first = IntroSuggestion.objects.create(
        organization=world.org, user=world.rep.user, contact=grace, other=bob, reason="Grace needs 'a CFO'", score=2
    )
    second = IntroSuggestion.objects.create(
        organization=world.org, user=world.rep.user, contact=bob, other=grace, reason="Bob needs 'sailing'", score=1
    )
    IntroSuggestion.objects.create(
        organization=world.org, user=world.teammate.user, contact=grace, other=bob, reason="x"
    )
    rep = api(world.rep)
    assert [r["id"] for r in rep.get(SUGGESTIONS).json()["results"]] == [first.pk, second.pk]
    body = rep.post(f"{SUGGESTIONS}{first.pk}/accept/").json()
    assert body["status"] == "accepted" and HelpOffer.objects.get(pk=body["help_offer"]).intro_contact == bob
    assert rep.post(f"{SUGGESTIONS}{second.pk}/dismiss/").json()["status"] == "dismissed"
    assert rep.post(f"{SUGGESTIONS}{second.pk}/accept/").status_code == 400
    assert rep.get(SUGGESTIONS).json()["results"] == []
    assert [r["id"] for r in rep.get(SUGGESTIONS, {"status": "dismissed"}).json()["results"]] == [second.pk]
    assert api(world.teammate).post(f"{SUGGESTIONS}{first.pk}/dismiss/").status_code == 404
    first.refresh_from_db()
    assert first.status == SuggestionStatus.ACCEPTED


def test_the_schema_documents_the_intro_routes(api, world):
    schema = api(world.rep).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/contacts/{contact_id}/intro-paths/",
        "/api/v1/companies/{company_id}/intro-paths/",
        "/api/v1/intro-requests/{id}/deliver/",
        "/api/v1/intro-suggestions/{id}/accept/",
    ):
        assert path in paths, path
