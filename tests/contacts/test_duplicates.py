"""Likely duplicates are offered on the contact page, and can be dismissed; never merged silently."""

from django.urls import reverse

from contacts.models import Contact, DuplicateCandidate, DuplicateStatus
from tests.conftest import client_for
from tests.factories import ContactFactory


def _pair(world):
    a = ContactFactory(organization=world.org, first_name="Jane", last_name="Doe", full_name="Jane Doe")
    b = ContactFactory(organization=world.org, first_name="Jane", last_name="Doe", full_name="Jane Doe")
    candidate = DuplicateCandidate.objects.create(
        organization=world.org, contact=a, other=b, reason="Same name at acme.example"
    )
    return a, b, candidate


def test_the_contact_page_offers_a_likely_duplicate(world):
    a, b, _ = _pair(world)
    page = client_for(world.rep).get(reverse("activities:contact_page", args=[a.pk])).content.decode()
    assert "Possibly the same person" in page
    assert reverse("activities:contact_page", args=[b.pk]) in page
    assert "Same name at acme.example" in page


def test_dismissing_stops_the_offer_and_merges_nothing(world):
    a, b, candidate = _pair(world)
    client = client_for(world.rep)
    response = client.post(reverse("contacts:duplicate_dismiss", args=[candidate.pk]))
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.DISMISSED
    assert Contact.objects.filter(pk__in=[a.pk, b.pk]).count() == 2
    page = client.get(reverse("activities:contact_page", args=[a.pk])).content.decode()
    assert "Possibly the same person" not in page


def test_dismissing_needs_a_post(world):
    _, _, candidate = _pair(world)
    response = client_for(world.rep).get(reverse("contacts:duplicate_dismiss", args=[candidate.pk]))
    assert response.status_code == 405


def test_an_outsider_cannot_dismiss_our_candidates(world):
    _, _, candidate = _pair(world)
    response = client_for(world.outsider).post(reverse("contacts:duplicate_dismiss", args=[candidate.pk]))
    assert response.status_code == 404
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.OPEN
