"""The nudge rules, one selector each, and the whole Today list; one item by its key.

Rules: replies owed, help promised and due, relationships going cold, introductions
teammates asked of me, and suggested introductions. Each is one bounded, indexed query
that already leaves out what the member snoozed, did or dismissed.
"""

from __future__ import annotations

import datetime

from django.db.models import (
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import Http404
from django.utils import timezone

from activities.models import Direction, Interaction, InteractionKind, Participant, ParticipantRole
from activities.replies import replies_owed_listed, reply_policy
from contacts.models import (
    OPEN_HELP_STATUSES,
    OPEN_INTRO_STATUSES,
    Band,
    HelpDirection,
    HelpOffer,
    IntroRequest,
    IntroStatus,
    IntroSuggestion,
    Relationship,
    SuggestionStatus,
)
from relintel.accounts.models import Membership
from relintel.dashboards.today.items import (
    BAND_RANK,
    COLD,
    DROP_WINDOW,
    DUE_SOON,
    HELP,
    INTRO,
    KIND_ORDER,
    LIST_LIMIT,
    MIN_QUIET,
    REPLY,
    RHYTHM_FACTOR,
    SUGGESTION,
    DaysSince,
    NudgeGroup,
    NudgeItem,
    TodayList,
    ago,
    group_of,
    hidden_by_action,
    item_key,
    timestamp_text,
    visible,
)

# --- relationships going cold ------------------------------------------------------------------


def _cold_base(*, membership: Membership) -> QuerySet[Relationship]:
    return (
        Relationship.objects.filter(
            organization_id=membership.organization_id,
            user_id=membership.user_id,
            contact__merged_into__isnull=True,
        )
        .select_related("contact", "contact__company")
        .annotate(
            nudge_key=item_key(COLD, F("contact_id")),
            nudge_fp=Concat(
                F("band"),
                Value("|"),
                F("previous_band"),
                Value("|"),
                timestamp_text("band_changed_at"),
                Value("|"),
                timestamp_text("last_interaction_at"),
                output_field=CharField(),
            ),
        )
    )


def _band_dropped() -> Q:
    rule = Q()
    for i, stronger in enumerate(BAND_RANK[:-1]):
        rule |= Q(previous_band=stronger, band__in=BAND_RANK[i + 1 :])
    return rule


def _cold_rule(*, now: datetime.datetime) -> Q:
    # A recent drop with nothing logged since: once the rep gets in touch it is handled.
    dropped = (
        _band_dropped()
        & Q(band_changed_at__gte=now - DROP_WINDOW)
        & (Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lte=F("band_changed_at")))
    )
    past_rhythm = Q(
        band__in=(Band.STRONG, Band.MEDIUM),
        rhythm_days__isnull=False,
        last_interaction_at__lt=now - MIN_QUIET,
    ) & Q(quiet_days__gt=F("rhythm_days") * RHYTHM_FACTOR)
    return dropped | past_rhythm


def _cold_item(rel: Relationship, *, now: datetime.datetime) -> NudgeItem:
    contact = rel.contact
    title = contact.full_name + (f" · {contact.company.name}" if contact.company else "")
    dropped = (
        rel.previous_band
        and rel.band_changed_at is not None
        and rel.previous_band in BAND_RANK
        and BAND_RANK.index(Band(rel.previous_band)) < BAND_RANK.index(Band(rel.band))
    )
    if dropped:
        reason = (
            f"Dropped from {Band(rel.previous_band).label.lower()} to {Band(rel.band).label.lower()} "
            f"{ago(now, rel.band_changed_at)}; last in touch {ago(now, rel.last_interaction_at)}."
        )
        since = rel.band_changed_at
    else:
        gap = round(rel.rhythm_days or 0)
        rhythm = "regularly" if gap < 1 else "every day" if gap == 1 else f"every {gap} days"
        reason = f"You usually talk {rhythm}; last in touch {ago(now, rel.last_interaction_at)}."
        since = rel.last_interaction_at
    return NudgeItem(
        kind=COLD,
        key=rel.nudge_key,  # type: ignore[attr-defined]
        fingerprint=rel.nudge_fp,  # type: ignore[attr-defined]
        title=title,
        reason=reason,
        obj=rel,
        contact_id=rel.contact_id,
        since=since,
    )


def going_cold(*, membership: Membership, now: datetime.datetime, limit: int = LIST_LIMIT) -> NudgeGroup:
    """Relationships that dropped a band lately, or went past twice their own rhythm."""
    qs = visible(
        _cold_base(membership=membership)
        .annotate(quiet_days=DaysSince("last_interaction_at", now=now))
        .filter(_cold_rule(now=now)),
        membership=membership,
        now=now,
    ).order_by("-strength", "id")
    return group_of(COLD, list(qs[: limit + 1]), lambda r: _cold_item(r, now=now), limit)


# --- replies owed ------------------------------------------------------------------------------


