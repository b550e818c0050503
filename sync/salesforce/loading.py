"""The push's reads and writes of domain rows: payloads from claimed outbox rows, and the
Salesforce ids learned from a push or a match written back onto companies and contacts
(so later payloads reference them by Id, and meetings can relate their attendees)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from activities.models import Interaction
from contacts.models import Company, Contact, HelpOffer
from sync.models import LocalKind, SalesforceLink, SyncRecordEvent
from sync.salesforce import domain
from sync.salesforce.mapping import build_account, build_activity, build_contact, build_help_offer_task
from sync.salesforce.matching import MatchDecision
from sync.salesforce.payloads import MappingOptions, NotPushable, Payload
from sync.salesforce.records import CompanyData, ContactData

if TYPE_CHECKING:
    from sync.salesforce.push import BatchPusher, Claimed, Pushed

INTERACTION_KINDS = (LocalKind.EMAIL, LocalKind.CALL, LocalKind.MEETING)


def company_rows(ids: Iterable[int]) -> list[Company]:
    return list(Company.objects.filter(pk__in=list(ids)).prefetch_related(*domain.COMPANY_PREFETCH))


def contact_rows(ids: Iterable[int]) -> list[Contact]:
    return list(
        Contact.objects.filter(pk__in=list(ids))
        .select_related(*domain.CONTACT_SELECT)
        .prefetch_related(*domain.CONTACT_PREFETCH)
    )


def interaction_rows(ids: Iterable[int]) -> list[Interaction]:
    return list(
        Interaction.objects.filter(pk__in=list(ids))
        .select_related(*domain.INTERACTION_SELECT)
        .prefetch_related(*domain.INTERACTION_PREFETCH, "participants__contact__phones")
    )


def help_offer_rows(ids: Iterable[int]) -> list[HelpOffer]:
    return list(
        HelpOffer.objects.filter(pk__in=list(ids))
        .select_related(*domain.HELP_OFFER_SELECT)
        .prefetch_related("contact__emails", "contact__phones")
    )


def companies(ids: Iterable[int]) -> list[CompanyData]:
    return [domain.from_company(c) for c in company_rows(ids)]


def contacts(ids: Iterable[int]) -> list[ContactData]:
    return [domain.from_contact(c) for c in contact_rows(ids)]


def payloads_for(
    entries: Sequence[Claimed], *, organization_id: int, options: MappingOptions
) -> dict[int, Payload | NotPushable]:
    """entry id → its payload, or why it isn't pushed; absent when the local row is gone."""
    by_kind: dict[str, list[Claimed]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry)
    built: dict[int, Payload | NotPushable] = {}
    for kind, group in by_kind.items():
        ids = [e.local_id for e in group]
        rows: dict[int, Any]
        if kind == LocalKind.COMPANY:
            rows = {c.pk: c for c in company_rows(ids)}
        elif kind == LocalKind.CONTACT:
            rows = {c.pk: c for c in contact_rows(ids)}
        elif kind in INTERACTION_KINDS:
            rows = {i.pk: i for i in interaction_rows(ids)}
        else:
            rows = {o.pk: o for o in help_offer_rows(ids)}
        for entry in group:
            row = rows.get(entry.local_id)
            if row is None or row.organization_id != organization_id:
                continue
            try:
                built[entry.id] = build_one(kind, row, options)
            except NotPushable as reason:
                built[entry.id] = reason
    return built


def build_one(kind: str, row: Any, options: MappingOptions) -> Payload:
    if kind == LocalKind.COMPANY:
        return build_account(domain.from_company(row), options=options)
    if kind == LocalKind.CONTACT:
        if row.merged_into_id is not None:
            raise NotPushable("Merged into another contact.")
        return build_contact(domain.from_contact(row), options=options)
    if kind in INTERACTION_KINDS:
        return build_activity(domain.from_interaction(row, options=options), options=options)
    return build_help_offer_task(domain.from_help_offer(row, options=options), options=options)


def remember_salesforce_ids(pushed: Sequence[Pushed]) -> None:
    """Write the Account, Contact and Lead ids onto companies and contacts that lack them."""
    set_salesforce_ids([(p.entry.kind, p.sobject, p.entry.local_id, p.salesforce_id) for p in pushed])


def set_salesforce_ids(rows: Iterable[tuple[str, str, int, str]]) -> None:
    rows = list(rows)
    companies_ = [Company(pk=local_id, salesforce_id=sf_id) for kind, _, local_id, sf_id in rows if kind == "company"]
    contact_ids = [
        Contact(pk=local_id, salesforce_contact_id=sf_id)
        for kind, sobject, local_id, sf_id in rows
        if kind == "contact" and sobject == "Contact"
    ]
    lead_ids = [
        Contact(pk=local_id, salesforce_lead_id=sf_id)
        for kind, sobject, local_id, sf_id in rows
        if kind == "contact" and sobject == "Lead"
    ]
    if companies_:
        Company.objects.bulk_update(companies_, ["salesforce_id"], batch_size=500)
    if contact_ids:
        Contact.objects.bulk_update(contact_ids, ["salesforce_contact_id"], batch_size=500)
    if lead_ids:
        Contact.objects.bulk_update(lead_ids, ["salesforce_lead_id"], batch_size=500)


def stamp_matches(pusher: BatchPusher, kind: str, matched: Sequence[MatchDecision]) -> None:
    """Put our external id on each matched record (by its Id), then link it locally.

    A record Salesforce refused to stamp is not linked: its row is then upserted by external id
    and so created, which is what the admin sees reported on the run (the match's note)."""
    from sync.salesforce.external_ids import company_external_id, contact_external_id
    from sync.salesforce.push import chunks

    organization_id = pusher.organization_id

    def ext_id(local_id: int) -> str:
        if kind == LocalKind.COMPANY:
            return company_external_id(organization_id=organization_id, company_id=local_id)
        return contact_external_id(organization_id=organization_id, contact_id=local_id)

    stamped: list[MatchDecision] = []
    for part in chunks(list(matched)):
        records = [
            {
                "attributes": {"type": d.sobject},
                "id": d.salesforce_id,
                pusher.options.external_id_field(d.sobject): ext_id(d.local_id),
            }
            for d in part
        ]
        results = pusher.client.restful(
            "composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records}
        )
        stamped += [d for d, r in zip(part, results or [], strict=False) if r.get("success")]
    if not stamped:
        return
    set_salesforce_ids([(kind, d.sobject, d.local_id, d.salesforce_id) for d in stamped])
    links = SalesforceLink.objects.bulk_create(
        [
            SalesforceLink(
                organization_id=organization_id,
                local_kind=kind,
                local_id=d.local_id,
                sobject=d.sobject,
                salesforce_id=d.salesforce_id,
                external_id=ext_id(d.local_id),
            )
            for d in stamped
        ],
        update_conflicts=True,
        unique_fields=["organization", "local_kind", "local_id"],
        update_fields=["sobject", "salesforce_id", "external_id", "updated_at"],
    )
    now = timezone.localtime()
    SyncRecordEvent.objects.bulk_create(
        [
            SyncRecordEvent(
                organization_id=organization_id,
                link=link,
                run=pusher.recorder.run,
                action="matched",
                salesforce_id=d.salesforce_id,
                message=f"Matched existing {d.sobject} {d.salesforce_id} by {d.matched_by} at {now:%H:%M}"
                + (f" ({d.note})" if d.note else ""),
            )
            for d, link in zip(stamped, links, strict=True)
        ]
    )
