"""recover_forwarded: the original message out of the forwards real mail clients send (pure, no database)."""

from __future__ import annotations

import datetime
import email.utils
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from activities.capture.forwarded import recover_forwarded

ORIGINAL = b"""\
From: Carla Customer <carla@bigco.example>
To: Rita Rep <rita@acme.example>
Subject: Pricing for the Q3 rollout
Date: Tue, 09 Jan 2024 14:02:11 +0100
Message-ID: <CA+orig-123@mail.bigco.example>
Content-Type: text/plain; charset=utf-8

Hi Rita, could you send the updated pricing?
"""


def _parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _forward(body: str, *, html: str | None = None, subject: str = "Fwd: Pricing for the Q3 rollout") -> bytes:
    outer = EmailMessage()
    outer["From"] = "Rita Rep <rita@acme.example>"
    outer["To"] = "log+abc123@log.relintel.localhost"
    outer["Subject"] = subject
    outer["Date"] = "Wed, 10 Jan 2024 09:00:00 +0100"
    outer["Message-ID"] = "<fwd-1@acme.example>"
    outer.set_content(body)
    if html is not None:
        outer.add_alternative(html, subtype="html")
    return outer.as_bytes()


def _date(message: EmailMessage) -> datetime.datetime:
    return email.utils.parsedate_to_datetime(str(message["Date"]))


def test_an_attached_message_is_returned_with_its_own_message_id():
    outer = EmailMessage()
    outer["From"] = "rita@acme.example"
    outer["To"] = "log+abc123@log.relintel.localhost"
    outer["Subject"] = "Fwd: Pricing for the Q3 rollout"
    outer.set_content("See attached.")
    outer.add_attachment(_parse(ORIGINAL))  # message/rfc822

    recovered = recover_forwarded(outer.as_bytes())

    assert recovered is not None
    original = _parse(recovered)
    assert original["Message-ID"] == "<CA+orig-123@mail.bigco.example>"
    assert original["From"].addresses[0].addr_spec == "carla@bigco.example"
    assert original["Subject"] == "Pricing for the Q3 rollout"
    assert "updated pricing" in original.get_body(preferencelist=("plain",)).get_content()


def test_an_attached_eml_file_is_returned_as_it_was():
    outer = EmailMessage()
    outer["From"] = "rita@acme.example"
    outer["Subject"] = "Fwd"
    outer.set_content("See attached.")
    outer.add_attachment(ORIGINAL, maintype="application", subtype="octet-stream", filename="pricing.eml")

    assert recover_forwarded(outer.as_bytes()) == ORIGINAL


