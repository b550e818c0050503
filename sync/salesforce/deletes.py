"""Deletions: a local row deleted in Relintel is deleted in Salesforce by its linked Id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils import timezone

from sync.models import SalesforceLink, SyncRecordEvent
from sync.salesforce.errors import ApiBudgetExhausted, ApiLimitExceeded, ReauthorizationNeeded, SalesforceError

if TYPE_CHECKING:
    from sync.salesforce.push import BatchPusher, Claimed

# Already gone in Salesforce: what we wanted.
_GONE = frozenset({"ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY"})


def push_deletes(pusher: BatchPusher, entries: Sequence[Claimed]) -> None:
    from sync.salesforce.push import chunks

    recorder = pusher.recorder
    links = {
        (link.local_kind, link.local_id): link
        for link in SalesforceLink.objects.filter(
            organization_id=pusher.organization_id,
            local_kind__in={e.kind for e in entries},
            local_id__in=[e.local_id for e in entries],
        ).exclude(salesforce_id="")
    }
    unlinked = [e for e in entries if (e.kind, e.local_id) not in links]
    for entry in unlinked:
        recorder.skipped(entry, "Never reached Salesforce: nothing to delete.")
    linked = [e for e in entries if (e.kind, e.local_id) in links]
    for part in chunks(linked):
        ids = [links[e.kind, e.local_id].salesforce_id for e in part]
        try:
            results = pusher.client.restful(
                "composite/sobjects", method="DELETE", params={"ids": ",".join(ids), "allOrNone": "false"}
            )
        except (ApiLimitExceeded, ApiBudgetExhausted, ReauthorizationNeeded):
            raise
        except SalesforceError as error:
            for entry in part:
                recorder.error(entry, error)
            continue
        done = []
        for entry, result in zip(part, results or [], strict=False):
            errors = result.get("errors") or []
            if result.get("success") or (errors and errors[0].get("statusCode") in _GONE):
                done.append(entry)
            else:
                recorder.record_error(entry, errors)
        now = timezone.localtime()
        SyncRecordEvent.objects.bulk_create(
            [
                SyncRecordEvent(
                    organization_id=pusher.organization_id,
                    outbox_entry_id=e.id,
                    run=recorder.run,
                    action="deleted",
                    salesforce_id=links[e.kind, e.local_id].salesforce_id,
                    message=f"Deleted {links[e.kind, e.local_id].sobject} "
                    f"{links[e.kind, e.local_id].salesforce_id} at {now:%H:%M}",
                )
                for e in done
            ]
        )
        SalesforceLink.objects.filter(pk__in=[links[e.kind, e.local_id].pk for e in done]).delete()
        recorder.synced(done)
        recorder.outcome.add("deleted", len(done))
