"""Pages for warm introductions: paths, asking, answering, suggestions; every persona."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from contacts.models import HelpOffer, IntroRequest, IntroStatus, IntroSuggestion, Relationship, SuggestionStatus
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db

INTROS = reverse("contacts:intro_request_list")


@pytest.fixture
def grace(world):
    globex = CompanyFactory(organization=world.org, name="Globex")
    return ContactFactory(organization=world.org, full_name="Grace Hopper", company=globex)


@pytest.fixture
def bob(world):
    return ContactFactory(organization=world.org, full_name="Bob Bridge")


def knows(member, contact, strength):
    Relationship.objects.create(organization=member.organization, user=member.user, contact=contact, strength=strength)


def ask(world, grace, **fields):
    return IntroRequest.objects.create(
        organization=world.org, requester=world.rep.user, introducer=world.teammate.user, target=grace, **fields
    )


# --- paths -------------------------------------------------------------------------


def test_the_paths_page_shows_one_and_two_hop_paths_with_ask_buttons(world, grace, bob):
    knows(world.other_rep, grace, 30)
    knows(world.teammate, bob, 90)
    InteractionFactory(organization=world.org, owner=world.teammate.user, kind="meeting", contacts=[grace, bob])
    response = client_for(world.rep).get(reverse("contacts:intro_paths", args=[grace.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Warm intros to Grace Hopper" in page
    assert "Wes West" in page and "Bob Bridge" in page and "1 meeting" in page
    assert page.count(reverse("contacts:intro_request_create", args=[grace.pk])) == 2


def test_the_company_paths_page_lists_paths_to_its_people(world, grace):
    knows(world.teammate, grace, 60)
    response = client_for(world.rep).get(reverse("contacts:company_intro_paths", args=[grace.company_id]))
    assert response.status_code == 200
    assert "Warm intros to Globex" in response.content.decode()
    assert "Grace Hopper" in response.content.decode()


def test_the_contact_and_company_pages_link_to_warm_intros(world, grace):
    rep = client_for(world.rep)
    contact_page = rep.get(reverse("activities:contact_page", args=[grace.pk])).content.decode()
    assert reverse("contacts:intro_paths", args=[grace.pk]) in contact_page
    company_page = rep.get(reverse("activities:company_page", args=[grace.company_id])).content.decode()
    assert reverse("contacts:company_intro_paths", args=[grace.company_id]) in company_page


def test_an_outsider_gets_404_for_paths_and_asking(world, grace):
    outsider = client_for(world.outsider)
    assert outsider.get(reverse("contacts:intro_paths", args=[grace.pk])).status_code == 404
    assert outsider.get(reverse("contacts:company_intro_paths", args=[grace.company_id])).status_code == 404
    response = outsider.post(
        reverse("contacts:intro_request_create", args=[grace.pk]), {"introducer": world.teammate.user_id}
    )
    assert response.status_code == 404
    assert not IntroRequest.objects.exists()


# --- asking ------------------------------------------------------------------------


def test_asking_for_an_intro_creates_the_request_and_emails_the_teammate(
    world, grace, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.rep).post(
            reverse("contacts:intro_request_create", args=[grace.pk]),
            {"introducer": world.teammate.user_id, "via": bob.pk, "message": "They are hiring a CFO"},
        )
    assert response.status_code == 302 and response["Location"] == INTROS
    request = IntroRequest.objects.get()
    assert (request.requester, request.introducer, request.via) == (world.rep.user, world.teammate.user, bob)
    assert [m.to for m in mail.outbox] == [["tom@acme.example"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose whom to ask."),
        ({"introducer": "999999"}, "No such member."),
        ({"introducer": "SELF"}, "cannot ask yourself"),
        ({"introducer": "TOM", "via": "999999"}, "No such contact."),
    ],
)
def test_a_bad_ask_says_why_and_changes_nothing(world, grace, data, message):
    data = {k: {"SELF": world.rep.user_id, "TOM": world.teammate.user_id}.get(v, v) for k, v in data.items()}
    response = client_for(world.rep).post(reverse("contacts:intro_request_create", args=[grace.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IntroRequest.objects.exists()


def test_an_outsiders_member_cannot_be_asked(world, grace):
    response = client_for(world.rep).post(
        reverse("contacts:intro_request_create", args=[grace.pk]), {"introducer": world.outsider.user_id}
    )
    assert response.status_code == 400 and not IntroRequest.objects.exists()


# --- answering ---------------------------------------------------------------------


def test_the_teammate_sees_the_request_waiting_and_the_rep_sees_it_made(world, grace):
    ask(world, grace, message="Please")
    tom_page = client_for(world.teammate).get(INTROS).content.decode()
    assert "Rita Rep asks you" in tom_page and "Please" in tom_page
    rita_page = client_for(world.rep).get(INTROS).content.decode()
    assert "You asked Tom Teammate" in rita_page


def test_the_introducer_accepts_then_delivers_and_both_ledgers_show_it(world, grace):
    request = ask(world, grace)
    tom = client_for(world.teammate)
    response = tom.post(reverse("contacts:intro_request_accept", args=[request.pk]), {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    response = tom.post(reverse("contacts:intro_request_deliver", args=[request.pk]))
    assert response["Location"] == INTROS
    request.refresh_from_db()
    assert request.status == IntroStatus.DELIVERED
    assert set(HelpOffer.objects.values_list("user_id", "direction")) == {
        (world.teammate.user_id, "given"),
        (world.rep.user_id, "received"),
    }
    ledger = client_for(world.rep).get(reverse("activities:contact_page", args=[grace.pk])).content.decode()
    assert "Introduced to Grace Hopper by Tom Teammate" in ledger


def test_an_htmx_answer_returns_the_row(world, grace):
    request = ask(world, grace)
    response = client_for(world.teammate).post(
        reverse("contacts:intro_request_decline", args=[request.pk]), {"response": "Not close"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="intro-request-{request.pk}"' in response.content.decode() and "Declined" in response.content.decode()


def test_a_second_answer_is_refused_with_a_message(world, grace):
    request = ask(world, grace, status=IntroStatus.DECLINED)
    response = client_for(world.teammate).post(reverse("contacts:intro_request_accept", args=[request.pk]), follow=True)
    assert "cannot be accepted now" in response.content.decode()


def test_nobody_but_the_introducer_answers_and_nobody_but_the_requester_cancels(world, grace):
    request = ask(world, grace)
    for member in (world.rep, world.manager, world.admin, world.other_rep, world.outsider):
        client = client_for(member)
        for action in ("accept", "decline", "deliver"):
            assert client.post(reverse(f"contacts:intro_request_{action}", args=[request.pk])).status_code == 404
    for member in (world.teammate, world.manager, world.outsider):
        assert client_for(member).post(reverse("contacts:intro_request_cancel", args=[request.pk])).status_code == 404
    request.refresh_from_db()
    assert request.status == IntroStatus.PENDING
    client_for(world.rep).post(reverse("contacts:intro_request_cancel", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == IntroStatus.CANCELLED


def test_actions_refuse_get(world, grace):
    request = ask(world, grace)
    assert (
        client_for(world.teammate).get(reverse("contacts:intro_request_accept", args=[request.pk])).status_code == 405
    )


# --- suggestions -------------------------------------------------------------------


@pytest.fixture
def suggestion(world, grace, bob):
    return IntroSuggestion.objects.create(
        organization=world.org, user=world.rep.user, contact=grace, other=bob, reason="Grace needs 'a CFO'; Bob knows"
    )


def test_suggestions_are_listed_and_accepted_in_one_click_back_to_next(world, suggestion):
    rep = client_for(world.rep)
    assert "Introduce" in rep.get(INTROS).content.decode()
    response = rep.post(reverse("contacts:intro_suggestion_accept", args=[suggestion.pk]), {"next": "/#today"})
    assert response.status_code == 302 and response["Location"] == "/#today"
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    assert suggestion.help_offer.intro_contact == suggestion.other


def test_accepting_by_htmx_returns_the_row_with_a_delivered_button_that_delivers(world, suggestion):
    rep = client_for(world.rep)
    response = rep.post(reverse("contacts:intro_suggestion_accept", args=[suggestion.pk]), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "Offered" in page
    suggestion.refresh_from_db()
    assert reverse("contacts:help_transition", args=[suggestion.help_offer_id]) in page
    rep.post(reverse("contacts:help_transition", args=[suggestion.help_offer_id]), {"status": "delivered"})
    suggestion.help_offer.refresh_from_db()
    assert suggestion.help_offer.status == "delivered"


def test_dismissing_a_suggestion_and_a_second_click_says_it_was_already_done(world, suggestion):
    rep = client_for(world.rep)
    rep.post(reverse("contacts:intro_suggestion_dismiss", args=[suggestion.pk]))
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.DISMISSED
    response = rep.post(reverse("contacts:intro_suggestion_accept", args=[suggestion.pk]), follow=True)
    assert "already dismissed" in response.content.decode()
    assert not HelpOffer.objects.exists()


def test_someone_elses_suggestion_is_a_404(world, suggestion):
    for member in (world.teammate, world.manager, world.admin, world.outsider):
        client = client_for(member)
        for name in ("intro_suggestion_accept", "intro_suggestion_dismiss"):
            assert client.post(reverse(f"contacts:{name}", args=[suggestion.pk])).status_code == 404
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.OPEN


def test_an_unsafe_next_is_ignored(world, suggestion):
    response = client_for(world.rep).post(
        reverse("contacts:intro_suggestion_dismiss", args=[suggestion.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == INTROS


def test_the_company_page_offers_help_and_warm_intros_for_each_person(world, grace):
    page = client_for(world.rep).get(reverse("activities:company_page", args=[grace.company_id])).content.decode()
    assert reverse("contacts:help_create", args=[grace.pk]) + "?next=" in page
    assert reverse("contacts:intro_paths", args=[grace.pk]) in page


def test_help_offered_from_the_company_page_returns_there(world, grace):
    company_url = reverse("activities:company_page", args=[grace.company_id])
    response = client_for(world.rep).post(
        reverse("contacts:help_create", args=[grace.pk]),
        {
            "direction": "given",
            "kind": "advice",
            "description": "Share our playbook",
            "intro_contact": "",
            "due_date": "",
            "status": "offered",
            "next": company_url,
        },
    )
    assert response.status_code == 302 and response["Location"] == company_url
    assert HelpOffer.objects.get().contact == grace


def test_the_pages_make_as_many_queries_with_many_rows_as_with_few(world, grace, bob):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep = client_for(world.rep)
    urls = [
        INTROS,
        reverse("contacts:intro_paths", args=[grace.pk]),
        reverse("contacts:company_intro_paths", args=[grace.company_id]),
    ]

    def counts() -> list[int]:
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert rep.get(url).status_code == 200
            result.append(len(queries))
        return result

    def add_rows(n: int) -> None:
        for _ in range(n):
            other = ContactFactory(organization=world.org, company=grace.company)
            ask(world, other)
            IntroRequest.objects.create(
                organization=world.org, requester=world.teammate.user, introducer=world.rep.user, target=other
            )
            IntroSuggestion.objects.create(
                organization=world.org, user=world.rep.user, contact=other, other=bob, reason="r"
            )
            knows(world.teammate, other, 50)
            knows(world.teammate, bob, 90) if not Relationship.objects.filter(contact=bob).exists() else None
            InteractionFactory(
                organization=world.org, owner=world.teammate.user, kind="meeting", contacts=[grace, bob, other]
            )

    add_rows(1)
    few = counts()
    add_rows(6)
    assert counts() == few