def test_a_gmail_inline_forward_gives_the_original_sender_subject_date_and_text():
    body = (
        "FYI, logging this.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Carla Customer <carla@bigco.example>\n"
        "Date: Tue, Jan 9, 2024 at 2:02 PM\n"
        "Subject: Pricing for the Q3 rollout\n"
        "To: Rita Rep <rita@acme.example>\n"
        "Cc: Dan Deal <dan@bigco.example>, Rita Rep <rita@acme.example>\n\n\n"
        "Hi Rita, could you send the updated pricing?\n"
    )
    recovered = recover_forwarded(_forward(body))

    assert recovered is not None
    original = _parse(recovered)
    assert original["From"].addresses[0].addr_spec == "carla@bigco.example"
    assert original["From"].addresses[0].display_name == "Carla Customer"
    assert original["Subject"] == "Pricing for the Q3 rollout"
    assert [a.addr_spec for a in original["To"].addresses] == ["rita@acme.example"]
    assert [a.addr_spec for a in original["Cc"].addresses] == ["dan@bigco.example", "rita@acme.example"]
    # No zone in Gmail's line: the forwarder's zone (+01:00) is assumed.
    assert _date(original) == datetime.datetime(
        2024, 1, 9, 14, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    text = original.get_body(preferencelist=("plain",)).get_content()
    assert "updated pricing" in text
    assert "FYI, logging this" not in text
    assert original["Message-ID"] is None  # an inline forward does not carry it; ingest derives one


def test_an_outlook_forward_with_sent_and_semicolon_recipients_is_read():
    body = (
        "\n\n-----Original Message-----\n"
        "From: Carla Customer [mailto:carla@bigco.example]\n"
        "Sent: Tuesday, January 9, 2024 2:02 PM\n"
        "To: Rita Rep <rita@acme.example>; Dan Deal <dan@bigco.example>\n"
        "Subject: RE: Pricing for the Q3 rollout\n\n"
        "Hi Rita, could you send the updated pricing?\n"
    )
    original = _parse(recover_forwarded(_forward(body, subject="FW: RE: Pricing")) or b"")

    assert original["From"].addresses[0].addr_spec == "carla@bigco.example"
    assert [a.addr_spec for a in original["To"].addresses] == ["rita@acme.example", "dan@bigco.example"]
    assert original["Subject"] == "RE: Pricing for the Q3 rollout"
    assert _date(original).replace(tzinfo=None) == datetime.datetime(2024, 1, 9, 14, 2)


def test_a_newer_outlook_forward_under_a_rule_of_underscores_is_read():
    body = (
        "Logging.\n\n________________________________\n"
        "From: Carla Customer <carla@bigco.example>\n"
        "Sent: Tuesday, January 9, 2024 14:02\n"
        "To: Rita Rep <rita@acme.example>\n"
        "Subject: Pricing for the Q3 rollout\n\n"
        "Hi Rita\n"
    )
    original = _parse(recover_forwarded(_forward(body)) or b"")
    assert original["From"].addresses[0].addr_spec == "carla@bigco.example"
    assert _date(original).replace(tzinfo=None) == datetime.datetime(2024, 1, 9, 14, 2)


def test_an_apple_mail_forward_with_a_blank_line_and_gmt_offset_is_read():
    body = (
        "\n\nBegin forwarded message:\n\n"
        "From: Carla Customer <carla@bigco.example>\n"
        "Subject: Pricing for the Q3 rollout\n"
        "Date: 9 January 2024 at 14:02:11 GMT+1\n"
        "To: Rita Rep <rita@acme.example>\n"
        "Message-Id: <CA+orig-123@mail.bigco.example>\n\n"
        "Hi Rita, could you send the updated pricing?\n"
    )
    original = _parse(recover_forwarded(_forward(body)) or b"")

    assert original["From"].addresses[0].addr_spec == "carla@bigco.example"
    assert original["Message-ID"] == "<CA+orig-123@mail.bigco.example>"
    assert _date(original) == datetime.datetime(
        2024, 1, 9, 14, 2, 11, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )


def test_an_apple_mail_forward_in_12_hour_english_is_read():
    body = (
        "Begin forwarded message:\n\n"
        "From: Carla Customer <carla@bigco.example>\n"
        "Subject: Pricing\n"
        "Date: January 9, 2024 at 2:02:11 PM PST\n"
        "To: rita@acme.example\n\nHi\n"
    )
    original = _parse(recover_forwarded(_forward(body)) or b"")
    assert _date(original).replace(tzinfo=None) == datetime.datetime(2024, 1, 9, 14, 2, 11)


def test_a_thunderbird_forward_is_read():
    body = (
        "\n\n-------- Forwarded Message --------\n"
        "Subject: \tPricing for the Q3 rollout\n"
        "Date: \tTue, 9 Jan 2024 14:02:11 +0100\n"
        "From: \tCarla Customer <carla@bigco.example>\n"
        "To: \tRita Rep <rita@acme.example>\n\n"
        "Hi Rita\n"
    )
    original = _parse(recover_forwarded(_forward(body)) or b"")
    assert original["From"].addresses[0].addr_spec == "carla@bigco.example"
    assert _date(original) == datetime.datetime(2024, 1, 9, 13, 2, 11, tzinfo=datetime.UTC)


def test_a_forward_found_only_in_the_html_part_is_read():
    html = (
        "<div>FYI</div><div class=gmail_quote><div dir=ltr class=gmail_attr>---------- Forwarded message ---------<br>"
        "From: <strong class=gmail_sendername>Carla Customer</strong> <span>&lt;carla@bigco.example&gt;</span><br>"
        "Date: Tue, Jan 9, 2024 at 2:02 PM<br>Subject: Pricing for the Q3 rollout<br>"
        "To: &lt;rita@acme.example&gt;<br></div><br><br><div>Hi Rita &amp; team</div></div>"
    )
    original = _parse(recover_forwarded(_forward("FYI", html=html)) or b"")
    assert original["From"].addresses[0].addr_spec == "carla@bigco.example"
    assert original["Subject"] == "Pricing for the Q3 rollout"
    assert "Hi Rita & team" in original.get_body(preferencelist=("plain",)).get_content()


def test_the_outer_attachments_travel_with_an_inline_forward():
    outer = EmailMessage()
    outer["From"] = "rita@acme.example"
    outer["Subject"] = "Fwd: deck"
    outer.set_content(
        "---------- Forwarded message ---------\nFrom: Carla <carla@bigco.example>\nSubject: deck\n\nattached\n"
    )
    outer.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="deck.pdf")

    original = _parse(recover_forwarded(outer.as_bytes()) or b"")
    assert [part.get_filename() for part in original.iter_attachments()] == ["deck.pdf"]


def test_the_first_marker_is_the_reps_own_forward_of_a_nested_chain():
    body = (
        "---------- Forwarded message ---------\n"
        "From: Carla <carla@bigco.example>\nSubject: Fwd: older\n\n"
        "see below\n\n"
        "---------- Forwarded message ---------\n"
        "From: Someone Else <else@other.example>\nSubject: older\n\nold text\n"
    )
    original = _parse(recover_forwarded(_forward(body)) or b"")
    assert original["From"].addresses[0].addr_spec == "carla@bigco.example"
    assert "old text" in original.get_body(preferencelist=("plain",)).get_content()


def test_a_message_that_is_no_forward_gives_none():
    assert recover_forwarded(ORIGINAL) is None


def test_a_marker_without_a_sender_address_gives_none():
    body = "-----Original Message-----\nFrom: Carla Customer\nSubject: hi\n\ntext\n"
    assert recover_forwarded(_forward(body)) is None


def test_garbage_gives_none_and_never_raises():
    for raw in (b"", b"\x00\xff\xfe" * 100, b"Content-Type: multipart/mixed; boundary=x\n\n--x\n--x--", b"From:"):
        assert recover_forwarded(raw) is None
