"""Replies owed: inbound email from a contact that the rep has not answered after N working days.

An email is owed a reply when it is an inbound email from a contact, owned by the rep
(captured from their mailbox) or addressed to them, older than N working days (Mon–Fri)
and younger than the look-back window, and the rep has sent no email in the same thread
since (or, for an email without a thread id, no email to that contact since). Automated
and bulk mail is skipped at capture already; anything that slipped in (a no-reply sender,
a message to many people) is excluded here too.

Every query is bounded: the rep's own emails come from the ``(owner, -occurred_at)``
index over a window of days, the reply check from the ``(organization, thread_id)`` index.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from activities.models import (
    Direction,
    Interaction,
    InteractionKind,
    Participant,
    ParticipantRole,
    ReplyOwed,
    ScoringPolicy,
)
from relintel.accounts.models import Membership

LOOK_BACK = datetime.timedelta(days=30)
DEFAULT_WORKING_DAYS = 2
# Emails a teammate captured that were addressed to the rep are looked for among the
# rep's newest participations only, so that the search stays an index range.
RECENT_ADDRESSED = 500
# Local parts of senders nobody replies to (a no-reply address that slipped past capture).
AUTOMATED_SENDERS = ("noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "mailer-daemon", "postmaster")
# The working week: Monday (0) to Friday (4).
WEEKEND = (5, 6)


# --- working days (pure) ----------------------------------------------------------------------


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() not in WEEKEND


def working_days_before(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The moment ``days`` working days before ``moment``, at the same time of day.

    Weekend days are stepped over without counting: on a Tuesday, two working days ago
    is the Friday before. An email received before that moment has waited ``days``
    full working days. ``days`` of 0 is ``moment`` itself.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    current = moment
    remaining = days
    while remaining:
        current -= datetime.timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    if end <= start:
        return 0
    full_weeks, extra = divmod((end - start).days, 7)
    count = full_weeks * 5
    for offset in range(1, extra + 1):
        if is_working_day(start + datetime.timedelta(days=full_weeks * 7 + offset)):
            count += 1
    return count


# --- the policy --------------------------------------------------------------------------------


def reply_policy(*, organization_id: int) -> tuple[int, int]:
    """(working days before a reply is owed, recipients above which an email is mass mail).

    Read without writing: an organization that never tuned its policy gets the defaults.
    """
    row = (
        ScoringPolicy.objects.filter(organization_id=organization_id)
        .values_list("reply_owed_working_days", "mass_mail_recipients")
        .first()
    )
    if row is None:
        defaults = ScoringPolicy()
        return defaults.reply_owed_working_days, defaults.mass_mail_recipients
    return row


# --- the queries -------------------------------------------------------------------------------


def _automated_sender() -> Q:
    rule = Q()
    for local in AUTOMATED_SENDERS:
        rule |= Q(address__istartswith=f"{local}@") | Q(address__istartswith=f"{local}+")
    return rule


def _same_thread() -> QuerySet[Interaction]:
    """Later emails in the outer row's thread.

    ``thread_id <> ''`` is repeated so that PostgreSQL may use the partial index on
    ``(organization, thread_id)``; without it the planner walks the organization's
    interactions by time instead.
    """
    return Interaction.objects.filter(
        organization_id=OuterRef("organization_id"),
        thread_id=OuterRef("thread_id"),
        kind=InteractionKind.EMAIL,
        occurred_at__gt=OuterRef("occurred_at"),
    ).exclude(thread_id="")


def _candidates(
    *, organization_id: int, since: datetime.datetime, before: datetime.datetime | None, max_recipients: int
) -> QuerySet[Interaction]:
    """Inbound emails from a contact received from ``since`` (up to ``before``), not automated,
    the latest of their thread.

    Not yet narrowed to a rep: the caller adds the owner (or addressee) filter so that
    the index on ``(owner, -occurred_at)`` bounds the scan.
    """
    senders = Participant.objects.filter(
        interaction_id=OuterRef("pk"), role=ParticipantRole.FROM, contact__isnull=False
    ).exclude(contact__merged_into__isnull=False)
    automated = Participant.objects.filter(interaction_id=OuterRef("pk"), role=ParticipantRole.FROM).filter(
        _automated_sender()
    )
    crowd = (
        Participant.objects.filter(interaction_id=OuterRef("pk"))
        .order_by()
        .values("interaction_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    # A thread is owed one reply, counted from the contact's latest message in it.
    later_inbound = _same_thread().filter(direction=Direction.INBOUND)
    window = Q(occurred_at__gte=since) if before is None else Q(occurred_at__gte=since, occurred_at__lt=before)
    return (
        Interaction.objects.filter(
            window, organization_id=organization_id, kind=InteractionKind.EMAIL, direction=Direction.INBOUND
        )
        .filter(Exists(senders))
        .exclude(Exists(automated))
        .exclude(~Q(thread_id="") & Q(Exists(later_inbound)))
        .annotate(recipients=Subquery(crowd, output_field=IntegerField()))
        # The sender counts as one participant besides the recipients.
        .exclude(recipients__gt=max_recipients + 1)
        .annotate(
            sender_contact_id=Subquery(senders.order_by("id").values("contact_id")[:1]),
            sender_name=Subquery(senders.order_by("id").values("contact__full_name")[:1]),
        )
    )


def _not_replied_by(qs: QuerySet[Interaction], *, rep: int | str) -> QuerySet[Interaction]:
    """Drop emails the rep answered: a later email of theirs in the thread, or to the sender.

    ``rep`` is a user id, or the name of the outer row's field holding it (for counts).
    """
    # Inside the reply subquery (depth 1) and the sender check nested in it (depth 2).
    near: Any = OuterRef(rep) if isinstance(rep, str) else rep
    far: Any = OuterRef(OuterRef(rep)) if isinstance(rep, str) else rep
    later_in_thread = (
        _same_thread()
        .filter(direction__in=(Direction.OUTBOUND, Direction.INTERNAL))
        .filter(
            Q(owner_id=near)
            | Q(
                Exists(
                    Participant.objects.filter(interaction_id=OuterRef("pk"), user_id=far, role=ParticipantRole.FROM)
                )
            )
        )
    )
    later_to_sender = Participant.objects.filter(
        contact_id=OuterRef("sender_contact_id"),
        interaction__organization_id=OuterRef("organization_id"),
        interaction__kind=InteractionKind.EMAIL,
        interaction__direction=Direction.OUTBOUND,
        interaction__occurred_at__gt=OuterRef("occurred_at"),
    ).filter(
        Q(interaction__owner_id=near)
        | Q(
            Exists(
                Participant.objects.filter(
                    interaction_id=OuterRef("interaction_id"), user_id=far, role=ParticipantRole.FROM
                )
            )
        )
    )
    return qs.exclude(~Q(thread_id="") & Q(Exists(later_in_thread))).exclude(
        Q(thread_id="") & Q(Exists(later_to_sender))
    )


def _recent_participation_bounds(user_ids: Sequence[int]) -> dict[int, int]:
    """Per rep, the interaction id of their ``RECENT_ADDRESSED``-th newest participation.

    Participations have no time of their own, but interaction ids grow as rows are
    written, and an email is written after it was sent: the rep's newest participations
    cover the look-back window for anyone not copied on hundreds of emails a month. One
    query, each rep's answer read from the ``(user, interaction)`` index alone.
    """
    newest = (
        Participant.objects.filter(user_id=OuterRef("pk"))
        .order_by("-interaction_id")
        .values("interaction_id")[RECENT_ADDRESSED - 1 : RECENT_ADDRESSED]
    )
    rows = (
        get_user_model()
        .objects.filter(pk__in=list(user_ids))
        .annotate(bound=Subquery(newest))
        .values_list("pk", "bound")
    )
    return {pk: bound or 0 for pk, bound in rows}


def _addressed_to(bounds: dict[int, int]) -> Q:
    """Interactions with one of the reps as a To/Cc recipient, among their newest participations."""
    rule = Q(pk__in=[])
    for user_id, bound in bounds.items():
        rule |= Q(participants__user_id=user_id, participants__interaction_id__gte=bound)
    return rule & Q(participants__role__in=(ParticipantRole.TO, ParticipantRole.CC))


def _owed_to(*, base: QuerySet[Interaction], user_id: int) -> tuple[QuerySet[Interaction], QuerySet[Interaction]]:
    """The rep's own captured emails, and those a teammate owns that were addressed to the rep."""
    owned = _not_replied_by(base.filter(owner_id=user_id), rep=user_id)
    # The same emails as ``_addressed_to`` finds for counts, driven from the rep's newest
    # participations (a backward walk of the ``(user, interaction)`` index).
    newest = Participant.objects.filter(user_id=user_id).order_by("-interaction_id").values("interaction_id")
    to_rep = Participant.objects.filter(
        interaction_id=OuterRef("pk"), user_id=user_id, role__in=(ParticipantRole.TO, ParticipantRole.CC)
    )
    addressed = _not_replied_by(
        base.exclude(owner_id=user_id).filter(pk__in=Subquery(newest[:RECENT_ADDRESSED])).filter(Exists(to_rep)),
        rep=user_id,
    )
    return owned, addressed


