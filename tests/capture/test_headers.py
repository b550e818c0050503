"""cap_headers: the usual message is handed over untouched (no copy); oversized headers are cut."""

from __future__ import annotations

import pytest

from activities.capture.headers import MAX_HEADER_CHARS, cap_headers


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_a_message_with_short_headers_is_returned_as_is_whatever_its_line_endings(eol):
    raw = eol.join([b"From: a@x.example", b"To: b@y.example", b"Subject: hi", b"", b"body " * 10_000])

    capped, count = cap_headers(raw)

    assert capped is raw and count is None


def test_a_blank_line_far_into_the_body_does_not_make_an_oversized_header_short():
    to = b"To: " + b", ".join(b"u%d@big.example" % i for i in range(3_000))
    raw = b"\r\n".join([b"From: a@x.example", to, b"Subject: hi", b"", b"body"])
    assert len(to) > MAX_HEADER_CHARS

    capped, count = cap_headers(raw)

    assert count == 3_000
    assert len(capped) < len(raw) and capped.endswith(b"\r\n\r\nbody")


def test_many_small_headers_over_the_cap_are_kept_when_none_is_oversized():
    raw = b"\n".join([b"From: a@x.example"] + [b"X-Trace-%d: %s" % (i, b"v" * 60) for i in range(400)] + [b"", b"b"])

    capped, count = cap_headers(raw)

    assert count is None and capped.endswith(b"\n\nb")
