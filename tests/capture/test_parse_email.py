"""parse_message and split_mbox: fields, threads, bodies, attachments, speed."""

from __future__ import annotations

import datetime
import random
import time
from email import policy
from email.parser import BytesParser

from activities.capture.items import ROLE_CC, ROLE_FROM, ROLE_REPLY_TO, ROLE_TO
from activities.capture.parse_email import MAX_TEXT_BYTES, cap_text, parse_message, split_mbox

CRLF = "\r\n"


def message(*headers: str, body: str = "Hello.", content_type: str = "") -> bytes:
    head = list(headers)
    if content_type:
        head.append(f"Content-Type: {content_type}")
    return (CRLF.join(head) + CRLF + CRLF + body).encode("utf-8")


REPLY = message(
    'From: "=?utf-8?q?Bj=C3=B6rn_K=C3=A4ufer?=" <Bjorn@Client.Example>',
    "To: Rep One <rep@acme.example>, other@client.example, REP@acme.example",
    "Cc: boss@acme.example",
    "Reply-To: sales@client.example, Sales@client.example",
    "Subject: =?iso-8859-1?q?Re=3A_Caf=E9_order?=",
    "Date: Tue, 05 Mar 2024 14:30:00 +0100",
    "Message-ID: <reply-1@client.example>",
    "In-Reply-To: <root@acme.example>",
    "References: <root@acme.example> <second@client.example>",
    "List-Id: <orders.client.example>",
    "X-Mailer: Outlook",
    body="Thanks for the offer.\r\n",
)


def test_it_reads_the_identity_date_and_subject():
    item = parse_message(REPLY)
    assert item.kind == "email"
    assert item.external_id == "<reply-1@client.example>"
    assert item.occurred_at == datetime.datetime(2024, 3, 5, 13, 30, tzinfo=datetime.UTC)
    assert item.subject == "Re: Café order"
    assert item.size == len(REPLY)
    assert item.parse_error == ""


def test_participants_are_lower_cased_decoded_and_deduplicated_within_a_role():
    item = parse_message(REPLY)
    roles = [(p.role, p.address, p.name) for p in item.participants]
    assert roles == [
        (ROLE_FROM, "bjorn@client.example", "Björn Käufer"),
        (ROLE_TO, "rep@acme.example", "Rep One"),
        (ROLE_TO, "other@client.example", ""),
        (ROLE_CC, "boss@acme.example", ""),
        (ROLE_REPLY_TO, "sales@client.example", ""),
    ]
    assert item.recipient_count == 3
    assert item.sender is not None
    assert item.sender.address == "bjorn@client.example"


def test_the_thread_is_the_first_reference_else_in_reply_to_else_its_own_id():
    assert parse_message(REPLY).thread_id == "<root@acme.example>"
    assert parse_message(REPLY).in_reply_to == "<root@acme.example>"
    only_reply = message("From: a@x.example", "Message-ID: <b@x>", "In-Reply-To: <a@x>")
    assert parse_message(only_reply).thread_id == "<a@x>"
    alone = message("From: a@x.example", "Message-ID: <solo@x>")
    assert parse_message(alone).thread_id == "<solo@x>"
    assert parse_message(alone).in_reply_to == ""


def test_signals_keep_the_automation_headers_with_lower_case_names():
    signals = parse_message(REPLY).signals
    assert signals == {"list-id": "<orders.client.example>", "x-mailer": "Outlook"}


def test_a_missing_date_or_a_bad_one_is_none():
    assert parse_message(message("From: a@x.example", "Subject: s")).occurred_at is None
    assert parse_message(message("From: a@x.example", "Date: soon")).occurred_at is None


def test_a_date_without_zone_is_read_as_utc():
    item = parse_message(message("From: a@x.example", "Date: Tue, 05 Mar 2024 14:30:00 -0000"))
    assert item.occurred_at == datetime.datetime(2024, 3, 5, 14, 30, tzinfo=datetime.UTC)


