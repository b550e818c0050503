"""Reads for the Salesforce sync, always scoped to the requesting member's organization."""

from __future__ import annotations

from django.db.models import QuerySet

from relintel.accounts.models import Membership
from sync.models import ConnectionStatus, OutboxEntry, SalesforceConnection


def salesforce_connection_of(*, membership: Membership) -> SalesforceConnection | None:
    """The organization's connection, or ``None`` before an admin saved one."""
    return (
        SalesforceConnection.objects.select_related("connected_by")
        .filter(organization_id=membership.organization_id)
        .first()
    )


def salesforce_connection_needs_reauth(*, organization_id: int) -> bool:
    return SalesforceConnection.objects.filter(
        organization_id=organization_id, status=ConnectionStatus.NEEDS_REAUTH
    ).exists()


def outbox_organizations_due() -> list[int]:
    """Organizations (across tenants: for the scheduler only) with due outbox rows and a
    connection that is connected and not paused."""
    from django.db.models import Q
    from django.utils import timezone

    from sync.models import OutboxEntry, OutboxState

    now = timezone.now()
    due = Q(state=OutboxState.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    expired = Q(state=OutboxState.IN_FLIGHT, claimed_until__lt=now)
    connected = SalesforceConnection.objects.filter(status=ConnectionStatus.CONNECTED).filter(
        Q(paused_until__isnull=True) | Q(paused_until__lte=now)
    )
    return sorted(
        set(
            OutboxEntry.objects.filter(due | expired)
            .filter(organization_id__in=connected.values("organization_id"))
            .values_list("organization_id", flat=True)
            .distinct()
        )
    )


def outbox_entries_of(
    *, membership: Membership, state: str | None = None, code: str | None = None
) -> QuerySet[OutboxEntry]:
    """The organization's outbox rows, newest first, for the sync health page."""
    entries = OutboxEntry.objects.filter(organization_id=membership.organization_id).order_by("-updated_at")
    if state:
        entries = entries.filter(state=state)
    if code:
        entries = entries.filter(last_error_code=code)
    return entries


# === sync UI: the health page, per-record history, the mapping page ==============================
# (sync UI engineer; reads only. The pull engineer appends below in a separate block.)

from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime as DateTime  # noqa: E402
from typing import Any  # noqa: E402

from django.core.cache import cache  # noqa: E402
from django.db.models import Count, JSONField, Min, Q  # noqa: E402
from django.db.models.expressions import RawSQL  # noqa: E402
from django.http import Http404  # noqa: E402
from django.utils import timezone  # noqa: E402

from sync.models import (  # noqa: E402
    LocalKind,
    ObjectMapping,
    OutboxState,
    SalesforceLink,
    SyncRecordEvent,
    SyncRun,
    SyncRunStatus,
)

QUEUE_STATES: tuple[str, ...] = tuple(OutboxState.values)
FAILED_STATES = (OutboxState.FAILED, OutboxState.DEAD)
RECENT_RUNS = 20
FAILED_PAGE = 100


@dataclass
class Progress:
    """How far the current backfill or push has come."""

    done: int
    total: int
    label: str

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


@dataclass
class SyncHealth:
    connection: SalesforceConnection | None
    queue: dict[str, int]
    running: SyncRun | None
    progress: Progress | None
    now: DateTime

    @property
    def status(self) -> str:
        return self.connection.status if self.connection else ConnectionStatus.DISCONNECTED

    @property
    def status_label(self) -> str:
        return self.connection.get_status_display() if self.connection else ConnectionStatus.DISCONNECTED.label

    @property
    def needs_reauth(self) -> bool:
        return self.status == ConnectionStatus.NEEDS_REAUTH

    @property
    def api_used(self) -> int | None:
        return self.connection.api_usage_used if self.connection else None

    @property
    def api_max(self) -> int | None:
        return self.connection.api_usage_max if self.connection else None

    @property
    def api_budget_percent(self) -> int:
        return self.connection.api_budget_percent if self.connection else 50

    @property
    def api_budget_calls(self) -> int | None:
        """The most calls Relintel may use in 24 hours (its share of the org's allocation)."""
        if not self.api_max:
            return None
        return self.api_max * self.api_budget_percent // 100

    @property
    def api_used_percent(self) -> int | None:
        if self.api_used is None or not self.api_max:
            return None
        return round(100 * self.api_used / self.api_max)

    @property
    def api_budget_used_percent(self) -> int | None:
        budget = self.api_budget_calls
        if self.api_used is None or not budget:
            return None
        return round(100 * self.api_used / budget)

    @property
    def paused_until(self) -> DateTime | None:
        until = self.connection.paused_until if self.connection else None
        return until if until and until > self.now else None

    @property
    def open(self) -> int:
        return self.queue.get(OutboxState.PENDING, 0) + self.queue.get(OutboxState.IN_FLIGHT, 0)

    @property
    def failed(self) -> int:
        return self.queue.get(OutboxState.FAILED, 0) + self.queue.get(OutboxState.DEAD, 0)

    @property
    def active(self) -> bool:
        """Something is moving: the page polls while it is."""
        return self.running is not None or (self.open > 0 and self.status == ConnectionStatus.CONNECTED)


def outbox_queue_depth(*, organization_id: int) -> dict[str, int]:
    """Rows per outbox state, in one aggregate query."""
    totals = OutboxEntry.objects.filter(organization_id=organization_id).aggregate(
        **{state: Count("id", filter=Q(state=state)) for state in QUEUE_STATES}
    )
    return {state: int(totals[state] or 0) for state in QUEUE_STATES}


def _progress(organization_id: int, running: SyncRun | None, queue: dict[str, int]) -> Progress | None:
    counts = running.counts if running is not None and isinstance(running.counts, dict) else {}
    if counts.get("total"):
        done = int(counts.get("done") or counts.get("processed") or 0)
        label = "Bulk job" if running and running.kind == "backfill" else f"{running.get_kind_display()} run"  # type: ignore[union-attr]
        return Progress(done=min(done, int(counts["total"])), total=int(counts["total"]), label=label)
    open_count = queue.get(OutboxState.PENDING, 0) + queue.get(OutboxState.IN_FLIGHT, 0)
    if not open_count and running is None:
        return None
    # The batch in progress: every row queued since the oldest one still owed.
    since = OutboxEntry.objects.filter(
        organization_id=organization_id, state__in=[OutboxState.PENDING, OutboxState.IN_FLIGHT]
    ).aggregate(oldest=Min("created_at"))["oldest"]
    if since is None and running is not None:
        since = running.started_at
    if since is None:
        return None
    batch = OutboxEntry.objects.filter(organization_id=organization_id, created_at__gte=since).aggregate(
        total=Count("id"), done=Count("id", filter=Q(state=OutboxState.SYNCED))
    )
    return Progress(done=int(batch["done"]), total=int(batch["total"]), label="Records sent to Salesforce")


def sync_health_of(*, membership: Membership) -> SyncHealth:
    """Connection state, API usage, queue depth by state, the running run and its progress."""
    organization_id = membership.organization_id
    connection = salesforce_connection_of(membership=membership)
    queue = outbox_queue_depth(organization_id=organization_id)
    running = next(
        iter(_light(SyncRun.objects.filter(organization_id=organization_id, status=SyncRunStatus.RUNNING)[:1])), None
    )
    return SyncHealth(
        connection=connection,
        queue=queue,
        running=running,
        progress=_progress(organization_id, running, queue),
        now=timezone.now(),
    )


def _light(runs: QuerySet[SyncRun]) -> list[SyncRun]:
    """Runs without what a running backfill keeps for recording its results (an entry per
    record, megabytes for a large job): PostgreSQL drops those keys before they leave."""
    found: list[SyncRun] = list(
        runs.defer("counts").annotate(
            light_counts=RawSQL("sync_syncrun.counts - 'entries' - 'create_only'", [], output_field=JSONField())
        )
    )
    for run in found:
        run.counts = getattr(run, "light_counts", None) or {}
    return found


def sync_runs_recent(*, membership: Membership, limit: int = RECENT_RUNS) -> list[SyncRun]:
    return _light(SyncRun.objects.filter(organization_id=membership.organization_id).order_by("-started_at")[:limit])


@dataclass
class LocalRecord:
    kind: str
    local_id: int
    label: str
    exists: bool

    @property
    def kind_label(self) -> str:
        return LocalKind(self.kind).label if self.kind in LocalKind.values else self.kind


def local_records(*, organization_id: int, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], LocalRecord]:
    """What each (kind, local id) is in Relintel, by name, in one query per kind."""
    from activities.models import Interaction
    from contacts.models import Company, Contact, HelpOffer

    by_kind: dict[str, set[int]] = {}
    for kind, local_id in pairs:
        by_kind.setdefault(kind, set()).add(local_id)
    labels: dict[tuple[str, int], str] = {}
    for kind, ids in by_kind.items():
        rows: list[tuple[int, str]]
        if kind == LocalKind.COMPANY:
            rows = list(Company.objects.filter(organization_id=organization_id, pk__in=ids).values_list("pk", "name"))
        elif kind == LocalKind.CONTACT:
            rows = list(
                Contact.objects.filter(organization_id=organization_id, pk__in=ids).values_list("pk", "full_name")
            )
        elif kind == LocalKind.HELP_OFFER:
            rows = [
                (pk, f"Help for {name}: {description[:60]}")
                for pk, name, description in HelpOffer.objects.filter(
                    contact__organization_id=organization_id, pk__in=ids
                ).values_list("pk", "contact__full_name", "description")
            ]
        else:
            rows = [
                (pk, subject or f"{LocalKind(kind).label} of {occurred:%Y-%m-%d}")
                for pk, subject, occurred in Interaction.objects.filter(
                    organization_id=organization_id, pk__in=ids, kind=kind
                ).values_list("pk", "subject", "occurred_at")
            ]
        for pk, label in rows:
            labels[(kind, pk)] = label or f"#{pk}"
    return {
        (kind, local_id): LocalRecord(
            kind=kind,
            local_id=local_id,
            label=labels.get((kind, local_id), f"{kind} #{local_id} (deleted)"),
            exists=(kind, local_id) in labels,
        )
        for kind, local_id in pairs
    }


