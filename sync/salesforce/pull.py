"""Pull: changes made in Salesforce to linked Accounts, Contacts and Leads come back to Relintel.

Per object (Account → companies, Contact and Lead → contacts; an object whose mapping is
disabled is not pulled):

* **Changed records**: ``SELECT <mapped fields>, Id, SystemModstamp, IsDeleted, <external id>
  FROM <Object> WHERE SystemModstamp > <watermark − overlap> ORDER BY SystemModstamp, Id``.
  The watermark is the newest ``SystemModstamp`` seen, per object, in
  ``SalesforceConnection.pull_watermarks``; the overlap (``RELINTEL_SALESFORCE_PULL_OVERLAP_SECONDS``,
  default 120) re-reads records committed late with an older stamp. A record whose stamp is not
  newer than its link's ``last_pulled_modstamp`` was applied already and is skipped, so re-reading
  is harmless. The first pull of an object starts at its oldest link.
* **Only linked records** are applied: those with a ``SalesforceLink`` (by Id, or by our external
  id field's value). Records Relintel never pushed or matched are *not imported* this round.
* **Only fields that map back** to a plain local field are pulled (company name, website,
  industry, description; contact names, title, location, LinkedIn URL, interests, needs,
  expertise, notes, primary email, work/mobile/home phone). Derived values (a contact's
  combined Description, a Lead's Company, a company's main domain) are pushed, never pulled.
  An email or phone emptied in Salesforce is not removed locally.
* **Field by field** (``sync.salesforce.conflicts``): a change made only in Salesforce is
  applied; a change made on both sides is a ``SyncConflict`` resolved by the connection's
  ``conflict_policy``; with Relintel's value kept the record is queued for the push again.
  A pulled record equal to what we last pushed (the echo of our own push) changes nothing.
* **Writes** go through ``contacts.services`` with ``from_salesforce=True``: validated like
  any edit, and not queued back to Salesforce.
* **Deletions**: ``sobjects/{Object}/deleted/?start=&end=`` (Salesforce keeps them 30 days;
  the window starts at most 29 days back). The link is flagged (``deleted_in_salesforce_at``)
  and unlinked (its Salesforce id cleared, on the link and the company or contact); the local
  company or contact is **kept**: Relintel is the system of record for relationship history,
  and removing it is a person's decision. A record undeleted in Salesforce comes back through
  its external id and is linked again.

Errors: the API limit, the budget and a refused refresh stop the run (``paused``); any other
error ends that object's pull for this run, without moving its watermark, and is retried on
the next schedule.
"""

from __future__ import annotations

import datetime
import re
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from contacts.models import Company, Contact
from contacts.normalize import normalize_phone
from relintel.accounts.models import Membership, Role
from sync.models import (
    ConnectionStatus,
    LocalKind,
    ObjectMapping,
    SalesforceConnection,
    SalesforceLink,
    SyncConflict,
    SyncRecordEvent,
    SyncRun,
    SyncRunKind,
    SyncRunStatus,
)
from sync.salesforce import conflicts, loading
from sync.salesforce.client import SalesforceClient, salesforce_for
from sync.salesforce.errors import (
    ApiBudgetExhausted,
    ApiLimitExceeded,
    PermanentSalesforceError,
    ReauthorizationNeeded,
    SalesforceError,
)
from sync.salesforce.mapping import effective_field_map
from sync.salesforce.payloads import MappingOptions, NotPushable
from sync.salesforce.push import mapping_options
from sync.salesforce.users import salesforce_users_link, users_check_due

OBJECTS: tuple[tuple[str, str], ...] = (
    ("Account", LocalKind.COMPANY),
    ("Contact", LocalKind.CONTACT),
    ("Lead", LocalKind.CONTACT),
)
DELETED_KEEP = datetime.timedelta(days=29)  # Salesforce keeps deleted records' ids 30 days
MIN_DELETED_WINDOW = datetime.timedelta(minutes=2)  # the replication window must exceed a minute
ROW_CHUNK = 200
STOPPING = (ApiLimitExceeded, ApiBudgetExhausted, ReauthorizationNeeded)
_MISSING_COLUMN = re.compile(r"No such column '(\w+)'")

