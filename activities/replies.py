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

from django.db import connection, transaction
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
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


def _not_replied_by(qs: QuerySet[Interaction], *, rep: int) -> QuerySet[Interaction]:
    """Drop emails the rep answered: a later email of theirs in the thread, or to the sender."""
    later_in_thread = (
        _same_thread()
        .filter(direction__in=(Direction.OUTBOUND, Direction.INTERNAL))
        .filter(
            Q(owner_id=rep)
            | Q(
                Exists(
                    Participant.objects.filter(interaction_id=OuterRef("pk"), user_id=rep, role=ParticipantRole.FROM)
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
        Q(interaction__owner_id=rep)
        | Q(
            Exists(
                Participant.objects.filter(
                    interaction_id=OuterRef("interaction_id"), user_id=rep, role=ParticipantRole.FROM
                )
            )
        )
    )
    return qs.exclude(~Q(thread_id="") & Q(Exists(later_in_thread))).exclude(
        Q(thread_id="") & Q(Exists(later_to_sender))
    )


def _owed_to(*, base: QuerySet[Interaction], user_id: int) -> tuple[QuerySet[Interaction], QuerySet[Interaction]]:
    """The rep's own captured emails, and those a teammate owns that were addressed to the rep."""
    owned = _not_replied_by(base.filter(owner_id=user_id), rep=user_id)
    # Among the rep's newest participations (a backward walk of the ``(user, interaction)``
    # index): interaction ids grow as rows are written, so they cover the look-back window for
    # anyone not copied on hundreds of emails a month.
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
    # With contact ids, only the emails in their threads, and the rows of those emails or naming
    # one of the contacts as sender; without, everything.
    emails_in_scope, rows_in_scope = Q(), Q()
    if contact_ids is not None:
        emails = _threads_of(organization_id=organization_id, contact_ids=contact_ids, since=since)
        emails_in_scope = Q(pk__in=emails)
        rows_in_scope = Q(interaction_id__in=emails) | Q(sender_contact_id__in=list(contact_ids))
    written = 0
    for user_id in members:
        with transaction.atomic():
            _lock(organization_id, user_id)
            base = _candidates(
                organization_id=organization_id, since=since, before=None, max_recipients=max_recipients
            ).filter(emails_in_scope)
            stale = ReplyOwed.objects.filter(rows_in_scope, organization_id=organization_id, user_id=user_id)
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


def _due(*, organization_id: int, now: datetime.datetime, working_days: int | None) -> QuerySet[ReplyOwed]:
    """Stored rows owed a reply now: past their working days' grace, inside the look-back window."""
    if working_days is None:
        working_days, _ = reply_policy(organization_id=organization_id)
    return ReplyOwed.objects.filter(
        organization_id=organization_id,
        occurred_at__gte=now - LOOK_BACK,
        occurred_at__lt=working_days_before(now, working_days),
    )


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
    rows = (
        _due(organization_id=organization_id, now=now, working_days=working_days)
        .filter(user_id=user_id)
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

    One aggregate over the reps' rows, as of the workers' last refresh; ignores what reps
    snoozed or dismissed (a manager sees the replies actually outstanding).
    """
    counts = dict.fromkeys(user_ids, 0)
    if not user_ids:
        return counts
    rows = (
        _due(organization_id=organization_id, now=now, working_days=working_days)
        .filter(user_id__in=list(user_ids))
        .values("user_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["user_id"]] = row["n"]
    return counts
