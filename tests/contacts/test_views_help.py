"""Give-first help offer pages: create, edit, my help offers, status buttons, isolation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from contacts.models import HelpDirection, HelpKind, HelpOffer, HelpStatus
from tests.conftest import World, client_for
from tests.contacts.makers import make_company, make_contact, make_offer

pytestmark = pytest.mark.django_db

HELP_LIST = reverse("contacts:help_list")


def _days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def _help_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "direction": HelpDirection.GIVEN,
        "kind": HelpKind.ADVICE,
        "description": "Share our hiring playbook",
        "intro_contact": "",
        "due_date": "",
        "status": HelpStatus.OFFERED,
    }
    data.update(overrides)
    return data


# --- create and edit -------------------------------------------------------------


def test_rep_offers_an_introduction_with_a_due_date(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org, full_name="Ada Lovelace")
    cfo = make_contact(organization=world.org, full_name="Carla Cfo", company=make_company(organization=world.org))
    url = reverse("contacts:help_create", args=[contact.pk])
    page = rep_client.get(url)
    assert page.status_code == 200
    assert "Carla Cfo" in page.content.decode()

    response = rep_client.post(
        url,
        _help_form(kind=HelpKind.INTRO, description="Intro to a CFO", intro_contact=cfo.pk, due_date=_days(7)),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:contact_page", args=[contact.pk])
    offer = HelpOffer.objects.get()
    assert (offer.user, offer.contact, offer.intro_contact) == (world.rep.user, contact, cfo)
    assert offer.status == HelpStatus.OFFERED
    assert offer.due_date == _days(7)
    assert offer.organization == world.org


def test_help_received_is_recorded_as_delivered(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org)
    rep_client.post(
        reverse("contacts:help_create", args=[contact.pk]),
        _help_form(direction=HelpDirection.RECEIVED, kind=HelpKind.REFERRAL, status=HelpStatus.DELIVERED),
    )
    offer = HelpOffer.objects.get()
    assert offer.direction == HelpDirection.RECEIVED
    assert offer.status == HelpStatus.DELIVERED
    assert offer.delivered_at is not None


def test_help_create_shows_field_errors_and_saves_nothing(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org)
    response = rep_client.post(
        reverse("contacts:help_create", args=[contact.pk]),
        _help_form(description="", kind="bribe", due_date="next tuesday"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"description", "kind", "due_date"} <= set(errors)
    assert 'aria-invalid="true"' in response.content.decode()
    assert not HelpOffer.objects.exists()


def test_intro_to_someone_in_another_organization_is_refused(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org)
    foreign = make_contact(organization=world.other_org, full_name="Foreign Person")
    response = rep_client.post(
        reverse("contacts:help_create", args=[contact.pk]), _help_form(kind=HelpKind.INTRO, intro_contact=foreign.pk)
    )
    assert response.status_code == 200
    assert "intro_contact" in response.context["form"].errors
    assert "Foreign Person" not in response.content.decode()
    assert not HelpOffer.objects.exists()


def test_intro_contact_is_dropped_when_the_kind_is_not_an_intro(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org)
    other = make_contact(organization=world.org)
    rep_client.post(
        reverse("contacts:help_create", args=[contact.pk]), _help_form(kind=HelpKind.ADVICE, intro_contact=other.pk)
    )
    assert HelpOffer.objects.get().intro_contact is None


def test_intro_search_returns_options_to_htmx_and_reloads_the_form_without_it(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org, full_name="Ada Lovelace")
    make_contact(organization=world.org, full_name="Carla Cfo", search_text="carla cfo")
    make_contact(organization=world.org, full_name="Bob Builder", search_text="bob builder")
    make_contact(organization=world.other_org, full_name="Carla Foreign", search_text="carla foreign")
    url = reverse("contacts:help_create", args=[contact.pk])
    partial = rep_client.get(url, {"intro_q": "carla"}, headers={"HX-Request": "true"}).content.decode()
    assert "<option" in partial and "Carla Cfo" in partial
    assert "Bob Builder" not in partial and "Carla Foreign" not in partial and "Ada Lovelace" not in partial

    page = rep_client.get(url, {"intro_q": "carla", "kind": "intro", "description": "kept"})
    html = page.content.decode()
    assert "<html" in html and "Carla Cfo" in html and "Bob Builder" not in html
    assert "kept</textarea>" in html


def test_help_create_returns_to_a_safe_next_only(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org)
    url = reverse("contacts:help_create", args=[contact.pk])
    ok = rep_client.post(url, _help_form(next=HELP_LIST))
    assert ok["Location"] == HELP_LIST
    evil = rep_client.post(url, _help_form(next="https://evil.example/"))
    assert evil["Location"] == reverse("activities:contact_page", args=[contact.pk])


def test_owner_edits_their_offer(world: World, rep_client: Client) -> None:
    offer = make_offer(contact=make_contact(organization=world.org), user=world.rep.user, due_date=_days(3))
    url = reverse("contacts:help_edit", args=[offer.pk])
    page = rep_client.get(url)
    assert page.status_code == 200
    assert f'id="help-offer-{offer.pk}"' in page.content.decode()
    response = rep_client.post(url, {"kind": HelpKind.RESOURCE, "description": "Send the deck", "due_date": ""})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.kind, offer.description, offer.due_date) == (HelpKind.RESOURCE, "Send the deck", None)


@pytest.mark.parametrize("who", ["teammate", "manager", "admin", "outsider"])
def test_only_the_offers_own_rep_may_edit_or_move_it(world: World, who: str) -> None:
    offer = make_offer(contact=make_contact(organization=world.org), user=world.rep.user)
    client = client_for(getattr(world, who))
    assert client.get(reverse("contacts:help_edit", args=[offer.pk])).status_code == 404
    assert client.post(reverse("contacts:help_edit", args=[offer.pk]), {"description": "x"}).status_code == 404
    transition = reverse("contacts:help_transition", args=[offer.pk])
    assert client.post(transition, {"status": HelpStatus.DELIVERED}).status_code == 404
    assert client.get(transition).status_code == 404
    offer.refresh_from_db()
    assert offer.status == HelpStatus.OFFERED
    assert offer.description == "Share our hiring playbook"


# --- transitions ---------------------------------------------------------------


def test_transition_without_htmx_redirects_back_with_a_message(world: World, rep_client: Client) -> None:
    offer = make_offer(contact=make_contact(organization=world.org, full_name="Ada L"), user=world.rep.user)
    url = reverse("contacts:help_transition", args=[offer.pk])
    response = rep_client.post(url, {"status": HelpStatus.ACCEPTED, "next": HELP_LIST}, follow=True)
    assert response.redirect_chain == [(HELP_LIST, 302)]
    assert "is now accepted" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == HelpStatus.ACCEPTED
    assert offer.accepted_at is not None


def test_transition_ignores_an_unsafe_next(world: World, rep_client: Client) -> None:
    offer = make_offer(contact=make_contact(organization=world.org), user=world.rep.user)
    response = rep_client.post(
        reverse("contacts:help_transition", args=[offer.pk]),
        {"status": HelpStatus.ACCEPTED, "next": "//evil.example/x"},
    )
    assert response["Location"] == HELP_LIST


def test_transition_with_htmx_returns_the_re_rendered_row(world: World, rep_client: Client) -> None:
    offer = make_offer(contact=make_contact(organization=world.org), user=world.rep.user)
    response = rep_client.post(
        reverse("contacts:help_transition", args=[offer.pk]),
        {"status": HelpStatus.DELIVERED},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<li id="help-offer-{offer.pk}"')
    assert "badge-delivered" in html
    assert "<form" not in html  # delivered is final: no more buttons
    offer.refresh_from_db()
    assert offer.status == HelpStatus.DELIVERED
    assert offer.delivered_at is not None


def test_a_forbidden_transition_is_refused_and_changes_nothing(world: World, rep_client: Client) -> None:
    offer = make_offer(contact=make_contact(organization=world.org), user=world.rep.user, status=HelpStatus.DECLINED)
    url = reverse("contacts:help_transition", args=[offer.pk])
    htmx = rep_client.post(url, {"status": HelpStatus.ACCEPTED}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert "cannot become accepted" in htmx.content.decode()
    plain = rep_client.post(url, {"status": "bogus", "next": HELP_LIST}, follow=True)
    assert "is not a help status" in plain.content.decode()
    offer.refresh_from_db()
    assert offer.status == HelpStatus.DECLINED


def test_row_partial_offers_only_the_allowed_next_statuses(world: World) -> None:
    offer = make_offer(
        contact=make_contact(organization=world.org), user=world.rep.user, status=HelpStatus.ACCEPTED, due_date=_days(0)
    )
    request = RequestFactory().get("/contacts/1/")
    request.user = world.rep.user
    html = render_to_string(
        "contacts/_help_offer_row.html", {"offer": offer, "today": timezone.localdate()}, request=request
    )
    statuses = {s for s in HelpStatus.values if f'name="status" value="{s}"' in html}
    assert statuses == {HelpStatus.DELIVERED, HelpStatus.DECLINED, HelpStatus.WITHDRAWN}
    assert f'hx-target="#help-offer-{offer.pk}"' in html
    assert 'hx-swap="outerHTML"' in html
    assert "Due today" in html
    assert 'name="next" value="/contacts/1/"' in html


def test_row_partial_shows_no_buttons_on_a_teammates_offer(world: World) -> None:
    offer = make_offer(contact=make_contact(organization=world.org), user=world.teammate.user)
    request = RequestFactory().get("/")
    request.user = world.rep.user
    html = render_to_string(
        "contacts/_help_offer_row.html", {"offer": offer, "today": timezone.localdate()}, request=request
    )
    assert "<form" not in html
    assert "by Tom Teammate" in html


# --- my help offers --------------------------------------------------------------


def test_my_help_offers_lists_overdue_first_then_soonest_then_undated(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org)

    def offer(description: str, **fields: Any) -> HelpOffer:
        return make_offer(contact=contact, user=world.rep.user, description=description, **fields)

    offer("undated")
    offer("next week", due_date=_days(7))
    offer("overdue", due_date=_days(-2))
    offer("today", due_date=_days(0), status=HelpStatus.ACCEPTED)
    offer("long overdue", due_date=_days(-30))
    offer("done", status=HelpStatus.DELIVERED, delivered_at=timezone.now())
    offer("received", direction=HelpDirection.RECEIVED, due_date=_days(-5))
    make_offer(contact=contact, user=world.teammate.user, description="teammate's", due_date=_days(-9))

    response = rep_client.get(HELP_LIST)
    assert response.status_code == 200
    assert [o.description for o in response.context["offers"]] == [
        "long overdue",
        "overdue",
        "today",
        "next week",
        "undated",
    ]
    assert [o.description for o in response.context["closed"]] == ["done"]
    assert response.context["overdue_count"] == 2
    html = response.content.decode()
    assert html.count("badge-overdue") == 2
    assert "Due today" in html
    assert "teammate&#x27;s" not in html and "received" not in html.split("Closed")[0].split("Open")[1]


def test_my_help_offers_empty_state(world: World, rep_client: Client) -> None:
    html = rep_client.get(HELP_LIST).content.decode()
    assert "Nothing promised right now" in html


def test_outsider_never_sees_our_help_offers(world: World, outsider_client: Client) -> None:
    make_offer(contact=make_contact(organization=world.org), user=world.rep.user, description="our secret")
    response = outsider_client.get(HELP_LIST)
    assert response.context["offers"] == []
    assert "our secret" not in response.content.decode()


def test_outsider_gets_404_on_help_routes(world: World, outsider_client: Client) -> None:
    offer = make_offer(contact=make_contact(organization=world.org), user=world.rep.user)
    for name in ("contacts:help_edit", "contacts:help_transition"):
        url = reverse(name, args=[offer.pk])
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.post(url, {"status": HelpStatus.WITHDRAWN}).status_code == 404
    offer.refresh_from_db()
    assert offer.status == HelpStatus.OFFERED
