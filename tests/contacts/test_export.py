"""Export of the contact list as CSV (for Excel) or vCard; importing an export changes nothing."""

from __future__ import annotations

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.imports import services as import_services
from contacts.models import Contact, ContactEmail, ContactPhone
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory


def _people(world):
    acme = CompanyFactory(organization=world.org, name="Acme, Inc.")
    zoe = ContactFactory(
        organization=world.org,
        first_name="Zoë",
        last_name="Müller",
        full_name="Zoë Müller",
        email="zoe@acme.example",
        company=acme,
        title="Leiterin",
        location="Berlin, Germany",
        linkedin_url="https://www.linkedin.com/in/zoe",
        notes='Line one\nLine two; with "quotes", commas',
        owner=world.rep.user,
    )
    ContactEmail.objects.create(organization=world.org, contact=zoe, email="zoe@posteo.example")
    ContactPhone.objects.create(contact=zoe, number="+49301234567", is_primary=True)
    ContactPhone.objects.create(contact=zoe, number="+4915112345678", kind="mobile")
    bob = ContactFactory(
        organization=world.org,
        first_name="=HYPERLINK(1)",
        last_name="",
        full_name="=HYPERLINK(1)",
        owner=world.teammate.user,
    )
    ContactFactory(organization=world.other_org, first_name="Otto", last_name="Foreign", email="otto@globex.example")
    return zoe, bob


def _download(client, **params) -> bytes:
    response = client.get(reverse("contacts:export"), params)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_csv_export_has_one_row_per_contact_for_excel(world):
    _people(world)
    data = _download(client_for(world.rep))
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with a BOM
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2
    row = next(r for r in rows if r["Email"] == "zoe@acme.example")
    assert row["Full name"] == "Zoë Müller"
    assert row["Other emails"] == "zoe@posteo.example"
    assert row["Phones"] == "+49301234567; +4915112345678"
    assert row["Company"] == "Acme, Inc."
    assert row["Notes"] == 'Line one\nLine two; with "quotes", commas'
    assert row["Owner"] == world.rep.user.display_name


def test_a_cell_that_looks_like_a_formula_is_kept_as_text(world):
    _people(world)
    rows = list(csv.DictReader(io.StringIO(_download(client_for(world.rep)).decode("utf-8-sig"))))
    assert {r["Full name"] for r in rows} == {"Zoë Müller", "'=HYPERLINK(1)"}


def test_the_export_follows_the_list_filters(world):
    _people(world)
    client = client_for(world.rep)
    mine = list(csv.DictReader(io.StringIO(_download(client, mine="1").decode("utf-8-sig"))))
    assert [r["Full name"] for r in mine] == ["Zoë Müller"]
    found = list(csv.DictReader(io.StringIO(_download(client, q="hyperlink").decode("utf-8-sig"))))
    assert [r["Full name"] for r in found] == ["'=HYPERLINK(1)"]


def test_the_vcard_export_is_version_3(world):
    _people(world)
    text = _download(client_for(world.rep), type="vcard").decode()
    assert text.count("BEGIN:VCARD") == 2
    assert "VERSION:3.0" in text
    assert "FN:Zoë Müller" in text
    assert "TEL;TYPE=CELL:+4915112345678" in text
    assert "otto@globex.example" not in text


def test_exporting_then_importing_changes_nothing(world):
    _people(world)
    client = client_for(world.rep)
    for kind, mapping in (("csv", True), ("vcard", False)):
        data = _download(client, type=kind)
        job = import_services.import_job_create(membership=world.rep, filename=f"export.{kind}", data=data)
        if mapping:
            assert job.preview["needs_mapping"]
            job = import_services.import_job_map(job=job, column_mapping=job.column_mapping)
        assert job.errors == []
        assert job.preview["counts"] == {"create": 0, "update": 0, "skip": 2, "invalid": 0}, kind
        job = import_services.import_job_confirm(job=job)
        assert (job.created_count, job.updated_count) == (0, 0)
    assert Contact.objects.filter(organization=world.org).count() == 2


def test_the_export_reads_in_chunks_with_a_constant_number_of_queries(world, monkeypatch):
    from contacts import export

    monkeypatch.setattr(export, "CHUNK", 5)
    _people(world)
    for i in range(4):
        ContactFactory(organization=world.org, email=f"p{i}@x.example")
    client = client_for(world.rep)
    with CaptureQueriesContext(connection) as few:
        _download(client)
    for i in range(4, 20):
        ContactFactory(organization=world.org, email=f"p{i}@x.example")
    with CaptureQueriesContext(connection) as many:
        data = _download(client)
    assert data.count(b"@x.example") == 20
    # Three reads (contacts, emails, phones) per chunk of 5: 20 more rows, at most 3 chunks more.
    assert len(many) - len(few) <= 3 * 3 + 1


def test_an_outsider_exports_none_of_our_contacts(world):
    _people(world)
    data = _download(client_for(world.outsider))
    assert b"zoe@acme.example" not in data
    assert b"otto@globex.example" in data