def _thread_key(interaction: Interaction) -> str:
    return interaction.thread_id or f"#{interaction.pk}"


def replies_owed(
    *,
    organization_id: int,
    user_id: int,
    now: datetime.datetime,
    working_days: int | None = None,
    limit: int = 10,
    hidden: Q | None = None,
) -> list[Interaction]:
    """The rep's emails owed a reply, longest wait first; one per thread (its latest message).

    Each carries ``sender_contact_id`` and ``sender_name``. ``hidden`` is excluded in the
    query (the Today page passes what the rep snoozed or dismissed, so the limit counts
    what shows).
    """
    policy_days, max_recipients = reply_policy(organization_id=organization_id)
    days = policy_days if working_days is None else working_days
    base = _candidates(
        organization_id=organization_id,
        since=now - LOOK_BACK,
        before=working_days_before(now, days),
        max_recipients=max_recipients,
    )
    if hidden is not None:
        base = base.exclude(hidden)
    return _one_per_thread(base=base, user_id=user_id, limit=limit)


def _one_per_thread(*, base: QuerySet[Interaction], user_id: int, limit: int | None) -> list[Interaction]:
    """The rep's emails of ``base`` not answered, oldest first, one per thread (its latest)."""
    owned, addressed = _owed_to(base=base, user_id=user_id)
    owned, addressed = owned.order_by("occurred_at", "id"), addressed.order_by("occurred_at", "id")
    if limit is not None:
        owned, addressed = owned[:limit], addressed[:limit]
    rows = list(owned) + list(addressed)
    rows.sort(key=lambda i: (i.occurred_at, i.pk))
    seen: set[str] = set()
    result = []
    for interaction in rows:
        key = _thread_key(interaction)
        if key not in seen:
            seen.add(key)
            result.append(interaction)
    return result if limit is None else result[:limit]