# Local fields a pulled value can be written back to, per kind.
COMPANY_WRITABLE = frozenset({"name", "website", "industry", "description"})
CONTACT_TEXT = frozenset({"title", "location", "linkedin_url", "interests", "needs", "expertise", "notes"})
CONTACT_PHONES = {"work_phone": "work", "mobile_phone": "mobile", "home_phone": "home"}
CONTACT_WRITABLE = CONTACT_TEXT | {"first_name", "last_name", "full_name", "primary_email"} | set(CONTACT_PHONES)


def overlap() -> datetime.timedelta:
    return datetime.timedelta(seconds=int(getattr(settings, "RELINTEL_SALESFORCE_PULL_OVERLAP_SECONDS", 120)))


def soql_datetime(value: datetime.datetime) -> str:
    """A SOQL dateTime literal (UTC, whole seconds, rounded down)."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: Any) -> datetime.datetime | None:
    """``2024-05-01T10:00:00.000+0000`` (Salesforce's dateTime) → an aware datetime."""
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=datetime.UTC)


def pulled_fields(kind: str, sobject: str, options: MappingOptions) -> dict[str, str]:
    """``{salesforce_field: local_field}`` of the fields that are pulled back."""
    writable = COMPANY_WRITABLE if kind == LocalKind.COMPANY else CONTACT_WRITABLE
    return {sf: local for sf, local in effective_field_map(kind, sobject, options).items() if local in writable}


def pull_query(*, sobject: str, fields: Sequence[str], external_id_field: str, since: datetime.datetime) -> str:
    system = ["Id", "SystemModstamp", "IsDeleted", external_id_field]
    names = [*system, *[f for f in fields if f not in system]]
    # SOQL from field names out of the mapping and a formatted datetime: no user text.
    where = f"WHERE SystemModstamp > {soql_datetime(since)} ORDER BY SystemModstamp, Id"
    return f"SELECT {', '.join(names)} FROM {sobject} {where}"  # noqa: S608


def pulled_objects(connection: SalesforceConnection) -> list[tuple[str, str]]:
    """The objects to pull: all three unless their mapping is switched off."""
    disabled = set(
        ObjectMapping.objects.filter(organization_id=connection.organization_id, enabled=False).values_list(
            "local_kind", "sobject"
        )
    )
    return [(sobject, kind) for sobject, kind in OBJECTS if (kind, sobject) not in disabled]


def pullable_connection(organization_id: int) -> SalesforceConnection | None:
    connection = SalesforceConnection.objects.filter(
        organization_id=organization_id, status=ConnectionStatus.CONNECTED
    ).first()
    if connection is None or (connection.paused_until is not None and connection.paused_until > timezone.now()):
        return None
    return connection


@dataclass
class PullResult:
    run: SyncRun | None
    counts: dict[str, int] = field(default_factory=dict)
    stopped: str = ""  # why the run stopped early or did not start
    errors: list[str] = field(default_factory=list)


def _acting_membership(organization_id: int) -> Membership:
    """Whom ``contact_update`` acts for: an admin of the organization (no person's choice is made)."""
    membership = (
        Membership.objects.filter(organization_id=organization_id, is_active=True, role=Role.ADMIN)
        .order_by("pk")
        .first()
    )
    return membership or Membership(organization_id=organization_id, role=Role.ADMIN)


