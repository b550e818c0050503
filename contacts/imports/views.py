"""Import pages: upload, column mapping, preview, confirm or cancel, progress and result."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from contacts.imports import selectors, services
from contacts.imports.forms import ColumnMappingForm, ImportUploadForm
from contacts.models import ImportJob, ImportStatus
from relintel.accounts.decorators import member_required
from relintel.accounts.models import Membership

POLL_SECONDS = 2


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _job_url(job: ImportJob) -> str:
    from django.urls import reverse

    return reverse("contacts:import_job", kwargs={"job_id": job.pk})


@member_required
def import_start(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(
                membership=membership,
                filename=upload.name,
                data=upload.read(),
                format_override=form.cleaned_data.get("format") or "",
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return redirect(_job_url(job))
    return render(
        request,
        "contacts/import_start.html",
        {"form": form, "recent": selectors.import_jobs_recent(membership=membership, limit=10)},
    )


def _mapping_form(job: ImportJob, data: object = None) -> ColumnMappingForm:
    return ColumnMappingForm(
        data,
        headers=list(job.preview.get("headers", [])),
        samples=dict(job.preview.get("samples", {})),
        initial_mapping=job.column_mapping,
    )


@require_GET
@member_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(membership=_membership(request), job_id=job_id)
    context: dict[str, object] = {"job": job, "poll_seconds": POLL_SECONDS}
    if job.status == ImportStatus.PREVIEW and services.import_job_needs_mapping(job):
        context["mapping_form"] = _mapping_form(job)
    if job.format == "csv" and job.status == ImportStatus.PREVIEW and not services.import_job_needs_mapping(job):
        context["can_remap"] = True
    return render(request, "contacts/import_job.html", context)


@require_POST
@member_required
def import_job_map(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(membership=_membership(request), job_id=job_id)
    form = _mapping_form(job, request.POST)
    if form.is_valid():
        try:
            services.import_job_map(job=job, column_mapping=form.mapping())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return redirect(_job_url(job))
    return render(request, "contacts/import_job.html", {"job": job, "mapping_form": form}, status=400)


@require_GET
@member_required
def import_job_remap(request: HttpRequest, job_id: int) -> HttpResponse:
    """Back from the preview of a generic CSV to its mapping."""
    job = selectors.import_job_get(membership=_membership(request), job_id=job_id)
    if job.status != ImportStatus.PREVIEW or job.format != "csv":
        return redirect(_job_url(job))
    return render(request, "contacts/import_job.html", {"job": job, "mapping_form": _mapping_form(job)})


@require_POST
@member_required
def import_job_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(membership=_membership(request), job_id=job_id)
    try:
        job = services.import_job_confirm(job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if job.status == ImportStatus.DONE:
            messages.success(
                request,
                f"Imported: {job.created_count} created, {job.updated_count} updated, {job.skipped_count} skipped.",
            )
    return redirect(_job_url(job))


@require_POST
@member_required
def import_job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(membership=_membership(request), job_id=job_id)
    try:
        services.import_job_cancel(job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Import cancelled.")
    return redirect(_job_url(job))


@require_GET
@member_required
def import_job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress block alone, polled by htmx while the import runs; the whole page once it ends."""
    job = selectors.import_job_get(membership=_membership(request), job_id=job_id)
    response = render(request, "contacts/_import_progress.html", {"job": job, "poll_seconds": POLL_SECONDS})
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING) and not services.import_job_previewing(job):
        response["HX-Refresh"] = "true"
    return response
