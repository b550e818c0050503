"""The sync health page, per-record history and retries (admins only)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sync.models import (
    ConnectionStatus,
    OutboxEntry,
    OutboxState,
    SalesforceConnection,
    SalesforceLink,
    SyncConflict,
    SyncRecordEvent,
    SyncRun,
)
from sync.selectors import sync_health_of
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory


def entry(org, kind, local_id, state, code="", message="", **extra) -> OutboxEntry:
    return OutboxEntry.objects.create(
        organization=org,
        object_kind=kind,
        local_id=local_id,
        dedupe_key=f"{kind}:{local_id}",
        state=state,
        last_error_code=code,
        last_error_message=message,
        **extra,
    )


@pytest.fixture
def seeded(world):
    org = world.org
    SalesforceConnection.objects.create(
        organization=org,
        status=ConnectionStatus.CONNECTED,
        instance_url="https://acme.my.salesforce.com",
        api_usage_used=1200,
        api_usage_max=15000,
        api_budget_percent=40,
        api_usage_seen_at=timezone.now(),
    )
    company = CompanyFactory(organization=org, name="Initech")
    jane = ContactFactory(organization=org, full_name="Jane Doe", first_name="Jane", last_name="Doe")
    rick = ContactFactory(organization=org, full_name="Rick Roe", first_name="Rick", last_name="Roe")
    for i in range(3):
        entry(org, "email", 1000 + i, OutboxState.PENDING)
    entry(org, "company", company.pk, OutboxState.SYNCED)
    entry(org, "call", 2000, OutboxState.IN_FLIGHT)
    failed_jane = entry(
        org,
        "contact",
        jane.pk,
        OutboxState.FAILED,
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [LastName]\nHint: Map a last name (every Contact and Lead needs one).",
    )
    failed_rick = entry(org, "contact", rick.pk, OutboxState.FAILED, "INVALID_EMAIL_ADDRESS", "Email: invalid email")
    dead = entry(org, "company", 999_999, OutboxState.DEAD, "REQUIRED_FIELD_MISSING", "Gave up")
    run = SyncRun.objects.create(organization=org, kind="push", counts={"created": 4, "failed": 2}, api_calls=3)
    SyncRun.objects.filter(pk=run.pk).update(
        status="succeeded", finished_at=run.started_at + datetime.timedelta(seconds=42)
    )
    # Another organization's rows never count.
    entry(world.outsider.organization, "company", 1, OutboxState.FAILED, "REQUIRED_FIELD_MISSING", "theirs")
    return {
        "company": company,
        "jane": jane,
        "rick": rick,
        "jane_entry": failed_jane,
        "rick_entry": failed_rick,
        "dead": dead,
    }


def test_health_figures_count_each_state_once(world, seeded):
    health = sync_health_of(membership=world.admin)
    assert health.queue == {"pending": 3, "in_flight": 1, "synced": 1, "failed": 2, "dead": 1, "skipped": 0}
    assert health.api_budget_calls == 6000
    assert health.api_used_percent == 8
    assert health.api_budget_used_percent == 20
    assert health.active


def test_queue_depth_is_one_query(world, seeded, django_assert_num_queries):
    from sync.selectors import outbox_queue_depth

    with django_assert_num_queries(1):
        outbox_queue_depth(organization_id=world.org.pk)


def test_the_health_page_shows_usage_queue_runs_and_failures(world, seeded):
    response = client_for(world.admin).get(reverse("sync:health"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "1200</strong> of 15000" in html
    assert "Relintel's budget: 40% of the allocation = 6000 calls" in html
    assert 'hx-trigger="every 3s"' in html  # something is running: it polls
    assert "Jane Doe" in html and "Rick Roe" in html
    assert "Required fields are missing: [LastName]" in html
    assert "Map a last name (every Contact and Lead needs one)." in html
    assert "theirs" not in html
    assert "42 s" in html
    assert reverse("activities:contact_page", args=[seeded["jane"].pk]) in html


def test_failed_records_filter_by_kind_and_code(world, seeded):
    client = client_for(world.admin)
    html = client.get(reverse("sync:health"), {"code": "INVALID_EMAIL_ADDRESS"}).content.decode()
    assert "Rick Roe" in html and "Jane Doe" not in html
    html = client.get(reverse("sync:health"), {"kind": "company"}).content.decode()
    assert "Jane Doe" not in html and "(deleted)" in html


def test_the_live_part_alone_is_served_for_polling(world, seeded):
    response = client_for(world.admin).get(reverse("sync:health"), {"part": "live"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="sync-live"' in html and "<html" not in html


def test_nothing_running_means_no_polling(world):
    html = client_for(world.admin).get(reverse("sync:health")).content.decode()
    assert "hx-trigger" not in html
    assert "Not connected" in html


def test_retrying_one_record_moves_it_back_to_pending(world, seeded):
    response = client_for(world.admin).post(reverse("sync:outbox_retry", args=[seeded["jane_entry"].pk]))
    assert response.status_code == 302
    seeded["jane_entry"].refresh_from_db()
    assert seeded["jane_entry"].state == OutboxState.PENDING
    assert seeded["jane_entry"].attempts == 0
    seeded["rick_entry"].refresh_from_db()
    assert seeded["rick_entry"].state == OutboxState.FAILED


def test_retrying_inline_answers_with_a_fragment(world, seeded):
    response = client_for(world.admin).post(
        reverse("sync:outbox_retry", args=[seeded["rick_entry"].pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Queued again" in response.content.decode()


def test_retry_all_with_a_code_moves_only_those(world, seeded):
    client_for(world.admin).post(reverse("sync:outbox_retry_failed"), {"code": "REQUIRED_FIELD_MISSING"})
    states = dict(
        OutboxEntry.objects.filter(organization=world.org, state__in=["failed", "dead", "pending"]).values_list(
            "pk", "state"
        )
    )
    assert states[seeded["jane_entry"].pk] == "pending"
    assert states[seeded["dead"].pk] == "pending"
    assert states[seeded["rick_entry"].pk] == "failed"
    theirs = OutboxEntry.objects.get(organization=world.outsider.organization)
    assert theirs.state == "failed"


def test_retry_all_without_a_code_moves_every_failed_row(world, seeded):
    client_for(world.admin).post(reverse("sync:outbox_retry_failed"))
    assert not OutboxEntry.objects.filter(organization=world.org, state__in=["failed", "dead"]).exists()


def test_record_history_reads_as_sentences(world, seeded):
    jane = seeded["jane"]
    link = SalesforceLink.objects.create(
        organization=world.org,
        local_kind="contact",
        local_id=jane.pk,
        sobject="Contact",
        salesforce_id="003000000000001AAA",
    )
    failed = SyncRecordEvent.objects.create(
        organization=world.org,
        outbox_entry=seeded["jane_entry"],
        action="failed",
        code="REQUIRED_FIELD_MISSING",
        message="Required fields are missing: [LastName]\nHint: Map a last name (every Contact and Lead needs one).",
    )
    created = SyncRecordEvent.objects.create(
        organization=world.org, link=link, action="created", salesforce_id=link.salesforce_id
    )
    updated = SyncRecordEvent.objects.create(
        organization=world.org, link=link, action="updated", salesforce_id=link.salesforce_id
    )
    base = timezone.now().replace(hour=10, minute=42, second=0, microsecond=0)
    SyncRecordEvent.objects.filter(pk=failed.pk).update(at=base - datetime.timedelta(minutes=5))
    SyncRecordEvent.objects.filter(pk=created.pk).update(at=base)
    SyncRecordEvent.objects.filter(pk=updated.pk).update(at=base + datetime.timedelta(minutes=21))
    SyncConflict.objects.create(
        organization=world.org,
        link=link,
        field="Title",
        local_value="CTO",
        salesforce_value="CEO",
        resolution="salesforce_kept",
    )
    response = client_for(world.admin).get(reverse("sync:record_history", args=["contact", jane.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    local = timezone.localtime(base)
    later = timezone.localtime(base + datetime.timedelta(minutes=21))
    assert f"Pushed as Contact 003000000000001AAA at {local:%H:%M}" in html
    assert f"Updated Contact 003000000000001AAA at {later:%H:%M}" in html
    assert "Failed at" in html and "What to do: Map a last name" in html
    assert html.index("Failed at") < html.index("Pushed as") < html.index("Updated Contact")
    assert "Conflict on Title" in html
    assert "003000000000001AAA" in html


def test_history_of_a_record_we_never_had_is_404(world, seeded):
    client = client_for(world.admin)
    assert client.get(reverse("sync:record_history", args=["contact", 987_654_321])).status_code == 404
    assert client.get(reverse("sync:record_history", args=["spaceship", seeded["jane"].pk])).status_code == 404


def test_history_of_a_deleted_record_with_a_trace_still_shows(world, seeded):
    response = client_for(world.admin).get(reverse("sync:record_history", args=["company", 999_999]))
    assert response.status_code == 200
    assert "(deleted)" in response.content.decode()


def test_start_initial_sync_queues_everything(world, seeded):
    response = client_for(world.admin).post(reverse("sync:initial_sync"))
    assert response.status_code == 302
    assert OutboxEntry.objects.filter(
        organization=world.org, object_kind="company", local_id=seeded["company"].pk, state="pending"
    ).exists()


def test_conflicts_are_listed(world, seeded):
    link = SalesforceLink.objects.create(
        organization=world.org, local_kind="company", local_id=seeded["company"].pk, sobject="Account"
    )
    SyncConflict.objects.create(
        organization=world.org,
        link=link,
        field="Website",
        local_value="a.example",
        salesforce_value="b.example",
        resolution="relintel_kept",
    )
    html = client_for(world.admin).get(reverse("sync:health")).content.decode()
    assert "b.example" in html and "Website" in html


@pytest.mark.parametrize("who", ["rep", "manager"])
@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "sync:health", []),
        ("post", "sync:outbox_retry_failed", []),
        ("post", "sync:initial_sync", []),
        ("get", "sync:mapping", []),
        ("post", "sync:mapping_check", []),
    ],
)
def test_reps_and_managers_get_403(world, who, method, name, args):
    response = getattr(client_for(getattr(world, who)), method)(reverse(name, args=args))
    assert response.status_code == 403


def test_reps_cannot_retry_or_read_history(world, seeded):
    client = client_for(world.rep)
    assert client.post(reverse("sync:outbox_retry", args=[seeded["jane_entry"].pk])).status_code == 403
    assert client.get(reverse("sync:record_history", args=["contact", seeded["jane"].pk])).status_code == 403
    seeded["jane_entry"].refresh_from_db()
    assert seeded["jane_entry"].state == OutboxState.FAILED


def test_outsider_gets_404_for_our_entries_and_records(world, seeded):
    client = client_for(world.outsider)
    assert client.post(reverse("sync:outbox_retry", args=[seeded["jane_entry"].pk])).status_code == 404
    assert client.get(reverse("sync:record_history", args=["contact", seeded["jane"].pk])).status_code == 404
    seeded["jane_entry"].refresh_from_db()
    assert seeded["jane_entry"].state == OutboxState.FAILED


def test_outsiders_page_shows_none_of_ours(world, seeded):
    html = client_for(world.outsider).get(reverse("sync:health")).content.decode()
    assert "Jane Doe" not in html and "Initech" not in html


# --- the API ---------------------------------------------------------------------------------


def test_api_health_gives_the_same_figures(world, seeded):
    body = client_for(world.admin).get("/api/v1/salesforce-health/").json()
    assert body["status"] == "connected"
    assert body["queue"] == {"pending": 3, "in_flight": 1, "synced": 1, "failed": 2, "dead": 1, "skipped": 0}
    assert (body["api_used"], body["api_max"], body["api_budget_calls"]) == (1200, 15000, 6000)
    assert body["active"] is True
    assert body["runs"][0]["duration_seconds"] == 42.0
    assert body["runs"][0]["counts"] == {"created": 4, "failed": 2}


def test_api_outbox_lists_failed_rows_by_code(world, seeded):
    body = (
        client_for(world.admin)
        .get("/api/v1/salesforce-outbox/", {"state": "failed", "code": "REQUIRED_FIELD_MISSING"})
        .json()
    )
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["id"] for r in rows] == [seeded["jane_entry"].pk]
    assert rows[0]["error_message"] == "Required fields are missing: [LastName]"
    assert rows[0]["hint"] == "Map a last name (every Contact and Lead needs one)."


def test_api_outbox_rejects_an_unknown_state(world, seeded):
    assert client_for(world.admin).get("/api/v1/salesforce-outbox/", {"state": "lost"}).status_code == 400


def test_api_retry_one_and_retry_failed_with_a_code(world, seeded):
    client = client_for(world.admin)
    response = client.post(f"/api/v1/salesforce-outbox/{seeded['rick_entry'].pk}/retry/")
    assert response.json() == {"retried": 1}
    seeded["rick_entry"].refresh_from_db()
    assert seeded["rick_entry"].state == OutboxState.PENDING
    response = client.post(
        "/api/v1/salesforce-outbox/retry-failed/", {"code": "REQUIRED_FIELD_MISSING"}, content_type="application/json"
    )
    assert response.json() == {"retried": 2}
    assert not OutboxEntry.objects.filter(organization=world.org, state__in=["failed", "dead"]).exists()
    assert OutboxEntry.objects.get(organization=world.outsider.organization).state == "failed"


def test_api_outsider_gets_404_on_our_outbox_rows(world, seeded):
    client = client_for(world.outsider)
    pk = seeded["jane_entry"].pk
    assert client.get(f"/api/v1/salesforce-outbox/{pk}/").status_code == 404
    assert client.post(f"/api/v1/salesforce-outbox/{pk}/retry/").status_code == 404
    body = client.get("/api/v1/salesforce-outbox/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert pk not in [r["id"] for r in rows]


def test_api_is_for_admins(world, seeded):
    client = client_for(world.rep)
    assert client.get("/api/v1/salesforce-health/").status_code == 403
    assert client.get("/api/v1/salesforce-outbox/").status_code == 403
    assert client.post("/api/v1/salesforce-outbox/retry-failed/").status_code == 403
    assert (
        client_for(world.manager).post(f"/api/v1/salesforce-outbox/{seeded['jane_entry'].pk}/retry/").status_code == 403
    )


def test_a_running_backfill_shows_its_figures_not_what_it_keeps_for_recording(world, seeded):
    entries = {f"rl-task-{i}": [i, "email", i, "upsert", 0, "2026-01-01T00:00:00+00:00", "h", {}] for i in range(500)}
    SyncRun.objects.create(
        organization=world.org,
        kind="backfill",
        counts={"total": 500, "done": 20, "object": "Task", "job_id": "7505g000000A6GeAAK", "entries": entries},
    )
    client = client_for(world.admin)

    page = client.get(reverse("sync:health")).content.decode()
    body = client.get("/api/v1/salesforce-health/").json()

    assert "rl-task-1" not in page
    assert "7505g000000A6GeAAK" not in page
    backfill = next(run for run in body["runs"] if run["kind"] == "backfill")
    assert backfill["counts"] == {"total": 500, "done": 20}