def replies_owed_counts(
    *,
    organization_id: int,
    user_ids: Sequence[int],
    now: datetime.datetime,
    working_days: int | None = None,
) -> dict[int, int]:
    """Threads owed a reply per rep (every rep of ``user_ids`` is a key), in four queries.

    Counts ignore what each rep snoozed or dismissed on their Today page: a manager sees
    the replies actually outstanding.
    """
    counts = dict.fromkeys(user_ids, 0)
    if not user_ids:
        return counts
    policy_days, max_recipients = reply_policy(organization_id=organization_id)
    days = policy_days if working_days is None else working_days
    base = _candidates(
        organization_id=organization_id,
        since=now - LOOK_BACK,
        before=working_days_before(now, days),
        max_recipients=max_recipients,
    )
    thread = Case(
        When(thread_id="", then=Concat(Value("#"), Cast("id", CharField()))),
        default=F("thread_id"),
        output_field=CharField(),
    )
    owned = (
        _not_replied_by(base.filter(owner_id__in=list(user_ids)), rep="owner_id")
        .values("owner_id")
        .annotate(n=Count(thread, distinct=True))
        .order_by()
    )
    for row in owned:
        counts[row["owner_id"]] += row["n"]
    # Addressed to a rep but owned by someone else: the join names the rep it was sent to.
    addressed = (
        _not_replied_by(
            base.filter(_addressed_to(_recent_participation_bounds(user_ids)))
            .annotate(rep_id=F("participants__user_id"))
            .exclude(owner_id=F("rep_id")),
            rep="rep_id",
        )
        .values("rep_id")  # type: ignore[misc]  # an annotation django-stubs cannot see
        .annotate(n=Count(thread, distinct=True))
        .order_by()
    )
    for row in addressed:
        counts[row["rep_id"]] += row["n"]
    return counts


