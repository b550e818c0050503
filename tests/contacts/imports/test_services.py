"""Import jobs: a preview that writes nothing, then a run that writes what it promised."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from contacts.imports import services
from contacts.models import Company, Contact, ContactEmail, DuplicateCandidate, ImportJob, ImportStatus, Source
from tests.factories import CompanyDomainFactory, CompanyFactory, ContactFactory

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def _upload(membership, name: str, **kwargs) -> ImportJob:
    return services.import_job_create(membership=membership, filename=name, data=(DATA / name).read_bytes(), **kwargs)


def _csv(membership, text: str, **kwargs) -> ImportJob:
    return services.import_job_create(membership=membership, filename="people.csv", data=text.encode(), **kwargs)


def test_the_preview_writes_nothing_but_the_import(world):
    job = _upload(world.rep, "linkedin_connections.csv")
    assert Contact.objects.filter(organization=world.org).count() == 0
    assert Company.objects.filter(organization=world.org).count() == 0
    assert job.status == ImportStatus.PREVIEW
    assert job.preview["counts"] == {"create": 3, "update": 0, "skip": 0, "invalid": 1}
    assert [r["full_name"] for r in job.preview["create"]] == ["Zoë Müller", "José García", "Priya Natarajan"]
    assert job.errors == [{"line": 8, "field": "email", "message": "“not-an-email” is not an email address."}]
    assert job.total_rows == 4


def test_the_preview_shows_updates_and_skips_against_existing_contacts(world):
    ContactFactory(organization=world.org, first_name="Priya", last_name="Natarajan", email="priya@initech.example")
    acme = CompanyFactory(organization=world.org, name="Acme Robotics, Inc.")
    ContactFactory(
        organization=world.org,
        first_name="José",
        last_name="García",
        company=acme,
        title="VP Engineering",
        linkedin_url="https://www.linkedin.com/in/jgarcia",
    )
    job = _upload(world.rep, "linkedin_connections.csv")
    assert job.preview["counts"] == {"create": 1, "update": 1, "skip": 1, "invalid": 1}
    (update,) = job.preview["update"]
    assert update["line"] == 7
    assert set(update["changes"]) == {"company", "title", "linkedin_url"}
    (skip,) = job.preview["skip"]
    assert (skip["line"], skip["reason"]) == (6, "Already up to date.")  # same name at the same company


def test_confirming_a_small_file_imports_it_at_once(world, django_capture_on_commit_callbacks):
    job = _upload(world.rep, "google_contacts_new.csv")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_confirm(job=job)
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.updated_count, job.skipped_count) == (2, 0, 1)
    assert job.processed_rows == job.total_rows == 3
    assert job.content == ""  # the file is not kept once imported
    bjork = Contact.objects.get(organization=world.org, full_name="Björk Guðmundsdóttir")
    assert bjork.source == Source.IMPORT
    assert bjork.owner == world.rep.user
    assert (bjork.first_name, bjork.last_name) == ("Björk", "Guðmundsdóttir")
    assert bjork.company.name == "Sykurmolarnir ehf."
    assert [e.email for e in bjork.emails.all()] == ["bjork@sykur.example", "bjork.home@gmail.com"]
    assert [p.number for p in bjork.phones.all()] == ["+3546112345"]
    assert bjork.location == "Reykjavík"
    assert bjork.company.domains.get().domain == "sykur.example"


def test_an_imported_company_is_matched_by_name_or_by_email_domain(world):
    initech = CompanyFactory(organization=world.org, name="INITECH")
    beispiel = CompanyFactory(organization=world.org, name="Beispiel")
    CompanyDomainFactory(company=beispiel, domain="beispiel.de")
    services.import_job_confirm(job=_upload(world.rep, "linkedin_connections.csv"))
    assert Contact.objects.get(full_name="Priya Natarajan").company == initech
    assert Contact.objects.get(full_name="Zoë Müller").company == beispiel
    assert Contact.objects.get(full_name="José García").company.name == "Acme Robotics, Inc."


def test_an_update_adds_what_is_new_and_keeps_what_was_there(world):
    soren = ContactFactory(
        organization=world.org,
        first_name="Søren",
        last_name="Kierkegaard",
        email="soren@filosofi.example",
        title="Philosopher",
        notes="Met in Copenhagen.",
    )
    job = services.import_job_confirm(job=_upload(world.rep, "outlook_contacts.csv"))
    assert (job.created_count, job.updated_count) == (1, 1)
    soren.refresh_from_db()
    assert soren.full_name == "Søren Kierkegaard"
    assert [e.email for e in soren.emails.all()] == ["soren@filosofi.example", "soren.k@outlook.com"]
    assert sorted(p.number for p in soren.phones.all()) == ["+4520123456", "+4533123456"]
    assert soren.title == "Head of Thinking"
    assert soren.notes == "Met in Copenhagen.\n\nPrefers calls, not email."
    assert soren.source != Source.IMPORT  # it was not created by the import


def test_importing_the_same_file_twice_changes_nothing_the_second_time(world):
    services.import_job_confirm(job=_upload(world.rep, "contacts_v3.vcf"))
    count = Contact.objects.filter(organization=world.org).count()
    again = _upload(world.rep, "contacts_v3.vcf")
    assert again.preview["counts"] == {"create": 0, "update": 0, "skip": 2, "invalid": 1}
    again = services.import_job_confirm(job=again)
    assert (again.created_count, again.updated_count, again.skipped_count) == (0, 0, 3)
    assert Contact.objects.filter(organization=world.org).count() == count


def test_a_run_that_crashed_is_resumed_without_duplicates(world, monkeypatch):
    rows = "".join(f"Person {i},person{i}@bulk.example\r\n" for i in range(12))
    job = _csv(world.rep, "Name,Email\r\n" + rows)
    job = services.import_job_map(job=job, column_mapping={"full_name": "Name", "email": "Email"})
    monkeypatch.setattr(services, "BATCH_SIZE", 5)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    calls = {"n": 0}
    real_decide = services.decide

    def crash_on_second_batch(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real_decide(**kwargs)

    monkeypatch.setattr(services, "decide", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == (ImportStatus.RUNNING, 5, 5)
    assert Contact.objects.filter(organization=world.org).count() == 5  # the first batch was committed

    services.import_job_run(job_id=job.pk)  # the retry
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == (ImportStatus.DONE, 12, 12)
    assert Contact.objects.filter(organization=world.org).count() == 12


def test_rows_already_written_are_matched_by_email_when_a_run_starts_over(world, monkeypatch):
    job = _upload(world.rep, "outlook_contacts.csv")
    services.import_job_confirm(job=_upload(world.rep, "outlook_contacts.csv"))
    # As if the first run had written its rows but lost its progress: the same rows again.
    job = services.import_job_confirm(job=job)
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 0, 3)
    assert ContactEmail.objects.filter(organization=world.org, email="soren@filosofi.example").count() == 1


def test_a_large_file_runs_in_a_worker_after_commit(world, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "INLINE_MAX_ROWS", 2)
    job = _upload(world.rep, "google_contacts_new.csv")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.import_job_confirm(job=job)
    assert job.status == ImportStatus.QUEUED
    assert Contact.objects.filter(organization=world.org).count() == 0
    for callback in callbacks:
        callback()  # the task runs eagerly in tests
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.created_count == 2


def test_a_cancelled_import_writes_nothing(world):
    job = services.import_job_cancel(job=_upload(world.rep, "google_contacts_new.csv"))
    assert job.status == ImportStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.import_job_confirm(job=job)
    services.import_job_run(job_id=job.pk)
    assert Contact.objects.filter(organization=world.org).count() == 0


def test_a_generic_csv_waits_for_its_mapping(world):
    job = _upload(world.rep, "generic_latin1.csv")
    assert job.preview["needs_mapping"] is True
    assert job.preview["headers"][:2] == ["Contact", "E-Mail"]
    with pytest.raises(ValidationError):
        services.import_job_confirm(job=job)
    with pytest.raises(ValidationError) as refused:
        services.import_job_map(job=job, column_mapping={"title": "Role"})
    assert "column_mapping.email" in refused.value.message_dict
    job = services.import_job_map(
        job=job, column_mapping={"full_name": "Contact", "email": "E-Mail", "company": "Organisation"}
    )
    assert job.preview["counts"] == {"create": 2, "update": 0, "skip": 0, "invalid": 1}
    assert job.errors == [{"line": 5, "field": "email", "message": "“nobody@” is not an email address."}]
    assert "not UTF-8" in job.preview["note"]
    job = services.import_job_confirm(job=job)
    assert Contact.objects.get(full_name="Renée Lefèvre").company.name == "Atelier Lefèvre"


def test_a_file_that_is_not_contacts_is_refused_with_a_reason(world):
    with pytest.raises(ValidationError) as refused:
        services.import_job_create(membership=world.rep, filename="x.vcf", data=b"hello", format_override="vcard")
    assert "BEGIN:VCARD" in refused.value.message_dict["file"][0]
    with pytest.raises(ValidationError):
        services.import_job_create(membership=world.rep, filename="x.csv", data=b"")
    assert ImportJob.objects.count() == 0


def test_imported_contacts_are_checked_for_duplicates(world):
    # Same name, no company, another address: not matched, but offered as a likely duplicate.
    ContactFactory(organization=world.org, first_name="Chen", last_name="Wei", email="chen.wei@gmail.com")
    job = services.import_job_confirm(job=_upload(world.rep, "outlook_contacts.csv"))
    assert job.created_count == 2
    imported = Contact.objects.get(emails__email="chen.wei@initech.example")
    assert DuplicateCandidate.objects.filter(organization=world.org, other=imported).exists()


def test_the_same_name_at_the_same_company_is_the_same_contact(world):
    initech = CompanyFactory(organization=world.org, name="Initech")
    chen = ContactFactory(organization=world.org, first_name="Chen", last_name="Wei", company=initech)
    job = services.import_job_confirm(job=_upload(world.rep, "outlook_contacts.csv"))
    assert (job.created_count, job.updated_count) == (1, 1)
    assert [e.email for e in chen.emails.all()] == ["chen.wei@initech.example"]


def test_an_outsiders_contacts_are_never_matched(world):
    ContactFactory(
        organization=world.other_org, first_name="Priya", last_name="Natarajan", email="priya@initech.example"
    )
    job = services.import_job_confirm(job=_upload(world.rep, "linkedin_connections.csv"))
    assert job.created_count == 3
    assert Contact.objects.filter(organization=world.org, emails__email="priya@initech.example").exists()


def test_a_row_without_a_company_joins_the_company_owning_its_email_domain(world):
    initech = CompanyFactory(organization=world.org, name="Initech")
    CompanyDomainFactory(company=initech, domain="initech.example")
    job = _csv(world.rep, "Name,Email\r\nPeter Gibbons,peter@initech.example\r\nMilton,milton@gmail.com\r\n")
    services.import_job_confirm(
        job=services.import_job_map(job=job, column_mapping={"full_name": "Name", "email": "Email"})
    )
    assert Contact.objects.get(full_name="Peter Gibbons").company == initech
    assert Contact.objects.get(full_name="Milton").company is None


def test_an_address_taken_during_the_run_refuses_only_that_row(world, monkeypatch):
    job = _upload(world.rep, "outlook_contacts.csv")
    real_decide = services.decide

    def someone_was_faster(**kwargs):
        decisions = real_decide(**kwargs)  # decided before the other contact existed
        ContactFactory(organization=world.org, first_name="Other", last_name="Person", email="chen.wei@initech.example")
        return decisions

    monkeypatch.setattr(services, "decide", someone_was_faster)
    job = services.import_job_confirm(job=job)
    assert (job.created_count, job.skipped_count) == (1, 2)
    assert job.errors[-1]["line"] == 3
    assert "chen.wei@initech.example already belongs to Other Person" in job.errors[-1]["message"]
    assert Contact.objects.filter(full_name="Søren Kierkegaard").exists()


def test_a_linkedin_url_that_is_not_a_web_address_is_a_row_error(world):
    job = _csv(world.rep, "Name,LinkedIn\r\nAda,not a url at all\r\n")
    job = services.import_job_map(job=job, column_mapping={"full_name": "Name", "linkedin_url": "LinkedIn"})
    assert job.errors == [{"line": 2, "field": "linkedin_url", "message": "“not a url at all” is not a web address."}]


def test_a_large_files_preview_is_prepared_in_a_worker(world, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "INLINE_PREVIEW_MAX_ROWS", 2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = _upload(world.rep, "google_contacts_new.csv")
    assert services.import_job_previewing(job)
    assert job.total_rows == 3
    with pytest.raises(ValidationError, match="not ready"):
        services.import_job_confirm(job=job)
    for callback in callbacks:
        callback()  # the preview task, eagerly
    job.refresh_from_db()
    assert not services.import_job_previewing(job)
    assert job.preview["counts"] == {"create": 2, "update": 0, "skip": 0, "invalid": 1}
    assert Contact.objects.filter(organization=world.org).count() == 0
    services.import_job_preview_compute(job_id=job.pk)  # a second run changes nothing
    job.refresh_from_db()
    assert job.preview["counts"]["create"] == 2


def test_a_large_generic_csv_is_previewed_in_a_worker_after_its_mapping(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "INLINE_PREVIEW_MAX_ROWS", 2)
    job = _upload(world.rep, "generic_latin1.csv")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_map(job=job, column_mapping={"full_name": "Contact", "email": "E-Mail"})
    job.refresh_from_db()
    assert job.preview["counts"] == {"create": 2, "update": 0, "skip": 0, "invalid": 1}
    assert job.preview["headers"][0] == "Contact"  # kept for "change the mapping"
    assert "not UTF-8" in job.preview["note"]
