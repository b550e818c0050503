"""Push the outbox to Salesforce: claim, match, upsert in dependency order, record every result.

* **Claim** (``claim``): a short transaction takes due rows with ``FOR UPDATE SKIP LOCKED``,
  marks them ``in_flight`` with a lease (``claimed_until``) and commits. Rows whose lease ran
  out (a worker killed mid-push) are due again, so nothing is lost; the push is an upsert by
  external id, so pushing a row twice never makes a second record. Only rows of the lowest
  dependency rank that is due or in flight are claimed (Accounts, then Contacts and Leads,
  then Tasks and Events), whichever worker holds them.
* **Match before create** (``sync.salesforce.matching``): a company or contact pushed for the
  first time is looked up in Salesforce in batched queries; a match is stamped with our
  external id by its Id, then upserted like any other record.
* **Upsert** by sObject Collections (``PATCH composite/sobjects/{Object}/{Field}``, 200 records
  a call), parents referenced by external id. A payload whose hash equals the last pushed one
  costs no call.
* **Results** per record: ``synced`` with its ``SalesforceLink`` and a ``SyncRecordEvent``;
  transient errors back to ``pending`` with exponential back-off and jitter (``dead`` after
  ``MAX_ATTEMPTS``); permanent ones ``failed`` with Salesforce's code, message and a hint.
  ``REQUEST_LIMIT_EXCEEDED``, the API budget and a refused refresh stop the run and give the
  rows back untouched.

Large backlogs of one object go through Bulk API 2.0 instead (``sync.salesforce.bulk``).
"""

from __future__ import annotations

import contextlib
import datetime
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from sync.models import (
    ConnectionStatus,
    LocalKind,
    ObjectMapping,
    OutboxEntry,
    OutboxOperation,
    OutboxState,
    SalesforceConnection,
    SalesforceLink,
    SyncRecordEvent,
    SyncRun,
    SyncRunKind,
    SyncRunStatus,
)
from sync.salesforce import domain, matching
from sync.salesforce.client import SalesforceClient, salesforce_for
from sync.salesforce.errors import (
    ApiBudgetExhausted,
    ApiLimitExceeded,
    PermanentSalesforceError,
    ReauthorizationNeeded,
    SalesforceError,
)
from sync.salesforce.hints import INACTIVE_OWNER, hint_for, is_create_only_refusal, is_transient_record_error
from sync.salesforce.mapping import contact_target
from sync.salesforce.payloads import MappingOptions, NotPushable, Payload
from sync.salesforce.users import owners_of, salesforce_users_link, users_check_due

LEASE = datetime.timedelta(minutes=5)
CLAIM_SIZE = 1000
COLLECTION_SIZE = 200
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600

RANKS: dict[str, int] = {LocalKind.COMPANY: 0, LocalKind.CONTACT: 1}
_RANK_SQL = "CASE object_kind WHEN 'company' THEN 0 WHEN 'contact' THEN 1 ELSE 2 END"
# clock_timestamp(), not now(): now() is frozen at the start of the surrounding transaction.
_DUE_SQL = (
    "((state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= clock_timestamp()))"
    " OR (state = 'in_flight' AND claimed_until < clock_timestamp()))"
)
_OPEN_SQL = (
    "(state = 'in_flight' OR (state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= clock_timestamp())))"
)


