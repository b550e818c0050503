"""``capture_ingest``: the one service that writes captured activity.

Built for throughput: a batch of a few hundred items is one transaction with a constant
number of queries (one to find what is already stored, one to match every address of
the batch to contacts, one for members, bulk inserts), whatever the batch size. The
rows are plain tuples written by ``rows`` (one ``INSERT … FROM unnest(…)`` per table on
PostgreSQL): no Django model instance per row, see BENCHMARKS.md.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from activities.capture.classify import classify
from activities.capture.ingest.content import (
    external_id_for,
    stored_body,
    stored_role,
    stored_subject,
    version_key,
)
from activities.capture.ingest.context import capture_context_for, capture_policy_for
from activities.capture.ingest.meetings import meeting_updates
from activities.capture.ingest.people import contacts_from_activity
from activities.capture.ingest.records import account_counts, contacts_touch, rollups_touch, skip_row
from activities.capture.ingest.rows import (
    InteractionRow,
    ParticipantRow,
    interactions_insert,
    participants_insert,
    sightings_insert,
    skips_replace,
)
from activities.capture.items import EMAIL, MEETING, ROLE_ATTENDEE, ROLE_CC, CaptureContext, CapturedItem, Decision
from activities.models import (
    CaptureAccount,
    CaptureCursor,
    Direction,
    Interaction,
    Participant,
    ParticipantRole,
    ResponseStatus,
    SkipReason,
)
from contacts.models import ContactEmail
from relintel.accounts.models import Membership, Organization, User
from sync import services as sync_services

# A concurrent batch (another rep's mailbox) may insert the same message or create the
# same contact between our read and our write: the unique constraint stops it, the
# savepoint rolls our batch back, and the retry then finds the other batch's rows.
_ATTEMPTS = 3

_ROLES = frozenset(ParticipantRole.values)
_RESPONSES = frozenset(ResponseStatus.values)
_DIRECTIONS = frozenset(Direction.values)

Key = tuple[str, str]  # (kind, external_id)


@dataclass
class IngestResult:
    captured: int = 0  # new interactions
    duplicates: int = 0  # already stored (another mailbox, a re-read): a sighting added
    updated: int = 0  # meetings replaced by a newer version
    deleted: int = 0  # meetings removed by a cancellation
    skipped: Counter[str] = field(default_factory=Counter)  # skip reason → count
    interaction_ids: list[int] = field(default_factory=list)  # stored ones this batch touched
    contacts_created: int = 0


@dataclass
class _Stored:
    id: int
    version: str
    owner_id: int | None = None  # with occurred_at: the rollup week a move or deletion leaves
    occurred_at: datetime.datetime | None = None


def capture_ingest(
    *,
    organization: Organization,
    user: User,
    source: str,
    items: Sequence[CapturedItem],
    privacy_level: str,
    visibility: str,
    account: CaptureAccount | None = None,
    cursor: CaptureCursor | None = None,
    context: CaptureContext | None = None,
) -> IngestResult:
    """Write a batch of captured emails and meeting occurrences for one rep, in one transaction.

    Each item is classified (``activities.capture.classify``); skipped ones become
    ``SkippedMessage`` rows. One interaction per organization per (kind, external id):
    an item already stored gets this rep's sighting and participant row instead; a newer
    meeting version updates the stored one, a cancellation deletes it. Subject and body are
    stored only as ``privacy_level`` allows. Unknown external people become contacts as the
    capture policy says. ``cursor`` (if given) and the account's counters are saved in the
    same transaction, so a crash never moves a cursor past unsaved messages. Derived data
    is left to worker tasks enqueued after commit, once per batch: the contacts' latest
    interaction (``contacts_touch_latest``) and their relationships (``relationship_refresh``),
    so both are eventually consistent, never written inside the batch's transaction.
    """
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                result = _ingest(
                    organization=organization,
                    user=user,
                    source=source,
                    items=items,
                    privacy_level=privacy_level,
                    visibility=visibility,
                    account=account,
                    cursor=cursor,
                    context=context,
                )
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        if account is not None:
            account.refresh_from_db(fields=["captured_count", "skipped_counts", "last_success_at"])
        return result
    raise AssertionError("unreachable")  # pragma: no cover


def _ingest(
    *,
    organization: Organization,
    user: User,
    source: str,
    items: Sequence[CapturedItem],
    privacy_level: str,
    visibility: str,
    account: CaptureAccount | None,
    cursor: CaptureCursor | None,
    context: CaptureContext | None,
) -> IngestResult:
    now = timezone.now()
    policy = capture_policy_for(organization=organization)
    if context is None:
        context = capture_context_for(organization=organization, user=user, policy=policy)
    result = IngestResult()
    skips: dict[str, tuple[CapturedItem, str, str]] = {}  # external id → (item, reason, detail)
    kept: dict[Key, tuple[CapturedItem, Decision]] = {}
    cancels: dict[Key, CapturedItem] = {}
    all_ids: set[str] = set()

    for item in items:
        external_id = external_id_for(item)
        all_ids.add(external_id)
        key = (item.kind, external_id)
        if item.kind == MEETING and item.status == "cancelled":
            if key not in cancels or version_key(item.version) > version_key(cancels[key].version):
                cancels[key] = item
            continue
        decision = classify(item, context)
        if not decision.captured:
            skips[external_id] = (item, decision.skip_reason, decision.detail)
            continue
        if key in kept:
            if item.kind == MEETING and version_key(item.version) > version_key(kept[key][0].version):
                kept[key] = (item, decision)
            else:
                result.duplicates += 1
            continue
        kept[key] = (item, decision)
    # A cancellation and another version of the same occurrence in one batch: the newer wins.
    for key in list(cancels):
        if key in kept:
            if version_key(cancels[key].version) >= version_key(kept[key][0].version):
                del kept[key]
            else:
                del cancels[key]

    stored = _stored(organization=organization, keys=set(kept) | set(cancels))
    touched_contacts: set[int] = set()

    # Cancellations: delete the stored occurrence (unless it is newer); nothing stored → a skip.
    doomed: list[int] = []
    for key, item in cancels.items():
        row = stored.get(key)
        if row is None:
            skips[key[1]] = (item, SkipReason.CANCELLED, "Cancelled before it was captured")
        elif version_key(item.version) >= version_key(row.version):
            doomed.append(row.id)
    if doomed:
        # Before the rows go: the outbox reads each one's kind and visibility.
        sync_services.outbox_enqueue_many(
            organization_id=organization.pk, kind="interaction", local_ids=doomed, operation="delete"
        )
        touched_contacts |= set(
            Participant.objects.filter(interaction_id__in=doomed, contact__isnull=False).values_list(
                "contact_id", flat=True
            )
        )
        Interaction.objects.filter(pk__in=doomed).delete()
        result.deleted = len(doomed)

    new: list[tuple[Key, CapturedItem, Decision]] = []
    updates: list[tuple[int, CapturedItem]] = []
    seen_again: list[int] = []
    for key, (item, decision) in kept.items():
        row = stored.get(key)
        if row is None:
            new.append((key, item, decision))
        elif item.kind == MEETING and version_key(item.version) > version_key(row.version):
            updates.append((row.id, item))
        else:
            seen_again.append(row.id)
    result.duplicates += len(seen_again)

    # One query for the contacts, one for the members, for every address of the batch.
    addresses = {p.address for _, item, _ in new for p in item.participants if p.address}
    addresses |= {p.address for _, item in updates for p in item.participants if p.address}
    contact_by_address: dict[str, int] = dict(
        ContactEmail.objects.filter(organization=organization, email__in=addresses).values_list("email", "contact_id")
    )
    user_by_address, team_id = _members(organization=organization, user=user, addresses=addresses)
    for address in context.own_addresses:
        user_by_address.setdefault(address, user.pk)

    unknown: dict[str, str] = {}

    def participants_of(interaction_id: int, item: CapturedItem) -> list[ParticipantRow]:
        rows: list[ParticipantRow] = []
        seen: set[tuple[str, str]] = set()
        for p in item.participants:
            address = p.address.strip().lower()[:254]
            role = stored_role(p.role)
            if not address or role not in _ROLES or (address, role) in seen:
                continue
            seen.add((address, role))
            contact_id = contact_by_address.get(address)
            user_id = user_by_address.get(address)
            if contact_id is None and user_id is None and (address not in unknown or not unknown[address]):
                unknown[address] = p.name
            rows.append(
                ParticipantRow(
                    interaction_id,
                    contact_id,
                    user_id,
                    address,
                    " ".join(p.name.split())[:300] if p.name else "",
                    role,
                    p.response if p.response in _RESPONSES else "",
                )
            )
        return rows

    # New interactions, their participants (the rep always among them).
    id_by_key = interactions_insert(
        organization_id=organization.pk,
        owner_id=user.pk,
        team_id=team_id,
        source=source,
        visibility=visibility,
        now=now,
        rows=[
            _interaction_row(key=key, item=item, decision=decision, privacy_level=privacy_level, now=now)
            for key, item, decision in new
        ],
    )
    new_ids: list[int] = []
    participants: list[ParticipantRow] = []
    # Contacts in new interactions only: their latest interaction can only move forward.
    latest: dict[int, datetime.datetime] = {}
    for key, item, _ in new:
        interaction_id = id_by_key[key]
        new_ids.append(interaction_id)
        rows = participants_of(interaction_id, item)
        if not any(r.user_id == user.pk for r in rows):
            rows.append(_rep_row(interaction_id=interaction_id, user=user, kind=item.kind))
        when = item.occurred_at or now
        for prow in rows:
            contact_id = prow.contact_id
            if contact_id is not None and (contact_id not in latest or latest[contact_id] < when):
                latest[contact_id] = when
        participants.extend(rows)
    result.captured = len(new_ids)
    new_rows = len(participants)

    # Newer meeting versions: time, subject, body, attendees and their responses.
    if updates:
        participants.extend(
            meeting_updates(
                updates=updates,
                user=user,
                privacy_level=privacy_level,
                now=now,
                participants_of=participants_of,
                touched_contacts=touched_contacts,
            )
        )
        result.updated = len(updates)

    # Seen again (another rep's mailbox, a re-read): this rep's participant row if missing.
    again_ids = seen_again + [interaction_id for interaction_id, _ in updates]
    if again_ids:
        present = set(
            Participant.objects.filter(interaction_id__in=again_ids, user=user).values_list("interaction_id", flat=True)
        )
        present |= {p.interaction_id for p in participants if p.user_id == user.pk}
        kinds = {row.id: key[0] for key, row in stored.items()}
        participants.extend(
            _rep_row(interaction_id=i, user=user, kind=kinds.get(i, EMAIL)) for i in again_ids if i not in present
        )
    participants_insert(rows=participants)
    # Rows added to stored meetings: their time may have moved, so those contacts are re-derived.
    touched_contacts |= {p.contact_id for p in participants[new_rows:] if p.contact_id is not None}

    interaction_ids = new_ids + again_ids
    account_id = account.pk if account is not None else None
    sightings_insert(
        new_ids=new_ids, interaction_ids=again_ids, user_id=user.pk, account_id=account_id, source=source, now=now
    )
    result.interaction_ids = interaction_ids

    # Skips: replace this rep's earlier verdicts on the batch's messages (upsert).
    skips_replace(
        organization_id=organization.pk,
        user_id=user.pk,
        account_id=account_id,
        source=source,
        now=now,
        external_ids=sorted(all_ids),
        rows=[
            skip_row(external_id=external_id, item=item, reason=reason, detail=detail, privacy_level=privacy_level)
            for external_id, (item, reason, detail) in skips.items()
        ],
    )
    result.skipped = Counter(reason for _, reason, _ in skips.values())

    created = contacts_from_activity(
        organization=organization, user=user, rule=policy.contact_creation, context=context, unknown=unknown
    )
    result.contacts_created = len(created)
    touched_contacts |= set(created)

    # Owed to Salesforce, in this transaction: one INSERT … SELECT per kind and batch, after one
    # connection check per transaction (nothing is written without a connection; the outbox
    # leaves out private interactions and notes).
    sync_services.outbox_enqueue_captured(
        organization_id=organization.pk,
        new=[(id_by_key[key], key[0]) for key, _, _ in new],
        visibility=visibility,
        changed_ids=[i for i, _ in updates],
        contact_ids=created,
    )

    stored_by_id = {row.id: row for row in stored.values()}
    rollups_touch(
        organization_id=organization.pk,
        moments=[(user.pk, item.occurred_at or now) for _, item, _ in new]
        + [(stored_by_id[i].owner_id, stored_by_id[i].occurred_at) for i in doomed]
        + [
            (stored_by_id[i].owner_id, when)
            for i, item in updates
            for when in (stored_by_id[i].occurred_at, item.occurred_at or now)
        ],
    )
    if touched_contacts or latest:
        contacts_touch(organization_id=organization.pk, contact_ids=touched_contacts, latest=latest)

    if account is not None:
        account_counts(
            account=account,
            captured=result.captured + result.duplicates + result.updated,
            skipped=result.skipped,
            now=now,
        )
    if cursor is not None:
        cursor.save()
    return result


def _stored(*, organization: Organization, keys: set[Key]) -> dict[Key, _Stored]:
    if not keys:
        return {}
    # ``<> ''`` lets PostgreSQL use the partial unique index even for long IN lists.
    rows = (
        Interaction.objects.filter(
            organization=organization,
            kind__in={k for k, _ in keys},
            external_id__in=sorted({e for _, e in keys}),
        )
        .exclude(external_id="")
        .values_list("id", "kind", "external_id", "external_version", "owner_id", "occurred_at")
    )
    return {
        (kind, eid): _Stored(id=pk, version=v, owner_id=owner_id, occurred_at=at)
        for pk, kind, eid, v, owner_id, at in rows
        if (kind, eid) in keys
    }


def _members(*, organization: Organization, user: User, addresses: set[str]) -> tuple[dict[str, int], int | None]:
    """Members whose email is among the addresses, and the rep's team (one query)."""
    rows = Membership.objects.filter(organization=organization).filter(
        Q(user__email__in=sorted(addresses)) | Q(user=user)
    )
    user_by_address: dict[str, int] = {}
    team_id: int | None = None
    for user_id, email, member_team_id in rows.values_list("user_id", "user__email", "team_id"):
        if email.lower() in addresses:
            user_by_address[email.lower()] = user_id
        if user_id == user.pk:
            team_id = member_team_id
    return user_by_address, team_id


def _interaction_row(
    *, key: Key, item: CapturedItem, decision: Decision, privacy_level: str, now: datetime.datetime
) -> InteractionRow:
    return InteractionRow(
        item.kind,
        item.occurred_at or now,
        item.duration_minutes if item.kind == MEETING else None,
        stored_subject(item, privacy_level),
        stored_body(item, privacy_level),
        decision.direction if decision.direction in _DIRECTIONS else Direction.INBOUND,
        key[1],
        item.thread_id[:998],
        [{"name": a.name[:255], "size": a.size} for a in item.attachments],
        item.version[:100],
    )


def _rep_row(*, interaction_id: int, user: User, kind: str) -> ParticipantRow:
    role = ROLE_ATTENDEE if kind == MEETING else ROLE_CC
    return ParticipantRow(interaction_id, None, user.pk, user.email, "", role, "")
