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


# --- introductions and give-first ---------------------------------------------------


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def intro_request_notify(request_id: int) -> None:
    """Email the teammate asked for an introduction (nothing if it was cancelled meanwhile)."""
    from contacts.intros import notify

    notify.intro_request_notify(request_id=request_id)


@shared_task(
    autoretry_for=(ConnectionError, OperationalError), retry_backoff=True, retry_backoff_max=600, max_retries=5
)
def intro_suggestions_refresh(organization_id: int, user_id: int) -> None:
    from contacts.matchmaking import service

    service.intro_suggestions_refresh(organization_id=organization_id, user_id=user_id)


@shared_task
def intro_suggestions_refresh_all() -> int:
    """Nightly: one refresh task per active member, so the work spreads over the workers."""
    from contacts.matchmaking import service

    count = 0
    for organization_id, user_id in service.members_to_refresh_all().values_list("organization_id", "user_id"):
        intro_suggestions_refresh.delay(organization_id, user_id)
        count += 1
    return count


@shared_task(
    autoretry_for=(ConnectionError, OperationalError), retry_backoff=True, retry_backoff_max=600, max_retries=5
)
def intro_suggestions_refresh_contact(contact_id: int) -> None:
    """A contact's needs, expertise or interests changed: refresh the reps who know them."""
    from contacts.matchmaking import service

    for organization_id, user_id in service.members_to_refresh_for(contact_id=contact_id):
        intro_suggestions_refresh.delay(organization_id, user_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=3)
def help_offer_reminders_send() -> int:
    """Daily: each rep's help coming due, one email each, at most once a day."""
    from contacts import help_reminders

    return help_reminders.help_offer_reminders_send().sent


@shared_task(
    autoretry_for=(ConnectionError, OperationalError), retry_backoff=True, retry_backoff_max=600, max_retries=5
)
def import_job_preview(job_id: int) -> None:
    """Preview a large uploaded file (nothing but the import is written)."""
    from contacts.imports import services

    services.import_job_preview_compute(job_id=job_id)
