"""Import jobs: upload → (mapping) → preview → confirm → run, and cancel.

Nothing but the ``ImportJob`` is written before the user confirms. The run applies the
rows in batches, each in its own transaction together with the job's progress, so a
crashed run resumes after the last committed batch and a re-run matches the contacts it
already wrote by email (updating them, never duplicating them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts import services as contact_services
from contacts.imports import csvfiles
from contacts.imports.matching import CREATE, SKIP, UPDATE, Decision, decide
from contacts.imports.parse import Parsed, parse, sniff
from contacts.imports.rows import TARGET_FIELDS, CleanRow, within_file_duplicates
from contacts.imports.writing import companies_resolve, contacts_bulk_create
from contacts.models import Company, ImportJob, ImportStatus, Source
from relintel.accounts.models import Membership

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
# Above this many rows the run goes to a worker; below, the confirm request does it.
INLINE_MAX_ROWS = 500
# Checking rows for the preview is cheaper (about half a millisecond a row): more stay inline.
INLINE_PREVIEW_MAX_ROWS = 2000
BATCH_SIZE = 200
# The preview keeps this many rows of each kind to show (the counts are always complete).
PREVIEW_ROWS_PER_KIND = 100
MAX_STORED_ERRORS = 1000
PREVIEW_CHUNK = 2000

OPEN_STATUSES = (ImportStatus.PREVIEW, ImportStatus.QUEUED, ImportStatus.RUNNING)


def _parsed(job: ImportJob) -> Parsed:
    return parse(
        job.content,
        fmt=job.format,
        column_mapping=job.column_mapping,
        default_region=settings.RELINTEL_DEFAULT_PHONE_REGION,
    )


def _decision_dict(decision: Decision) -> dict[str, object]:
    row = decision.row
    out: dict[str, object] = {
        "line": row.line,
        "full_name": row.full_name,
        "email": row.emails[0] if row.emails else "",
        "company": row.company,
        "title": row.title,
    }
    if decision.contact is not None:
        out["contact_id"] = decision.contact.pk
        out["contact_name"] = decision.contact.full_name
    if decision.changes:
        out["changes"] = sorted(decision.changes)
    if decision.reason:
        out["reason"] = decision.reason
    if decision.taken_emails:
        out["taken_emails"] = decision.taken_emails
    return out


def _preview_of(job: ImportJob, parsed: Parsed) -> dict[str, object]:
    skipped_in_file = within_file_duplicates(parsed.rows)
    claimed: set[int] = set()
    decisions = [
        decision
        # In chunks: lookups of a few thousand addresses at a time, not a whole file's.
        for start in range(0, len(parsed.rows), PREVIEW_CHUNK)
        for decision in decide(
            organization_id=job.organization_id,
            rows=parsed.rows[start : start + PREVIEW_CHUNK],
            skipped_in_file=skipped_in_file,
            claimed=claimed,
        )
    ]
    lists: dict[str, list[dict[str, object]]] = {CREATE: [], UPDATE: [], SKIP: []}
    counts = {CREATE: 0, UPDATE: 0, SKIP: 0, "invalid": len(parsed.entries) - len(parsed.rows)}
    for decision in decisions:
        counts[decision.action] += 1
        if len(lists[decision.action]) < PREVIEW_ROWS_PER_KIND:
            lists[decision.action].append(_decision_dict(decision))
    return {"needs_mapping": False, "counts": counts, **lists}


def _errors(parsed: Parsed) -> list[dict[str, object]]:
    return [e.as_dict() for e in parsed.errors[:MAX_STORED_ERRORS]]


def _refresh_preview(job: ImportJob) -> None:
    kept = {k: job.preview[k] for k in ("note", "headers", "samples") if k in job.preview}
    try:
        parsed = _parsed(job)
    except csvfiles.ImportFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    job.total_rows = parsed.total
    job.errors = _errors(parsed)
    job.preview = {**kept, **_preview_of(job, parsed)}


def _start_preview(job: ImportJob, *, rows: int) -> None:
    """Preview now, or for a large file in a worker (the page polls until it is ready)."""
    if rows <= INLINE_PREVIEW_MAX_ROWS:
        _refresh_preview(job)
        return
    job.total_rows = rows
    job.preview = {**job.preview, "needs_mapping": False, "computing": True}

    def enqueue() -> None:
        from contacts import tasks

        tasks.import_job_preview.delay(job.pk)

    transaction.on_commit(enqueue)


def import_job_previewing(job: ImportJob) -> bool:
    return bool(job.preview.get("computing"))


def import_job_preview_compute(*, job_id: int) -> None:
    """The preview of a large file, in a worker; safe to run twice."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ImportStatus.PREVIEW or not import_job_previewing(job):
            return
        try:
            _refresh_preview(job)
        except ValidationError as exc:
            job.status = ImportStatus.FAILED
            job.error = " ".join(exc.messages)
            job.finished_at = timezone.now()
        job.save()