# --- the stored list (what the Today page reads) ------------------------------------------------
# Computing a rep's replies owed takes two nested-subquery queries (~20 ms, most of it Django
# compiling them), too much for the home page on every request. A worker keeps each rep's
# unanswered threads in ``ReplyOwed`` instead; the page applies the working days' grace, the
# look-back window and what the rep hid when it reads.


def _lock(organization_id: int, user_id: int) -> None:
    """One refresh of a rep's list at a time (the second waits, then re-derives)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A one-key lock: its space is apart from the two-key locks of the relationships.
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"replies-owed:{organization_id}:{user_id}"]
            )


def _threads_of(*, organization_id: int, contact_ids: Sequence[int], since: datetime.datetime) -> list[int]:
    """The emails a change to these contacts can settle or raise: their emails of the window and
    every email of those emails' threads (another contact's later message closes a thread too).

    Ids, read once: as subqueries inside the rule's own, PostgreSQL combined them with the
    window's index and read a month of the organization's emails.
    """
    emails = list(
        Interaction.objects.filter(
            organization_id=organization_id,
            kind=InteractionKind.EMAIL,
            occurred_at__gte=since,
            pk__in=Participant.objects.filter(contact_id__in=list(contact_ids)).values("interaction_id"),
        ).values_list("pk", "thread_id")
    )
    threads = sorted({thread for _, thread in emails if thread})
    ids = {pk for pk, _ in emails}
    if threads:
        ids.update(
            Interaction.objects.filter(organization_id=organization_id, thread_id__in=threads)
            .exclude(thread_id="")
            .values_list("pk", flat=True)
        )
    return sorted(ids)


def replies_owed_refresh(
    *,
    organization_id: int,
    user_ids: Iterable[int],
    now: datetime.datetime | None = None,
    contact_ids: Sequence[int] | None = None,
) -> int:
    """Re-derive the stored replies owed of these reps (members of the organization).

    With ``contact_ids``, only what a change to those contacts can move: the threads of their
    emails (and rows naming one of them as sender); the reps' other rows stay. Idempotent;
    each rep's rows change in one transaction. Returns the rows written.
    """
    now = now or timezone.now()
    since = now - LOOK_BACK
    members = sorted(
        set(
            Membership.objects.filter(organization_id=organization_id, user_id__in=list(user_ids)).values_list(
                "user_id", flat=True
            )
        )
    )
    _, max_recipients = reply_policy(organization_id=organization_id)
    scope = (
        None
        if contact_ids is None
        else _threads_of(organization_id=organization_id, contact_ids=contact_ids, since=since)
    )
    written = 0
    for user_id in members:
        with transaction.atomic():
            _lock(organization_id, user_id)
            base = _candidates(organization_id=organization_id, since=since, before=None, max_recipients=max_recipients)
            stale = ReplyOwed.objects.filter(organization_id=organization_id, user_id=user_id)
            if scope is not None and contact_ids is not None:
                base = base.filter(pk__in=scope)
                stale = stale.filter(Q(interaction_id__in=scope) | Q(sender_contact_id__in=list(contact_ids)))
            rows = [
                ReplyOwed(
                    organization_id=organization_id,
                    user_id=user_id,
                    interaction_id=email.pk,
                    occurred_at=email.occurred_at,
                    sender_contact_id=email.sender_contact_id,  # type: ignore[attr-defined]
                    sender_name=(email.sender_name or "")[:300],  # type: ignore[attr-defined]
                )
                for email in _one_per_thread(base=base, user_id=user_id, limit=None)
            ]
            stale.delete()
            ReplyOwed.objects.bulk_create(rows)
            written += len(rows)
    return written


def replies_owed_rebuild(*, organization_id: int, now: datetime.datetime | None = None) -> int:
    """Every member's stored list, from scratch (nightly, after a rescore, after the demo seed)."""
    members = Membership.objects.filter(organization_id=organization_id).values_list("user_id", flat=True)
    return replies_owed_refresh(organization_id=organization_id, user_ids=list(members), now=now)


