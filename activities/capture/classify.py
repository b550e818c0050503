"""Should this item be captured, and which way did it go? Pure: a ``CapturedItem`` and a
``CaptureContext`` in, a ``Decision`` out.

Direction, relative to the rep: sent from one of the rep's addresses → outbound; from
an outside address → inbound; nobody outside the organization → internal. A colleague
writing to a customer is outbound too (our side wrote it).

The checks run in this order and the first that matches is the reason given, so
the most specific explanation wins:

1. ``malformed``            the item could not be read
2. ``cancelled``            meetings: cancelled (STATUS:CANCELLED or METHOD:CANCEL)
3. ``declined``             meetings: one of the rep's own addresses declined
4. ``outside_window``       meetings: starts outside the capture window
5. ``excluded_person``      a participant is excluded (a person beats their domain)
6. ``excluded_domain``      a participant's domain, or a parent domain, is excluded
7. ``automated``            explicit auto-reply headers (Auto-Submitted, X-Autoreply, ...)
8. ``bulk``                 list and bulk headers (List-Id, List-Unsubscribe, Precedence)
9. ``automated``            weaker evidence: no-reply senders, bounce addresses, ESP headers
10. ``internal``            nobody outside the organization took part
11. ``too_many_recipients`` more recipients than the policy allows

Explicit headers come before list headers because a list's auto-reply is first an
auto-reply; list headers come before the sender heuristics because "a mailing list"
explains a newsletter from ``no-reply@`` better than "a no-reply sender" does.
"""

from __future__ import annotations

import re

from activities.capture.headers import domain_matches, domain_of
from activities.capture.items import (
    EMAIL,
    INBOUND,
    INTERNAL,
    MEETING,
    OUTBOUND,
    ROLE_ATTENDEE,
    ROLE_FROM,
    CaptureContext,
    CapturedItem,
    CapturedParticipant,
    Decision,
)

# The values of activities.models.SkipReason, repeated so this module imports no Django.
MALFORMED = "malformed"
INTERNAL_ONLY = "internal"
AUTOMATED = "automated"
BULK = "bulk"
EXCLUDED_PERSON = "excluded_person"
EXCLUDED_DOMAIN = "excluded_domain"
TOO_MANY_RECIPIENTS = "too_many_recipients"
CANCELLED = "cancelled"
DECLINED = "declined"
OUTSIDE_WINDOW = "outside_window"

_NO_REPLY_LOCAL = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|mailer[-_.]?daemon|postmaster|"
    r"notifications?|notify|bounces?|auto[-_.]?(?:reply|responder|confirm)|alerts?|"
    r"daemon|automated)(?:[-+_.].*)?$"
)
# Headers only email service providers and campaign tools add.
_ESP_HEADERS = (
    "feedback-id",
    "x-campaign",
    "x-campaign-id",
    "x-campaignid",
    "x-mailchimp-campaign",
    "x-mc-user",
    "x-mandrill-user",
    "x-sg-eid",
    "x-ses-outgoing",
    "x-sfmc-stack",
    "x-csa-complaints",
    "x-mailgun-sid",
    "x-hubspot-message-id",
    "x-marketo-id",
    "x-msys-api",
    "x-failed-recipients",
)
_AUTO_SUPPRESS_REPLY_VALUES = ("oof", "autoreply", "all")


def classify(item: CapturedItem, context: CaptureContext) -> Decision:
    """The verdict on one item for one rep (see the module docstring for the order)."""
    direction = direction_of(item, context)

    def skip(reason: str, detail: str) -> Decision:
        return Decision(direction=direction, skip_reason=reason, detail=detail[:500])

    if item.parse_error:
        return skip(MALFORMED, item.parse_error)
    if item.kind == MEETING:
        meeting_reason = _meeting_reason(item, context)
        if meeting_reason:
            return skip(*meeting_reason)
    for check in (_excluded_person, _excluded_domain):
        found = check(item, context)
        if found:
            return skip(*found)
    if item.kind == EMAIL:
        for header_check in (_auto_reply_headers, _bulk_headers, _automated_sender):
            found = header_check(item)
            if found:
                return skip(*found)
    if not _externals(item, context):
        return skip(INTERNAL_ONLY, "no one outside the organization took part")
    if item.recipient_count > context.max_recipients:
        return skip(TOO_MANY_RECIPIENTS, f"{item.recipient_count} recipients, the limit is {context.max_recipients}")
    return Decision(direction=direction)


def is_internal(address: str, context: CaptureContext) -> bool:
    return address in context.own_addresses or bool(domain_matches(domain_of(address), context.internal_domains))


def direction_of(item: CapturedItem, context: CaptureContext) -> str:
    sender = item.sender
    sender_address = sender.address if sender else ""
    if sender_address and sender_address in context.own_addresses:
        return OUTBOUND
    if not _externals(item, context):
        return INTERNAL
    if sender_address and not is_internal(sender_address, context):
        return INBOUND
    if item.kind == MEETING and not sender_address:
        return OUTBOUND  # an event in the rep's own calendar with no organizer: theirs
    # A colleague wrote to someone outside: our side, so outbound; an unknown sender: inbound.
    return OUTBOUND if sender_address else INBOUND


