"""Pure normalization of what people type: emails, phone numbers, names, domains.

No ORM here; tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from nameparser import HumanName

# Free-mail providers: an address there says nothing about the person's company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com",
        "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
        "protonmail.com", "gmx.com", "gmx.de", "web.de", "yandex.ru", "mail.ru", "zoho.com",
        "fastmail.com", "hey.com", "qq.com", "163.com",
    }
)  # fmt: skip


def normalize_email(value: str) -> str:
    """Trim and lower-case an address, refusing what is not one."""
    email = value.strip().lower()
    if email.startswith("mailto:"):
        email = email[len("mailto:") :]
    validate_email(email)
    return email


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


def normalize_domain(value: str) -> str:
    """``https://www.Acme.com/about`` → ``acme.com``."""
    domain = value.strip().lower()
    for prefix in ("https://", "http://"):
        if domain.startswith(prefix):
            domain = domain[len(prefix) :]
    domain = domain.split("/", 1)[0].split(":", 1)[0]
    if domain.startswith("www."):
        domain = domain[4:]
    if "." not in domain or " " in domain or not domain.replace(".", "").replace("-", "").isalnum():
        raise ValidationError(f"“{value}” is not a domain name like example.com.")
    return domain


def normalize_phone(value: str, *, default_region: str) -> str:
    """Any written form of a valid number → E.164 (``+14155550123``)."""
    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"“{value}” is not a phone number.") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(f"“{value}” is not a valid phone number (add the country code, e.g. +44).")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """E.164 → the international format people read (``+1 415-555-0123``)."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


@dataclass(frozen=True)
class SplitName:
    full: str
    first: str
    last: str


def split_name(value: str) -> SplitName:
    """Split a full name into first and last, understanding titles and suffixes."""
    full = " ".join(value.split())
    name = HumanName(full)
    first = name.first or ""
    last = name.last or ""
    if not first and not last:
        first = full
    return SplitName(full=full, first=first, last=last)


def search_text(*parts: str) -> str:
    """The lower-cased haystack that list search matches against."""
    return " ".join(part.strip().lower() for part in parts if part and part.strip())
