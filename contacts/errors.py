from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from contacts.models import Contact


class DuplicateEmailError(ValidationError):
    """An email already belongs to another contact of the organization."""

    def __init__(self, *, email: str, existing: Contact) -> None:
        self.email = email
        self.existing = existing
        super().__init__(
            {"emails": [f"{email} already belongs to {existing.full_name}."]},
        )