def split_hint(code: str, message: str) -> tuple[str, str]:
    """Salesforce's message and our hint (the push appends "Hint: …" to the message)."""
    from sync.salesforce.hints import hint_for

    text, sep, hint = message.partition("\nHint: ")
    if sep:
        return text.strip(), hint.strip()
    return message.strip(), hint_for(code, message)


def entry_error(entry: OutboxEntry) -> tuple[str, str]:
    """A failed row's message and hint (rows failed before the hint had its own column carry it
    inside the message)."""
    if entry.last_error_hint:
        return entry.last_error_message.strip(), entry.last_error_hint
    return split_hint(entry.last_error_code, entry.last_error_message)


@dataclass
class FailedRecord:
    entry: OutboxEntry
    record: LocalRecord
    message: str
    hint: str


@dataclass
class FailedRecords:
    rows: list[FailedRecord]
    total: int
    kinds: list[tuple[str, str]]
    codes: list[tuple[str, int]]


def outbox_failed_of(*, membership: Membership, kind: str = "", code: str = "") -> QuerySet[OutboxEntry]:
    entries = OutboxEntry.objects.filter(organization_id=membership.organization_id, state__in=FAILED_STATES)
    if kind:
        entries = entries.filter(object_kind=kind)
    if code:
        entries = entries.filter(last_error_code=code)
    return entries.order_by("-updated_at", "-id")


