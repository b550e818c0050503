"""Thin Celery tasks: each re-reads its rows by id and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from contacts.models import Company, Contact


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def contact_match_company(contact_id: int) -> None:
    from contacts import services

    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is not None:
        services.contact_match_company(contact=contact)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def company_refresh_search(company_id: int) -> None:
    from contacts import services

    company = Company.objects.filter(pk=company_id).first()
    if company is not None:
        services.company_refresh_contacts_search(company=company)


@shared_task(
    autoretry_for=(ConnectionError, OperationalError), retry_backoff=True, retry_backoff_max=600, max_retries=5
)
def import_job_run(job_id: int) -> None:
    """Run a confirmed import; a retry resumes after the last committed batch."""
    from contacts.imports import services

    try:
        services.import_job_run(job_id=job_id)
    except (ConnectionError, OperationalError):
        raise
    except Exception as exc:
        # Not something a retry fixes: say so on the job, where the importer looks.
        services.import_job_fail(job_id=job_id, error=f"The import stopped: {exc}")
        raise
