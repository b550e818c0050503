"""The pure normalizers, tested without a database."""

import pytest
from django.core.exceptions import ValidationError

from contacts.normalize import (
    email_domain,
    format_phone,
    normalize_domain,
    normalize_email,
    normalize_phone,
    split_name,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  Ada@Example.COM ", "ada@example.com"), ("mailto:bob@acme.io", "bob@acme.io")],
)
def test_emails_are_trimmed_and_lowercased(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["not-an-email", "a@", "@b.com", "a b@c.com"])
def test_malformed_emails_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_email(raw)


def test_email_domain_is_the_part_after_the_at():
    assert email_domain("x@Sub.Acme.com") == "sub.acme.com"
    assert email_domain("nobody") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("acme.co.uk", "acme.co.uk"),
        ("http://shop.acme.com:8080", "shop.acme.com"),
    ],
)
def test_domains_are_normalized(raw, expected):
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize("raw", ["acme", "not a domain.com", "ac!me.com"])
def test_bad_domains_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_domain(raw)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("030 901820", "DE", "+4930901820"),
    ],
)
def test_phones_become_e164(raw, region, expected):
    assert normalize_phone(raw, default_region=region) == expected


@pytest.mark.parametrize("raw", ["12", "call me", "+1 555"])
def test_bad_phones_are_refused_with_a_message(raw):
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone(raw, default_region="US")
    assert raw in excinfo.value.messages[0]


def test_phones_are_formatted_for_people():
    assert format_phone("+14155552671") == "+1 415-555-2671"


@pytest.mark.parametrize(
    ("raw", "first", "last"),
    [
        ("Ada Lovelace", "Ada", "Lovelace"),
        ("Dr. Martin Luther King Jr.", "Martin", "King"),
        ("  Grace   Murray  Hopper ", "Grace", "Hopper"),
        ("Cher", "Cher", ""),
        ("van der Berg, Jan", "Jan", "van der Berg"),
    ],
)
def test_names_are_split_into_first_and_last(raw, first, last):
    name = split_name(raw)
    assert (name.first, name.last) == (first, last)
    assert "  " not in name.full