def outbox_failed_records(
    *, membership: Membership, kind: str = "", code: str = "", limit: int = FAILED_PAGE
) -> FailedRecords:
    """Failed and dead rows (filtered), each with its local record, Salesforce's message and a hint."""
    entries = outbox_failed_of(membership=membership, kind=kind, code=code)
    page = list(entries[:limit])
    records = local_records(
        organization_id=membership.organization_id, pairs=[(e.object_kind, e.local_id) for e in page]
    )
    rows = []
    for entry in page:
        message, hint = entry_error(entry)
        rows.append(
            FailedRecord(entry=entry, record=records[(entry.object_kind, entry.local_id)], message=message, hint=hint)
        )
    codes = list(
        OutboxEntry.objects.filter(organization_id=membership.organization_id, state__in=FAILED_STATES)
        .exclude(last_error_code="")
        .values_list("last_error_code")
        .annotate(n=Count("id"))
        .order_by("-n", "last_error_code")
    )
    return FailedRecords(
        rows=rows,
        total=entries.count() if len(page) == limit else len(page),
        kinds=list(LocalKind.choices),
        codes=[(str(c), int(n)) for c, n in codes],
    )


def outbox_entry_get(*, membership: Membership, entry_id: int) -> OutboxEntry:
    try:
        return OutboxEntry.objects.get(organization_id=membership.organization_id, pk=entry_id)
    except (OutboxEntry.DoesNotExist, ValueError, TypeError):
        raise Http404("No such outbox entry") from None


