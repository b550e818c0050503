"""What the merge pages show: both contacts' values side by side, and what a merge moved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contacts.merge import MERGE_FIELDS, TEXT_CHOICE_FIELDS
from contacts.models import Contact


@dataclass(frozen=True)
class FieldRow:
    """One line of the side-by-side page: a field and both contacts' values."""

    name: str
    label: str
    survivor_value: str
    merged_value: str
    can_combine: bool

    @property
    def differs(self) -> bool:
        return self.survivor_value != self.merged_value


def merge_field_rows(*, survivor: Contact, merged: Contact) -> list[FieldRow]:
    def shown(contact: Contact, name: str) -> str:
        if name == "company":
            return contact.company.name if contact.company else ""
        if name == "owner":
            return contact.owner.display_name if contact.owner else ""
        return str(getattr(contact, name) or "")

    return [
        FieldRow(
            name=name,
            label=label,
            survivor_value=shown(survivor, name),
            merged_value=shown(merged, name),
            can_combine=name in TEXT_CHOICE_FIELDS,
        )
        for name, label in MERGE_FIELDS.items()
    ]


_MOVED_LABELS = (
    ("emails", "email addresses"),
    ("phones", "phone numbers"),
    ("activities.Participant.contact", "interaction participations"),
    ("contacts.HelpOffer.contact", "help offers"),
    ("contacts.HelpOffer.intro_contact", "introductions made to them"),
    ("contacts.Relationship.contact", "relationships"),
    ("contacts.RelationshipChange.contact", "relationship history entries"),
    ("contacts.IntroRequest.target", "introduction requests"),
    ("contacts.IntroRequest.via", "introduction paths"),
    ("contacts.IntroSuggestion.contact", "introduction suggestions"),
    ("contacts.IntroSuggestion.other", "introduction suggestions (as the other person)"),
)


def merge_summary(moved: dict[str, Any]) -> list[tuple[str, int]]:
    """What a merge moved, for people: ``[("help offers", 3), …]`` (only what moved)."""
    return [(label, len(moved.get(key, []))) for key, label in _MOVED_LABELS if moved.get(key)]
