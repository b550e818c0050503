"""/api/v1/capture-accounts/, /api/v1/exclusions/, /api/v1/skipped-messages/ and /api/v1/capture-policy/."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from activities.models import CaptureAccount, CapturePolicy, CaptureStatus, Exclusion, Interaction, SkipReason
from relintel import crypto
from tests.api.conftest import client_with_token, make_token
from tests.capture.test_services import PASSWORD, captured, ics_source, imap_source, skipped

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/capture-accounts/"
EXCLUSIONS = "/api/v1/exclusions/"
SKIPPED = "/api/v1/skipped-messages/"
POLICY = "/api/v1/capture-policy/"


@pytest.fixture
def api(world):
    return lambda membership: client_with_token(make_token(membership))


def results(response):
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


# --- sources ----------------------------------------------------------------------------------


def test_a_rep_connects_a_mailbox_and_never_gets_the_secret_back(world, api):
    response = api(world.rep).post(
        ACCOUNTS,
        {"kind": "imap", "name": "Work", "host": "imap.example.com", "username": "rita", "secret": PASSWORD},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "secret" not in body
    assert body["port"] == 993 and body["status"] == "active" and body["state"] == "waiting"
    assert body["user"] == world.rep.user_id
    account = CaptureAccount.objects.get(pk=body["id"])
    assert account.secret != PASSWORD and crypto.decrypt(account.secret) == PASSWORD
    listed = results(api(world.rep).get(ACCOUNTS))
    assert [a["id"] for a in listed] == [account.pk] and "secret" not in listed[0]
    assert PASSWORD not in api(world.rep).get(f"{ACCOUNTS}{account.pk}/").content.decode()


def test_validation_errors_name_the_fields(world, api):
    response = api(world.rep).post(ACCOUNTS, {"kind": "imap", "name": "Work"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"host", "username", "secret"}
    response = api(world.rep).post(ACCOUNTS, {"kind": "fax", "name": "Work"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"kind"}
    response = api(world.rep).post(ACCOUNTS, {"kind": "ics", "name": "Feed", "url": "ftp://x/y.ics"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"url"}
    assert not CaptureAccount.objects.exists()


def test_a_webcal_feed_is_accepted(world, api):
    response = api(world.rep).post(ACCOUNTS, {"kind": "ics", "name": "Feed", "url": "webcal://cal.example.com/a.ics"})
    assert response.status_code == 201
    assert response.json()["url"] == "https://cal.example.com/a.ics"


def test_updating_keeps_the_secret_unless_a_new_one_is_sent_and_the_kind_is_fixed(world, api):
    account = imap_source(world.rep)
    stored = account.secret
    client = api(world.rep)
    response = client.patch(f"{ACCOUNTS}{account.pk}/", {"name": "Renamed", "secret": ""})
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    account.refresh_from_db()
    assert account.secret == stored
    assert client.patch(f"{ACCOUNTS}{account.pk}/", {"secret": "new"}).status_code == 200
    account.refresh_from_db()
    assert crypto.decrypt(account.secret) == "new"
    response = client.patch(f"{ACCOUNTS}{account.pk}/", {"kind": "ics"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"kind"}
    response = client.patch(f"{ACCOUNTS}{account.pk}/", {"host": ""})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"host"}


def test_health_fields_are_read_only(world, api):
    account = imap_source(world.rep)
    response = api(world.rep).patch(f"{ACCOUNTS}{account.pk}/", {"captured_count": 999, "status": "paused"})
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.captured_count == 0 and account.status == CaptureStatus.ACTIVE


def test_pause_resume_and_sync(world, api):
    account = imap_source(world.rep)
    client = api(world.rep)
    assert client.post(f"{ACCOUNTS}{account.pk}/pause/").json()["status"] == "paused"
    response = client.post(f"{ACCOUNTS}{account.pk}/sync/")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"status"}
    assert client.post(f"{ACCOUNTS}{account.pk}/resume/").json()["status"] == "active"
    assert client.post(f"{ACCOUNTS}{account.pk}/sync/").status_code == 200


def test_the_test_action_reports_a_refused_port(world, api):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    account = imap_source(world.rep, host="127.0.0.1", port=port, security="plain")
    response = api(world.rep).post(f"{ACCOUNTS}{account.pk}/test/")
    assert response.status_code == 200
    assert response.json()["ok"] is False and response.json()["stage"] == "connect"


def test_delete_keeps_captured_data_unless_asked(world, api):
    client = api(world.rep)
    kept = imap_source(world.rep)
    kept_mail = captured(kept, message_id="<kept@x>")
    assert client.delete(f"{ACCOUNTS}{kept.pk}/").status_code == 204
    assert Interaction.objects.filter(pk=kept_mail.pk).exists()
    gone = imap_source(world.rep)
    gone_mail = captured(gone, message_id="<gone@x>")
    assert client.delete(f"{ACCOUNTS}{gone.pk}/?delete_data=true").status_code == 204
    assert not Interaction.objects.filter(pk=gone_mail.pk).exists()
    assert not CaptureAccount.objects.exists()


def test_another_reps_source_is_a_404_and_an_admin_may_only_read_it(world, api):
    account = imap_source(world.teammate)
    rep = api(world.rep)
    admin = api(world.admin)
    assert rep.get(f"{ACCOUNTS}{account.pk}/").status_code == 404
    assert admin.get(f"{ACCOUNTS}{account.pk}/").status_code == 200
    assert [a["id"] for a in results(admin.get(ACCOUNTS, {"all": "true"}))] == [account.pk]
    assert results(rep.get(ACCOUNTS, {"all": "true"})) == []
    for client in (rep, admin):
        assert client.patch(f"{ACCOUNTS}{account.pk}/", {"name": "x"}).status_code == 404
        assert client.delete(f"{ACCOUNTS}{account.pk}/").status_code == 404
        for verb in ("test", "pause", "resume", "sync"):
            assert client.post(f"{ACCOUNTS}{account.pk}/{verb}/").status_code == 404
    assert CaptureAccount.objects.filter(pk=account.pk, status=CaptureStatus.ACTIVE, name="Work mailbox").exists()


def test_an_outsider_gets_404_on_every_id_route(world, api):
    account = imap_source(world.rep)
    exclusion = Exclusion.objects.create(organization=world.org, kind="domain", value="rival.example")
    outsider = api(world.outsider)
    assert outsider.get(f"{ACCOUNTS}{account.pk}/").status_code == 404
    assert outsider.put(f"{ACCOUNTS}{account.pk}/", {"kind": "imap", "name": "x"}).status_code == 404
    assert outsider.patch(f"{ACCOUNTS}{account.pk}/", {"name": "x"}).status_code == 404
    assert outsider.delete(f"{ACCOUNTS}{account.pk}/?delete_data=true").status_code == 404
    for verb in ("test", "pause", "resume", "sync"):
        assert outsider.post(f"{ACCOUNTS}{account.pk}/{verb}/").status_code == 404
    assert outsider.get(f"{EXCLUSIONS}{exclusion.pk}/").status_code == 404
    assert outsider.delete(f"{EXCLUSIONS}{exclusion.pk}/").status_code == 404
    assert results(outsider.get(ACCOUNTS, {"all": "true"})) == []
    assert results(outsider.get(EXCLUSIONS)) == []
    assert CaptureAccount.objects.filter(pk=account.pk).exists() and Exclusion.objects.filter(pk=exclusion.pk).exists()


# --- exclusions ----------------------------------------------------------------------------------


def test_a_rep_adds_lists_and_removes_a_personal_exclusion(world, api):
    client = api(world.rep)
    response = client.post(EXCLUSIONS, {"kind": "email", "value": " Jane@Rival.example "})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["value"], body["scope"]) == ("jane@rival.example", "personal")
    assert [e["id"] for e in results(client.get(EXCLUSIONS))] == [body["id"]]
    assert results(api(world.teammate).get(EXCLUSIONS)) == []
    assert api(world.teammate).delete(f"{EXCLUSIONS}{body['id']}/").status_code == 404
    assert client.delete(f"{EXCLUSIONS}{body['id']}/").status_code == 204
    assert not Exclusion.objects.exists()


def test_exclusion_errors_name_the_field(world, api):
    response = api(world.rep).post(EXCLUSIONS, {"kind": "email", "value": "nope"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"value"}


def test_organization_wide_exclusions_need_an_admin(world, api):
    response = api(world.rep).post(EXCLUSIONS, {"kind": "domain", "value": "x.example", "scope": "organization"})
    assert response.status_code == 403 and not Exclusion.objects.exists()
    response = api(world.admin).post(EXCLUSIONS, {"kind": "domain", "value": "x.example", "scope": "organization"})
    assert response.status_code == 201 and response.json()["scope"] == "organization"
    exclusion_id = response.json()["id"]
    assert [e["id"] for e in results(api(world.rep).get(EXCLUSIONS))] == [exclusion_id]
    assert api(world.rep).delete(f"{EXCLUSIONS}{exclusion_id}/").status_code == 403
    assert api(world.admin).delete(f"{EXCLUSIONS}{exclusion_id}/").status_code == 204


# --- skipped messages ------------------------------------------------------------------------------


def test_skipped_messages_by_message_id_and_subject(world, api):
    account = imap_source(world.rep, name="Inbox")
    row = skipped(account, message_id="<promo@shop.example>", subject="Big sale", reason=SkipReason.BULK)
    client = api(world.rep)
    for typed in ("<promo@shop.example>", "promo@shop.example"):
        found = results(client.get(SKIPPED, {"message_id": typed}))
        assert [r["id"] for r in found] == [row.pk]
    found = results(client.get(SKIPPED, {"q": "big"}))
    assert found[0]["reason"] == "bulk" and found[0]["reason_label"] == SkipReason.BULK.label
    assert found[0]["account_name"] == "Inbox"
    assert results(client.get(SKIPPED, {"q": "nothing like it"})) == []


def test_skipped_messages_are_scoped(world, api):
    theirs = skipped(imap_source(world.teammate), message_id="<t@x>", subject="Tom's")
    assert results(api(world.rep).get(SKIPPED)) == []
    assert [r["id"] for r in results(api(world.admin).get(SKIPPED))] == [theirs.pk]
    assert results(api(world.outsider).get(SKIPPED)) == []


def test_skipped_messages_are_read_only(world, api):
    assert api(world.rep).post(SKIPPED, {"reason": "bulk"}).status_code == 405


# --- policy -----------------------------------------------------------------------------------------


def test_members_read_the_policy_and_admins_change_it(world, api):
    body = api(world.rep).get(POLICY).json()
    assert body["max_recipients"] == 20 and body["default_privacy_level"] == "subject"
    payload = {"max_recipients": 5, "contact_creation": "never", "default_privacy_level": "metadata"}
    assert api(world.rep).put(POLICY, payload).status_code == 403
    assert api(world.manager).put(POLICY, payload).status_code == 403
    assert not CapturePolicy.objects.exists()
    response = api(world.admin).put(POLICY, payload)
    assert response.status_code == 200 and response.json()["max_recipients"] == 5
    assert api(world.outsider).get(POLICY).json()["max_recipients"] == 20
    assert ics_source(world.rep).privacy_level == "metadata"


def test_an_invalid_policy_is_a_400_naming_the_fields(world, api):
    response = api(world.admin).put(
        POLICY, {"max_recipients": 0, "contact_creation": "maybe", "default_privacy_level": "metadata"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"max_recipients", "contact_creation"}


def test_the_schema_stays_valid_and_documents_capture(tmp_path: Path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    assert {"get", "post"} <= set(paths[ACCOUNTS])
    assert {"get", "put", "patch", "delete"} <= set(paths[f"{ACCOUNTS}{{id}}/"])
    for verb in ("test", "pause", "resume", "sync"):
        assert "post" in paths[f"{ACCOUNTS}{{id}}/{verb}/"]
    assert {"get", "post"} <= set(paths[EXCLUSIONS])
    assert set(paths[SKIPPED]) == {"get"}
    assert {"get", "put"} == set(paths[POLICY])