@dataclass
class HistoryLine:
    at: DateTime
    text: str
    tone: str = ""  # "", "ok", "error"
    code: str = ""
    hint: str = ""


@dataclass
class RecordHistory:
    record: LocalRecord
    link: SalesforceLink | None
    lines: list[HistoryLine]
    entries: list[OutboxEntry] = field(default_factory=list)


def _event_line(event: SyncRecordEvent, link: SalesforceLink | None) -> HistoryLine:
    sobject = link.sobject if link is not None else "record"
    at = timezone.localtime(event.at)
    when = f"at {at:%H:%M} on {at:%Y-%m-%d}"
    sf_id = event.salesforce_id or (link.salesforce_id if link else "")
    action = event.action
    if action == "created":
        return HistoryLine(event.at, f"Pushed as {sobject} {sf_id} {when}", "ok")
    if action == "updated":
        return HistoryLine(event.at, f"Updated {sobject} {sf_id} {when}", "ok")
    if action == "matched":
        return HistoryLine(event.at, f"Matched to the existing {sobject} {sf_id} {when}", "ok")
    if action == "deleted":
        return HistoryLine(event.at, f"Deleted {sobject} {sf_id} in Salesforce {when}")
    if action == "pulled":
        detail = f": {event.message}" if event.message else ""
        return HistoryLine(event.at, f"Pulled changes from {sobject} {sf_id} {when}{detail}")
    if action in ("failed", "dead"):
        message, hint = split_hint(event.code, event.message)
        verb = "Gave up" if action == "dead" else "Failed"
        return HistoryLine(event.at, f"{verb} {when}: {message}", "error", event.code, hint)
    if action == "conflict":
        return HistoryLine(event.at, f"Conflict {when}: {event.message}", "error", event.code)
    text = event.message or action.replace("_", " ").capitalize()
    return HistoryLine(event.at, f"{text} ({when})")


def sync_record_history(*, membership: Membership, kind: str, local_id: int) -> RecordHistory:
    """Everything the sync did with one local record, in words, oldest first. 404 when the
    organization has neither the record nor any sync trace of it."""
    from sync.models import SyncConflict

    if kind not in LocalKind.values:
        raise Http404("No such kind")
    organization_id = membership.organization_id
    record = local_records(organization_id=organization_id, pairs=[(kind, local_id)])[(kind, local_id)]
    link = SalesforceLink.objects.filter(organization_id=organization_id, local_kind=kind, local_id=local_id).first()
    entries = list(
        OutboxEntry.objects.filter(organization_id=organization_id, object_kind=kind, local_id=local_id).order_by(
            "-created_at"
        )[:20]
    )
    if not record.exists and link is None and not entries:
        raise Http404("No such record")
    trace = Q(outbox_entry__object_kind=kind, outbox_entry__local_id=local_id)
    if link is not None:
        trace |= Q(link=link)
    events = SyncRecordEvent.objects.filter(organization_id=organization_id).filter(trace).order_by("at", "id")[:200]
    lines = [_event_line(event, link) for event in events]
    if link is not None:
        lines += [
            HistoryLine(
                c.at,
                f"Conflict on {c.field}: {c.get_resolution_display().lower()} "
                f"(Relintel “{c.local_value}”, Salesforce “{c.salesforce_value}”)",
                "error",
            )
            for c in SyncConflict.objects.filter(organization_id=organization_id, link=link)[:50]
        ]
        lines.sort(key=lambda line: line.at)
    return RecordHistory(record=record, link=link, lines=lines, entries=entries)


@dataclass
class ConflictRow:
    conflict: Any  # sync.models.SyncConflict
    record: LocalRecord


