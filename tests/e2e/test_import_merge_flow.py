"""Import a LinkedIn export, see the preview, confirm; then merge two records and undo it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, DuplicateCandidate
from relintel.accounts.models import Role
from tests.e2e.conftest import login, screenshot
from tests.factories import TEST_PASSWORD, ContactFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


@pytest.fixture
def rep():
    org = OrganizationFactory(name="Northwind Partners", slug="northwind-import")
    return MembershipFactory(
        organization=org, role=Role.REP, user=UserFactory(email="riley@northwind.example", full_name="Riley Rep")
    )


def test_a_rep_imports_linkedin_connections_after_a_preview(page, rep):
    login(page, rep.user.email, TEST_PASSWORD)
    page.goto("/contacts/")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("Contacts file").set_input_files(str(DATA / "linkedin_connections.csv"))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="Nothing has been written yet")).to_be_visible()
    expect(page.get_by_text("“not-an-email” is not an email address.")).to_be_visible()
    expect(page.get_by_role("cell", name="Zoë Müller")).to_be_visible()
    screenshot(page, "import-preview")
    assert Contact.objects.filter(organization=rep.organization).count() == 0
    page.get_by_role("button", name="Import 3 contacts").click()
    expect(page.get_by_text("3 created, 0 updated, 1 skipped")).to_be_visible()
    page.get_by_role("link", name="See your newest contacts").click()
    expect(page.get_by_role("link", name="Zoë Müller")).to_be_visible()


def test_a_rep_merges_a_duplicate_and_undoes_it(page, rep):
    org = rep.organization
    a = ContactFactory(organization=org, first_name="Jane", last_name="Doe", email="jane@acme.example", title="CTO")
    b = ContactFactory(organization=org, first_name="Jane", last_name="Doe", email="jd@gmail.com", title="Founder")
    first, second = sorted((a, b), key=lambda c: c.pk)
    DuplicateCandidate.objects.create(organization=org, contact=first, other=second, reason="Same name")
    login(page, rep.user.email, TEST_PASSWORD)
    page.goto(f"/contacts/{a.pk}/")
    page.get_by_role("link", name="Compare and merge").click()
    expect(page.get_by_role("heading", name="Merge two contacts")).to_be_visible()
    page.get_by_role("radio", name="Take the other").first.check()
    screenshot(page, "merge-compare")
    page.get_by_role("button", name="Merge into Jane Doe").click()
    expect(page.get_by_text("was merged into Jane Doe")).to_be_visible()
    a.refresh_from_db()
    assert a.title == "Founder"
    page.get_by_role("button", name="Undo the merge").click()
    expect(page.get_by_text("are two contacts again")).to_be_visible()
    assert Contact.objects.filter(organization=org, merged_into__isnull=True).count() == 2
    a.refresh_from_db()
    assert a.title == "CTO"
