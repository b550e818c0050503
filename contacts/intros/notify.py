"""Email to the teammate asked for an introduction (sent by a task, after commit)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from contacts.models import IntroRequest, IntroStatus


def intro_request_notify(*, request_id: int) -> bool:
    """Tell the introducer about a pending request; False when there is nothing to tell.

    Re-reads the row: a request cancelled before the worker ran sends nothing.
    """
    request = (
        IntroRequest.objects.select_related("requester", "introducer", "target", "target__company", "via")
        .filter(pk=request_id, status=IntroStatus.PENDING)
        .first()
    )
    if request is None or not request.introducer.email:
        return False
    asker = request.requester.display_name
    target = request.target.full_name
    at = f" at {request.target.company.name}" if request.target.company else ""
    lines = [
        f"Hello {request.introducer.display_name},",
        "",
        f"{asker} asks you for an introduction to {target}{at}"
        + (f", through {request.via.full_name}." if request.via else "."),
    ]
    if request.message:
        lines += ["", f"“{request.message}”"]
    lines += [
        "",
        f"Accept, decline or mark it introduced: {settings.RELINTEL_BASE_URL}{reverse('contacts:intro_request_list')}",
    ]
    send_mail(
        subject=f"{asker} asks you for an introduction to {target}",
        message="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[request.introducer.email],
    )
    return True