def test_the_plain_text_is_preferred_over_html():
    raw = message(
        "From: a@x.example",
        "Message-ID: <alt@x>",
        "MIME-Version: 1.0",
        content_type='multipart/alternative; boundary="b"',
        body="--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain words\r\n"
        "--b\r\nContent-Type: text/html\r\n\r\n<p>Html <b>words</b></p>\r\n--b--\r\n",
    )
    item = parse_message(raw)
    assert item.text_body.strip() == "Plain words"
    assert item.html_body == ""


def test_an_html_only_body_is_sanitized_and_turned_into_text():
    raw = message(
        "From: a@x.example",
        "Message-ID: <html@x>",
        content_type="text/html; charset=utf-8",
        body='<p onclick="x()">Hi&nbsp;<b>there</b></p><img src="https://track.example/p.gif"><script>bad()</script>',
    )
    item = parse_message(raw)
    assert item.html_body == "<p>Hi&nbsp;<b>there</b></p>"
    assert item.text_body == "Hi there"


def test_without_the_body_nothing_of_the_content_is_read():
    item = parse_message(REPLY, with_body=False)
    assert item.text_body == ""
    assert item.html_body == ""
    assert item.subject == "Re: Café order"


def test_attachments_are_recorded_by_name_and_decoded_size_only():
    raw = message(
        "From: a@x.example",
        "Message-ID: <att@x>",
        content_type='multipart/mixed; boundary="b"',
        body="--b\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n"
        '--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="=?utf-8?q?Angebot_M=C3=A4rz.pdf?="\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n"
        "--b\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw==\r\n--b--\r\n",
    )
    item = parse_message(raw)
    assert [(a.name, a.size, a.content_type) for a in item.attachments] == [("Angebot März.pdf", 11, "application/pdf")]
    assert item.text_body.strip() == "See attached"


def test_a_forwarded_message_is_an_attachment_not_the_body():
    raw = message(
        "From: a@x.example",
        "Message-ID: <fwd@x>",
        content_type='multipart/mixed; boundary="b"',
        body="--b\r\nContent-Type: text/plain\r\n\r\nFYI\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@y.example\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n",
    )
    item = parse_message(raw)
    assert item.text_body.strip() == "FYI"
    assert [a.name for a in item.attachments] == ["message.eml"]


def test_the_stored_text_is_capped_at_100_kb_on_a_character_boundary():
    text = "ä" * 200_000
    capped = cap_text(text)
    assert len(capped.encode()) <= MAX_TEXT_BYTES
    assert len(capped.encode()) >= MAX_TEXT_BYTES - 1
    assert cap_text("short\x00") == "short"


def test_garbage_gets_a_parse_error_in_words_and_never_raises():
    assert parse_message(b"").parse_error == "empty message"
    assert "no email headers" in parse_message(b"\x00\x01\x02 hello").parse_error
    assert "expected bytes" in parse_message("not bytes").parse_error


def test_a_header_the_fast_parser_drops_is_read_by_the_lenient_splitter():
    item = parse_message(message("From: Anne <anne@x.example", "To: b@y.example", "Message-ID: <l@x>"))
    assert item.sender is not None
    assert item.sender.address == "anne@x.example"


# --- mbox ------------------------------------------------------------------------------------


def test_split_mbox_yields_each_message_and_unquotes_mboxrd_from_lines():
    mbox = (
        b"From a@x Thu Jan  1 00:00:00 2024\n"
        b"Subject: one\n\n>From the start\n>>From deeper\nbody\n\n"
        b"From b@x Thu Jan  1 00:00:01 2024\n"
        b"Subject: two\n\nsecond\n"
    )
    first, second = split_mbox(mbox)
    assert first == b"Subject: one\n\nFrom the start\n>From deeper\nbody\n"
    assert second == b"Subject: two\n\nsecond\n"


def test_split_mbox_tolerates_crlf_and_leading_blank_lines():
    mbox = b"\r\nFrom a@x date\r\nSubject: one\r\n\r\nbody\r\n\r\nFrom b@x date\r\nSubject: two\r\n\r\nbody2\r\n"
    messages = list(split_mbox(mbox))
    assert [parse_message(m).subject for m in messages] == ["one", "two"]
    assert messages[0] == b"Subject: one\r\n\r\nbody\r\n"


