"""The contact page: profile, timeline through the visibility rules, help, ledger, teammates."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Visibility
from activities.services import relationships_refresh
from contacts.models import ContactPhone, HelpDirection, HelpStatus
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory, HelpOfferFactory, InteractionFactory


@pytest.fixture
def contact(world):
    company = CompanyFactory(organization=world.org, name="Initech")
    contact = ContactFactory(
        organization=world.org,
        first_name="Grace",
        last_name="Hopper",
        title="CTO",
        company=company,
        email="grace@initech.example",
        location="Arlington",
        linkedin_url="https://www.linkedin.com/in/grace",
        needs="a head of sales",
        expertise="compilers",
        interests="sailing",
        owner=world.rep.user,
    )
    ContactPhone.objects.create(contact=contact, number="+14155550123")
    return contact


def _log(world, membership, contact, visibility, subject, **extra):
    return InteractionFactory(
        organization=world.org,
        owner=membership.user,
        team=membership.team,
        visibility=visibility,
        subject=subject,
        contacts=[contact],
        **extra,
    )


def _page(membership, contact):
    return client_for(membership).get(reverse("activities:contact_page", args=[contact.pk]))


def test_the_contact_page_shows_the_profile(world, contact):
    body = _page(world.rep, contact).content.decode()
    assert "Grace Hopper" in body
    assert "CTO" in body
    assert reverse("activities:company_page", args=[contact.company_id]) in body
    assert "grace@initech.example" in body
    assert "+1 415-555-0123" in body  # formatted with format_phone
    assert "Arlington" in body
    assert "linkedin.com/in/grace" in body
    assert "a head of sales" in body
    assert "compilers" in body
    assert "sailing" in body
    for name in ("contacts:edit", "contacts:delete", "contacts:help_create", "activities:log"):
        assert reverse(name, args=[contact.pk]) in body


def test_a_rep_sees_their_own_private_interaction_with_a_private_badge(world, contact):
    _log(world, world.rep, contact, Visibility.PRIVATE, "My secret lunch")
    body = _page(world.rep, contact).content.decode()
    assert "My secret lunch" in body
    assert "Private · only you" in body


def test_a_rep_never_sees_a_teammates_private_interaction(world, contact):
    _log(world, world.teammate, contact, Visibility.PRIVATE, "Tom's secret lunch", body="confidential terms")
    body = _page(world.rep, contact).content.decode()
    assert "Tom's secret lunch" not in body
    assert "confidential terms" not in body


def test_a_manager_never_sees_a_reps_private_interaction(world, contact):
    _log(world, world.rep, contact, Visibility.PRIVATE, "Rita's secret lunch")
    assert "Rita's secret lunch" not in _page(world.manager, contact).content.decode()
    assert "Rita's secret lunch" not in _page(world.admin, contact).content.decode()


def test_team_interactions_are_seen_by_the_team_and_its_manager_but_not_another_team(world, contact):
    _log(world, world.teammate, contact, Visibility.TEAM, "East team call")
    assert "East team call" in _page(world.rep, contact).content.decode()
    assert "East team call" in _page(world.manager, contact).content.decode()
    assert "East team call" not in _page(world.other_rep, contact).content.decode()


def test_organization_interactions_are_seen_by_everyone_in_it(world, contact):
    _log(world, world.other_rep, contact, Visibility.ORGANIZATION, "West shares this")
    for member in (world.rep, world.teammate, world.manager, world.admin):
        assert "West shares this" in _page(member, contact).content.decode()


def test_the_timeline_is_newest_first_and_says_who_logged_it(world, contact):
    now = timezone.now()
    _log(world, world.teammate, contact, Visibility.TEAM, "Older call", occurred_at=now - datetime.timedelta(days=3))
    _log(world, world.rep, contact, Visibility.TEAM, "Newer call", occurred_at=now - datetime.timedelta(hours=1))
    body = _page(world.rep, contact).content.decode()
    assert body.index("Newer call") < body.index("Older call")
    assert "logged by Tom Teammate" in body
    assert "logged by you" in body


def test_the_help_offers_and_the_ledger_are_shown_in_words(world, contact):
    for _ in range(3):
        HelpOfferFactory(
            contact=contact,
            user=world.rep.user,
            status=HelpStatus.DELIVERED,
            delivered_at=timezone.now(),
            description="Intro to a VP of sales",
        )
    HelpOfferFactory(
        contact=contact,
        user=world.teammate.user,
        direction=HelpDirection.RECEIVED,
        status=HelpStatus.DELIVERED,
        delivered_at=timezone.now(),
        description="Reviewed our pricing page",
    )
    body = _page(world.rep, contact).content.decode()
    assert "Intro to a VP of sales" in body
    assert "Reviewed our pricing page" in body
    assert "You have given 3, received 1." in body


def test_a_contact_with_no_help_gets_a_give_first_nudge(world, contact):
    body = _page(world.rep, contact).content.decode()
    assert "No help delivered either way yet" in body


def test_teammates_who_know_the_contact_are_listed_without_private_content(world, contact):
    _log(world, world.teammate, contact, Visibility.PRIVATE, "Tom's private chat", body="private words")
    _log(world, world.teammate, contact, Visibility.TEAM, "Tom's team call")
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    body = _page(world.rep, contact).content.decode()
    assert f"Who knows {contact.full_name}" in body
    assert "Tom Teammate" in body
    assert "2 interactions" in body
    assert "Tom's private chat" not in body
    assert "private words" not in body


def test_an_outsider_gets_404_for_the_contact_page(world, contact):
    assert _page(world.outsider, contact).status_code == 404


def test_an_unknown_contact_is_404(world):
    response = client_for(world.rep).get(reverse("activities:contact_page", args=[987654]))
    assert response.status_code == 404


def test_a_merged_contact_redirects_to_the_contact_it_was_merged_into(world, contact):
    survivor = ContactFactory(organization=world.org)
    contact.merged_into = survivor
    contact.save()
    response = _page(world.rep, contact)
    assert response.status_code == 302
    assert response.url == reverse("activities:contact_page", args=[survivor.pk])
    assert _page(world.outsider, contact).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(world, contact):
    from django.test import Client

    response = Client().get(reverse("activities:contact_page", args=[contact.pk]))
    assert response.status_code == 302


def _fill(world, contact, n):
    for i in range(n):
        colleague = ContactFactory(organization=world.org, company=contact.company)
        InteractionFactory(
            organization=world.org,
            owner=world.teammate.user,
            team=world.team_a,
            visibility=Visibility.TEAM,
            contacts=[contact, colleague],
        )
        HelpOfferFactory(contact=contact, user=world.rep.user, description=f"Offer {i}")
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])


def test_the_contact_page_query_count_does_not_grow_with_rows(world, contact, django_assert_max_num_queries):
    client = client_for(world.rep)
    url = reverse("activities:contact_page", args=[contact.pk])
    _fill(world, contact, 2)
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    _fill(world, contact, 25)
    with django_assert_max_num_queries(12) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="help-offer') >= 27
    assert len(few.captured_queries) <= 12


def _ledger(given, received):
    from contacts.models import HelpOffer
    from contacts.selectors import Ledger

    def offers(n, direction):
        return [HelpOffer(direction=direction, status=HelpStatus.DELIVERED) for _ in range(n)]

    return Ledger(given=offers(given, HelpDirection.GIVEN), received=offers(received, HelpDirection.RECEIVED))


@pytest.mark.parametrize(
    ("given", "received", "words"),
    [
        (3, 1, "You have given 3, received 1. You are 2 ahead: giving first."),
        (1, 3, "You have given 1, received 3. They have helped more: time to give back."),
        (2, 2, "You have given 2, received 2. Balanced."),
        (0, 0, "No help delivered either way yet. Give first: offer something useful."),
    ],
)
def test_the_ledger_is_summarized_in_words(given, received, words):
    from activities.views import ledger_summary

    assert ledger_summary(_ledger(given, received)) == words