def _reply_hidden(*, membership: Membership, now: datetime.datetime) -> Exists:
    # The email itself is the fact: once answered or waved away it stays away. Read on the
    # rep's stored list (``ReplyOwed`` rows), keyed by the email.
    return hidden_by_action(
        user_id=membership.user_id, now=now, key=item_key(REPLY, OuterRef("interaction_id")), fingerprint=Value("")
    )


def _reply_item(email: Interaction, *, now: datetime.datetime) -> NudgeItem:
    sender = getattr(email, "sender_name", "") or "A contact"
    return NudgeItem(
        kind=REPLY,
        key=f"{REPLY}:{email.pk}",
        fingerprint="",
        title=f"{sender}: {email.subject or '(no subject)'}",
        reason=f"Their email from {ago(now, email.occurred_at)} has no reply from you yet.",
        obj=email,
        contact_id=getattr(email, "sender_contact_id", None),
        since=email.occurred_at,
    )


def replies_owed_items(
    *, membership: Membership, now: datetime.datetime, working_days: int | None = None, limit: int = LIST_LIMIT
) -> NudgeGroup:
    # The list a worker keeps (``activities.replies``): computing it here cost more than the
    # rest of the page.
    rows = replies_owed_listed(
        organization_id=membership.organization_id,
        user_id=membership.user_id,
        now=now,
        working_days=working_days,
        limit=limit + 1,
        hidden=Q(_reply_hidden(membership=membership, now=now)),
    )
    return group_of(REPLY, rows, lambda e: _reply_item(e, now=now), limit)


def _reply_base(*, membership: Membership) -> QuerySet[Interaction]:
    """Inbound emails to the member: theirs, or addressed to them (for acting on one by key)."""
    sender = Participant.objects.filter(interaction_id=OuterRef("pk"), role=ParticipantRole.FROM).order_by("id")
    addressed = Participant.objects.filter(
        interaction_id=OuterRef("pk"),
        user_id=membership.user_id,
        role__in=(ParticipantRole.TO, ParticipantRole.CC),
    )
    return (
        Interaction.objects.filter(
            organization_id=membership.organization_id, kind=InteractionKind.EMAIL, direction=Direction.INBOUND
        )
        .filter(Q(owner_id=membership.user_id) | Q(Exists(addressed)))
        .annotate(
            sender_contact_id=Subquery(sender.values("contact_id")[:1]),
            sender_name=Coalesce(
                Subquery(sender.values("contact__full_name")[:1]), Subquery(sender.values("address")[:1])
            ),
        )
    )


# --- help promised -----------------------------------------------------------------------------


def _help_base(*, membership: Membership) -> QuerySet[HelpOffer]:
    return (
        HelpOffer.objects.filter(
            organization_id=membership.organization_id, user_id=membership.user_id, direction=HelpDirection.GIVEN
        )
        .select_related("contact", "intro_contact")
        .annotate(
            nudge_key=item_key(HELP, F("pk")),
            nudge_fp=Concat(
                F("status"), Value("|"), Coalesce(Cast("due_date", CharField()), Value("")), output_field=CharField()
            ),
        )
    )


def _help_item(offer: HelpOffer, *, today: datetime.date) -> NudgeItem:
    what = offer.get_kind_display()
    title = f"{what} for {offer.contact.full_name}"
    if offer.intro_contact is not None:
        title += f" → {offer.intro_contact.full_name}"
    overdue = offer.is_open and offer.due_date is not None and offer.due_date < today
    if offer.due_date is None:
        when = "no due date"
    elif overdue:
        late = (today - offer.due_date).days
        when = f"overdue by {late} day{'s' if late != 1 else ''}"
    elif offer.due_date == today:
        when = "due today"
    else:
        when = f"due {offer.due_date:%a %-d %b}"
    return NudgeItem(
        kind=HELP,
        key=offer.nudge_key,  # type: ignore[attr-defined]
        fingerprint=offer.nudge_fp,  # type: ignore[attr-defined]
        title=title,
        reason=f"{offer.description} — {when}.",
        obj=offer,
        contact_id=offer.contact_id,
        due=offer.due_date,
        overdue=overdue,
    )


def help_due(*, membership: Membership, now: datetime.datetime, limit: int = LIST_LIMIT) -> NudgeGroup:
    """Open help the member promised that is overdue or due within a week, soonest first."""
    today = timezone.localdate(now)
    qs = visible(
        _help_base(membership=membership).filter(status__in=OPEN_HELP_STATUSES, due_date__lte=today + DUE_SOON),
        membership=membership,
        now=now,
    ).order_by("due_date", "id")
    return group_of(HELP, list(qs[: limit + 1]), lambda o: _help_item(o, today=today), limit)


# --- introductions asked of me -----------------------------------------------------------------


def _intro_base(*, membership: Membership) -> QuerySet[IntroRequest]:
    return (
        IntroRequest.objects.filter(organization_id=membership.organization_id, introducer_id=membership.user_id)
        .select_related("requester", "target", "target__company", "via")
        .annotate(nudge_key=item_key(INTRO, F("pk")), nudge_fp=F("status"))
    )


