"""Reads of import jobs: a member sees their own imports only (a file they uploaded)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from contacts.models import ImportJob
from relintel.accounts.models import Membership


def import_jobs_for(*, membership: Membership) -> QuerySet[ImportJob]:
    # The file (up to 20 MB) is read only by the services that parse it, which re-read the job.
    return ImportJob.objects.filter(organization_id=membership.organization_id, user_id=membership.user_id).defer(
        "content"
    )


def import_job_get(*, membership: Membership, job_id: int) -> ImportJob:
    try:
        return import_jobs_for(membership=membership).get(pk=job_id)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import") from None


def import_jobs_recent(*, membership: Membership, limit: int = 20) -> list[ImportJob]:
    """The member's latest imports, without their files (which can be large)."""
    return list(import_jobs_for(membership=membership).defer("preview").order_by("-created_at")[:limit])
