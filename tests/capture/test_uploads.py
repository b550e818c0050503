"""Uploads of .eml, .mbox and .ics files: the page, the API and the service."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from activities.capture import uploads
from activities.models import Interaction, InteractionSource, SkippedMessage
from tests.conftest import client_for

UPLOAD_URL = "/capture/upload/"
API_URL = "/api/v1/capture-uploads/"


def _email(
    *,
    message_id: str,
    sender: str = "Carla Customer <carla@bigco.example>",
    to: str = "Rita Rep <rita@acme.example>",
    subject: str = "Pricing",
    extra: str = "",
) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Tue, 09 Jan 2024 14:02:11 +0100\r\n"
        f"Message-ID: {message_id}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Could you send the pricing?\r\n"
    ).encode()


EML = _email(message_id="<one@bigco.example>")


def _mbox(*messages: bytes) -> bytes:
    return b"".join(
        b"From MAILER-DAEMON Tue Jan  9 14:02:11 2024\n" + m.replace(b"\r\n", b"\n") + b"\n" for m in messages
    )


MBOX = _mbox(
    _email(message_id="<a@bigco.example>", subject="Intro call"),
    _email(message_id="<b@bigco.example>", subject="Newsletter", extra="List-Id: <news.bigco.example>\r\n"),
    _email(message_id="<c@acme.example>", sender="tom@acme.example", subject="Lunch?"),
    _email(message_id="<d@bigco.example>", subject="Follow-up", sender="Dan <dan@bigco.example>"),
)


def _ics() -> bytes:
    start = (timezone.now() - datetime.timedelta(days=3)).strftime("%Y%m%dT100000Z")
    end = (timezone.now() - datetime.timedelta(days=3)).strftime("%Y%m%dT110000Z")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:demo-meeting-1@bigco.example\r\n"
        f"DTSTAMP:{start}\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Quarterly review\r\n"
        "ORGANIZER;CN=Carla:mailto:carla@bigco.example\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:rita@acme.example\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:carla@bigco.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- the page ------------------------------------------------------------------------------


def test_the_upload_page_shows_a_labelled_file_field(rep_client):
    response = rep_client.get(UPLOAD_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert '<label for="id_file">' in body
    assert reverse("capture:upload") == UPLOAD_URL


def test_uploading_an_eml_captures_it_for_the_uploader_and_shows_the_result(world, rep_client):
    response = rep_client.post(UPLOAD_URL, {"file": _file("pricing.eml", EML), "visibility": "team"})
    assert response.status_code == 302

    interaction = Interaction.objects.get()
    assert interaction.source == InteractionSource.UPLOAD
    assert interaction.organization == world.org
    assert interaction.owner == world.rep.user
    assert interaction.external_id == "<one@bigco.example>"

    page = rep_client.get(response["Location"]).content.decode()
    assert "Results for “pricing.eml”" in page
    assert "<dt>Captured</dt><dd><strong>1</strong></dd>" in page
    # Shown once: a reload does not repeat the summary.
    assert "Results for" not in rep_client.get(UPLOAD_URL).content.decode()


def test_uploading_an_mbox_reports_captured_and_skipped_by_reason(world, rep_client):
    response = rep_client.post(UPLOAD_URL, {"file": _file("export.mbox", MBOX), "visibility": "team"}, follow=True)
    page = response.content.decode()
    assert "<dt>Read from the file</dt><dd>4 messages</dd>" in page
    assert "<dt>Captured</dt><dd><strong>2</strong></dd>" in page
    assert "Bulk or mailing-list mail" in page
    assert "Internal mail only" in page
    assert set(Interaction.objects.values_list("subject", flat=True)) == {"Intro call", "Follow-up"}


def test_uploading_the_same_mbox_twice_reports_already_known(world, rep_client):
    rep_client.post(UPLOAD_URL, {"file": _file("export.mbox", MBOX), "visibility": "team"})
    page = rep_client.post(
        UPLOAD_URL, {"file": _file("export.mbox", MBOX), "visibility": "team"}, follow=True
    ).content.decode()
    assert "<dt>Captured</dt><dd><strong>0</strong></dd>" in page
    assert "<dt>Already known</dt><dd>2</dd>" in page
    assert Interaction.objects.count() == 2


def test_uploading_an_ics_captures_its_meeting(world, rep_client):
    rep_client.post(UPLOAD_URL, {"file": _file("calendar.ics", _ics()), "visibility": "team"})
    meeting = Interaction.objects.get()
    assert meeting.kind == "meeting"
    assert meeting.subject == "Quarterly review"
    assert meeting.source == InteractionSource.UPLOAD


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", EML, "Upload an .eml"),
        ("empty.eml", b"", "The file is empty."),
        ("blank.mbox", b"\n\n  \n", "The file is empty."),
        ("photo.eml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not an email message"),
        ("cal.ics", EML, "This is not an iCalendar file"),
        ("noheaders.mbox", b"just some words\nand more\n", "This is not a mailbox (mbox) file"),
    ],
)
def test_a_bad_file_gets_a_clear_error_next_to_the_field_and_nothing_is_written(rep_client, name, data, message):
    response = rep_client.post(UPLOAD_URL, {"file": _file(name, data), "visibility": "team"})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'id="id_file_error"' in body
    assert 'aria-invalid="true"' in body
    assert not Interaction.objects.exists()
    assert not SkippedMessage.objects.exists()


def test_no_file_is_an_error(rep_client):
    response = rep_client.post(UPLOAD_URL, {"visibility": "team"})
    assert response.status_code == 400
    assert "Choose a file to upload." in response.content.decode()


def test_a_file_over_the_limit_is_refused_naming_the_limit(world, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(ValidationError) as refused:
        uploads.capture_upload(membership=world.rep, filename="big.mbox", data=MBOX * 3)
    assert "limited to" in str(refused.value)
    assert "IMAP" in str(refused.value)
    assert not Interaction.objects.exists()


def test_the_real_limit_is_50_mb():
    assert uploads.MAX_UPLOAD_BYTES == 50 * 1024 * 1024


def test_an_unreadable_message_in_an_mbox_is_listed_with_its_position(world, monkeypatch):
    real_parse = uploads.parse_message

    def parse(raw: bytes, *, with_body: bool = True):  # the parser's contract: never raises, sets parse_error
        item = real_parse(raw, with_body=with_body)
        if b"<b@bigco.example>" in raw:
            item.parse_error = "broken MIME boundary"
        return item

    monkeypatch.setattr(uploads, "parse_message", parse)
    result = uploads.capture_upload(membership=world.rep, filename="export.mbox", data=MBOX)
    assert [(u.position, u.reason) for u in result.unreadable] == [(2, "broken MIME boundary")]


def test_an_mbox_saved_as_eml_is_read_as_an_mbox():
    assert uploads.upload_kind(filename="x.eml", data=MBOX) == "mbox"
    assert uploads.upload_kind(filename="x.mbox", data=EML) == "eml"
    assert uploads.upload_kind(filename="X.ICS", data=b"\xef\xbb\xbf" + _ics()) == "ics"


def test_the_chosen_visibility_is_kept(world, rep_client):
    rep_client.post(UPLOAD_URL, {"file": _file("pricing.eml", EML), "visibility": "private"})
    assert Interaction.objects.get().visibility == "private"


def test_an_outsider_uploads_into_their_own_organization_only(world, outsider_client):
    response = outsider_client.post(UPLOAD_URL, {"file": _file("pricing.eml", EML), "visibility": "team"})
    assert response.status_code == 302
    interaction = Interaction.objects.get()
    assert interaction.organization == world.other_org
    assert interaction.owner == world.outsider.user
    # Our rep's upload of the same message is a separate interaction in our organization.
    client_for(world.rep).post(UPLOAD_URL, {"file": _file("pricing.eml", EML), "visibility": "team"})
    assert Interaction.objects.filter(organization=world.org).count() == 1
    assert Interaction.objects.count() == 2


def test_the_outsider_does_not_see_our_upload_result(world, rep_client, outsider_client):
    rep_client.post(UPLOAD_URL, {"file": _file("zanzibar.eml", EML), "visibility": "team"})
    assert "zanzibar" not in outsider_client.get(UPLOAD_URL).content.decode()


def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in(client):
    response = client.get(UPLOAD_URL)
    assert response.status_code == 302
    assert "/login" in response["Location"]


# --- the API -------------------------------------------------------------------------------


def test_the_api_captures_an_mbox_and_returns_the_summary(world, rep_client):
    response = rep_client.post(API_URL, {"file": _file("export.mbox", MBOX)})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["kind"] == "mbox"
    assert data["items"] == 4
    assert data["captured"] == 2
    assert data["already_known"] == 0
    reasons = {row["reason"]: row for row in data["skipped"]}
    assert reasons["bulk"]["count"] == 1
    assert reasons["internal"]["label"].startswith("Internal mail only")
    assert data["unreadable"] == []


def test_the_api_captures_an_ics(world, rep_client):
    response = rep_client.post(API_URL, {"file": _file("calendar.ics", _ics()), "visibility": "organization"})
    assert response.status_code == 200, response.content
    assert response.json()["captured"] == 1
    assert Interaction.objects.get().visibility == "organization"


def test_the_api_names_the_file_field_in_its_error(world, rep_client):
    response = rep_client.post(API_URL, {"file": _file("notes.txt", b"hello")})
    assert response.status_code == 400
    assert "Upload an .eml" in response.json()["errors"]["file"][0]
    assert not Interaction.objects.exists()


def test_the_api_without_a_file_is_a_400_naming_it(rep_client):
    response = rep_client.post(API_URL, {})
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_the_api_upload_of_an_outsider_stays_in_their_organization(world, outsider_client):
    response = outsider_client.post(API_URL, {"file": _file("pricing.eml", EML)})
    assert response.status_code == 200
    assert Interaction.objects.get().organization == world.other_org


def test_the_api_refuses_anonymous_uploads(client, db):
    response = client.post(API_URL, {"file": _file("pricing.eml", EML)})
    assert response.status_code in (401, 403)
    assert not Interaction.objects.exists()