def test_split_mbox_reads_a_single_message_without_a_separator_as_one():
    assert list(split_mbox(b"Subject: lone\n\nbody\n")) == [b"Subject: lone\n\nbody\n"]
    assert list(split_mbox(b"")) == []
    assert list(split_mbox(b"From only-a-separator")) == []


# --- speed -----------------------------------------------------------------------------------


def realistic_messages(count: int, seed: int = 7) -> list[bytes]:
    """Deterministic mail like a rep's: threads, multipart/alternative, RFC 2047, attachments."""
    rng = random.Random(seed)
    people = [(f"Person {i}", f"person{i}@company{i % 60}.example") for i in range(300)]
    out = []
    for i in range(count):
        sender = rng.choice(people)
        recipients = rng.sample(people, rng.randint(1, 6))
        to = ", ".join(f'"{n}" <{a}>' for n, a in recipients)
        subject = "=?utf-8?q?Angebot_f=C3=BCr_Q" + str(i % 4) + "?=" if i % 3 == 0 else f"Re: Project {i % 200}"
        headers = [
            f'From: "{sender[0]}" <{sender[1]}>',
            f"To: {to}",
            f"Subject: {subject}",
            f"Date: Tue, 05 Mar 2024 {i % 24:02d}:{i % 60:02d}:00 +0100",
            f"Message-ID: <m{i}@mail.example>",
            "MIME-Version: 1.0",
        ]
        if i % 2:
            headers += [
                f"In-Reply-To: <m{i - 1}@mail.example>",
                f"References: <m{max(0, i - 5)}@mail.example> <m{i - 1}@mail.example>",
            ]
        if i % 10 < 3:
            headers += ["List-Unsubscribe: <mailto:unsub@news.example>", "Precedence: bulk"]
        text = "Hello,\r\n\r\n" + "We talked about the proposal and the next steps. " * rng.randint(2, 30) + "\r\n"
        body = (
            "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + text
            + "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>"
            + text
            + "</p>\r\n--alt--\r\n"
        )
        content_type = 'multipart/alternative; boundary="alt"'
        if i % 7 == 0:
            body = (
                '--mix\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n'
                + body
                + '--mix\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="offer.pdf"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n" + "QUJDREVGR0g=\r\n" * 200 + "--mix--\r\n"
            )
            content_type = 'multipart/mixed; boundary="mix"'
        out.append(message(*headers, body=body, content_type=content_type))
    return out


def _stdlib_default_rate(raws: list[bytes]) -> float:
    parser = BytesParser(policy=policy.default)
    started = time.perf_counter()
    for raw in raws:
        msg = parser.parsebytes(raw)
        for name in ("from", "to", "cc", "reply-to"):
            header = msg.get(name)
            if header is not None:
                [(a.display_name, a.addr_spec) for a in header.addresses]
        (msg["subject"], msg["message-id"], msg["date"] and msg["date"].datetime, msg["references"])
        part = msg.get_body(("plain", "html"))
        if part is not None:
            part.get_content()
        [a.get_filename() for a in msg.iter_attachments()]
    return len(raws) / (time.perf_counter() - started)


def _our_rate(raws: list[bytes], with_body: bool) -> float:
    started = time.perf_counter()
    for raw in raws:
        parse_message(raw, with_body=with_body)
    return len(raws) / (time.perf_counter() - started)


def test_parser_rate_report(capsys):
    """Prints parse rates (never asserts a time, beyond being faster than the stdlib at all)."""
    raws = realistic_messages(2_000)
    stdlib = _stdlib_default_rate(raws[:500])
    ours_full = _our_rate(raws, with_body=True)
    ours_meta = _our_rate(raws, with_body=False)
    with capsys.disabled():
        print(
            f"\nparse-only, messages/s: stdlib policy=default {stdlib:,.0f}; "
            f"parse_message full {ours_full:,.0f} ({ours_full / stdlib:.1f}x); "
            f"metadata {ours_meta:,.0f} ({ours_meta / stdlib:.1f}x)"
        )
    assert ours_full > stdlib
