""" "Test connection" says exactly what failed, against real servers."""

from __future__ import annotations

import pytest

from activities.capture.sources.diagnostics import ConnectionReport, classify_error, test_connection
from activities.models import CaptureAccount
from relintel import crypto
from tests.capture.servers import Dovecot, dovecot, free_port, ics_feed, radicale  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def account(membership, **fields) -> CaptureAccount:
    values = {
        "organization": membership.organization,
        "user": membership.user,
        "kind": "imap",
        "name": "Source",
        "host": "127.0.0.1",
        "security": "plain",
        "username": "rita@acme.example",
        "secret": crypto.encrypt("rita-secret"),
    }
    values.update(fields)
    return CaptureAccount(**values)


@pytest.fixture
def trust_test_certificate(dovecot: Dovecot, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.root / "cert.pem"))


def test_a_plain_mailbox_connects_and_lists_its_folders(dovecot, world):  # noqa: F811
    report = test_connection(account(world.rep, port=dovecot.port))

    assert report.ok
    assert report.stage == "ok"
    assert "INBOX" in report.message
    assert "Sent" in report.message


def test_tls_with_a_trusted_certificate_connects(dovecot, world, trust_test_certificate):  # noqa: F811
    report = test_connection(account(world.rep, host="localhost", port=dovecot.tls_port, security="tls"))

    assert report == ConnectionReport(ok=True, stage="ok", message=report.message)


def test_starttls_with_a_trusted_certificate_connects(dovecot, world, trust_test_certificate):  # noqa: F811
    report = test_connection(account(world.rep, host="localhost", port=dovecot.port, security="starttls"))

    assert report.ok, report.message


def test_an_untrusted_certificate_is_a_tls_problem(dovecot, world):  # noqa: F811
    report = test_connection(account(world.rep, host="localhost", port=dovecot.tls_port, security="tls"))

    assert not report.ok
    assert report.stage == "tls"
    assert report.message.startswith(f"TLS certificate problem at localhost:{dovecot.tls_port}")


def test_tls_on_the_plain_port_says_it_is_the_wrong_port(dovecot, world):  # noqa: F811
    report = test_connection(account(world.rep, port=dovecot.port, security="tls"))

    assert report.stage == "tls"
    assert "wrong port for TLS" in report.message


def test_a_wrong_password_reports_the_servers_answer(dovecot, world):  # noqa: F811
    report = test_connection(account(world.rep, port=dovecot.port), secret="wrong")

    assert report.stage == "login"
    assert report.message.startswith("The server refused the login:")
    assert "AUTHENTICATIONFAILED" in report.message or "failed" in report.message.lower()


def test_the_password_being_tried_wins_over_the_stored_one(dovecot, world):  # noqa: F811
    stored_wrong = account(world.rep, port=dovecot.port, secret=crypto.encrypt("wrong"))

    assert test_connection(stored_wrong, secret="rita-secret").ok


def test_a_missing_folder_is_named(dovecot, world):  # noqa: F811
    report = test_connection(account(world.rep, port=dovecot.port, folders=["INBOX", "Clients/2024"]))

    assert report == ConnectionReport(ok=False, stage="folder", message="No such folder on the server: Clients/2024")


def test_an_unknown_host_is_a_dns_failure(world):
    report = test_connection(account(world.rep, host="imap.example.invalid", port=993, security="tls"))

    assert report == ConnectionReport(ok=False, stage="dns", message="No such host: imap.example.invalid")


def test_a_closed_port_is_a_refused_connection(world):
    port = free_port()

    report = test_connection(account(world.rep, port=port))

    assert report.stage == "connect"
    assert report.message.startswith(f"Connection refused by 127.0.0.1:{port}")


def test_an_ics_feed_that_answers_404_says_so(ics_feed, world):  # noqa: F811
    ics_feed.status = 404

    report = test_connection(account(world.rep, kind="ics", url=ics_feed.url))

    assert report == ConnectionReport(ok=False, stage="http", message=f"Not found (HTTP 404): {ics_feed.url}")


def test_an_ics_url_that_is_not_a_calendar_says_so(ics_feed, world):  # noqa: F811
    ics_feed.publish(b"<html>hello</html>")

    report = test_connection(account(world.rep, kind="ics", url=ics_feed.url))

    assert report.stage == "http"
    assert report.message.startswith("Not a calendar:")


def test_an_ics_feed_with_an_unknown_host_is_a_dns_failure(world):
    report = test_connection(account(world.rep, kind="ics", url="https://calendar.example.invalid/feed.ics"))

    assert report == ConnectionReport(ok=False, stage="dns", message="No such host: calendar.example.invalid")


def test_a_caldav_server_lists_its_calendars(radicale, world):  # noqa: F811
    radicale.seed("rita", "diag", b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n")

    report = test_connection(account(world.rep, kind="caldav", url=radicale.url, username="rita"))

    assert report.ok, report.message
    assert "diag" in report.message


def test_a_caldav_calendar_that_does_not_exist_is_named(radicale, world):  # noqa: F811
    radicale.seed("rita", "diag", b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n")

    report = test_connection(
        account(world.rep, kind="caldav", url=radicale.url, username="rita", folders=["/rita/missing/"])
    )

    assert report == ConnectionReport(
        ok=False, stage="folder", message="No such calendar on the server: /rita/missing/"
    )


def test_a_caldav_server_on_a_closed_port_is_refused(world):
    port = free_port()

    report = test_connection(account(world.rep, kind="caldav", url=f"http://127.0.0.1:{port}/", username="rita"))

    assert report.stage == "connect"


def test_an_unexpected_error_is_reported_with_its_type():
    assert classify_error(ValueError("boom")) == ("internal", "Unexpected error (ValueError): boom")