class StopRun(Exception):
    """Salesforce can't be called now (paused, budget, re-authorization): give the rows back."""

    def __init__(self, error: SalesforceError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    local_id: int
    operation: str
    attempts: int
    version: datetime.datetime  # updated_at when claimed: a later change makes the claim stale


def new_worker_id() -> str:
    return f"push-{uuid.uuid4().hex[:16]}"


def claim_lease() -> datetime.timedelta:
    """``RELINTEL_SALESFORCE_CLAIM_LEASE_SECONDS`` (5 minutes): how long a killed worker's rows wait."""
    from django.conf import settings

    seconds = getattr(settings, "RELINTEL_SALESFORCE_CLAIM_LEASE_SECONDS", None)
    return datetime.timedelta(seconds=int(seconds)) if seconds else LEASE


def lease_extend(*, worker: str, entry_ids: Sequence[int], lease: datetime.timedelta) -> int:
    """Hold rows longer (a Bulk API job that Salesforce now works on). Leaves ``updated_at``
    alone: it is the claim's version, and a change arriving meanwhile must still be noticed."""
    return OutboxEntry.objects.filter(pk__in=list(entry_ids), claimed_by=worker, state=OutboxState.IN_FLIGHT).update(
        claimed_until=timezone.now() + lease
    )


def claim(
    *,
    organization_id: int,
    worker: str,
    limit: int = CLAIM_SIZE,
    lease: datetime.timedelta | None = None,
    kinds: Sequence[str] | None = None,
) -> list[Claimed]:
    """Take up to ``limit`` due rows of the lowest open dependency rank, in a short transaction.

    The lease defaults to ``RELINTEL_SALESFORCE_CLAIM_LEASE_SECONDS`` (5 minutes): how long a
    killed worker's rows wait before another worker takes them."""
    if lease is None:
        lease = claim_lease()
    kind_filter = "AND object_kind = ANY(%(kinds)s)" if kinds else ""
    sql = f"""
        UPDATE sync_outboxentry SET state = 'in_flight', claimed_by = %(worker)s,
               claimed_until = clock_timestamp() + %(lease)s, updated_at = clock_timestamp()
        WHERE id IN (
            SELECT id FROM sync_outboxentry
            WHERE organization_id = %(org)s AND {_DUE_SQL} {kind_filter}
              AND {_RANK_SQL} <= (SELECT COALESCE(MIN({_RANK_SQL}), 2) FROM sync_outboxentry
                                   WHERE organization_id = %(org)s AND {_OPEN_SQL} {kind_filter})
            ORDER BY {_RANK_SQL}, id
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        )
        RETURNING id, object_kind, local_id, operation, attempts, updated_at
    """  # noqa: S608 - fixed SQL, values are parameters
    params: dict[str, Any] = {
        "worker": worker,
        "lease": lease,
        "org": organization_id,
        "limit": limit,
        "kinds": list(kinds or []),
    }
    with transaction.atomic(), db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    claimed = [Claimed(*row) for row in rows]
    claimed.sort(key=lambda c: (RANKS.get(c.kind, 2), c.id))
    return claimed


def due_counts(*, organization_id: int) -> dict[str, int]:
    """Due rows per kind (pending and due, or in flight with an expired lease)."""
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"SELECT object_kind, count(*) FROM sync_outboxentry WHERE organization_id = %s AND {_DUE_SQL}"  # noqa: S608
            " GROUP BY object_kind",
            [organization_id],
        )
        return dict(cursor.fetchall())


# --- recording results ---------------------------------------------------------------------------


def backoff(attempts: int) -> datetime.timedelta:
    """Exponential with full jitter in its upper half: 30 s, 1 min, 2 min … capped at 6 h."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return datetime.timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


@dataclass
class Outcome:
    """What one push did, for the run's counts."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n


@dataclass(frozen=True)
class Pushed:
    entry: Claimed
    payload_hash: str
    sobject: str
    salesforce_id: str
    external_id: str
    created: bool
    values: dict[str, Any] = field(default_factory=dict)  # what was sent, for the pull (sync.salesforce.pull)


