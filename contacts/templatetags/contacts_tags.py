"""Template helpers for the contacts pages."""

from __future__ import annotations

import datetime

from django import template

from contacts.models import HELP_TRANSITIONS, HelpOffer, HelpStatus

register = template.Library()

# The order buttons appear in, and what each says.
_TRANSITION_BUTTONS: tuple[tuple[str, str], ...] = (
    (HelpStatus.ACCEPTED, "Accepted"),
    (HelpStatus.DELIVERED, "Delivered"),
    (HelpStatus.DECLINED, "Declined"),
    (HelpStatus.WITHDRAWN, "Withdraw"),
)


@register.filter
def help_next_statuses(offer: HelpOffer) -> list[tuple[str, str]]:
    """``(status, button label)`` for every move the lifecycle allows from the offer's status."""
    allowed = HELP_TRANSITIONS.get(offer.status, frozenset())
    return [(status, label) for status, label in _TRANSITION_BUTTONS if status in allowed]


@register.simple_tag
def help_due_state(offer: HelpOffer, today: datetime.date | None) -> str:
    """``overdue``, ``today``, ``soon`` (within a week) or ``""`` for an open offer's due date."""
    if not offer.is_open or offer.due_date is None or today is None:
        return ""
    if offer.due_date < today:
        return "overdue"
    if offer.due_date == today:
        return "today"
    if (offer.due_date - today).days <= 7:
        return "soon"
    return ""


@register.simple_tag(takes_context=True)
def sort_link(context: template.Context, key: str) -> str:
    """The sort value a column header links to: ``name`` toggles to ``-name``."""
    current = context.get("sort", "name")
    if key == "name" and current == "name":
        return "-name"
    return key
