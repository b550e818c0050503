"""Typed shortcuts over the factories (factory_boy returns the factory type to mypy)."""

from __future__ import annotations

from typing import Any, cast

from contacts.models import Company, Contact, HelpOffer
from tests.factories import CompanyFactory, ContactFactory, HelpOfferFactory


def make_contact(**fields: Any) -> Contact:
    return cast(Contact, ContactFactory(**fields))


def make_company(**fields: Any) -> Company:
    return cast(Company, CompanyFactory(**fields))


def make_offer(**fields: Any) -> HelpOffer:
    return cast(HelpOffer, HelpOfferFactory(**fields))
