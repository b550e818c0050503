"""/api/v1/nudges/: the Today list over the API, acting on an item and undoing it, per persona."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from contacts.models import Band, HelpStatus, NudgeAction, NudgeState
from tests.dashboards.makers import email, intro_request, relationship, suggestion
from tests.factories import ContactFactory, HelpOfferFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/nudges/"


def actions(key: str) -> str:
    return f"{URL}{key}/actions/"


def ago(n: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, full_name="Grace Hopper")


@pytest.fixture
def offer(world, grace):
    return HelpOfferFactory(
        contact=grace, user=world.rep.user, due_date=timezone.localdate() - datetime.timedelta(days=1)
    )


def test_the_list_has_every_kind_in_the_pages_order(world, api, grace, offer):
    alan = ContactFactory(organization=world.org, full_name="Alan Turing")
    mail = email(world.rep, grace, at=ago(8), subject="Pricing?")
    relationship(world.rep, alan, band=Band.STRONG, rhythm_days=5, last_interaction_at=ago(20))
    request = intro_request(world.teammate, world.rep, grace)
    idea = suggestion(world.rep, grace, alan)
    body = api(world.rep).get(URL).json()
    assert body["count"] == 5 and body["more"] == []
    assert [r["key"] for r in body["results"]] == [
        f"reply:{mail.pk}",
        f"help:{offer.pk}",
        f"cold:{alan.pk}",
        f"intro:{request.pk}",
        f"suggestion:{idea.pk}",
    ]
    reply = body["results"][0]
    assert reply["kind"] == "reply" and reply["object_id"] == mail.pk and reply["contact_id"] == grace.pk
    assert reply["title"] == "Grace Hopper: Pricing?" and reply["done_means"] == "Replied"
    help_item = body["results"][1]
    assert help_item["overdue"] is True and help_item["due"] == offer.due_date.isoformat()
    assert body["results"][3]["done_means"] == ""


def test_teammates_and_outsiders_see_none_of_my_items(world, api, offer):
    for persona in (world.teammate, world.manager, world.admin, world.outsider):
        assert api(persona).get(URL).json()["count"] == 0


def test_dismiss_then_undo(world, api, offer):
    client = api(world.rep)
    key = f"help:{offer.pk}"
    response = client.post(actions(key), {"action": "dismiss"})
    assert response.status_code == 200, response.json()
    assert response.json() == {"key": key, "state": "dismissed", "until": None, "undoable": True}
    assert client.get(URL).json()["count"] == 0
    assert client.delete(actions(key)).status_code == 204
    assert client.get(URL).json()["count"] == 1


def test_snooze_says_when_it_comes_back(world, api, offer):
    response = api(world.rep).post(actions(f"help:{offer.pk}"), {"action": "snooze", "snooze": "next_week"})
    until = datetime.datetime.fromisoformat(response.json()["until"])
    assert timezone.localtime(until).weekday() == 0
    assert NudgeAction.objects.get().state == NudgeState.SNOOZED


def test_done_on_help_delivers_it(world, api, offer):
    response = api(world.rep).post(actions(f"help:{offer.pk}"), {"action": "done"})
    assert response.json()["undoable"] is False
    offer.refresh_from_db()
    assert offer.status == HelpStatus.DELIVERED


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "action"), ({"action": "forget"}, "action"), ({"action": "snooze", "snooze": "someday"}, "snooze")],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(world, api, offer, payload, field):
    response = api(world.rep).post(actions(f"help:{offer.pk}"), payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not NudgeAction.objects.exists()


def test_done_on_an_intro_request_is_a_400_naming_action(world, api, grace):
    request = intro_request(world.teammate, world.rep, grace)
    response = api(world.rep).post(actions(f"intro:{request.pk}"), {"action": "done"})
    assert response.status_code == 400
    assert "action" in response.json()["errors"]


@pytest.mark.parametrize("persona", ["teammate", "manager", "admin", "outsider"])
def test_anyone_else_gets_404_on_my_item(world, api, offer, persona):
    client = api(getattr(world, persona))
    assert client.post(actions(f"help:{offer.pk}"), {"action": "done"}).status_code == 404
    assert client.delete(actions(f"help:{offer.pk}")).status_code == 404
    offer.refresh_from_db()
    assert offer.status == HelpStatus.OFFERED
    assert not NudgeAction.objects.exists()


def test_a_malformed_key_is_a_404(world, api):
    assert api(world.rep).post(actions("help:abc"), {"action": "dismiss"}).status_code == 404


def test_an_outsider_with_a_bad_payload_still_gets_404(world, api, offer):
    assert api(world.outsider).post(actions(f"help:{offer.pk}"), {}).status_code == 404


def test_without_a_token_the_list_is_refused(world):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code in (401, 403)


def test_the_schema_documents_the_nudges(api, world):
    paths = api(world.rep).get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "get" in paths["/api/v1/nudges/"]
    assert {"post", "delete"} <= set(paths["/api/v1/nudges/{nudge_key}/actions/"])