def sync_conflicts_recent(*, membership: Membership, limit: int = 50) -> list[ConflictRow]:
    """The latest field conflicts the pull resolved, with their local records."""
    from sync.models import SyncConflict

    conflicts = list(
        SyncConflict.objects.filter(organization_id=membership.organization_id)
        .select_related("link")
        .order_by("-at")[:limit]
    )
    records = local_records(
        organization_id=membership.organization_id,
        pairs=[(c.link.local_kind, c.link.local_id) for c in conflicts],
    )
    return [ConflictRow(c, records[(c.link.local_kind, c.link.local_id)]) for c in conflicts]


# --- the mapping page ---------------------------------------------------------------------------

DESCRIBE_CACHE_SECONDS = 300

# (local kind, sObject), in the order the page shows them.
MAPPED_OBJECTS: tuple[tuple[str, str], ...] = (
    (LocalKind.COMPANY, "Account"),
    (LocalKind.CONTACT, "Contact"),
    (LocalKind.CONTACT, "Lead"),
    (LocalKind.EMAIL, "Task"),
    (LocalKind.CALL, "Task"),
    (LocalKind.MEETING, "Event"),
    (LocalKind.HELP_OFFER, "Task"),
)


def describe_cache_key(organization_id: int, sobject: str) -> str:
    return f"sync:describe:{organization_id}:{sobject.lower()}"


@dataclass
class Describes:
    """The describes the page needs, and what went wrong fetching any of them."""

    by_sobject: dict[str, dict[str, Any]]
    errors: dict[str, str]


def salesforce_describes(*, connection: SalesforceConnection, sobjects: list[str], refresh: bool = False) -> Describes:
    """``sobjects/{name}/describe/`` per sObject, through the client, cached per organization and
    object for a few minutes (``refresh`` skips the cache: "Check the org")."""
    from sync.salesforce.client import salesforce_for
    from sync.salesforce.errors import SalesforceError

    found: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    wanted = list(dict.fromkeys(sobjects))
    if not refresh:
        cached = cache.get_many([describe_cache_key(connection.organization_id, s) for s in wanted])
        for sobject in wanted:
            value = cached.get(describe_cache_key(connection.organization_id, sobject))
            if value is not None:
                found[sobject] = value
    missing = [s for s in wanted if s not in found]
    if missing:
        try:
            with salesforce_for(connection) as client:
                for sobject in missing:
                    try:
                        describe = client.restful(f"sobjects/{sobject}/describe/")
                    except SalesforceError as exc:
                        if exc.code in ("NOT_FOUND", "INVALID_TYPE"):
                            errors[sobject] = (
                                f"Your org has no {sobject} object the integration user can see: "
                                f"give its profile or permission set Read, Create and Edit on {sobject}"
                            )
                            continue
                        raise
                    if isinstance(describe, dict):
                        found[sobject] = describe
                        cache.set(
                            describe_cache_key(connection.organization_id, sobject), describe, DESCRIBE_CACHE_SECONDS
                        )
        except SalesforceError as exc:
            for sobject in missing:
                errors.setdefault(sobject, f"Could not read {sobject} from Salesforce: {exc.message}")
    return Describes(by_sobject=found, errors=errors)


def object_mappings_of(*, membership: Membership) -> dict[tuple[str, str], ObjectMapping]:
    return {
        (m.local_kind, m.sobject): m for m in ObjectMapping.objects.filter(organization_id=membership.organization_id)
    }


@dataclass(frozen=True)
class ObjectMappingInput:
    """One object's mapping as the admin chose it: ``field_map`` is the whole effective map."""

    local_kind: str
    sobject: str
    enabled: bool
    external_id_field: str
    field_map: dict[str, str]

    @property
    def key(self) -> str:
        return f"{self.local_kind}.{self.sobject}"

    def stored_field_map(self) -> dict[str, str]:
        """What ``ObjectMapping.field_map`` keeps: the choices, and "" for each default dropped."""
        from sync.salesforce.mapping import DEFAULT_FIELD_MAPS

        stored = {sf: local for sf, local in self.field_map.items() if local}
        for sf in DEFAULT_FIELD_MAPS.get((self.local_kind, self.sobject), {}):
            stored.setdefault(sf, "")
        return dict(sorted(stored.items()))