def _intro_item(request: IntroRequest, *, now: datetime.datetime) -> NudgeItem:
    asker = request.requester.display_name
    title = f"{asker} asks for an introduction to {request.target.full_name}"
    if request.status == IntroStatus.ACCEPTED:
        reason = f"You accepted {ago(now, request.responded_at)}: make the introduction."
    else:
        reason = f"Asked {ago(now, request.created_at)}" + (f" (via {request.via.full_name})" if request.via else "")
        reason += f": “{request.message}”" if request.message else "."
    return NudgeItem(
        kind=INTRO,
        key=request.nudge_key,  # type: ignore[attr-defined]
        fingerprint=request.nudge_fp,  # type: ignore[attr-defined]
        title=title,
        reason=reason,
        obj=request,
        contact_id=request.target_id,
        since=request.created_at,
    )


def intro_requests_waiting(*, membership: Membership, now: datetime.datetime, limit: int = LIST_LIMIT) -> NudgeGroup:
    """Teammates' requests for an introduction that wait for the member (oldest first)."""
    qs = visible(
        _intro_base(membership=membership).filter(status__in=OPEN_INTRO_STATUSES, target__merged_into__isnull=True),
        membership=membership,
        now=now,
    ).order_by("created_at", "id")
    return group_of(INTRO, list(qs[: limit + 1]), lambda r: _intro_item(r, now=now), limit)


# --- suggested introductions -------------------------------------------------------------------


def _suggestion_base(*, membership: Membership) -> QuerySet[IntroSuggestion]:
    return (
        IntroSuggestion.objects.filter(organization_id=membership.organization_id, user_id=membership.user_id)
        .select_related("contact", "other")
        .annotate(nudge_key=item_key(SUGGESTION, F("pk")), nudge_fp=F("status"))
    )


def _suggestion_item(suggestion: IntroSuggestion) -> NudgeItem:
    return NudgeItem(
        kind=SUGGESTION,
        key=suggestion.nudge_key,  # type: ignore[attr-defined]
        fingerprint=suggestion.nudge_fp,  # type: ignore[attr-defined]
        title=f"Introduce {suggestion.contact.full_name} to {suggestion.other.full_name}",
        reason=suggestion.reason,
        obj=suggestion,
        contact_id=suggestion.contact_id,
        since=suggestion.created_at,
    )


def suggested_introductions(*, membership: Membership, now: datetime.datetime, limit: int = LIST_LIMIT) -> NudgeGroup:
    qs = visible(
        _suggestion_base(membership=membership).filter(
            status=SuggestionStatus.OPEN, contact__merged_into__isnull=True, other__merged_into__isnull=True
        ),
        membership=membership,
        now=now,
    ).order_by("-score", "id")
    return group_of(SUGGESTION, list(qs[: limit + 1]), _suggestion_item, limit)


# --- the whole list, and one item by key ---------------------------------------------------------


def today_list(*, membership: Membership, now: datetime.datetime | None = None, limit: int = LIST_LIMIT) -> TodayList:
    """Every rule's visible items, in the page's order: a fixed number of queries."""
    now = now or timezone.now()
    working_days, _ = reply_policy(organization_id=membership.organization_id)
    return TodayList(
        now=now,
        groups=[
            replies_owed_items(membership=membership, now=now, working_days=working_days, limit=limit),
            help_due(membership=membership, now=now, limit=limit),
            going_cold(membership=membership, now=now, limit=limit),
            intro_requests_waiting(membership=membership, now=now, limit=limit),
            suggested_introductions(membership=membership, now=now, limit=limit),
        ],
    )


def parse_key(key: str) -> tuple[str, int]:
    """``"help:12"`` → ``("help", 12)``; anything else is a 404 (it names nothing)."""
    kind, _, raw = key.partition(":")
    if kind not in KIND_ORDER or not raw.isdigit() or len(raw) > 18:
        raise Http404("No such item")
    return kind, int(raw)


def nudge_get(*, membership: Membership, key: str, now: datetime.datetime | None = None) -> NudgeItem:
    """The item ``key`` names, if its object is the member's to act on (else 404).

    Whether or not a rule lists it right now or an action hides it: acting on an item
    and undoing that act both need it.
    """
    now = now or timezone.now()
    kind, object_id = parse_key(key)
    if kind == COLD:
        rel = _cold_base(membership=membership).filter(contact_id=object_id).first()
        if rel is not None:
            return _cold_item(rel, now=now)
    elif kind == REPLY:
        email = _reply_base(membership=membership).filter(pk=object_id).first()
        if email is not None:
            return _reply_item(email, now=now)
    elif kind == HELP:
        offer = _help_base(membership=membership).filter(pk=object_id).first()
        if offer is not None:
            return _help_item(offer, today=timezone.localdate(now))
    elif kind == INTRO:
        request = _intro_base(membership=membership).filter(pk=object_id).first()
        if request is not None:
            return _intro_item(request, now=now)
    else:
        suggestion = _suggestion_base(membership=membership).filter(pk=object_id).first()
        if suggestion is not None:
            return _suggestion_item(suggestion)
    raise Http404("No such item")
