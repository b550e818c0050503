"""Capture pages: my sources, adding and editing them, test connection, pause/resume/sync,
removal, BCC address, exclusions, the admins' capture policy page, and "why wasn't this captured?"."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import (
    CaptureAccount,
    CapturePolicy,
    CaptureStatus,
    Exclusion,
    Interaction,
    LoggingAddress,
    SkipReason,
)
from relintel import crypto
from tests.capture.test_services import PASSWORD, captured, ics_source, imap_source, skipped
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SETTINGS = "/settings/capture/"
MANAGE = "/manage/capture/"
WHY = "/capture/why/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def imap_form(**fields):
    data = {
        "name": "Work mailbox",
        "host": "imap.example.com",
        "port": "",
        "security": "tls",
        "username": "rita@acme.example",
        "auth_method": "password",
        "secret": PASSWORD,
        "folders": "",
        "privacy_level": "subject",
        "visibility": "team",
        "backfill_days": "180",
    }
    data.update(fields)
    return data


# --- the settings page -----------------------------------------------------------------------


def test_a_rep_sees_their_sources_with_health_and_their_bcc_address(world, rep_client):
    account = imap_source(world.rep, name="Rita's inbox")
    CaptureAccount.objects.filter(pk=account.pk).update(
        captured_count=12,
        skipped_counts={"bulk": 4},
        status=CaptureStatus.FAILING,
        last_error="No such host: imap.example.com",
        last_error_kind="dns",
        last_error_at=timezone.now(),
    )
    ics_source(world.teammate, name="Tom's feed")
    response = rep_client.get(SETTINGS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rita&#x27;s inbox" in html and "Tom" not in html.split("<main")[1]
    assert "Failing, retrying" in html
    assert SkipReason.BULK.label in html
    assert "Server not found: No such host: imap.example.com" in html
    address = LoggingAddress.objects.get(user=world.rep.user)
    assert f"log+{address.token}@" in html
    for kind in ("imap", "caldav", "ics"):
        assert f"/settings/capture/new/{kind}/" in html
    assert "/capture/upload/" in html
    assert PASSWORD not in html and account.secret not in html


def test_the_navigation_links_capture_for_everyone_and_the_policy_for_admins(world, rep_client, admin_client_):
    rep_html = rep_client.get("/").content.decode()
    assert f'href="{SETTINGS}"' in rep_html and f'href="{MANAGE}"' not in rep_html
    admin_html = admin_client_.get("/").content.decode()
    assert f'href="{SETTINGS}"' in admin_html and f'href="{MANAGE}"' in admin_html


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(SETTINGS)
    assert response.status_code == 302 and "login" in response["Location"]


# --- adding and editing sources ----------------------------------------------------------------


def test_a_rep_adds_a_mailbox_whose_password_is_stored_encrypted(world, rep_client):
    assert rep_client.get("/settings/capture/new/imap/").status_code == 200
    response = rep_client.post("/settings/capture/new/imap/", imap_form())
    assert response.status_code == 302 and response["Location"] == SETTINGS
    account = CaptureAccount.objects.get(user=world.rep.user)
    assert account.secret != PASSWORD and crypto.decrypt(account.secret) == PASSWORD
    assert account.port == 993 and account.next_poll_at is not None


def test_a_form_with_errors_shows_them_next_to_the_fields(world, rep_client):
    response = rep_client.post("/settings/capture/new/imap/", imap_form(host="", secret=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'id="id_host_error"' in html and 'id="id_secret_error"' in html
    assert not CaptureAccount.objects.exists()


def test_the_service_errors_land_on_their_fields(world, rep_client):
    response = rep_client.post("/settings/capture/new/ics/", {**imap_form(), "url": "ftp://x.example/a.ics"})
    assert response.status_code == 400
    assert 'id="id_url_error"' in response.content.decode()


def test_an_ics_form_asks_only_for_the_feed(world, rep_client):
    html = rep_client.get("/settings/capture/new/ics/").content.decode()
    assert 'name="url"' in html and 'name="secret"' not in html and 'name="host"' not in html
    response = rep_client.post(
        "/settings/capture/new/ics/",
        {"name": "Feed", "url": "webcal://cal.example.com/x.ics", "privacy_level": "subject", "visibility": "team",
         "backfill_days": "30"},
    )  # fmt: skip
    assert response.status_code == 302
    assert CaptureAccount.objects.get(user=world.rep.user).url == "https://cal.example.com/x.ics"


def test_an_unknown_kind_is_a_404(rep_client):
    assert rep_client.get("/settings/capture/new/pop3/").status_code == 404


def test_editing_never_renders_the_password_and_blank_keeps_it(world, rep_client):
    account = imap_source(world.rep)
    stored = account.secret
    url = f"/settings/capture/{account.pk}/edit/"
    html = rep_client.get(url).content.decode()
    assert "Leave blank to keep" in html
    assert PASSWORD not in html and stored not in html
    response = rep_client.post(url, imap_form(name="Renamed", secret=""))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed" and account.secret == stored


def test_test_connection_reports_a_refused_port(world, rep_client):
    port = refused_port()
    account = imap_source(world.rep, host="127.0.0.1", port=port, security="plain")
    response = rep_client.post(f"/settings/capture/{account.pk}/test/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-stage="connect"' in html and "Failed at: connect" in html
    # Without JavaScript: a message on the settings page.
    response = rep_client.post(f"/settings/capture/{account.pk}/test/", follow=True)
    assert "Test of “Work mailbox”" in response.content.decode()


def test_test_connection_on_the_create_form_tries_the_typed_values_without_saving(world, rep_client):
    port = refused_port()
    form = imap_form(host="127.0.0.1", port=str(port), security="plain", action="test")
    response = rep_client.post("/settings/capture/new/imap/", form, **HTMX)
    assert response.status_code == 200
    assert 'data-stage="connect"' in response.content.decode()
    response = rep_client.post("/settings/capture/new/imap/", form)
    html = response.content.decode()
    assert 'data-stage="connect"' in html and 'name="host"' in html
    assert not CaptureAccount.objects.exists()


def test_test_connection_on_the_edit_form_saves_nothing(world, rep_client):
    account = imap_source(world.rep)
    port = refused_port()
    form = imap_form(host="127.0.0.1", port=str(port), security="plain", secret="", action="test")
    response = rep_client.post(f"/settings/capture/{account.pk}/edit/", form, **HTMX)
    assert 'data-stage="connect"' in response.content.decode()
    account.refresh_from_db()
    assert account.host == "imap.example.com"


# --- actions -----------------------------------------------------------------------------------


def test_pause_resume_and_sync_now(world, rep_client):
    account = imap_source(world.rep)
    response = rep_client.post(f"/settings/capture/{account.pk}/pause/", **HTMX)
    assert response.status_code == 200 and "Resume" in response.content.decode()
    account.refresh_from_db()
    assert account.status == CaptureStatus.PAUSED
    assert rep_client.post(f"/settings/capture/{account.pk}/resume/").status_code == 302
    account.refresh_from_db()
    assert account.status == CaptureStatus.ACTIVE
    CaptureAccount.objects.filter(pk=account.pk).update(next_poll_at=None)
    response = rep_client.post(f"/settings/capture/{account.pk}/sync/", follow=True)
    assert "syncs in a moment" in response.content.decode()
    account.refresh_from_db()
    assert account.next_poll_at is not None


def test_actions_need_a_post(world, rep_client):
    account = imap_source(world.rep)
    for verb in ("test", "sync", "pause", "resume"):
        assert rep_client.get(f"/settings/capture/{account.pk}/{verb}/").status_code == 405


def test_removing_asks_first_and_keeps_captured_activity_by_default(world, rep_client):
    account = imap_source(world.rep)
    interaction = captured(account, message_id="<keep@x>")
    html = rep_client.get(f"/settings/capture/{account.pk}/remove/").content.decode()
    assert "Keep captured activity" in html and "Delete captured activity" in html
    assert 'value="keep" id="id_captured_activity_0" required checked' in html
    response = rep_client.post(f"/settings/capture/{account.pk}/remove/", {"captured_activity": "keep"})
    assert response.status_code == 302
    assert not CaptureAccount.objects.exists()
    assert Interaction.objects.filter(pk=interaction.pk).exists()


def test_removing_with_its_data_deletes_what_only_it_captured(world, rep_client):
    account = imap_source(world.rep)
    interaction = captured(account, message_id="<gone@x>")
    response = rep_client.post(f"/settings/capture/{account.pk}/remove/", {"captured_activity": "delete"})
    assert response.status_code == 302
    assert not Interaction.objects.filter(pk=interaction.pk).exists()


def test_another_reps_source_is_a_404_on_every_route(world, rep_client):
    account = imap_source(world.teammate)
    for verb in ("edit", "remove"):
        assert rep_client.get(f"/settings/capture/{account.pk}/{verb}/").status_code == 404
    for verb in ("edit", "remove", "test", "sync", "pause", "resume"):
        assert rep_client.post(f"/settings/capture/{account.pk}/{verb}/").status_code == 404
    assert CaptureAccount.objects.filter(pk=account.pk, status=CaptureStatus.ACTIVE).exists()


def test_an_outsider_gets_404_for_our_sources_and_exclusions(world, outsider_client):
    account = imap_source(world.rep)
    exclusion = Exclusion.objects.create(organization=world.org, kind="domain", value="rival.example")
    for verb in ("edit", "remove"):
        assert outsider_client.get(f"/settings/capture/{account.pk}/{verb}/").status_code == 404
    for verb in ("edit", "remove", "test", "sync", "pause", "resume"):
        assert outsider_client.post(f"/settings/capture/{account.pk}/{verb}/").status_code == 404
    assert outsider_client.post(f"/settings/capture/exclusions/{exclusion.pk}/remove/").status_code == 404
    assert CaptureAccount.objects.filter(pk=account.pk).exists() and Exclusion.objects.filter(pk=exclusion.pk).exists()
    assert "rival.example" not in outsider_client.get(SETTINGS).content.decode()


# --- BCC address and exclusions ------------------------------------------------------------------


def test_resetting_the_bcc_address(world, rep_client):
    rep_client.get(SETTINGS)
    old = LoggingAddress.objects.get(user=world.rep.user).token
    response = rep_client.post("/settings/capture/bcc-address/reset/", follow=True)
    new = LoggingAddress.objects.get(user=world.rep.user).token
    assert new != old and f"log+{new}@" in response.content.decode()


def test_a_rep_adds_and_removes_a_personal_exclusion(world, rep_client):
    response = rep_client.post("/settings/capture/exclusions/", {"kind": "domain", "value": "Rival.example"})
    assert response.status_code == 302
    exclusion = Exclusion.objects.get()
    assert (exclusion.user, exclusion.value) == (world.rep.user, "rival.example")
    assert "rival.example" in rep_client.get(SETTINGS).content.decode()
    response = rep_client.post(f"/settings/capture/exclusions/{exclusion.pk}/remove/")
    assert response.status_code == 302 and not Exclusion.objects.exists()


def test_a_bad_exclusion_is_reported(world, rep_client):
    response = rep_client.post("/settings/capture/exclusions/", {"kind": "email", "value": "nope"}, follow=True)
    assert "is not an email address" in response.content.decode()
    assert not Exclusion.objects.exists()


def test_a_rep_cannot_exclude_or_unexclude_for_the_organization(world, rep_client, admin_client_):
    response = rep_client.post(
        "/settings/capture/exclusions/", {"kind": "domain", "value": "x.example", "scope": "organization"}
    )
    assert response.status_code == 403 and not Exclusion.objects.exists()
    admin_client_.post(
        "/settings/capture/exclusions/", {"kind": "domain", "value": "x.example", "scope": "organization"}
    )
    exclusion = Exclusion.objects.get()
    assert exclusion.user is None
    assert rep_client.post(f"/settings/capture/exclusions/{exclusion.pk}/remove/").status_code == 403
    assert client_for(world.teammate).post(f"/settings/capture/exclusions/{exclusion.pk}/remove/").status_code == 403
    assert Exclusion.objects.exists()


def test_a_teammates_personal_exclusion_is_a_404(world, rep_client):
    theirs = Exclusion.objects.create(
        organization=world.org, user=world.teammate.user, kind="domain", value="t.example"
    )
    assert rep_client.post(f"/settings/capture/exclusions/{theirs.pk}/remove/").status_code == 404
    assert Exclusion.objects.filter(pk=theirs.pk).exists()


# --- the admins' page ----------------------------------------------------------------------------


def test_an_admin_sees_the_policy_and_every_sources_health(world, admin_client_):
    imap_source(world.rep, name="Rita's inbox")
    ics_source(world.other_rep, name="Wes feed")
    ics_source(world.outsider, name="Globex feed")
    response = admin_client_.get(MANAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rita Rep" in html and "Wes feed" in html and "Globex" not in html
    assert "acme.example" in html and reverse("accounts:org_settings") in html
    assert 'name="max_recipients"' in html


def test_an_admin_saves_the_policy(world, admin_client_):
    data = {"max_recipients": "12", "contact_creation": "any", "default_privacy_level": "metadata"}
    response = admin_client_.post(MANAGE, data)
    assert response.status_code == 302
    policy = CapturePolicy.objects.get(organization=world.org)
    assert (policy.max_recipients, policy.contact_creation, policy.default_privacy_level) == (12, "any", "metadata")
    # New sources start with the organization's default.
    html = client_for(world.rep).get("/settings/capture/new/ics/").content.decode()
    assert 'value="metadata" id="id_privacy_level_0" required checked' in html


def test_an_invalid_policy_is_shown_next_to_its_field(world, admin_client_):
    response = admin_client_.post(
        MANAGE, {"max_recipients": "0", "contact_creation": "any", "default_privacy_level": "full"}
    )
    assert response.status_code == 400
    assert 'id="id_max_recipients_error"' in response.content.decode()


def test_a_rep_and_a_manager_may_not_open_the_policy_page(world, rep_client):
    assert rep_client.get(MANAGE).status_code == 403
    assert rep_client.post(MANAGE, {"max_recipients": "1"}).status_code == 403
    assert client_for(world.manager).get(MANAGE).status_code == 403
    assert not CapturePolicy.objects.exists()


def test_an_outsider_admin_sees_only_their_own_organization(world, outsider_client):
    imap_source(world.rep, name="Rita's inbox")
    html = outsider_client.get(MANAGE).content.decode()
    assert "Rita" not in html and "acme.example" not in html


# --- why wasn't this captured? ---------------------------------------------------------------------


def test_why_shows_the_rule_that_skipped_a_message(world, rep_client):
    account = imap_source(world.rep, name="Rita's inbox")
    skipped(account, message_id="<promo-7@shop.example>", subject="Big sale", reason=SkipReason.BULK,
            detail="List-Unsubscribe: <mailto:u@shop.example>")  # fmt: skip
    for typed in ("<promo-7@shop.example>", "promo-7@shop.example"):
        html = rep_client.get(WHY, {"message_id": typed}).content.decode()
        assert SkipReason.BULK.label in html and "List-Unsubscribe" in html and "Rita&#x27;s inbox" in html
    html = rep_client.get(WHY, {"subject": "big SALE"}).content.decode()
    assert SkipReason.BULK.label in html


def test_why_links_a_captured_message(world, rep_client):
    account = imap_source(world.rep)
    interaction = captured(account, message_id="<deal@x>", subject="The deal")
    html = rep_client.get(WHY, {"message_id": "deal@x"}).content.decode()
    assert "It was captured" in html and reverse("activities:detail", args=[interaction.pk]) in html


def test_why_lists_possible_reasons_when_nothing_was_seen(world, rep_client):
    imap_source(world.rep)
    html = rep_client.get(WHY, {"message_id": "<nothing@x>"}).content.decode()
    assert "No source of yours has seen this message" in html
    assert "paused" in html and "capture window" in html and "folder" in html


def test_why_asks_for_something_to_look_up(rep_client):
    assert rep_client.get(WHY).status_code == 200
    html = rep_client.get(WHY, {"message_id": " ", "subject": ""}).content.decode()
    assert "What happened" not in html


def test_a_rep_cannot_see_another_reps_skipped_rows(world, rep_client):
    skipped(imap_source(world.teammate), message_id="<tom@x>", subject="Tom's newsletter")
    html = rep_client.get(WHY, {"message_id": "<tom@x>"}).content.decode()
    assert "Tom&#x27;s newsletter" not in html and "No source of yours has seen" in html
    admin_html = client_for(world.admin).get(WHY, {"message_id": "<tom@x>"}).content.decode()
    assert "Tom&#x27;s newsletter" in admin_html


def test_an_outsider_sees_nothing_of_ours_in_why(world, outsider_client):
    skipped(imap_source(world.rep), message_id="<ours@x>", subject="Zanzibar news")
    html = outsider_client.get(WHY, {"subject": "Zanzibar"}).content.decode()
    assert "Zanzibar news" not in html


def test_testing_an_incomplete_form_with_htmx_lists_what_to_fix(world, rep_client):
    response = rep_client.post("/settings/capture/new/imap/", imap_form(host="", action="test"), **HTMX)
    html = response.content.decode()
    assert "Fix these, then test again" in html and "IMAP server" in html
    assert not CaptureAccount.objects.exists()