def mapping_inputs_of(*, membership: Membership) -> list[ObjectMappingInput]:
    """The organization's mapping for every object (defaults where nothing was saved)."""
    from sync.models import DEFAULT_EXTERNAL_ID_FIELD
    from sync.salesforce.mapping import DEFAULT_FIELD_MAPS

    saved = object_mappings_of(membership=membership)
    inputs = []
    for kind, sobject in MAPPED_OBJECTS:
        mapping = saved.get((kind, sobject))
        merged = {**DEFAULT_FIELD_MAPS.get((kind, sobject), {}), **(mapping.field_map if mapping else {})}
        inputs.append(
            ObjectMappingInput(
                local_kind=kind,
                sobject=sobject,
                enabled=mapping.enabled if mapping else True,
                external_id_field=(mapping.external_id_field if mapping else "") or DEFAULT_EXTERNAL_ID_FIELD,
                field_map={sf: local for sf, local in merged.items() if local},
            )
        )
    return inputs


def mapping_sobjects(inputs: list[ObjectMappingInput]) -> list[str]:
    names = [i.sobject for i in inputs if i.enabled]
    if any(i.enabled and i.sobject == "Event" for i in inputs):
        names.append("EventRelation")
    return list(dict.fromkeys(names))


def mapping_problems(
    *, connection: SalesforceConnection | None, inputs: list[ObjectMappingInput], describes: Describes
) -> dict[str, list[Any]]:
    """Every problem of the enabled objects, by ``kind.sObject``, with its remedy (``describe.Problem``).
    Pure apart from its arguments."""
    import re

    from sync.salesforce import mapping
    from sync.salesforce.describe import Problem
    from sync.salesforce.payloads import MappingOptions

    enabled = [i for i in inputs if i.enabled]
    options = MappingOptions(
        contact_without_company_as=connection.contact_without_company_as if connection else "lead",
        external_id_fields={i.sobject: i.external_id_field for i in enabled},
        field_maps={(i.local_kind, i.sobject): i.stored_field_map() for i in enabled},
    )
    problems: dict[str, list[Any]] = {}
    ext_by_sobject: dict[str, set[str]] = {}
    for item in enabled:
        ext_by_sobject.setdefault(item.sobject, set()).add(item.external_id_field)
    for item in enabled:
        found: list[Any] = []
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", item.external_id_field):
            found.append(
                Problem(
                    "external_id_invalid",
                    item.sobject,
                    item.external_id_field,
                    f"“{item.external_id_field}” is not a Salesforce API name",
                    "Give the field's API name, such as Relintel_Id__c (letters, digits and underscores)",
                )
            )
        elif len(ext_by_sobject[item.sobject]) > 1:
            found.append(
                Problem(
                    "external_id_inconsistent",
                    item.sobject,
                    item.external_id_field,
                    f"{item.sobject} is given different external-id fields "
                    f"({', '.join(sorted(ext_by_sobject[item.sobject]))})",
                    f"Use one external-id field for every kind pushed as {item.sobject}",
                )
            )
        describe = describes.by_sobject.get(item.sobject)
        if describe is None:
            found.append(
                Problem(
                    "describe_unavailable",
                    item.sobject,
                    "",
                    describes.errors.get(item.sobject, f"Could not read {item.sobject} from Salesforce"),
                    "Check the connection on the Salesforce page, then try again",
                )
            )
        else:
            found.extend(mapping.check_mapping(item.local_kind, item.sobject, describe, options))
        if item.sobject == "Event" and "EventRelation" in describes.by_sobject:
            found.extend(
                mapping.check_mapping(item.local_kind, "EventRelation", describes.by_sobject["EventRelation"], options)
            )
        if found:
            problems[item.key] = found
    return problems


@dataclass
class MappingObjectRow:
    input: ObjectMappingInput
    label: str
    choices: list[Any]  # describe.FieldChoice: the fields that exist and are writable
    local_choices: list[tuple[str, str, str]]
    error: str = ""


@dataclass
class MappingPage:
    connection: SalesforceConnection | None
    connected: bool
    rows: list[MappingObjectRow]
    problems: dict[str, list[Any]] | None = None  # after "Check the org"
    owners: list[ActivityOwner] = field(default_factory=list)


@dataclass(frozen=True)
class ActivityOwner:
    """A member and the Salesforce user their pushed activity belongs to ('' : the default)."""

    name: str
    email: str
    salesforce_id: str
    checked: bool  # looked up at least once