def replies_owed_reps_of(
    *, organization_id: int, contact_ids: Sequence[int], now: datetime.datetime | None = None
) -> set[int]:
    """The reps whose lists a change to these contacts' emails can move.

    The owners and user participants of the contacts' emails in the look-back window, and
    the reps whose stored rows name one of them as sender (for a contact merged or excluded).
    """
    now = now or timezone.now()
    if not contact_ids:
        return set()
    emails = Participant.objects.filter(
        contact_id__in=list(contact_ids),
        interaction__organization_id=organization_id,
        interaction__kind=InteractionKind.EMAIL,
        interaction__occurred_at__gte=now - LOOK_BACK,
    ).values("interaction_id")
    reps = set(
        Interaction.objects.filter(pk__in=Subquery(emails), owner_id__isnull=False)
        .values_list("owner_id", flat=True)
        .distinct()
    )
    reps |= set(
        Participant.objects.filter(interaction_id__in=Subquery(emails), user_id__isnull=False)
        .values_list("user_id", flat=True)
        .distinct()
    )
    reps |= set(
        ReplyOwed.objects.filter(organization_id=organization_id, sender_contact_id__in=list(contact_ids))
        .values_list("user_id", flat=True)
        .distinct()
    )
    return {rep for rep in reps if rep is not None}


def replies_owed_listed(
    *,
    organization_id: int,
    user_id: int,
    now: datetime.datetime,
    working_days: int | None = None,
    limit: int = 10,
    hidden: Q | None = None,
) -> list[Interaction]:
    """The rep's stored replies owed that are due, longest wait first, as ``replies_owed`` gives them.

    ``hidden`` is a condition on the ``ReplyOwed`` rows (what the rep snoozed or dismissed).
    """
    if working_days is None:
        working_days, _ = reply_policy(organization_id=organization_id)
    rows = (
        ReplyOwed.objects.filter(
            organization_id=organization_id,
            user_id=user_id,
            occurred_at__gte=now - LOOK_BACK,
            occurred_at__lt=working_days_before(now, working_days),
        )
        .select_related("interaction")
        .order_by("occurred_at", "interaction_id")
    )
    if hidden is not None:
        rows = rows.exclude(hidden)
    result = []
    for row in rows[:limit]:
        email = row.interaction
        email.sender_contact_id = row.sender_contact_id  # type: ignore[attr-defined]
        email.sender_name = row.sender_name  # type: ignore[attr-defined]
        result.append(email)
    return result


def replies_owed_tally(
    *, organization_id: int, user_ids: Sequence[int], now: datetime.datetime, working_days: int | None = None
) -> dict[int, int]:
    """Threads owed a reply per rep from the stored lists (every rep of ``user_ids`` is a key).

    One aggregate over the reps' rows; the same numbers ``replies_owed_counts`` computes from
    the emails, as of the workers' last refresh. Like it, ignores what reps snoozed or dismissed.
    """
    counts = dict.fromkeys(user_ids, 0)
    if not user_ids:
        return counts
    if working_days is None:
        working_days, _ = reply_policy(organization_id=organization_id)
    rows = (
        ReplyOwed.objects.filter(
            organization_id=organization_id,
            user_id__in=list(user_ids),
            occurred_at__gte=now - LOOK_BACK,
            occurred_at__lt=working_days_before(now, working_days),
        )
        .values("user_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["user_id"]] = row["n"]
    return counts
