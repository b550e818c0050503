"""Every odd input is parsed or reported, never raised, and never hangs a worker.

The time bounds are loose on purpose (shared, noisy machines): they guard against
hangs and super-linear blow-ups, not for speed.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from activities.capture.items import EMAIL, MEETING
from activities.capture.parse_calendar import parse_calendar
from activities.capture.parse_email import MAX_TEXT_BYTES, parse_message, split_mbox
from tests.data.adversarial import calendar_cases, email_cases

CPYTHON_DATA = Path(__file__).resolve().parent.parent / "data" / "cpython_email"
CPYTHON_MESSAGES = sorted(CPYTHON_DATA.glob("msg_*.txt"))
WINDOW = {
    "window_start": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
    "window_end": datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC),
}
TIME_BOUND = 2.0  # seconds


def test_every_cpython_message_was_vendored():
    assert len(CPYTHON_MESSAGES) == 48
    assert (CPYTHON_DATA / "README.md").read_text().count("Python Software Foundation") >= 1


@pytest.mark.parametrize("path", CPYTHON_MESSAGES, ids=lambda p: p.name)
def test_each_cpython_message_is_parsed_or_reported(path: Path):
    raw = path.read_bytes()
    item = parse_message(raw)
    assert item.kind == EMAIL
    assert item.size == len(raw)
    if not item.parse_error:
        assert item.participants or item.subject or item.external_id or item.occurred_at
    assert item.occurred_at is None or item.occurred_at.tzinfo is not None
    # Without the body, the same answer about readability.
    assert bool(parse_message(raw, with_body=False).parse_error) == bool(item.parse_error)


def test_cpython_messages_with_headers_are_all_readable():
    unreadable = [p.name for p in CPYTHON_MESSAGES if parse_message(p.read_bytes()).parse_error]
    # These six are MIME fragments without a single message header.
    assert sorted(unreadable) == ["msg_18.txt", "msg_19.txt", "msg_37.txt", "msg_38.txt", "msg_39.txt", "msg_40.txt"]


def test_cpython_messages_concatenated_as_an_mbox_split_back_into_each_message():
    raws = [p.read_bytes() for p in CPYTHON_MESSAGES]
    mbox = b"".join(b"From sender@example.com Thu Jan  1 00:00:00 2024\n" + _mboxrd_quote(r) + b"\n" for r in raws)
    split = list(split_mbox(mbox))
    assert len(split) == len(raws)
    for original, recovered in zip(raws, split, strict=True):
        if original.startswith(b"From "):
            original = _mboxrd_quote(original)[1:]  # a leading From line is quoted as body text
        assert recovered.rstrip(b"\n") == original.rstrip(b"\n")


def _mboxrd_quote(raw: bytes) -> bytes:
    import re

    return re.sub(rb"(?m)^(>*From )", rb">\1", raw)


@pytest.mark.parametrize(("name", "raw"), email_cases(), ids=[name for name, _ in email_cases()])
def test_each_adversarial_email_is_parsed_or_reported_quickly(name: str, raw: bytes):
    started = time.perf_counter()
    item = parse_message(raw)
    parse_message(raw, with_body=False)
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND, f"{name} took {elapsed:.2f}s"
    assert item.kind == EMAIL
    assert len(item.text_body.encode()) <= MAX_TEXT_BYTES
    assert len(item.html_body) <= 2 * MAX_TEXT_BYTES
    assert len(item.participants) <= 1 + 3 * 200
    assert "<img" not in item.html_body


@pytest.mark.parametrize(("name", "data"), calendar_cases(), ids=[name for name, _ in calendar_cases()])
def test_each_adversarial_calendar_is_parsed_or_reported_quickly(name: str, data: bytes):
    started = time.perf_counter()
    items = parse_calendar(data, **WINDOW)
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND, f"{name} took {elapsed:.2f}s"
    assert all(item.kind == MEETING for item in items)
    for item in items:
        assert item.parse_error or item.occurred_at is not None


ADVERSARIAL = dict(email_cases())
CALENDARS = dict(calendar_cases())


def test_a_broken_event_costs_only_itself():
    for name in ("broken_rrule", "missing_dtstart", "bad_date_value"):
        items = parse_calendar(CALENDARS[name], **WINDOW)
        assert [i.external_id for i in items if not i.parse_error] == ["good@x"], name
        assert any(i.parse_error for i in items), name


def test_an_event_repeating_every_second_is_reported_not_expanded():
    (item,) = parse_calendar(CALENDARS["secondly_forever"], **WINDOW)
    assert item.external_id == "sec@x"
    assert "every second" in item.parse_error


def test_an_unknown_timezone_still_gives_the_meeting():
    (item,) = parse_calendar(CALENDARS["bad_timezone"], **WINDOW)
    assert not item.parse_error
    assert item.occurred_at is not None


def test_not_a_calendar_empty_and_binary_are_reported():
    for name in ("not_a_calendar", "empty_calendar", "binary_calendar", "unclosed_calendar"):
        (item,) = parse_calendar(CALENDARS[name], **WINDOW)
        assert item.parse_error, name


def test_twenty_thousand_recipients_are_counted_but_only_the_first_are_kept():
    item = parse_message(ADVERSARIAL["twenty_thousand_recipients"])
    assert item.recipient_count == 20_000
    assert 1 < len(item.participants) <= 201
    assert item.participants[1].address == "u0@big0.example"
    assert item.participants[1].name == "Last0, First0"
    folded = parse_message(ADVERSARIAL["folded_twenty_thousand_recipients"])
    assert folded.recipient_count == 20_000


def test_a_thousand_recipients_in_to_and_cc_count_two_thousand():
    item = parse_message(ADVERSARIAL["thousand_recipients"])
    assert item.recipient_count == 2_000


def test_a_five_megabyte_body_is_cut_to_the_cap():
    item = parse_message(ADVERSARIAL["five_megabyte_body"])
    assert len(item.text_body.encode()) == MAX_TEXT_BYTES
    assert item.size > 5_000_000
    html = parse_message(ADVERSARIAL["five_megabyte_html"])
    assert html.text_body.startswith("row bold")
    assert "t.example" not in html.html_body


def test_deeply_nested_multiparts_reach_the_innermost_text():
    for name in ("nested_100_levels", "nested_300_levels"):
        item = parse_message(ADVERSARIAL[name])
        assert not item.parse_error, name
        assert item.text_body.strip() == "innermost text", name


def test_a_broken_base64_attachment_keeps_the_message():
    item = parse_message(ADVERSARIAL["broken_base64_attachment"])
    assert not item.parse_error
    assert item.text_body.strip() == "see attached"
    assert [a.name for a in item.attachments] == ["q.pdf"]


def test_empty_and_garbage_input_is_malformed():
    for name in ("empty", "only_whitespace", "binary_garbage"):
        item = parse_message(ADVERSARIAL[name])
        assert item.parse_error, name
        assert item.text_body == "", name


def test_missing_and_duplicated_message_ids():
    assert parse_message(ADVERSARIAL["missing_message_id"]).external_id == ""
    assert parse_message(ADVERSARIAL["duplicated_message_id"]).external_id == "<first@x>"
    assert parse_message(ADVERSARIAL["message_id_without_brackets"]).external_id == "<bare-id@x>"


def test_bad_charsets_and_encoded_words_are_tolerated():
    item = parse_message(ADVERSARIAL["unknown_charset"])
    assert item.subject == "Café"
    assert item.text_body.strip() == "café"
    broken = parse_message(ADVERSARIAL["malformed_encoded_words"])
    assert "Hello" in broken.subject
    assert broken.sender is not None
    assert broken.sender.address == "weird@client.example"


def test_eight_bit_headers_are_read():
    item = parse_message(ADVERSARIAL["eight_bit_headers"])
    assert item.subject.startswith("Grüße")
    assert item.sender is not None
    assert item.sender.name == "Jörg"


def test_nul_bytes_are_dropped_from_the_body():
    item = parse_message(ADVERSARIAL["nul_bytes"])
    assert "\x00" not in item.text_body
    assert item.text_body.strip() == "bodywithnuls"


def test_a_bad_date_is_none_not_an_error():
    for name in ("bad_date", "date_out_of_range"):
        item = parse_message(ADVERSARIAL[name])
        assert item.occurred_at is None, name
        assert not item.parse_error, name


def test_attachments_are_capped_in_number():
    item = parse_message(ADVERSARIAL["many_attachments"])
    assert len(item.attachments) == 100
