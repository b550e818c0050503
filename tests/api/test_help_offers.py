"""/api/v1/help-offers/: the give-first record over the API, and its lifecycle."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from contacts.models import HelpOffer, HelpStatus
from tests.factories import ContactFactory, HelpOfferFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/help-offers/"


def detail(offer_id: int) -> str:
    return f"{URL}{offer_id}/"


def transition(offer_id: int) -> str:
    return f"{URL}{offer_id}/transition/"


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, full_name="Grace Hopper")


def offer_of(member, contact, **fields):
    return HelpOfferFactory(contact=contact, user=member.user, **fields)


def test_rep_offers_an_introduction(world, api, grace):
    ada = ContactFactory(organization=world.org)
    due = timezone.localdate() + datetime.timedelta(days=7)
    response = api(world.rep).post(
        URL,
        {
            "contact": grace.pk,
            "kind": "intro",
            "description": "Introduce Grace to Ada",
            "due_date": due.isoformat(),
            "intro_contact": ada.pk,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["user"], body["status"], body["direction"]) == (world.rep.user_id, "offered", "given")
    assert body["intro_contact"] == ada.pk
    assert body["due_date"] == due.isoformat()
    assert body["url"].endswith(detail(body["id"]))


def test_rep_records_help_received(world, api, grace):
    response = api(world.rep).post(
        URL, {"contact": grace.pk, "direction": "received", "kind": "referral", "description": "Sent us a lead"}
    )
    assert response.status_code == 201
    assert response.json()["direction"] == "received"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "bribe"}, "kind"),
        ({"direction": "sideways"}, "direction"),
        ({"description": ""}, "description"),
        ({"due_date": "next week"}, "due_date"),
        ({"contact": None}, "contact"),
        ({"contact": 999999}, "contact"),
        ({"contact": "grace"}, "contact"),
        ({"intro_contact": 999999}, "intro_contact"),
        ({"status": "delivered", "kind": "gift"}, "kind"),
    ],
)
def test_a_malformed_help_offer_is_a_400_naming_the_field(world, api, grace, fields, field):
    payload = {"contact": grace.pk, "kind": "advice", "description": "Share the playbook", **fields}
    response = api(world.rep).post(URL, payload)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert HelpOffer.objects.count() == 0


def test_an_introduction_to_the_same_person_is_refused(world, api, grace):
    response = api(world.rep).post(
        URL, {"contact": grace.pk, "kind": "intro", "description": "x", "intro_contact": grace.pk}
    )
    assert response.status_code == 400
    assert "intro_contact" in response.json()["errors"]


def test_a_contact_of_another_organization_is_no_such_contact(world, api):
    theirs = ContactFactory(organization=world.other_org)
    response = api(world.rep).post(URL, {"contact": theirs.pk, "kind": "advice", "description": "x"})
    assert response.status_code == 400
    assert response.json()["errors"]["contact"] == ["No such contact."]


def test_the_status_is_not_set_on_create(world, api, grace):
    body = (
        api(world.rep)
        .post(URL, {"contact": grace.pk, "kind": "advice", "description": "x", "status": "delivered"})
        .json()
    )
    assert body["status"] == "offered"


def test_the_list_filters(world, api, grace):
    ada = ContactFactory(organization=world.org)
    offer_of(world.rep, grace, description="mine open")
    offer_of(world.rep, ada, description="mine delivered", status=HelpStatus.DELIVERED, delivered_at=timezone.now())
    offer_of(world.teammate, grace, description="teammate received", direction="received")
    client = api(world.rep)

    def descriptions(**params):
        return sorted(o["description"] for o in client.get(URL, params).json()["results"])

    assert descriptions() == ["mine delivered", "mine open", "teammate received"]
    assert descriptions(contact=grace.pk) == ["mine open", "teammate received"]
    assert descriptions(status="delivered") == ["mine delivered"]
    assert descriptions(direction="received") == ["teammate received"]
    assert descriptions(mine="true") == ["mine delivered", "mine open"]
    assert descriptions(open="true", mine="true") == ["mine open"]


def test_the_list_shows_the_soonest_due_first_and_is_paginated(world, api, grace):
    today = timezone.localdate()
    offer_of(world.rep, grace, description="undated")
    offer_of(world.rep, grace, description="later", due_date=today + datetime.timedelta(days=9))
    offer_of(world.rep, grace, description="overdue", due_date=today - datetime.timedelta(days=2))
    page = api(world.rep).get(URL, {"page_size": 2}).json()
    assert page["count"] == 3
    assert [o["description"] for o in page["results"]] == ["overdue", "later"]


@pytest.mark.parametrize(("params", "field"), [({"status": "lost"}, "status"), ({"contact": "x"}, "contact")])
def test_a_malformed_filter_is_a_400_naming_it(world, api, params, field):
    response = api(world.rep).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_teammate_reads_but_cannot_change_my_offer(world, api, grace):
    offer = offer_of(world.rep, grace)
    client = api(world.teammate)
    assert client.get(detail(offer.pk)).status_code == 200
    assert client.patch(detail(offer.pk), {"description": "hijacked"}).status_code == 404
    assert client.post(transition(offer.pk), {"status": "withdrawn"}).status_code == 404
    assert client.delete(detail(offer.pk)).status_code == 404
    offer.refresh_from_db()
    assert (offer.description, offer.status) == ("Share our hiring playbook", "offered")


def test_the_giver_changes_an_offer(world, api, grace):
    offer = offer_of(world.rep, grace)
    due = timezone.localdate() + datetime.timedelta(days=3)
    response = api(world.rep).patch(detail(offer.pk), {"description": "Send the deck", "due_date": due.isoformat()})
    assert response.status_code == 200
    assert (response.json()["description"], response.json()["due_date"]) == ("Send the deck", due.isoformat())


def test_put_replaces_the_changeable_fields(world, api, grace):
    offer = offer_of(world.rep, grace, due_date=timezone.localdate())
    response = api(world.rep).put(detail(offer.pk), {"contact": grace.pk, "kind": "resource", "description": "A book"})
    assert response.status_code == 200, response.json()
    assert (response.json()["kind"], response.json()["due_date"]) == ("resource", None)


def test_the_contact_and_direction_of_an_offer_are_fixed(world, api, grace):
    offer = offer_of(world.rep, grace)
    other = ContactFactory(organization=world.org)
    response = api(world.rep).patch(detail(offer.pk), {"contact": other.pk, "direction": "received"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"contact", "direction"}


def test_the_giver_moves_an_offer_through_its_lifecycle(world, api, grace):
    offer = offer_of(world.rep, grace)
    client = api(world.rep)
    accepted = client.post(transition(offer.pk), {"status": "accepted"})
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["accepted_at"]
    delivered = client.post(transition(offer.pk), {"status": "delivered"}).json()
    assert delivered["status"] == "delivered"
    assert delivered["delivered_at"]


def test_a_transition_the_lifecycle_forbids_is_a_400_naming_status(world, api, grace):
    offer = offer_of(world.rep, grace, status=HelpStatus.DELIVERED, delivered_at=timezone.now())
    response = api(world.rep).post(transition(offer.pk), {"status": "offered"})
    assert response.status_code == 400
    assert "delivered" in response.json()["errors"]["status"][0]
    offer.refresh_from_db()
    assert offer.status == HelpStatus.DELIVERED


@pytest.mark.parametrize("payload", [{"status": "lost"}, {}, {"status": 3}])
def test_a_malformed_transition_is_a_400_naming_status(world, api, grace, payload):
    offer = offer_of(world.rep, grace)
    response = api(world.rep).post(transition(offer.pk), payload)
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_the_giver_deletes_an_offer(world, api, grace):
    offer = offer_of(world.rep, grace)
    assert api(world.rep).delete(detail(offer.pk)).status_code == 204
    assert not HelpOffer.objects.filter(pk=offer.pk).exists()


def test_outsider_gets_404_on_every_help_offer_route(world, api, grace):
    offer = offer_of(world.rep, grace)
    client = api(world.outsider)
    assert client.get(detail(offer.pk)).status_code == 404
    assert client.patch(detail(offer.pk), {"description": "x"}).status_code == 404
    assert client.put(detail(offer.pk), {"contact": grace.pk, "kind": "advice", "description": "x"}).status_code == 404
    assert client.post(transition(offer.pk), {"status": "withdrawn"}).status_code == 404
    assert client.delete(detail(offer.pk)).status_code == 404
    offer.refresh_from_db()
    assert offer.status == "offered"


def test_outsider_never_sees_our_offers_in_the_list(world, api, grace):
    offer_of(world.rep, grace)
    client = api(world.outsider)
    assert client.get(URL).json()["count"] == 0
    assert client.get(URL, {"contact": grace.pk}).json()["count"] == 0