class Recorder:
    """Writes per-record results; every write is conditional on the worker still holding the row."""

    def __init__(self, *, organization_id: int, worker: str, run: SyncRun | None, outcome: Outcome) -> None:
        self.organization_id = organization_id
        self.worker = worker
        self.run = run
        self.outcome = outcome

    def _finish(self, entry: Claimed, **changes: Any) -> bool:
        """Apply ``changes`` if the claim is current; a row changed meanwhile goes back to pending."""
        done = OutboxEntry.objects.filter(
            pk=entry.id, claimed_by=self.worker, state=OutboxState.IN_FLIGHT, updated_at=entry.version
        ).update(claimed_by="", claimed_until=None, **changes)
        if not done:
            OutboxEntry.objects.filter(pk=entry.id, claimed_by=self.worker, state=OutboxState.IN_FLIGHT).update(
                state=OutboxState.PENDING, claimed_by="", claimed_until=None, next_attempt_at=None
            )
        return bool(done)

    def synced(self, entries: Iterable[Claimed], *, note: str = "", state: str = OutboxState.SYNCED) -> None:
        """Settle rows in one statement (``synced``, or ``skipped``); a row changed meanwhile goes
        back to pending."""
        entries = list(entries)
        if not entries:
            return
        values = ", ".join(["(%s::bigint, %s::timestamptz)"] * len(entries))
        params: list[Any] = [p for e in entries for p in (e.id, e.version)]
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE sync_outboxentry o SET state = %s, claimed_by = '', claimed_until = NULL,
                       last_error_code = '', last_error_message = %s, last_error_hint = ''
                    FROM (VALUES {values}) AS v(id, version)
                    WHERE o.id = v.id AND o.updated_at = v.version AND o.claimed_by = %s AND o.state = 'in_flight'
                """,  # noqa: S608 - placeholders only
                [state, note, *params, self.worker],
            )
            cursor.execute(
                """UPDATE sync_outboxentry SET state = 'pending', claimed_by = '', claimed_until = NULL,
                       next_attempt_at = NULL
                   WHERE id = ANY(%s) AND claimed_by = %s AND state = 'in_flight'""",
                [[e.id for e in entries], self.worker],
            )

    def pushed(self, results: Sequence[Pushed]) -> None:
        if not results:
            return
        now = timezone.now()
        links = SalesforceLink.objects.bulk_create(
            [
                SalesforceLink(
                    organization_id=self.organization_id,
                    local_kind=r.entry.kind,
                    local_id=r.entry.local_id,
                    sobject=r.sobject,
                    salesforce_id=r.salesforce_id,
                    external_id=r.external_id,
                    last_pushed_hash=r.payload_hash,
                    last_pushed_at=now,
                    synced_values=r.values,
                )
                for r in results
            ],
            update_conflicts=True,
            unique_fields=["organization", "local_kind", "local_id"],
            update_fields=[
                "sobject",
                "salesforce_id",
                "external_id",
                "last_pushed_hash",
                "last_pushed_at",
                "synced_values",
                "updated_at",
            ],
        )
        SyncRecordEvent.objects.bulk_create(
            [
                SyncRecordEvent(
                    organization_id=self.organization_id,
                    link=link,
                    outbox_entry_id=r.entry.id,
                    run=self.run,
                    action="created" if r.created else "updated",
                    salesforce_id=r.salesforce_id,
                    message=f"{'Pushed as' if r.created else 'Updated'} {r.sobject} {r.salesforce_id} "
                    f"at {timezone.localtime(now):%H:%M}",
                )
                for r, link in zip(results, links, strict=True)
            ]
        )
        self.synced(r.entry for r in results)
        self.outcome.add("created", sum(r.created for r in results))
        self.outcome.add("updated", sum(not r.created for r in results))

    def unchanged(self, entries: Sequence[Claimed]) -> None:
        self.synced(entries)
        self.outcome.add("unchanged", len(entries))

    def skipped(self, entry: Claimed, reason: str) -> None:
        self.synced([entry], note=reason)
        self.outcome.add("skipped")

    def switched_off(self, entries: Sequence[Claimed], *, local_kind: str, sobject: str) -> None:
        """Its mapping is switched off: ``skipped``, visibly, until the mapping is switched on."""
        if not entries:
            return
        label = LocalKind(local_kind).label if local_kind in LocalKind.values else local_kind
        reason = f"Not pushed: the {label} → {sobject} mapping is switched off."
        self.synced(entries, note=reason, state=OutboxState.SKIPPED)
        self.outcome.add("switched off", len(entries))

    def retry(self, entry: Claimed, *, code: str, message: str) -> None:
        attempts = entry.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            self._finish(
                entry,
                state=OutboxState.DEAD,
                attempts=attempts,
                last_error_code=code[:80],
                last_error_message=f"Gave up after {attempts} attempts: {message}",
                last_error_hint="",
            )
            self._event(entry, "dead", code, message)
            self.outcome.add("dead")
            return
        self._finish(
            entry,
            state=OutboxState.PENDING,
            attempts=attempts,
            next_attempt_at=timezone.now() + backoff(attempts),
            last_error_code=code[:80],
            last_error_message=message,
            last_error_hint="",
        )
        self.outcome.add("retried")

    def failed(self, entry: Claimed, *, code: str, message: str, fields: Sequence[str] = ()) -> None:
        hint = hint_for(code, message, fields)
        text = f"{message}\nHint: {hint}" if hint else message  # the record's history keeps both in one line
        self._finish(
            entry,
            state=OutboxState.FAILED,
            attempts=entry.attempts + 1,
            last_error_code=code[:80],
            last_error_message=message,
            last_error_hint=hint,
        )
        self._event(entry, "failed", code, text)
        self.outcome.add("failed")

    def error(self, entry: Claimed, error: SalesforceError) -> None:
        if error.transient:
            self.retry(entry, code=error.code, message=error.message)
        else:
            self.failed(entry, code=error.code, message=error.message, fields=error.fields)

    def record_error(self, entry: Claimed, errors: Sequence[dict[str, Any]]) -> None:
        first = errors[0] if errors else {}
        code = str(first.get("statusCode") or first.get("errorCode") or "UNKNOWN_ERROR")
        message = str(first.get("message") or "Salesforce refused the record without saying why.")
        fields = [str(f) for f in first.get("fields") or []]
        if code == INACTIVE_OWNER:
            # The rep's Salesforce user was deactivated since the daily lookup: look the members
            # up again with the next push or pull (it unlinks them), and retry after it.
            SalesforceConnection.objects.filter(organization_id=self.organization_id).update(users_checked_at=None)
            self.retry(entry, code=code, message=message)
        elif is_transient_record_error(code, message):
            self.retry(entry, code=code, message=message)
        else:
            self.failed(entry, code=code, message=message, fields=fields)

    def release(self, entries: Iterable[Claimed], *, until: datetime.datetime | None = None) -> None:
        """Give rows back as they were (the run stopped before pushing them)."""
        OutboxEntry.objects.filter(
            pk__in=[e.id for e in entries], claimed_by=self.worker, state=OutboxState.IN_FLIGHT
        ).update(state=OutboxState.PENDING, claimed_by="", claimed_until=None, next_attempt_at=until)

    def _event(self, entry: Claimed, action: str, code: str, message: str) -> None:
        SyncRecordEvent.objects.create(
            organization_id=self.organization_id,
            outbox_entry_id=entry.id,
            run=self.run,
            action=action,
            code=code[:80],
            message=message,
        )


def synced_values_of(kind: str, payload: Payload) -> dict[str, Any]:
    """The plain field values of a pushed Account, Contact or Lead (what the pull compares with)."""
    if kind not in (LocalKind.COMPANY, LocalKind.CONTACT):
        return {}
    from sync.salesforce.conflicts import comparable

    return {name: comparable(value) for name, value in payload.fields.items() if not isinstance(value, dict)}


# --- one batch -------------------------------------------------------------------------------------


def options_for_push(connection: SalesforceConnection, client: SalesforceClient) -> MappingOptions:
    """The mapping options for a run, the members' Salesforce users looked up first when due
    (once a day): the first push after connecting already sends each rep's ``OwnerId``."""
    if users_check_due(connection):
        # A limit or re-authorization is not handled here: the run's own first call meets it.
        with contextlib.suppress(SalesforceError):
            salesforce_users_link(connection=connection, client=client)
    return mapping_options(connection)


