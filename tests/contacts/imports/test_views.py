"""Import pages: upload, mapping, preview, confirm, progress; only the importer sees an import."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.imports import services
from contacts.models import Contact, ImportJob, ImportStatus
from tests.conftest import client_for

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def _file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / name).read_bytes(), content_type="text/csv")


def _upload(client, name: str, **data):
    return client.post(reverse("contacts:import"), {"file": _file(name), **data})


def test_the_contacts_list_links_to_import_export_and_merges(world):
    page = client_for(world.rep).get(reverse("contacts:list")).content.decode()
    assert reverse("contacts:import") in page
    assert reverse("contacts:export") in page
    assert reverse("contacts:merge_history") in page


def test_uploading_shows_a_preview_and_writes_no_contact(world):
    client = client_for(world.rep)
    response = _upload(client, "linkedin_connections.csv")
    job = ImportJob.objects.get()
    assert response.url == reverse("contacts:import_job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert "Nothing has been written yet" in page
    assert "Zoë Müller" in page and "José García" in page
    assert "not-an-email" in page  # the bad row, by line
    assert ">8<" in page
    assert "Import 3 contacts" in page
    assert Contact.objects.filter(organization=world.org).count() == 0


def test_confirming_imports_and_shows_the_result(world):
    client = client_for(world.rep)
    _upload(client, "contacts_v4.vcf")
    job = ImportJob.objects.get()
    response = client.post(reverse("contacts:import_confirm", args=[job.pk]), follow=True)
    page = response.content.decode()
    assert "2 created, 0 updated, 1 skipped" in page
    assert "See your newest contacts" in page
    assert Contact.objects.filter(organization=world.org, full_name="Олег Петров").exists()


def test_a_generic_csv_asks_which_column_is_which_with_samples(world):
    client = client_for(world.rep)
    _upload(client, "generic_latin1.csv")
    job = ImportJob.objects.get()
    page = client.get(reverse("contacts:import_job", args=[job.pk])).content.decode()
    assert "Which column is which?" in page
    assert "E-Mail (e.g. renee@atelier.example, hans@bau.example)" in page
    assert "not UTF-8" in page
    refused = client.post(reverse("contacts:import_map", args=[job.pk]), {"title": "Role"})
    assert refused.status_code == 400
    assert "Choose at least the column with the email address or the name." in refused.content.decode()
    response = client.post(reverse("contacts:import_map", args=[job.pk]), {"email": "E-Mail", "full_name": "Contact"})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Nothing has been written yet" in page
    assert "Renée Lefèvre" in page
    assert reverse("contacts:import_remap", args=[job.pk]) in page


def test_the_format_can_be_forced_and_a_wrong_one_is_explained(world):
    client = client_for(world.rep)
    response = _upload(client, "generic_latin1.csv", format="outlook")
    assert response.status_code == 200
    assert "not in Outlook&#x27;s export format" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_large_import_shows_its_progress_while_it_runs(world, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "INLINE_MAX_ROWS", 1)
    client = client_for(world.rep)
    _upload(client, "outlook_contacts.csv")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("contacts:import_confirm", args=[job.pk]))
    page = client.get(reverse("contacts:import_job", args=[job.pk])).content.decode()
    assert "hx-get" in page and reverse("contacts:import_progress", args=[job.pk]) in page
    assert "Stop the import" in page
    partial = client.get(reverse("contacts:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "0 of 3 rows" in partial.content.decode()
    assert "HX-Refresh" not in partial
    services.import_job_run(job_id=job.pk)
    done = client.get(reverse("contacts:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "3 of 3 rows" in done.content.decode()
    assert done["HX-Refresh"] == "true"


def test_cancelling_from_the_preview_writes_nothing(world):
    client = client_for(world.rep)
    _upload(client, "google_contacts_new.csv")
    job = ImportJob.objects.get()
    client.post(reverse("contacts:import_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert Contact.objects.filter(organization=world.org).count() == 0


def test_confirm_and_cancel_need_a_post(world):
    client = client_for(world.rep)
    _upload(client, "google_contacts_new.csv")
    job = ImportJob.objects.get()
    assert client.get(reverse("contacts:import_confirm", args=[job.pk])).status_code == 405
    assert client.get(reverse("contacts:import_cancel", args=[job.pk])).status_code == 405
    assert ImportJob.objects.get().status == ImportStatus.PREVIEW


def test_a_teammate_and_an_outsider_cannot_see_or_run_someone_elses_import(world):
    _upload(client_for(world.rep), "google_contacts_new.csv")
    job = ImportJob.objects.get()
    for membership in (world.teammate, world.manager, world.outsider):
        client = client_for(membership)
        for name in ("import_job", "import_progress", "import_remap"):
            assert client.get(reverse(f"contacts:{name}", args=[job.pk])).status_code == 404
        for name in ("import_confirm", "import_cancel", "import_map"):
            assert client.post(reverse(f"contacts:{name}", args=[job.pk])).status_code == 404
        assert "google_contacts_new.csv" not in client.get(reverse("contacts:import")).content.decode()
    assert ImportJob.objects.get().status == ImportStatus.PREVIEW
    assert Contact.objects.count() == 0


def test_a_large_files_preview_page_polls_until_it_is_ready(world, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "INLINE_PREVIEW_MAX_ROWS", 2)
    client = client_for(world.rep)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _upload(client, "google_contacts_new.csv")
    job = ImportJob.objects.get()
    page = client.get(reverse("contacts:import_job", args=[job.pk])).content.decode()
    assert "Reading 3 rows" in page
    assert reverse("contacts:import_progress", args=[job.pk]) in page
    assert "HX-Refresh" not in client.get(reverse("contacts:import_progress", args=[job.pk]))
    for callback in callbacks:
        callback()
    assert client.get(reverse("contacts:import_progress", args=[job.pk]))["HX-Refresh"] == "true"
    assert "Nothing has been written yet" in client.get(reverse("contacts:import_job", args=[job.pk])).content.decode()