class Puller:
    def __init__(self, *, connection: SalesforceConnection, client: SalesforceClient, run: SyncRun) -> None:
        self.connection = connection
        self.organization_id = connection.organization_id
        self.client = client
        self.run = run
        self.options = mapping_options(connection)
        self.counts: dict[str, int] = defaultdict(int)
        self.watermarks: dict[str, str] = dict(connection.pull_watermarks or {})
        self._membership: Membership | None = None

    # --- watermarks ------------------------------------------------------------------------

    def _save_watermark(self, key: str, value: datetime.datetime) -> None:
        self.watermarks[key] = value.astimezone(datetime.UTC).isoformat()
        # Only this field: the client may have saved a refreshed token on the row meanwhile.
        SalesforceConnection.objects.filter(pk=self.connection.pk).update(pull_watermarks=self.watermarks)
        self.connection.pull_watermarks = dict(self.watermarks)

    def _start(self, key: str, sobject: str) -> datetime.datetime:
        known = parse_stamp(self.watermarks.get(key))
        if known is not None:
            return known
        oldest = (
            SalesforceLink.objects.filter(organization_id=self.organization_id, sobject=sobject)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        return oldest or timezone.now()

    # --- changed records ----------------------------------------------------------------------

    def pull_changes(self, sobject: str, kind: str) -> None:
        fields = pulled_fields(kind, sobject, self.options)
        ext_field = self.options.external_id_field(sobject)
        start = self._start(sobject, sobject)
        rows = self._query(sobject, fields, ext_field, start - overlap())
        newest = start
        for offset in range(0, len(rows), ROW_CHUNK):
            part = rows[offset : offset + ROW_CHUNK]
            links = self._links(sobject, part, ext_field)
            for row in part:
                stamp = parse_stamp(row.get("SystemModstamp"))
                if stamp is not None and stamp > newest:
                    newest = stamp
                self.counts["read"] += 1
                link = links.get(str(row.get("Id") or "")) or links.get("ext:" + str(row.get(ext_field) or ""))
                if link is None or link.local_kind != kind:
                    self.counts["not_linked"] += 1
                    continue
                if stamp is not None and link.last_pulled_modstamp is not None and stamp <= link.last_pulled_modstamp:
                    self.counts["already_pulled"] += 1
                    continue
                self._apply_row(sobject, kind, fields, link, row, stamp)
        self._save_watermark(sobject, newest)

    def _query(
        self, sobject: str, fields: dict[str, str], ext_field: str, since: datetime.datetime
    ) -> list[dict[str, Any]]:
        """The changed records; a mapped field the org lacks is left out (and no longer pulled)."""
        for _ in range(len(fields) + 1):
            try:
                return self.client.query_all(
                    pull_query(sobject=sobject, fields=list(fields), external_id_field=ext_field, since=since)
                )
            except PermanentSalesforceError as error:
                missing = _MISSING_COLUMN.search(error.message)
                if missing is None or missing.group(1) not in fields:
                    raise
                del fields[missing.group(1)]
                self.counts["fields_missing"] += 1
        raise PermanentSalesforceError(f"{sobject}: no mapped field can be queried.", code="INVALID_FIELD")

    def _links(self, sobject: str, rows: Sequence[dict[str, Any]], ext_field: str) -> dict[str, SalesforceLink]:
        ids = [str(r.get("Id")) for r in rows if r.get("Id")]
        externals = [str(r.get(ext_field)) for r in rows if r.get(ext_field)]
        found: dict[str, SalesforceLink] = {}
        for link in SalesforceLink.objects.filter(organization_id=self.organization_id, sobject=sobject).filter(
            salesforce_id__in=ids
        ) | SalesforceLink.objects.filter(
            organization_id=self.organization_id, sobject=sobject, external_id__in=externals
        ):
            if link.salesforce_id:
                found[link.salesforce_id] = link
            if link.external_id:
                found["ext:" + link.external_id] = link
        return found

    def _local_row(self, kind: str, local_id: int) -> Company | Contact | None:
        rows: list[Any] = (
            loading.company_rows([local_id]) if kind == LocalKind.COMPANY else loading.contact_rows([local_id])
        )
        row = rows[0] if rows else None
        if row is None or row.organization_id != self.organization_id:
            return None
        return row

    def _apply_row(
        self,
        sobject: str,
        kind: str,
        fields: Mapping[str, str],
        link: SalesforceLink,
        row: dict[str, Any],
        stamp: datetime.datetime | None,
    ) -> None:
        try:
            with transaction.atomic():
                self._apply_row_atomic(sobject, kind, fields, link, row, stamp)
        except ValidationError as error:
            messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            self.counts["failed"] += 1
            SalesforceLink.objects.filter(pk=link.pk).update(last_pulled_modstamp=stamp)
            self._event(link, "pull_failed", str(row.get("Id") or ""), f"Not applied: {messages}", code="INVALID")

    def _apply_row_atomic(
        self,
        sobject: str,
        kind: str,
        fields: Mapping[str, str],
        link: SalesforceLink,
        row: dict[str, Any],
        stamp: datetime.datetime | None,
    ) -> None:
        local_row = self._local_row(kind, link.local_id)
        salesforce_id = str(row.get("Id") or "")
        if local_row is None or (isinstance(local_row, Contact) and local_row.merged_into_id is not None):
            self.counts["skipped"] += 1
            return
        try:
            payload = loading.build_one(kind, local_row, self.options)
        except NotPushable:
            self.counts["skipped"] += 1
            return
        if payload.sobject != sobject:  # e.g. linked as a Lead, now a Contact: not this round
            self.counts["skipped"] += 1
            return
        remote = {sf: self._remote_value(local, row.get(sf)) for sf, local in fields.items()}
        local = {sf: payload.fields.get(sf, "") for sf in fields}
        local_dirty = link.last_pushed_hash != payload.digest
        resolution = conflicts.resolve(
            remote=remote,
            local=local,
            baseline=link.synced_values or {},
            local_dirty=local_dirty,
            policy=self.connection.conflict_policy,
            local_changed_at=local_row.updated_at,
            remote_changed_at=stamp,
        )
        if resolution.apply:
            values = {fields[sf]: value for sf, value in resolution.apply.items()}
            if isinstance(local_row, Company):
                self._write_company(local_row, values)
            else:
                self._write_contact(local_row, values)
        for conflict in resolution.conflicts:
            SyncConflict.objects.create(
                organization_id=self.organization_id,
                link=link,
                field=conflict.field,
                local_value=str(conflict.local_value),
                salesforce_value=str(conflict.salesforce_value),
                resolution=conflict.resolution,
            )
        if resolution.repush:
            from sync.outbox import outbox_enqueue

            outbox_enqueue(organization_id=self.organization_id, kind=kind, local_id=link.local_id)
        changes: dict[str, Any] = {"last_pulled_modstamp": stamp, "synced_values": resolution.baseline}
        if not link.salesforce_id or link.deleted_in_salesforce_at is not None:
            changes.update(salesforce_id=salesforce_id, deleted_in_salesforce_at=None)
            loading.set_salesforce_ids([(kind, sobject, link.local_id, salesforce_id)])
        if not local_dirty and not resolution.repush:
            # Relintel now holds what Salesforce holds: nothing is owed, so nothing is pushed back.
            fresh = self._local_row(kind, link.local_id)
            if fresh is not None:
                changes["last_pushed_hash"] = loading.build_one(kind, fresh, self.options).digest
        SalesforceLink.objects.filter(pk=link.pk).update(**changes, updated_at=timezone.now())
        self.counts["conflicts"] += len(resolution.conflicts)
        if resolution.echo:
            self.counts["unchanged"] += 1
            return
        self.counts["applied"] += 1
        parts = []
        if resolution.apply:
            parts.append("updated " + ", ".join(sorted(resolution.apply)))
        for conflict in resolution.conflicts:
            kept = "Salesforce's" if conflict.resolution == conflicts.SALESFORCE_KEPT else "Relintel's"
            parts.append(f"conflict on {conflict.field}: {kept} value kept")
        self._event(link, "pulled", salesforce_id, f"Pulled from {sobject} {salesforce_id}: " + "; ".join(parts))

    @staticmethod
    def _remote_value(local_field: str, value: Any) -> Any:
        """Phones compare in the form Relintel stores them (E.164)."""
        if local_field in CONTACT_PHONES and value:
            try:
                return normalize_phone(str(value), default_region=settings.RELINTEL_DEFAULT_PHONE_REGION)
            except ValidationError:
                return value
        return value

    # --- writes ---------------------------------------------------------------------------------

    def _write_company(self, company: Company, values: dict[str, Any]) -> None:
        from contacts import services as contacts_services

        changes = {name: str(value or "").strip() for name, value in values.items()}
        if changes.get("website") and "://" not in changes["website"]:
            changes["website"] = "https://" + changes["website"]
        if "name" in changes and not changes["name"]:
            del changes["name"]  # Account.Name is required: never empty
        contacts_services.company_update(company=company, from_salesforce=True, **changes)

    def _write_contact(self, contact: Contact, values: dict[str, Any]) -> None:
        from contacts import services as contacts_services

        kwargs: dict[str, Any] = {}
        text = {name: str(values[name] or "") for name in CONTACT_TEXT if name in values}
        if "full_name" in values and str(values["full_name"] or "").strip():
            kwargs["full_name"] = str(values["full_name"])
        elif "first_name" in values or "last_name" in values:
            first = str(values.get("first_name", contact.first_name) or "").strip()
            last = str(values.get("last_name", contact.last_name) or "").strip()
            if first or last:
                kwargs["full_name"] = f"{first} {last}".strip()
        email = str(values.get("primary_email") or "").strip()
        if email:
            current = sorted(contact.emails.all(), key=lambda e: (not e.is_primary, e.pk))
            # The address Salesforce had before stays as a second address: nothing is lost.
            kwargs["emails"] = [email, *[e.email for e in current if e.email.lower() != email.lower()]]
        phone_changes = {CONTACT_PHONES[n]: str(values[n]) for n in CONTACT_PHONES if values.get(n)}
        if phone_changes:
            kwargs["phones"] = self._phones(contact, phone_changes)
        if self._membership is None:
            self._membership = _acting_membership(self.organization_id)
        contacts_services.contact_update(
            membership=self._membership, contact=contact, from_salesforce=True, **{**kwargs, **text}
        )

    @staticmethod
    def _phones(contact: Contact, changes: dict[str, str]) -> list[Any]:
        from contacts.services import PhoneInput

        current = sorted(contact.phones.all(), key=lambda p: (not p.is_primary, p.pk))
        phones: list[PhoneInput] = []
        for phone in current:
            if phone.kind in changes:
                phones.append(PhoneInput(number=changes.pop(phone.kind), kind=phone.kind))
            else:
                phones.append(PhoneInput(number=phone.number, kind=phone.kind))
        phones += [PhoneInput(number=number, kind=kind) for kind, number in changes.items()]
        return phones

    # --- deletions ---------------------------------------------------------------------------------

    def pull_deletions(self, sobject: str, kind: str) -> None:
        key = f"{sobject}:deleted"
        now = timezone.now()
        start = max(self._start(key, sobject) - overlap(), now - DELETED_KEEP)
        if now - start < MIN_DELETED_WINDOW:
            return
        answer = (
            self.client.restful(
                f"sobjects/{sobject}/deleted/",
                params={
                    "start": start.astimezone(datetime.UTC).isoformat(timespec="seconds"),
                    "end": now.astimezone(datetime.UTC).isoformat(timespec="seconds"),
                },
            )
            or {}
        )
        deleted = {str(r.get("id")): parse_stamp(r.get("deletedDate")) for r in answer.get("deletedRecords") or []}
        if deleted:
            links = SalesforceLink.objects.filter(
                organization_id=self.organization_id,
                sobject=sobject,
                salesforce_id__in=list(deleted),
                deleted_in_salesforce_at__isnull=True,
            )
            for link in links:
                self._flag_deleted(sobject, kind, link, deleted[link.salesforce_id] or now)
        covered = parse_stamp(answer.get("latestDateCovered")) or now
        self._save_watermark(key, max(covered, start))

    def _flag_deleted(self, sobject: str, kind: str, link: SalesforceLink, when: datetime.datetime) -> None:
        salesforce_id = link.salesforce_id
        with transaction.atomic():
            SalesforceLink.objects.filter(pk=link.pk).update(
                deleted_in_salesforce_at=when, salesforce_id="", updated_at=timezone.now()
            )
            if kind == LocalKind.COMPANY:
                Company.objects.filter(pk=link.local_id, salesforce_id=salesforce_id).update(salesforce_id="")
            elif sobject == "Lead":
                Contact.objects.filter(pk=link.local_id, salesforce_lead_id=salesforce_id).update(salesforce_lead_id="")
            else:
                Contact.objects.filter(pk=link.local_id, salesforce_contact_id=salesforce_id).update(
                    salesforce_contact_id=""
                )
            self._event(
                link,
                "deleted_remotely",
                salesforce_id,
                f"{sobject} {salesforce_id} was deleted in Salesforce on {timezone.localtime(when):%Y-%m-%d %H:%M}; "
                f"the {kind} is kept in Relintel and unlinked.",
            )
        self.counts["deletions"] += 1

    def _event(self, link: SalesforceLink, action: str, salesforce_id: str, message: str, code: str = "") -> None:
        SyncRecordEvent.objects.create(
            organization_id=self.organization_id,
            link=link,
            run=self.run,
            action=action,
            salesforce_id=salesforce_id,
            code=code,
            message=message,
        )


def pull_organization(*, connection: SalesforceConnection) -> PullResult:
    """Pull every pulled object's changes and deletions; one ``SyncRun(kind="pull")`` records it."""
    if pullable_connection(connection.organization_id) is None:
        return PullResult(run=None, stopped="not connected or paused")
    started = time.monotonic()
    run = SyncRun.objects.create(organization_id=connection.organization_id, kind=SyncRunKind.PULL)
    client = salesforce_for(connection)
    puller = Puller(connection=connection, client=client, run=run)
    stopped = ""
    errors: list[str] = []
    try:
        if users_check_due(connection):
            # Once a day, one query: who owns the activity pushed for each member.
            try:
                puller.counts["users_linked"] = salesforce_users_link(connection=connection, client=client)
            except STOPPING as error:
                stopped = error.message
        for sobject, kind in [] if stopped else pulled_objects(connection):
            try:
                puller.pull_changes(sobject, kind)
                puller.pull_deletions(sobject, kind)
            except STOPPING as error:
                stopped = error.message
                break
            except SalesforceError as error:
                errors.append(f"{sobject}: {error.code} {error.message}".strip())
                puller.counts["errors"] += 1
    finally:
        client.close()
        counts = dict(puller.counts)
        counts.setdefault("applied", 0)
        counts.setdefault("conflicts", 0)
        counts.setdefault("deletions", 0)
        counts["duration_ms"] = int((time.monotonic() - started) * 1000)
        run.counts = counts
        run.api_calls = client.api_calls
        run.finished_at = timezone.now()
        if stopped:
            run.status, run.error = SyncRunStatus.PAUSED, stopped
        elif errors:
            run.status, run.error = SyncRunStatus.PARTIAL, "\n".join(errors)
        else:
            run.status = SyncRunStatus.SUCCEEDED
        run.save()
    return PullResult(run=run, counts=counts, stopped=stopped, errors=errors)
