"""Long lists count their rows only up to a cap: "more than 10,000 contacts", not COUNT(*) of all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contacts.models import Contact
from relintel import pagination
from relintel.pagination import CappedPaginator
from tests.conftest import client_for
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_a_list_under_the_cap_is_counted_exactly(world):
    ContactFactory.create_batch(3, organization=world.org)
    paginator = CappedPaginator(Contact.objects.order_by("id"), 2, cap=5)

    assert (paginator.count, paginator.is_capped, paginator.num_pages) == (3, False, 2)


def test_a_list_over_the_cap_stops_counting_at_the_cap(world):
    ContactFactory.create_batch(7, organization=world.org)
    paginator = CappedPaginator(Contact.objects.order_by("id"), 2, cap=5)

    assert (paginator.count, paginator.is_capped, paginator.num_pages) == (5, True, 3)
    assert [c.pk for c in paginator.page(3)] == list(Contact.objects.order_by("id").values_list("pk", flat=True)[4:5])


def test_the_contacts_page_says_more_than_the_cap(world, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    monkeypatch.setattr(CappedPaginator.__init__, "__kwdefaults__", {"cap": 4})
    ContactFactory.create_batch(6, organization=world.org)

    body = client_for(world.rep).get(reverse("contacts:list")).content.decode()

    assert "More than 4 contacts" in body


def test_the_contacts_page_counts_a_short_list_exactly(world):
    ContactFactory.create_batch(3, organization=world.org)

    body = client_for(world.rep).get(reverse("contacts:list")).content.decode()

    assert "3 contacts" in body
    assert "More than" not in body


def test_a_search_matching_few_contacts_still_lists_them_in_name_order(world):
    for last in ["Zeta", "Alpha", "Mu"]:
        ContactFactory(organization=world.org, first_name="Smith", last_name=last, search_text=f"smith {last.lower()}")
    ContactFactory(organization=world.org, first_name="Other", last_name="Person", search_text="other person")

    page = client_for(world.rep).get(reverse("contacts:list"), {"q": "smith"}).context["page"]

    assert [c.last_name for c in page] == ["Alpha", "Mu", "Zeta"]
    assert "* 0" in str(page.paginator.queryset.query)  # sorted after matching, not by walking the index


def test_a_search_counts_its_matches_to_a_lower_cap_and_asks_for_another_word(world, monkeypatch):
    from contacts import views

    monkeypatch.setattr(views, "SEARCH_COUNT_CAP", 3)
    monkeypatch.setattr(views, "SHORT_SEARCH_COUNT_CAP", 2)
    for i in range(5):
        ContactFactory(organization=world.org, first_name="Joan", last_name=f"N{i}", search_text=f"joan n{i}")

    response = client_for(world.rep).get(reverse("contacts:list"), {"q": "joan"})
    body = response.content.decode()
    short = client_for(world.rep).get(reverse("contacts:list"), {"q": "jo"})

    assert response.context["page"].paginator.cap == 3
    assert "More than 3 contacts · add a word to narrow the search" in body
    # A two-letter word is matched row by row: its count stops sooner.
    assert short.context["page"].paginator.cap == 2
    assert "More than 2 contacts" in short.content.decode()
    assert "More than" not in client_for(world.rep).get(reverse("contacts:list")).content.decode()
