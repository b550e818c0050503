"""Thin Celery tasks for accounts: re-read the rows by id and call one service."""

from __future__ import annotations

import smtplib

from celery import shared_task


@shared_task(
    autoretry_for=(ConnectionError, smtplib.SMTPException, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def invitation_send(invitation_id: int, accept_url: str) -> bool:
    """Email an invitation's accept link.

    The link carries the key, which is never stored (only its hash is), so it travels
    with the task. An invitation revoked or accepted before the task runs is not sent.
    """
    from relintel.accounts import services
    from relintel.accounts.models import Invitation

    invitation = Invitation.objects.select_related("organization", "invited_by").filter(pk=invitation_id).first()
    if invitation is None:
        return False
    return services.invitation_send_email(invitation=invitation, accept_url=accept_url)