def _externals(item: CapturedItem, context: CaptureContext) -> list[CapturedParticipant]:
    return [p for p in item.participants if p.address and not is_internal(p.address, context)]


def _meeting_reason(item: CapturedItem, context: CaptureContext) -> tuple[str, str] | None:
    if item.status == "cancelled":
        return CANCELLED, "the meeting was cancelled"
    for participant in item.participants:
        if (
            participant.role == ROLE_ATTENDEE
            and participant.response == "declined"
            and participant.address in context.own_addresses
        ):
            return DECLINED, f"{participant.address} declined"
    when = item.occurred_at
    if when is not None:
        if context.window_start is not None and when < context.window_start:
            return OUTSIDE_WINDOW, f"starts {when.isoformat()}, before the window ({context.window_start.isoformat()})"
        if context.window_end is not None and when >= context.window_end:
            return OUTSIDE_WINDOW, f"starts {when.isoformat()}, after the window ({context.window_end.isoformat()})"
    return None


def _excluded_person(item: CapturedItem, context: CaptureContext) -> tuple[str, str] | None:
    if not context.excluded_addresses:
        return None
    for participant in item.participants:
        if participant.address and participant.address in context.excluded_addresses:
            return EXCLUDED_PERSON, f"{participant.address} is excluded"
    return None


def _excluded_domain(item: CapturedItem, context: CaptureContext) -> tuple[str, str] | None:
    if not context.excluded_domains:
        return None
    for participant in item.participants:
        matched = domain_matches(domain_of(participant.address), context.excluded_domains)
        if matched:
            return EXCLUDED_DOMAIN, f"{participant.address}: the domain {matched} is excluded"
    return None


def _auto_reply_headers(item: CapturedItem) -> tuple[str, str] | None:
    signals = item.signals
    auto_submitted = signals.get("auto-submitted", "").strip()
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        return AUTOMATED, f"Auto-Submitted: {auto_submitted}"
    for name, label in (
        ("x-autoreply", "X-Autoreply"),
        ("x-autorespond", "X-Autorespond"),
        ("x-autogenerated", "X-Autogenerated"),
    ):
        if name in signals:
            return AUTOMATED, f"{label}: {signals[name]}".rstrip(": ")
    suppress = signals.get("x-auto-response-suppress", "")
    if (
        suppress
        and any(value in suppress.lower() for value in _AUTO_SUPPRESS_REPLY_VALUES)
        and _looks_like_auto_reply(item)
    ):
        return AUTOMATED, f"X-Auto-Response-Suppress: {suppress}"
    precedence = signals.get("precedence", "").strip().lower()
    if precedence in ("auto_reply", "auto-reply"):
        return AUTOMATED, f"Precedence: {signals['precedence']}"
    return_path = signals.get("return-path", "").strip()
    if return_path.replace(" ", "") == "<>":
        return AUTOMATED, "Return-Path: <> (a bounce or an automatic reply)"
    return None


def _looks_like_auto_reply(item: CapturedItem) -> bool:
    # Exchange puts X-Auto-Response-Suppress on meeting requests and ordinary mail
    # too, so it only counts together with an auto-reply subject.
    subject = item.subject.lower()
    return subject.startswith(
        ("automatic reply", "auto reply", "autoreply", "out of office", "abwesenheit", "réponse automatique")
    )


def _bulk_headers(item: CapturedItem) -> tuple[str, str] | None:
    signals = item.signals
    if "list-id" in signals:
        return BULK, f"List-Id: {signals['list-id']}"
    if "list-unsubscribe" in signals:
        return BULK, f"List-Unsubscribe: {signals['list-unsubscribe']}"
    precedence = signals.get("precedence", "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        return BULK, f"Precedence: {signals['precedence']}"
    return None


def _automated_sender(item: CapturedItem) -> tuple[str, str] | None:
    sender = next((p for p in item.participants if p.role == ROLE_FROM), None)
    if sender and sender.address and _NO_REPLY_LOCAL.match(sender.address.partition("@")[0]):
        return AUTOMATED, f"from {sender.address}"
    for name in _ESP_HEADERS:
        if name in item.signals:
            return AUTOMATED, f"{_header_label(name)}: {item.signals[name]}"
    for name, value in item.signals.items():
        if name.startswith(("x-mailgun-", "x-sg-", "x-ses-", "x-mc-", "x-mandrill-")):
            return AUTOMATED, f"{_header_label(name)}: {value}"
    return None


def _header_label(name: str) -> str:
    special = {"feedback-id": "Feedback-ID", "x-sg-eid": "X-SG-EID", "x-ses-outgoing": "X-SES-Outgoing"}
    return special.get(name, "-".join(part.capitalize() for part in name.split("-")))