def mapping_options(connection: SalesforceConnection) -> MappingOptions:
    return domain.options_from(
        connection,
        ObjectMapping.objects.filter(organization_id=connection.organization_id),
        owners=owners_of(organization_id=connection.organization_id),
    )


def chunks(items: Sequence[Any], size: int = COLLECTION_SIZE) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BatchPusher:
    def __init__(self, *, client: SalesforceClient, recorder: Recorder, options: MappingOptions) -> None:
        self.client = client
        self.recorder = recorder
        self.options = options
        self.organization_id = recorder.organization_id

    def push(self, claimed: Sequence[Claimed]) -> None:
        """Push claimed rows, parents first. Raises ``StopRun`` after giving unpushed rows back."""
        remaining = list(claimed)
        try:
            deletes = [c for c in remaining if c.operation == OutboxOperation.DELETE]
            if deletes:
                from sync.salesforce.deletes import push_deletes

                push_deletes(self, deletes)
                remaining = [c for c in remaining if c.operation != OutboxOperation.DELETE]
            for rank in (0, 1, 2):
                group = [c for c in remaining if RANKS.get(c.kind, 2) == rank]
                if group:
                    try:
                        self._push_group(group)
                    except (ApiLimitExceeded, ApiBudgetExhausted, ReauthorizationNeeded):
                        raise
                    except SalesforceError as error:
                        # A matching query or a whole call failed: whatever is still held waits or fails.
                        for entry in group:
                            self.recorder.error(entry, error)
                    remaining = [c for c in remaining if RANKS.get(c.kind, 2) != rank]
        except (ApiLimitExceeded, ApiBudgetExhausted, ReauthorizationNeeded) as error:
            until = getattr(error, "paused_until", None)
            self.recorder.release(remaining, until=until)
            raise StopRun(error) from None

    def _push_group(self, group: Sequence[Claimed]) -> None:
        from sync.salesforce import loading

        links = {
            (link.local_kind, link.local_id): link
            for link in SalesforceLink.objects.filter(
                organization_id=self.organization_id,
                local_kind__in={c.kind for c in group},
                local_id__in=[c.local_id for c in group],
            )
        }
        unlinked = [
            c for c in group if (c.kind, c.local_id) not in links or not links[c.kind, c.local_id].salesforce_id
        ]
        if unlinked and group[0].kind in (LocalKind.COMPANY, LocalKind.CONTACT):
            self._match(group[0].kind, unlinked)
        payloads = loading.payloads_for(group, organization_id=self.organization_id, options=self.options)
        by_object: dict[tuple[str, str], list[tuple[Claimed, Payload]]] = defaultdict(list)
        unchanged: list[Claimed] = []
        for entry in group:
            built = payloads.get(entry.id)
            if built is None:
                self.recorder.skipped(entry, "The record no longer exists in Relintel.")
                continue
            if isinstance(built, NotPushable):
                self.recorder.skipped(entry, built.reason)
                continue
            link = links.get((entry.kind, entry.local_id))
            if link is not None and link.deleted_in_salesforce_at is not None and not link.salesforce_id:
                # Deleted in Salesforce (see sync.salesforce.pull): re-creating it is a person's decision.
                self.recorder.skipped(entry, "Deleted in Salesforce; not re-created without a person's decision.")
                continue
            if self.options.is_disabled(entry.kind, built.sobject):
                self.recorder.switched_off([entry], local_kind=entry.kind, sobject=built.sobject)
                continue
            if link is not None and link.salesforce_id and link.last_pushed_hash == built.digest:
                unchanged.append(entry)
                continue
            by_object[(built.sobject, built.external_id_field or "")].append((entry, built))
        self.recorder.unchanged(unchanged)
        for (sobject, field_name), items in by_object.items():
            for part in chunks(items):
                self._upsert(sobject, field_name, part, links)

    def _upsert(
        self,
        sobject: str,
        field_name: str,
        items: Sequence[tuple[Claimed, Payload]],
        links: dict[tuple[str, int], SalesforceLink],
        *,
        existing: bool = False,
    ) -> None:
        """One collections call. ``existing``: the records are known to exist in Salesforce
        though we hold no link (see ``is_create_only_refusal``), so create-only fields stay out."""
        records = []
        for entry, payload in items:
            link = links.get((entry.kind, entry.local_id))
            records.append(payload.record(for_update=existing or (link is not None and bool(link.salesforce_id))))
        try:
            results = self.client.restful(
                f"composite/sobjects/{sobject}/{field_name}",
                method="PATCH",
                json={"allOrNone": False, "records": records},
            )
        except (ApiLimitExceeded, ApiBudgetExhausted, ReauthorizationNeeded):
            raise
        except SalesforceError as error:
            for entry, _ in items:
                self.recorder.error(entry, error)
            return
        pushed: list[Pushed] = []
        created_unrecorded: list[tuple[Claimed, Payload, list[dict[str, Any]]]] = []
        for (entry, payload), result in zip(items, results or [], strict=False):
            if result.get("success"):
                pushed.append(
                    Pushed(
                        entry=entry,
                        payload_hash=payload.digest,
                        sobject=sobject,
                        salesforce_id=str(result.get("id") or ""),
                        external_id=payload.external_id,
                        # Created by our earlier push whose worker died before recording it.
                        created=bool(result.get("created")) or existing,
                        values=synced_values_of(entry.kind, payload),
                    )
                )
            elif (
                field_name
                and not existing
                and not getattr(links.get((entry.kind, entry.local_id)), "salesforce_id", "")
                and is_create_only_refusal(result.get("errors") or [], payload.create_only)
            ):
                created_unrecorded.append((entry, payload, result.get("errors") or []))
            else:
                self.recorder.record_error(entry, result.get("errors") or [])
        from sync.salesforce import loading

        loading.remember_salesforce_ids(pushed)
        self.recorder.pushed(pushed)
        if sobject == "Event":
            from sync.salesforce.event_relations import push_event_relations

            push_event_relations(self, pushed)
        if created_unrecorded:
            self._resend_existing(sobject, field_name, created_unrecorded, links)

    def _resend_existing(
        self,
        sobject: str,
        field_name: str,
        refused: Sequence[tuple[Claimed, Payload, list[dict[str, Any]]]],
        links: dict[tuple[str, int], SalesforceLink],
    ) -> None:
        """Records refused only for create-only fields: those that exist under our external id
        (created by a push whose worker died before recording it) are sent again as updates; for
        the others the field really is unwritable, and that is the admin's to fix."""
        found: set[str] = set()
        for soql in matching.external_id_queries(sobject, field_name, [p.external_id for _, p, _ in refused]):
            found |= {str(row.get(field_name) or "").lower() for row in self.client.query_all(soql)}
        existing = [(entry, payload) for entry, payload, _ in refused if payload.external_id.lower() in found]
        for entry, payload, errors in refused:
            if payload.external_id.lower() not in found:
                self.recorder.record_error(entry, errors)
        if existing:
            self._upsert(sobject, field_name, existing, links, existing=True)

    # --- match before create ----------------------------------------------------------------

    def _query_tolerant(self, soql: str) -> list[dict[str, Any]]:
        """A match query; without ``ConvertedContactId`` if the org (or an emulator) lacks it."""
        try:
            return self.client.query_all(soql)
        except PermanentSalesforceError as error:
            if "ConvertedContactId" not in error.message:
                raise
            return self.client.query_all(soql.replace(", ConvertedContactId", ""))

    def _match(self, kind: str, unlinked: Sequence[Claimed]) -> None:
        from sync.salesforce import loading

        taken = set(
            SalesforceLink.objects.filter(organization_id=self.organization_id)
            .exclude(salesforce_id="")
            .values_list("salesforce_id", flat=True)
        )
        ext_field = self.options.external_id_field
        if kind == LocalKind.COMPANY:
            companies = [c for c in loading.companies([u.local_id for u in unlinked]) if not c.salesforce_id]
            if not companies:
                return
            domains = {d for c in companies for d in matching.company_domains(c)}
            rows: list[dict[str, Any]] = []
            for soql in matching.account_domain_queries(domains, external_id_field=ext_field("Account")):
                rows += self.client.query_all(soql)
            for soql in matching.account_name_queries(
                [c.name for c in companies], external_id_field=ext_field("Account")
            ):
                rows += self.client.query_all(soql)
            decisions = matching.match_accounts(companies, rows, taken=taken, external_id_field=ext_field("Account"))
        else:
            contacts = [
                c
                for c in loading.contacts([u.local_id for u in unlinked])
                if not c.salesforce_contact_id and not c.salesforce_lead_id
            ]
            emails = {e for c in contacts for e in c.emails}
            if not emails:
                return
            contact_rows: list[dict[str, Any]] = []
            lead_rows: list[dict[str, Any]] = []
            for soql in matching.contact_email_queries(emails, external_id_field=ext_field("Contact")):
                contact_rows += self.client.query_all(soql)
            for soql in matching.lead_email_queries(emails, external_id_field=ext_field("Lead")):
                lead_rows += self._query_tolerant(soql)
            decisions = matching.match_contacts(
                contacts,
                contact_rows,
                lead_rows,
                default_sobject={c.id: contact_target(c, self.options) for c in contacts},
                taken=taken,
                external_id_field=ext_field("Contact"),
            )
        matched = [d for d in decisions if d.action == matching.MATCH]
        if matched:
            loading.stamp_matches(self, kind, matched)