def activity_owners_of(*, membership: Membership) -> list[ActivityOwner]:
    """Every active member with their Salesforce user link (``sync.salesforce.users``), by name."""
    from sync.models import SalesforceUserLink

    links = dict(
        SalesforceUserLink.objects.filter(organization_id=membership.organization_id).values_list(
            "user_id", "salesforce_id"
        )
    )
    members = (
        Membership.objects.filter(organization_id=membership.organization_id, is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")[:500]
    )
    return [
        ActivityOwner(
            name=m.user.display_name,
            email=m.user.email,
            salesforce_id=links.get(m.user_id, ""),
            checked=m.user_id in links,
        )
        for m in members
    ]


def _row_label(kind: str, sobject: str) -> str:
    if kind == LocalKind.CONTACT and sobject == "Lead":
        return "Contacts without a company → Lead"
    return f"{LocalKind(kind).label}s → {sobject}" if kind != LocalKind.COMPANY else "Companies → Account"


def mapping_page_of(*, membership: Membership, check: bool = False) -> MappingPage:
    """The mapping page: per object, the writable fields (from describe) and the current choices.
    ``check`` re-reads every describe (no cache) and lists every problem ("Check the org")."""
    from sync.salesforce.describe import writable_fields
    from sync.salesforce.local_fields import local_field_choices

    connection = salesforce_connection_of(membership=membership)
    inputs = mapping_inputs_of(membership=membership)
    connected = connection is not None and connection.status == ConnectionStatus.CONNECTED
    if not connected or connection is None:
        return MappingPage(connection=connection, connected=False, rows=[])
    sobjects = list(dict.fromkeys([s for _, s in MAPPED_OBJECTS] + mapping_sobjects(inputs)))
    describes = salesforce_describes(connection=connection, sobjects=sobjects, refresh=check)
    rows = []
    for item in inputs:
        describe = describes.by_sobject.get(item.sobject)
        rows.append(
            MappingObjectRow(
                input=item,
                label=_row_label(item.local_kind, item.sobject),
                # The external-id field is the sync's own: never offered for a local value.
                choices=[
                    choice
                    for choice in (writable_fields(describe, for_upsert=True) if describe else [])
                    if choice.name.lower() != item.external_id_field.lower()
                ],
                local_choices=local_field_choices(item.local_kind),
                error=describes.errors.get(item.sobject, ""),
            )
        )
    problems = mapping_problems(connection=connection, inputs=inputs, describes=describes) if check else None
    return MappingPage(
        connection=connection,
        connected=True,
        rows=rows,
        problems=problems,
        owners=activity_owners_of(membership=membership),
    )


# --- pull and conflicts (pull engineer) ----------------------------------------------------------

import datetime as _dt  # noqa: E402

from sync.models import SyncConflict  # noqa: E402


def pull_organizations_due() -> list[int]:
    """Organizations (across tenants: for the scheduler only) whose connection is connected and
    not paused, and that have no pull running (one started in the last 10 minutes)."""
    from django.db.models import Q
    from django.utils import timezone

    from sync.models import SyncRun, SyncRunKind, SyncRunStatus

    now = timezone.now()
    running = SyncRun.objects.filter(
        kind=SyncRunKind.PULL, status=SyncRunStatus.RUNNING, started_at__gt=now - _dt.timedelta(minutes=10)
    ).values("organization_id")
    return sorted(
        SalesforceConnection.objects.filter(status=ConnectionStatus.CONNECTED)
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
        .exclude(organization_id__in=running)
        .values_list("organization_id", flat=True)
    )


def sync_conflicts(
    *, membership: Membership, object_kind: str | None = None, since: _dt.datetime | None = None
) -> QuerySet[SyncConflict]:
    """The organization's field conflicts between Relintel and Salesforce, newest first.

    ``object_kind``: a local kind (``company``, ``contact``) or an sObject (``Account``,
    ``Contact``, ``Lead``); ``since``: only conflicts at or after this moment.
    """
    from sync.models import LocalKind

    conflicts = SyncConflict.objects.filter(organization_id=membership.organization_id).select_related("link")
    if object_kind:
        if object_kind in LocalKind.values:
            conflicts = conflicts.filter(link__local_kind=object_kind)
        else:
            conflicts = conflicts.filter(link__sobject=object_kind)
    if since is not None:
        conflicts = conflicts.filter(at__gte=since)
    return conflicts.order_by("-at", "-pk")
