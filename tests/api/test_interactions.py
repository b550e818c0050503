"""/api/v1/interactions/: logging by hand, visibility, and owner-only changes."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from activities.models import Interaction, Participant, Visibility
from tests.factories import CompanyFactory, ContactFactory, HelpOfferFactory, InteractionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/interactions/"


def detail(interaction_id: int) -> str:
    return f"{URL}{interaction_id}/"


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, full_name="Grace Hopper")


def log(client, contact, **fields):
    payload = {"kind": "call", "contacts": [contact.pk], "subject": "Catch-up", **fields}
    return client.post(URL, payload)


def test_rep_logs_a_call_with_participants(world, api, grace):
    ada = ContactFactory(organization=world.org, full_name="Ada Lovelace")
    offer = HelpOfferFactory(contact=grace, user=world.rep.user)
    when = (timezone.now() - datetime.timedelta(hours=2)).replace(microsecond=0)
    response = api(world.rep).post(
        URL,
        {
            "kind": "call",
            "contacts": [grace.pk, ada.pk],
            "occurred_at": when.isoformat(),
            "subject": "Intro call",
            "body": "Talked about compilers.",
            "direction": "inbound",
            "visibility": "organization",
            "duration_minutes": 25,
            "help_offers": [offer.pk],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == world.rep.user_id
    assert body["source"] == "api"
    assert body["visibility"] == "organization"
    assert body["duration_minutes"] == 25
    assert body["help_offers"] == [offer.pk]
    assert datetime.datetime.fromisoformat(body["occurred_at"]) == when
    participants = body["participants"]
    assert {"contact": None, "user": world.rep.user_id, "address": world.rep.user.email}.items() <= participants[
        0
    ].items()
    assert {p["contact"] for p in participants[1:]} == {grace.pk, ada.pk}
    assert {p["role"] for p in participants[1:]} == {"from"}
    assert set(participants[0]) == {"contact", "user", "address", "display_name", "role", "response_status"}
    grace.refresh_from_db()
    assert grace.last_interaction_at == when


def test_logging_defaults_to_now_outbound_and_team(world, api, grace):
    body = log(api(world.rep), grace).json()
    assert body["direction"] == "outbound"
    assert body["visibility"] == "team"
    assert abs(datetime.datetime.fromisoformat(body["occurred_at"]) - timezone.now()) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "telegram"}, "kind"),
        ({"contacts": []}, "contacts"),
        ({"contacts": "1"}, "contacts"),
        ({"contacts": [999999]}, "contacts"),
        ({"direction": "sideways"}, "direction"),
        ({"direction": "internal"}, "direction"),
        ({"visibility": "public"}, "visibility"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"duration_minutes": -5}, "duration_minutes"),
        ({"duration_minutes": "long"}, "duration_minutes"),
        ({"help_offers": [999999]}, "help_offers"),
    ],
)
def test_a_malformed_interaction_is_a_400_naming_the_field(world, api, grace, fields, field):
    response = log(api(world.rep), grace, **fields)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert Interaction.objects.count() == 0
    assert Participant.objects.count() == 0


def test_a_kind_is_required(world, api, grace):
    response = api(world.rep).post(URL, {"contacts": [grace.pk]})
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_a_contact_of_another_organization_is_no_such_contact(world, api):
    theirs = ContactFactory(organization=world.other_org)
    response = log(api(world.rep), theirs)
    assert response.status_code == 400
    assert response.json()["errors"]["contacts"] == ["No such contact."]
    assert Interaction.objects.count() == 0


def test_a_private_interaction_is_seen_by_its_owner_only(world, api, grace):
    interaction_id = log(api(world.rep), grace, visibility="private").json()["id"]
    assert api(world.rep).get(detail(interaction_id)).status_code == 200
    for member in (world.teammate, world.manager, world.other_rep, world.admin):
        client = api(member)
        assert client.get(detail(interaction_id)).status_code == 404, member
        assert client.get(URL).json()["count"] == 0, member
        assert client.get(URL, {"contact": grace.pk}).json()["count"] == 0, member


def test_a_team_interaction_is_seen_by_the_team_not_by_the_other_team(world, api, grace):
    interaction_id = log(api(world.rep), grace, visibility="team").json()["id"]
    assert api(world.teammate).get(detail(interaction_id)).status_code == 200
    assert api(world.manager).get(detail(interaction_id)).status_code == 200
    assert api(world.other_rep).get(detail(interaction_id)).status_code == 404


def test_an_organization_interaction_is_seen_by_everyone_in_it(world, api, grace):
    interaction_id = log(api(world.rep), grace, visibility="organization").json()["id"]
    assert api(world.other_rep).get(detail(interaction_id)).status_code == 200
    assert api(world.outsider).get(detail(interaction_id)).status_code == 404


def test_the_list_filters_by_contact_company_kind_and_owner(world, api, grace):
    acme = CompanyFactory(organization=world.org)
    ada = ContactFactory(organization=world.org, company=acme)
    InteractionFactory(organization=world.org, owner=world.rep.user, contacts=[grace], subject="Call Grace")
    InteractionFactory(
        organization=world.org,
        owner=world.teammate.user,
        team=world.team_a,
        contacts=[ada],
        kind="meeting",
        subject="Meet Ada",
    )
    client = api(world.rep)

    def subjects(**params):
        return sorted(i["subject"] for i in client.get(URL, params).json()["results"])

    assert subjects() == ["Call Grace", "Meet Ada"]
    assert subjects(contact=grace.pk) == ["Call Grace"]
    assert subjects(company=acme.pk) == ["Meet Ada"]
    assert subjects(kind="meeting") == ["Meet Ada"]
    assert subjects(owner=world.teammate.user_id) == ["Meet Ada"]


def test_the_list_is_newest_first_and_paginated(world, api, grace):
    now = timezone.now()
    for days in (3, 1, 2):
        InteractionFactory(
            organization=world.org,
            owner=world.rep.user,
            contacts=[grace],
            subject=f"{days} days ago",
            occurred_at=now - datetime.timedelta(days=days),
        )
    page = api(world.rep).get(URL, {"page_size": 2}).json()
    assert page["count"] == 3
    assert [i["subject"] for i in page["results"]] == ["1 days ago", "2 days ago"]


def test_a_malformed_filter_is_a_400_naming_it(world, api):
    response = api(world.rep).get(URL, {"kind": "telegram"})
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_the_owner_changes_an_interaction(world, api, grace):
    client = api(world.rep)
    interaction_id = log(client, grace).json()["id"]
    response = client.patch(detail(interaction_id), {"subject": "Renamed", "visibility": "private"})
    assert response.status_code == 200
    assert response.json()["subject"] == "Renamed"
    assert Interaction.objects.get(pk=interaction_id).visibility == Visibility.PRIVATE


def test_put_with_the_same_kind_and_contacts_replaces_the_text(world, api, grace):
    client = api(world.rep)
    interaction_id = log(client, grace, body="Old notes").json()["id"]
    response = client.put(detail(interaction_id), {"kind": "call", "contacts": [grace.pk], "subject": "New"})
    assert response.status_code == 200, response.json()
    assert (response.json()["subject"], response.json()["body"]) == ("New", "")


def test_kind_and_contacts_are_fixed_once_logged(world, api, grace):
    other = ContactFactory(organization=world.org)
    client = api(world.rep)
    interaction_id = log(client, grace).json()["id"]
    response = client.patch(detail(interaction_id), {"kind": "note", "contacts": [other.pk], "subject": "x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"kind", "contacts"}
    assert Interaction.objects.get(pk=interaction_id).subject == "Catch-up"


def test_a_teammate_who_can_see_it_still_cannot_change_or_delete_it(world, api, grace):
    interaction_id = log(api(world.rep), grace, visibility="organization").json()["id"]
    for member in (world.teammate, world.manager, world.admin):
        client = api(member)
        assert client.get(detail(interaction_id)).status_code == 200
        assert client.patch(detail(interaction_id), {"subject": "Mine"}).status_code == 404
        assert client.delete(detail(interaction_id)).status_code == 404
    assert Interaction.objects.get(pk=interaction_id).subject == "Catch-up"


def test_the_owner_deletes_an_interaction(world, api, grace):
    client = api(world.rep)
    interaction_id = log(client, grace).json()["id"]
    assert client.delete(detail(interaction_id)).status_code == 204
    assert not Interaction.objects.filter(pk=interaction_id).exists()


def test_outsider_gets_404_on_every_interaction_route(world, api, grace):
    interaction_id = log(api(world.rep), grace, visibility="organization").json()["id"]
    client = api(world.outsider)
    assert client.get(detail(interaction_id)).status_code == 404
    assert client.patch(detail(interaction_id), {"subject": "Mine"}).status_code == 404
    assert client.put(detail(interaction_id), {"kind": "call", "contacts": [1]}).status_code == 404
    assert client.delete(detail(interaction_id)).status_code == 404
    assert Interaction.objects.filter(pk=interaction_id).exists()


def test_outsider_never_sees_our_interactions_in_the_list(world, api, grace):
    log(api(world.rep), grace, visibility="organization")
    client = api(world.outsider)
    assert client.get(URL).json()["count"] == 0
    assert client.get(URL, {"contact": grace.pk}).json()["count"] == 0