@transaction.atomic
def import_job_create(*, membership: Membership, filename: str, data: bytes, format_override: str = "") -> ImportJob:
    """Read an uploaded file and preview it (a generic CSV waits for its column mapping first)."""
    if format_override and format_override not in dict(_format_choices()):
        raise ValidationError({"format": [f"“{format_override}” is not an import format."]})
    if not data.strip():
        raise ValidationError({"file": ["The file is empty."]})
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError({"file": [f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."]})
    decoded = csvfiles.decode(data)
    text = decoded.text.replace("\x00", "")
    try:
        sniffed = sniff(text, format_override=format_override)
    except csvfiles.ImportFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    job = ImportJob(
        organization_id=membership.organization_id,
        user_id=membership.user_id,
        filename=(filename or "upload")[:255],
        format=sniffed.format,
        content=text,
        column_mapping=sniffed.suggested_mapping,
        preview={"note": decoded.note},
    )
    if sniffed.format == csvfiles.GENERIC:
        job.preview = {
            "needs_mapping": True,
            "note": decoded.note,
            "headers": sniffed.headers,
            "samples": sniffed.samples,
        }
    job.full_clean(exclude=["content"])
    job.save()  # first: the worker that may preview it reads it by id
    if sniffed.format != csvfiles.GENERIC:
        _start_preview(job, rows=sniffed.rows)
        job.save()
    return job


def _format_choices() -> list[tuple[str, str]]:
    from contacts.models import ImportFormat

    return list(ImportFormat.choices)


@transaction.atomic
def import_job_map(*, job: ImportJob, column_mapping: dict[str, str]) -> ImportJob:
    """Set which column fills which field (a generic CSV) and preview with it."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.PREVIEW:
        raise ValidationError({"status": ["This import is no longer waiting for confirmation."]})
    if job.format != csvfiles.GENERIC:
        raise ValidationError({"column_mapping": ["Only a generic CSV takes a column mapping."]})
    table = csvfiles.read_table(job.content)
    headers = table.headers
    mapping = {str(k): str(v) for k, v in column_mapping.items() if v}
    problems = csvfiles.check_mapping(headers, mapping)
    if problems:
        raise ValidationError({f"column_mapping.{k}": [v] for k, v in problems.items()})
    job.column_mapping = mapping
    job.preview = {**job.preview, "headers": headers}
    _start_preview(job, rows=len(table.rows))
    job.save()
    return job


def import_job_needs_mapping(job: ImportJob) -> bool:
    return bool(job.preview.get("needs_mapping"))


@transaction.atomic
def import_job_confirm(*, job: ImportJob) -> ImportJob:
    """Write what the preview showed: now for a small file, in a worker (after commit) for a large one."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.PREVIEW:
        raise ValidationError({"status": ["This import is no longer waiting for confirmation."]})
    if import_job_needs_mapping(job):
        raise ValidationError({"column_mapping": ["Choose which column is which before importing."]})
    if import_job_previewing(job):
        raise ValidationError({"status": ["The preview is not ready yet."]})
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["status"])
    if job.total_rows > INLINE_MAX_ROWS:
        from contacts import tasks

        job_id = job.pk
        transaction.on_commit(lambda: tasks.import_job_run.delay(job_id))
        return job
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


@transaction.atomic
def import_job_cancel(*, job: ImportJob) -> ImportJob:
    """Stop an import: before it starts nothing is written; a running one stops after its batch."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in OPEN_STATUSES:
        raise ValidationError({"status": [f"This import is already {job.get_status_display().lower()}."]})
    job.status = ImportStatus.CANCELLED
    job.finished_at = timezone.now()
    job.content = ""  # the file is no longer needed
    job.save(update_fields=["status", "finished_at", "content"])
    return job


# --- the run -----------------------------------------------------------------------


def _company_of(*, membership: Membership, row: CleanRow) -> Company | None:
    return companies_resolve(membership=membership, rows=[row]).get(row.line)


def _apply(*, membership: Membership, decision: Decision) -> int | None:
    """Write one decision through the contact services; returns the id of a contact it created."""
    row = decision.row
    if decision.action == CREATE:
        contact = contact_services.contact_create(
            membership=membership,
            full_name=row.full_name,
            emails=list(row.emails),
            phones=[contact_services.PhoneInput(number=p.number, kind=p.kind) for p in row.phones],
            title=row.title,
            company=_company_of(membership=membership, row=row),
            location=row.location,
            linkedin_url=row.linkedin_url,
            notes=row.notes,
            source=Source.IMPORT,
        )
        return contact.pk
    if decision.action == UPDATE and decision.contact is not None:
        contact = decision.contact
        changes = decision.changes
        kwargs: dict[str, object] = {}
        if "emails" in changes:
            kwargs["emails"] = [e.email for e in contact.emails.all()] + list(changes["emails"])  # type: ignore[call-overload]
        if "phones" in changes:
            kwargs["phones"] = [
                contact_services.PhoneInput(number=p.number, kind=p.kind) for p in contact.phones.all()
            ] + [contact_services.PhoneInput(number=p["number"], kind=p["kind"]) for p in changes["phones"]]  # type: ignore[attr-defined]
        if "company" in changes:
            kwargs["company"] = _company_of(membership=membership, row=row)
        for name in ("title", "location", "linkedin_url"):
            if name in changes:
                kwargs[name] = changes[name]
        if "notes" in changes:
            kwargs["notes"] = f"{contact.notes}\n\n{changes['notes']}".strip() if contact.notes else changes["notes"]
        contact_services.contact_update(membership=membership, contact=contact, **kwargs)  # type: ignore[arg-type]
    return None


def _create_many(*, membership: Membership, decisions: list[Decision]) -> list[int]:
    """The batch's new contacts in a few statements; [] when one row needs writing on its own."""
    if not decisions:
        return []
    try:
        with transaction.atomic():
            return contacts_bulk_create(membership=membership, rows=[d.row for d in decisions])
    except IntegrityError:
        # An address was taken meanwhile: row by row, so only that row is refused.
        return []


def _membership_of(job: ImportJob) -> Membership | None:
    return (
        Membership.objects.select_related("organization", "user")
        .filter(organization_id=job.organization_id, user_id=job.user_id, is_active=True)
        .first()
    )


def _run_batch(
    *, job_id: int, entries: Sequence[CleanRow | int], skipped_in_file: dict[int, str], claimed: set[int]
) -> bool:
    """Apply the next batch; False when there is nothing left to do (done, cancelled, gone)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return False
        membership = _membership_of(job)
        if membership is None:
            job.status = ImportStatus.FAILED
            job.error = "The person who started this import is no longer a member of the organization."
            job.finished_at = timezone.now()
            job.save()
            return False
        if job.status == ImportStatus.QUEUED:
            job.status = ImportStatus.RUNNING
            job.started_at = timezone.now()
        start = job.processed_rows
        batch = entries[start : start + BATCH_SIZE]
        rows = [e for e in batch if isinstance(e, CleanRow)]
        decisions = decide(
            organization_id=job.organization_id, rows=rows, skipped_in_file=skipped_in_file, claimed=claimed
        )
        created = _create_many(membership=membership, decisions=[d for d in decisions if d.action == CREATE])
        job.created_count += len(created)
        created_in_bulk = bool(created)
        for decision in decisions:
            if decision.action == CREATE and created_in_bulk:
                continue
            try:
                # A savepoint per row: one row the services refuse is skipped, the batch goes on.
                with transaction.atomic():
                    new_id = _apply(membership=membership, decision=decision)
            except ValidationError as exc:
                job.skipped_count += 1
                if len(job.errors) < MAX_STORED_ERRORS:
                    job.errors.append({"line": decision.row.line, "field": "", "message": " ".join(exc.messages)})
                continue
            if decision.action == CREATE:
                job.created_count += 1
                created.append(new_id)  # type: ignore[arg-type]
            elif decision.action == UPDATE:
                job.updated_count += 1
            else:
                job.skipped_count += 1
        job.skipped_count += len(batch) - len(rows)  # rows with errors
        contact_services.duplicate_candidates_find(organization_id=job.organization_id, contact_ids=created)
        job.processed_rows = start + len(batch)
        if job.processed_rows >= len(entries):
            job.status = ImportStatus.DONE
            job.finished_at = timezone.now()
            job.content = ""  # the file is no longer needed
        job.save()
        return job.status == ImportStatus.RUNNING


def import_job_run(*, job_id: int) -> None:
    """Apply a confirmed import, batch by batch; safe to call again after a crash or on a retry."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return
    try:
        parsed = _parsed(job)
    except csvfiles.ImportFileError as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, error=str(exc), finished_at=timezone.now()
        )
        return
    skipped_in_file = within_file_duplicates(parsed.rows)
    claimed: set[int] = set()
    while _run_batch(job_id=job_id, entries=parsed.entries, skipped_in_file=skipped_in_file, claimed=claimed):
        pass


def import_job_fail(*, job_id: int, error: str) -> None:
    """Record why a run gave up (what is already written stays; the counts say how far it got)."""
    ImportJob.objects.filter(pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
        status=ImportStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


TARGET_FIELD_CHOICES = list(TARGET_FIELDS.items())
