"""A generated set of hostile and broken inputs for the capture parsers.

Built in code (nothing large is stored in the repository) and deterministic. Each
case is ``(name, kind, data)`` with ``kind`` "email" or "calendar". The robustness
tests require every case to be parsed or reported (``parse_error``), never to raise,
and to finish quickly.
"""

from __future__ import annotations

import base64
import random

CRLF = b"\r\n"


def _msg(headers: list[str] | list[bytes], body: bytes = b"Hello.\r\n") -> bytes:
    lines = [h.encode("utf-8") if isinstance(h, str) else h for h in headers]
    return CRLF.join(lines) + CRLF + CRLF + body


_BASIC = [
    "From: Alice Buyer <alice@client.example>",
    "To: Rep <rep@acme.example>",
    "Subject: Basic",
    "Date: Mon, 04 Mar 2024 10:00:00 +0000",
]


def _nested(depth: int) -> bytes:
    head = [*_BASIC, "Message-ID: <nested@client.example>", "MIME-Version: 1.0"]
    body = b"innermost text\r\n"
    content_type = b"Content-Type: text/plain\r\n\r\n" + body
    for level in range(depth):
        boundary = f"b{level}".encode()
        content_type = (
            b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n"
            b"--" + boundary + b"\r\n" + content_type + b"\r\n--" + boundary + b"--\r\n"
        )
    return CRLF.join(h.encode() for h in head) + CRLF + content_type


def email_cases() -> list[tuple[str, bytes]]:
    rng = random.Random(1234)
    many = ", ".join(f"Person {i} <p{i}@corp{i % 37}.example>" for i in range(1_000))
    huge = ", ".join(f'"Last{i}, First{i}" <u{i}@big{i % 101}.example>' for i in range(20_000))
    cases: list[tuple[str, bytes]] = [
        (
            "broken_boundary",
            _msg(
                [*_BASIC, "Message-ID: <bb@x>", 'Content-Type: multipart/mixed; boundary="right"'],
                b"--wrong\r\nContent-Type: text/plain\r\n\r\ntext\r\n--wrong--\r\n",
            ),
        ),
        (
            "missing_closing_boundary",
            _msg(
                [*_BASIC, "Message-ID: <mcb@x>", 'Content-Type: multipart/alternative; boundary="b"'],
                b"--b\r\nContent-Type: text/plain\r\n\r\nplain part\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html",
            ),
        ),
        (
            "boundary_without_parameter",
            _msg([*_BASIC, "Message-ID: <nb@x>", "Content-Type: multipart/mixed"], b"--x\r\n\r\nwhat\r\n"),
        ),
        (
            "unknown_charset",
            _msg(
                [
                    *_BASIC[:2],
                    "Subject: =?x-no-such-charset?q?Caf=E9?=",
                    "Message-ID: <uc@x>",
                    "Content-Type: text/plain; charset=x-bogus",
                ],
                b"caf\xe9\r\n",
            ),
        ),
        (
            "malformed_encoded_words",
            _msg(
                [
                    'From: "=?utf-8?b?!!!notbase64?=" <weird@client.example>',
                    "To: =?utf-8?q?unterminated <rep@acme.example>",
                    "Subject: =?utf-8?q?half=ZZ?= and =?utf-8?b?SGVsbG8=?= and =?broken",
                    "Message-ID: <mew@x>",
                ]
            ),
        ),
        ("header_without_colon", _msg([*_BASIC, "Message-ID: <hwc@x>", "This header has no colon", "X-After: yes"])),
        ("nul_bytes", _msg([*_BASIC, "Message-ID: <nul\x00@x>", "X-Nul: a\x00b"], b"body\x00with\x00nuls\r\n")),
        (
            "eight_bit_headers",
            _msg(
                [
                    "From: J\xf6rg <joerg@client.example>".encode("latin-1"),
                    b"To: rep@acme.example",
                    "Subject: Gr\xfc\xdfe \xe2\x82\xac".encode("latin-1"),
                    "Subject2: raw utf8 é".encode(),
                    b"Message-ID: <8bit@x>",
                ]
            ),
        ),
        ("missing_message_id", _msg(_BASIC)),
        ("duplicated_message_id", _msg([*_BASIC, "Message-ID: <first@x>", "Message-ID: <second@x>"])),
        ("message_id_without_brackets", _msg([*_BASIC, "Message-ID: bare-id@x"])),
        (
            "five_megabyte_body",
            _msg(
                [*_BASIC, "Message-ID: <5mb@x>", "Content-Type: text/plain"],
                (b"All work and no play. " * 64 + b"\r\n") * 3_600,
            ),
        ),
        (
            "five_megabyte_html",
            _msg(
                [*_BASIC, "Message-ID: <5mbh@x>", "Content-Type: text/html"],
                b"<html><body>"
                + b"<p>row <b>bold</b> <img src='http://t.example/p.gif'></p>\r\n" * 90_000
                + b"</body></html>",
            ),
        ),
        (
            "thousand_recipients",
            _msg([*_BASIC[:1], f"To: {many}", f"Cc: {many}", "Subject: many", "Message-ID: <1k@x>"]),
        ),
        ("twenty_thousand_recipients", _msg([*_BASIC[:1], f"To: {huge}", "Subject: huge", "Message-ID: <20k@x>"])),
        (
            "folded_twenty_thousand_recipients",
            _msg([*_BASIC[:1], "To: " + huge.replace(", ", ",\r\n "), "Subject: folded", "Message-ID: <20kf@x>"]),
        ),
        ("huge_single_header", _msg([*_BASIC, "Message-ID: <hsh@x>", "X-Junk: " + "a" * 2_000_000])),
        ("nested_100_levels", _nested(100)),
        ("nested_300_levels", _nested(300)),
        (
            "broken_base64_attachment",
            _msg(
                [*_BASIC, "Message-ID: <b64@x>", 'Content-Type: multipart/mixed; boundary="b"'],
                b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                b'--b\r\nContent-Type: application/pdf; name="q.pdf"\r\nContent-Disposition: attachment; filename="q.pdf"\r\n'
                b"Content-Transfer-Encoding: base64\r\n\r\n%%%not base64 at all!!!\r\nQUJD=\r\n--b--\r\n",
            ),
        ),
        (
            "attachment_ok",
            _msg(
                [*_BASIC, "Message-ID: <att@x>", 'Content-Type: multipart/mixed; boundary="b"'],
                b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                b'--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="data.bin"\r\n'
                b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(bytes(range(256)) * 4) + b"--b--\r\n",
            ),
        ),
        ("empty", b""),
        ("only_whitespace", b"\r\n\r\n  \r\n"),
        ("binary_garbage", bytes(rng.randrange(256) for _ in range(65_536))),
        ("headers_only_no_body", CRLF.join(h.encode() for h in _BASIC) + CRLF),
        ("lf_only_line_ends", b"\n".join(h.encode() for h in [*_BASIC, "Message-ID: <lf@x>"]) + b"\n\nbody\n"),
        ("bad_date", _msg([*_BASIC[:3], "Date: the day after tomorrow", "Message-ID: <bd@x>"])),
        ("date_out_of_range", _msg([*_BASIC[:3], "Date: Mon, 04 Mar 99999 10:00:00 +9999", "Message-ID: <dor@x>"])),
        ("unparseable_addresses", _msg(["From: <<<>>>@@@", "To: ,,,;;;<>", "Subject: x", "Message-ID: <ua@x>"])),
        (
            "group_syntax",
            _msg(
                [
                    "From: a@client.example",
                    "To: undisclosed-recipients:;",
                    "Cc: team: b@x.example, c@y.example;",
                    "Message-ID: <gs@x>",
                ]
            ),
        ),
        ("many_attachments", _many_attachments(500)),
    ]
    return cases


