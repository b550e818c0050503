"""Merge pages: side by side, the merge with Undo offered at once, history, redirects."""

from __future__ import annotations

from django.urls import reverse

from contacts.models import Contact, ContactMerge, DuplicateCandidate
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory, InteractionFactory


def _twins(world):
    acme = CompanyFactory(organization=world.org, name="Acme")
    a = ContactFactory(
        organization=world.org, first_name="Jane", last_name="Doe", email="jane@acme.example", company=acme, title="CTO"
    )
    b = ContactFactory(
        organization=world.org,
        first_name="Jane",
        last_name="Doe",
        email="jd@gmail.com",
        title="Chief Technology Officer",
    )
    InteractionFactory(organization=world.org, owner=world.rep.user, contacts=[b])
    return a, b


def test_the_contact_page_links_a_possible_duplicate_to_the_comparison(world):
    a, b = _twins(world)
    DuplicateCandidate.objects.create(organization=world.org, contact=a, other=b, reason="Same name")
    page = client_for(world.rep).get(reverse("activities:contact_page", args=[a.pk])).content.decode()
    assert reverse("contacts:merge", args=[a.pk, b.pk]) in page
    assert "Compare and merge" in page


def test_the_comparison_shows_both_contacts_side_by_side(world):
    a, b = _twins(world)
    page = client_for(world.rep).get(reverse("contacts:merge", args=[a.pk, b.pk])).content.decode()
    assert "jane@acme.example" in page and "jd@gmail.com" in page
    assert "Chief Technology Officer" in page and "CTO" in page
    assert 'name="title"' in page  # the titles differ: a choice
    assert 'name="full_name"' not in page  # the names are the same: nothing to choose
    assert reverse("contacts:merge", args=[b.pk, a.pk]) in page  # keep the other one instead


def test_merging_takes_the_chosen_values_and_offers_undo(world):
    a, b = _twins(world)
    client = client_for(world.teammate)
    response = client.post(reverse("contacts:merge", args=[a.pk, b.pk]), {"title": "merged"})
    merge = ContactMerge.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("contacts:merge_detail", args=[merge.pk])
    a.refresh_from_db()
    assert a.title == "Chief Technology Officer"
    page = client.get(response.url).content.decode()
    assert reverse("contacts:merge_undo", args=[merge.pk]) in page
    assert "1 interaction participations" in page


def test_a_merged_contacts_page_redirects_to_the_survivor(world):
    a, b = _twins(world)
    client = client_for(world.rep)
    client.post(reverse("contacts:merge", args=[a.pk, b.pk]))
    response = client.get(reverse("activities:contact_page", args=[b.pk]))
    assert response.status_code == 302
    assert response.url == reverse("activities:contact_page", args=[a.pk])
    assert b.full_name in client.get(reverse("contacts:list")).content.decode()  # the survivor, same name
    assert client.get(reverse("contacts:list"), {"q": "jd@gmail.com"}).context["page"].paginator.count == 1


def test_undo_from_the_history_makes_two_contacts_again(world):
    a, b = _twins(world)
    client = client_for(world.rep)
    client.post(reverse("contacts:merge", args=[a.pk, b.pk]))
    merge = ContactMerge.objects.get()
    history = client.get(reverse("contacts:merge_history")).content.decode()
    assert reverse("contacts:merge_undo", args=[merge.pk]) in history
    response = client.post(reverse("contacts:merge_undo", args=[merge.pk]))
    assert response.url == reverse("activities:contact_page", args=[b.pk])
    assert Contact.objects.filter(pk=b.pk, merged_into__isnull=True).exists()
    assert "Undone" in client.get(reverse("contacts:merge_history")).content.decode()
    again = client.post(reverse("contacts:merge_undo", args=[merge.pk]), follow=True)
    assert "already been undone" in again.content.decode()


def test_undo_needs_a_post(world):
    a, b = _twins(world)
    client = client_for(world.rep)
    client.post(reverse("contacts:merge", args=[a.pk, b.pk]))
    merge = ContactMerge.objects.get()
    assert client.get(reverse("contacts:merge_undo", args=[merge.pk])).status_code == 405
    assert ContactMerge.objects.get().undone_at is None


def test_a_contact_cannot_be_compared_with_itself(world):
    a, _ = _twins(world)
    assert client_for(world.rep).get(reverse("contacts:merge", args=[a.pk, a.pk])).status_code == 404


def test_an_outsider_gets_404_everywhere_and_merges_nothing(world):
    a, b = _twins(world)
    outsider = client_for(world.outsider)
    assert outsider.get(reverse("contacts:merge", args=[a.pk, b.pk])).status_code == 404
    assert outsider.post(reverse("contacts:merge", args=[a.pk, b.pk])).status_code == 404
    client_for(world.rep).post(reverse("contacts:merge", args=[a.pk, b.pk]))
    merge = ContactMerge.objects.get()
    assert outsider.get(reverse("contacts:merge_detail", args=[merge.pk])).status_code == 404
    assert outsider.post(reverse("contacts:merge_undo", args=[merge.pk])).status_code == 404
    assert "Jane" not in outsider.get(reverse("contacts:merge_history")).content.decode()
    assert outsider.get(reverse("activities:contact_page", args=[b.pk])).status_code == 404
    assert ContactMerge.objects.get().undone_at is None


def test_a_contact_of_another_organization_cannot_be_merged_in(world):
    a, _ = _twins(world)
    foreign = ContactFactory(organization=world.other_org)
    assert client_for(world.rep).post(reverse("contacts:merge", args=[a.pk, foreign.pk])).status_code == 404
    assert not ContactMerge.objects.exists()


def test_any_contact_can_be_picked_for_a_merge_from_the_edit_page(world):
    a, b = _twins(world)
    client = client_for(world.rep)
    edit = client.get(reverse("contacts:edit", args=[a.pk])).content.decode()
    assert reverse("contacts:merge_pick", args=[a.pk]) in edit
    page = client.get(reverse("contacts:merge_pick", args=[a.pk])).content.decode()  # by last name at first
    assert reverse("contacts:merge", args=[a.pk, b.pk]) in page
    assert reverse("contacts:merge", args=[a.pk, a.pk]) not in page
    found = client.get(reverse("contacts:merge_pick", args=[a.pk]), {"q": "jd@gmail"}).content.decode()
    assert reverse("contacts:merge", args=[a.pk, b.pk]) in found
    assert client_for(world.outsider).get(reverse("contacts:merge_pick", args=[a.pk])).status_code == 404


def test_the_merge_history_reads_the_same_number_of_rows_however_many_merges(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from contacts import merge as merging

    client = client_for(world.rep)

    def merge_some(n: int) -> None:
        for _ in range(n):
            a, b = ContactFactory(organization=world.org), ContactFactory(organization=world.org)
            merging.contact_merge(membership=world.rep, survivor=a, merged=b)

    merge_some(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("contacts:merge_history"))
    merge_some(6)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("contacts:merge_history")).content.decode()
    assert page.count("Undo<span") == 8
    assert len(many) == len(few)
