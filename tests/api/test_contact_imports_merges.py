"""API: contact imports (upload → preview → confirm), merges with undo, and export."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from activities.models import Participant
from contacts.models import Contact, ContactMerge, ImportJob, ImportStatus
from tests.factories import ContactFactory, HelpOfferFactory, InteractionFactory

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


def _post_file(client, name: str, **extra):
    upload = SimpleUploadedFile(name, (DATA / name).read_bytes())
    return client.post("/api/v1/contact-imports/", {"file": upload, **extra}, format="multipart")


def test_upload_preview_and_confirm(world, api):
    client = api(world.rep)
    response = _post_file(client, "linkedin_connections.csv")
    assert response.status_code == 201
    body = response.json()
    assert body["format"] == "linkedin"
    assert body["status"] == "preview"
    assert body["needs_mapping"] is False
    assert body["preview"]["counts"] == {"create": 3, "update": 0, "skip": 0, "invalid": 1}
    assert body["errors"] == [{"line": 8, "field": "email", "message": "“not-an-email” is not an email address."}]
    assert Contact.objects.filter(organization=world.org).count() == 0
    confirmed = client.post(f"/api/v1/contact-imports/{body['id']}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "done"
    assert confirmed.json()["created_count"] == 3
    status = client.get(f"/api/v1/contact-imports/{body['id']}/").json()
    assert (status["processed_rows"], status["total_rows"]) == (4, 4)


def test_a_generic_csv_takes_its_mapping_through_the_api(world, api):
    client = api(world.rep)
    body = _post_file(client, "generic_latin1.csv").json()
    assert body["needs_mapping"] is True
    assert "E-Mail" in body["preview"]["headers"]
    refused = client.post(f"/api/v1/contact-imports/{body['id']}/mapping/", {"column_mapping": {"email": "Nope"}})
    assert refused.status_code == 400
    assert "column_mapping.email" in refused.json()["errors"]
    mapped = client.post(
        f"/api/v1/contact-imports/{body['id']}/mapping/",
        {"column_mapping": {"email": "E-Mail", "full_name": "Contact"}},
    )
    assert mapped.status_code == 200
    assert mapped.json()["preview"]["counts"]["create"] == 2


def test_a_large_import_is_accepted_and_queued(world, api, monkeypatch, django_capture_on_commit_callbacks):
    from contacts.imports import services

    monkeypatch.setattr(services, "INLINE_MAX_ROWS", 1)
    client = api(world.rep)
    job_id = _post_file(client, "outlook_contacts.csv").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/contact-imports/{job_id}/confirm/")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert client.get(f"/api/v1/contact-imports/{job_id}/").json()["status"] == "done"  # the task ran on commit


def test_cancel_and_a_bad_upload(world, api):
    client = api(world.rep)
    job_id = _post_file(client, "contacts_v3.vcf").json()["id"]
    assert client.post(f"/api/v1/contact-imports/{job_id}/cancel/").json()["status"] == "cancelled"
    assert client.post(f"/api/v1/contact-imports/{job_id}/confirm/").status_code == 400
    bad = _post_file(client, "generic_latin1.csv", format="vcard")
    assert bad.status_code == 400
    assert "file" in bad.json()["errors"]


def test_only_the_importer_sees_an_import(world, api):
    job_id = _post_file(api(world.rep), "contacts_v3.vcf").json()["id"]
    for membership in (world.teammate, world.outsider):
        client = api(membership)
        assert client.get(f"/api/v1/contact-imports/{job_id}/").status_code == 404
        assert client.post(f"/api/v1/contact-imports/{job_id}/confirm/").status_code == 404
        assert client.post(f"/api/v1/contact-imports/{job_id}/cancel/").status_code == 404
        assert client.get("/api/v1/contact-imports/").json()["results"] == []
    assert ImportJob.objects.get().status == ImportStatus.PREVIEW


def _twins(world):
    a = ContactFactory(organization=world.org, first_name="Jane", last_name="Doe", email="jane@acme.example")
    b = ContactFactory(organization=world.org, first_name="Jane", last_name="Doe", email="jd@gmail.com", title="CTO")
    InteractionFactory(organization=world.org, owner=world.rep.user, contacts=[b])
    HelpOfferFactory(contact=b, user=world.rep.user, organization=world.org)
    return a, b


def test_merge_and_undo_through_the_api(world, api):
    a, b = _twins(world)
    client = api(world.rep)
    response = client.post(
        "/api/v1/contact-merges/", {"survivor": a.pk, "merged": b.pk, "field_choices": {"title": "merged"}}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["summary"] == {"email addresses": 1, "interaction participations": 1, "help offers": 1}
    assert client.get(f"/api/v1/contacts/{b.pk}/").status_code == 404
    assert client.get(f"/api/v1/contacts/{a.pk}/").json()["title"] == "CTO"
    assert [m["id"] for m in client.get("/api/v1/contact-merges/").json()["results"]] == [body["id"]]
    undone = client.post(f"/api/v1/contact-merges/{body['id']}/undo/")
    assert undone.status_code == 200
    assert undone.json()["undone_at"] is not None
    assert Participant.objects.filter(contact=b).count() == 1
    assert client.post(f"/api/v1/contact-merges/{body['id']}/undo/").status_code == 400


def test_a_rep_can_merge_only_contacts_they_can_see(world, api):
    a, _ = _twins(world)
    foreign = ContactFactory(organization=world.other_org)
    response = api(world.rep).post("/api/v1/contact-merges/", {"survivor": a.pk, "merged": foreign.pk})
    assert response.status_code == 400
    assert "merged" in response.json()["errors"]
    assert not ContactMerge.objects.exists()


def test_an_outsider_cannot_see_or_undo_our_merges(world, api):
    a, b = _twins(world)
    merge_id = api(world.rep).post("/api/v1/contact-merges/", {"survivor": a.pk, "merged": b.pk}).json()["id"]
    outsider = api(world.outsider)
    assert outsider.get(f"/api/v1/contact-merges/{merge_id}/").status_code == 404
    assert outsider.post(f"/api/v1/contact-merges/{merge_id}/undo/").status_code == 404
    assert outsider.get("/api/v1/contact-merges/").json()["results"] == []
    assert outsider.post("/api/v1/contact-merges/", {"survivor": a.pk, "merged": b.pk}).status_code == 400
    assert ContactMerge.objects.get().undone_at is None


def test_export_through_the_api(world, api):
    ContactFactory(organization=world.org, first_name="Zoë", last_name="Müller", email="zoe@acme.example")
    ContactFactory(organization=world.other_org, first_name="Otto", last_name="Foreign", email="otto@globex.example")
    client = api(world.rep)
    response = client.get("/api/v1/contacts/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    data = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "zoe@acme.example" in data and "otto@globex.example" not in data
    vcard = client.get("/api/v1/contacts/export/", {"type": "vcard", "q": "zoë"})
    assert b"FN:Zo\xc3\xab M\xc3\xbcller" in b"".join(vcard.streaming_content)
    assert client.get("/api/v1/contacts/export/", {"type": "pdf"}).status_code == 400


def test_a_file_over_the_size_limit_is_refused_before_reading(world, api, monkeypatch):
    from contacts.imports import services

    monkeypatch.setattr(services, "MAX_FILE_BYTES", 100)
    response = _post_file(api(world.rep), "outlook_contacts.csv")
    assert response.status_code == 400
    assert "larger than" in response.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists()