def _many_attachments(count: int) -> bytes:
    parts = b"".join(
        b'--b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename="f%d.csv"\r\n\r\na,b\r\n' % i
        for i in range(count)
    )
    return _msg(
        [*_BASIC, "Message-ID: <many-att@x>", 'Content-Type: multipart/mixed; boundary="b"'], parts + b"--b--\r\n"
    )


def _ics(*events: str, prelude: str = "") -> bytes:
    body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//adversarial//EN\r\n" + prelude
    for event in events:
        body += "BEGIN:VEVENT\r\n" + event.strip().replace("\n", "\r\n") + "\r\nEND:VEVENT\r\n"
    return (body + "END:VCALENDAR\r\n").encode()


_GOOD_EVENT = """UID:good@x
DTSTAMP:20240101T000000Z
DTSTART:20240110T100000Z
DTEND:20240110T110000Z
SUMMARY:Good one"""


def calendar_cases() -> list[tuple[str, bytes]]:
    return [
        (
            "broken_rrule",
            _ics(
                "UID:rr@x\nDTSTAMP:20240101T000000Z\nDTSTART:20240108T100000Z\nRRULE:FREQ=SOMETIMES;COUNT=x\nSUMMARY:R",
                _GOOD_EVENT,
            ),
        ),
        ("missing_dtstart", _ics("UID:nostart@x\nDTSTAMP:20240101T000000Z\nSUMMARY:No start", _GOOD_EVENT)),
        (
            "bad_timezone",
            _ics("UID:tz@x\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=Mars/Olympus_Mons:20240110T100000\nSUMMARY:Mars"),
        ),
        (
            "bad_date_value",
            _ics("UID:bd@x\nDTSTAMP:20240101T000000Z\nDTSTART:2024-99-99\nSUMMARY:Bad date", _GOOD_EVENT),
        ),
        (
            "secondly_forever",
            _ics("UID:sec@x\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T000000Z\nRRULE:FREQ=SECONDLY\nSUMMARY:Tick"),
        ),
        (
            "end_before_start",
            _ics(
                "UID:ebs@x\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T100000Z\nDTEND:20240110T090000Z\nSUMMARY:Backwards"
            ),
        ),
        ("no_uid", _ics("DTSTAMP:20240101T000000Z\nDTSTART:20240110T100000Z\nSUMMARY:No UID")),
        (
            "bad_sequence",
            _ics("UID:seq@x\nDTSTAMP:20240101T000000Z\nSEQUENCE:many\nDTSTART:20240110T100000Z\nSUMMARY:Seq"),
        ),
        ("unclosed_calendar", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u@x\r\nDTSTART:20240110T100000Z\r\n"),
        ("not_a_calendar", b"Subject: I am an email\r\n\r\nhello\r\n"),
        ("empty_calendar", b""),
        ("binary_calendar", bytes(random.Random(99).randrange(256) for _ in range(8_192))),
        (
            "attendee_garbage",
            _ics(
                "UID:att@x\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T100000Z\nATTENDEE;PARTSTAT=MAYBE:not-an-address\nATTENDEE:\nORGANIZER:mailto:"
            ),
        ),
    ]


def all_cases() -> list[tuple[str, str, bytes]]:
    return [(name, "email", data) for name, data in email_cases()] + [
        (name, "calendar", data) for name, data in calendar_cases()
    ]