# --- a run ---------------------------------------------------------------------------------------


@dataclass
class RunResult:
    run: SyncRun | None
    more: bool  # due rows remain: push again soon
    stopped: str = ""  # why the run stopped early, if it did


def pushable_connection(organization_id: int) -> SalesforceConnection | None:
    """The connection, when pushing is possible now: connected and not paused."""
    connection = SalesforceConnection.objects.filter(
        organization_id=organization_id, status=ConnectionStatus.CONNECTED
    ).first()
    if connection is None:
        return None
    if connection.paused_until is not None and connection.paused_until > timezone.now():
        return None
    return connection


def _bulk_backlog(organization_id: int) -> bool:
    from sync.salesforce import bulk

    return bool(bulk.backlog_kinds(organization_id=organization_id))


def run_push(
    *, organization_id: int, seconds: float = 60.0, worker: str | None = None, claim_size: int = CLAIM_SIZE
) -> RunResult:
    """Claim and push batches for up to ``seconds``; one ``SyncRun`` records what happened."""
    connection = pushable_connection(organization_id)
    if connection is None:
        return RunResult(run=None, more=False, stopped="not connected or paused")
    worker = worker or new_worker_id()
    started = time.monotonic()
    claimed = claim(organization_id=organization_id, worker=worker, limit=claim_size)
    if not claimed:
        return RunResult(run=None, more=False)
    run = SyncRun.objects.create(organization_id=organization_id, kind=SyncRunKind.PUSH)
    outcome = Outcome()
    recorder = Recorder(organization_id=organization_id, worker=worker, run=run, outcome=outcome)
    stopped = ""
    client = salesforce_for(connection)
    try:
        pusher = BatchPusher(client=client, recorder=recorder, options=options_for_push(connection, client))
        while claimed:
            outcome.add("total", len(claimed))
            try:
                pusher.push(claimed)
            except StopRun as stop:
                stopped = stop.error.message
                break
            except Exception:
                recorder.release(claimed)
                raise
            if time.monotonic() - started >= seconds:
                break
            if _bulk_backlog(organization_id):
                break  # the next rank is a backfill: the next task starts Bulk API jobs for it
            claimed = claim(organization_id=organization_id, worker=worker, limit=claim_size)
    finally:
        client.close()
        run.counts = dict(outcome.counts)
        run.api_calls = client.api_calls
        run.finished_at = timezone.now()
        if stopped:
            run.status, run.error = SyncRunStatus.PAUSED, stopped
        elif outcome.counts.get("failed") or outcome.counts.get("dead"):
            run.status = SyncRunStatus.PARTIAL
        else:
            run.status = SyncRunStatus.SUCCEEDED
        run.save()
    more = not stopped and any(due_counts(organization_id=organization_id).values())
    return RunResult(run=run, more=more, stopped=stopped)
