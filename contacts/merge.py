"""Merging two contacts into one, and undoing it exactly.

A merge keeps the survivor, re-points everything that referred to the merged contact
(emails, phones, interactions via their participants, help offers, relationships,
introductions) at the survivor, takes the field values the user chose, and marks the
merged contact ``merged_into`` the survivor. ``ContactMerge.moved`` records every row
re-pointed (by table and column) and the survivor's values before, so undo puts each
row back where it was and restores both contacts' fields.

Rows that cannot move without breaking a constraint stay on the merged contact
(recorded under ``kept``): a help offer introducing the two to each other, a phone the
survivor already has, a relationship of a user who already has one with the survivor
(re-scored from the moved interactions), a suggestion to introduce the two.

Contacts may not import activities (imports point one way), so the tables that refer to
a contact are found through Django's model registry: ``REFERENCES`` names how each is
handled, and a test checks that every reference in the project is named there.
"""

from __future__ import annotations

import datetime
from typing import Any

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from contacts.models import (
    Contact,
    ContactEmail,
    ContactMerge,
    ContactPhone,
    DuplicateCandidate,
    DuplicateStatus,
    HelpOffer,
    IntroSuggestion,
    Relationship,
)
from contacts.services import contact_refresh_search
from relintel.accounts.models import Membership
from sync import services as sync_services

# Fields the user chooses between, side by side.
TEXT_CHOICE_FIELDS = ("interests", "needs", "expertise", "notes")
MERGE_FIELDS: dict[str, str] = {
    "full_name": "Name",
    "title": "Job title",
    "company": "Company",
    "location": "Location",
    "linkedin_url": "LinkedIn URL",
    "interests": "Interests",
    "needs": "Looking for",
    "expertise": "Knows about",
    "notes": "Notes",
    "owner": "Owner",
}
SURVIVOR, MERGED, BOTH = "survivor", "merged", "both"

# The survivor's columns a merge may change, saved in ``moved["survivor_fields"]`` for undo.
_SNAPSHOT_FIELDS = (
    "full_name",
    "first_name",
    "last_name",
    "title",
    "company_id",
    "location",
    "linkedin_url",
    "interests",
    "needs",
    "expertise",
    "notes",
    "owner_id",
    "last_interaction_at",
)

# How each reference to a contact is handled: "move" (re-point, recorded), or why it stays.
REFERENCES: dict[str, str] = {
    "contacts.ContactEmail.contact": "move",
    "contacts.ContactPhone.contact": "move",
    "contacts.HelpOffer.contact": "move",
    "contacts.HelpOffer.intro_contact": "move",
    "contacts.Relationship.contact": "move",
    "contacts.RelationshipChange.contact": "move",
    "contacts.IntroRequest.target": "move",
    "contacts.IntroRequest.via": "move",
    "contacts.IntroSuggestion.contact": "move",
    "contacts.IntroSuggestion.other": "move",
    "activities.Participant.contact": "move",
    "contacts.DuplicateCandidate.contact": "kept: the pair is closed as merged, others stay as history",
    "contacts.DuplicateCandidate.other": "kept: the pair is closed as merged, others stay as history",
    "contacts.ContactMerge.survivor": "kept: merge history",
    "contacts.ContactMerge.merged": "kept: merge history",
    "contacts.Contact.merged_into": "kept: earlier merges redirect through the merged contact",
    "activities.ReplyOwed.sender_contact": "kept: derived, re-derived by the relationship refresh the merge enqueues",
}


def contact_references() -> dict[str, type[models.Model]]:
    """Every ``app.Model.field`` that refers to a contact, with its model."""
    found: dict[str, type[models.Model]] = {}
    for relation in Contact._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and relation.related_model is not None:
            model = relation.related_model
            found[f"{model._meta.label}.{relation.field.name}"] = model  # type: ignore[union-attr]
    return found


def _model(reference: str) -> type[models.Model]:
    return contact_references()[reference]


def _field_value(contact: Contact, name: str) -> Any:
    return getattr(contact, f"{name}_id") if name in ("company", "owner") else getattr(contact, name)


def _check_choices(field_choices: dict[str, str]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for name, choice in field_choices.items():
        if name not in MERGE_FIELDS:
            errors[name] = [f"“{name}” is not a field you can choose in a merge."]
        elif choice not in (SURVIVOR, MERGED) and not (choice == BOTH and name in TEXT_CHOICE_FIELDS):
            allowed = "survivor, merged or both" if name in TEXT_CHOICE_FIELDS else "survivor or merged"
            errors[name] = [f"Choose {allowed}."]
        else:
            clean[name] = choice
    if errors:
        raise ValidationError(errors)
    return clean


def _move(reference: str, *, merged: Contact, survivor: Contact, exclude: Q | None = None) -> list[int]:
    model = _model(reference)
    field = reference.rsplit(".", 1)[1]
    qs = model._default_manager.filter(**{field: merged})
    if exclude is not None:
        qs = qs.exclude(exclude)
    ids = sorted(qs.values_list("pk", flat=True))
    if ids:
        model._default_manager.filter(pk__in=ids).update(**{field: survivor})
    return ids


def _requeue_for_salesforce(organization_id: int, moved: dict[str, Any]) -> None:
    """Interactions and help offers now about someone else go to Salesforce again (their WhoId changed)."""
    participant = _model("activities.Participant.contact")
    interaction_ids = participant._default_manager.filter(
        pk__in=moved.get("activities.Participant.contact", [])
    ).values_list("interaction_id", flat=True)
    sync_services.outbox_enqueue_many(organization_id=organization_id, kind="interaction", local_ids=interaction_ids)
    offers = set(moved.get("contacts.HelpOffer.contact", [])) | set(moved.get("contacts.HelpOffer.intro_contact", []))
    sync_services.outbox_enqueue_many(organization_id=organization_id, kind="help_offer", local_ids=offers)


def _refresh_relationships_after_commit(organization_id: int, contact_ids: list[int]) -> None:
    # By task name: the scoring lives in activities, which contacts may not import.
    transaction.on_commit(
        lambda: current_app.send_task("activities.tasks.relationship_refresh", args=(organization_id, contact_ids))
    )


def _apply_choices(*, survivor: Contact, merged: Contact, choices: dict[str, str]) -> None:
    for name, choice in choices.items():
        if choice == MERGED:
            if name == "full_name":
                survivor.full_name = merged.full_name
                survivor.first_name, survivor.last_name = merged.first_name, merged.last_name
            elif name in ("company", "owner"):
                setattr(survivor, f"{name}_id", _field_value(merged, name))
            else:
                setattr(survivor, name, getattr(merged, name))
        elif choice == BOTH:
            mine, theirs = getattr(survivor, name).strip(), getattr(merged, name).strip()
            if theirs and theirs not in mine:
                setattr(survivor, name, f"{mine}\n\n{theirs}".strip() if mine else theirs)
    if merged.last_interaction_at and (
        survivor.last_interaction_at is None or merged.last_interaction_at > survivor.last_interaction_at
    ):
        survivor.last_interaction_at = merged.last_interaction_at


def _lock_pair(survivor: Contact, merged: Contact) -> tuple[Contact, Contact]:
    locked = {
        c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk]).order_by("pk")
    }
    return locked[survivor.pk], locked[merged.pk]


@transaction.atomic
def contact_merge(
    *, membership: Membership, survivor: Contact, merged: Contact, field_choices: dict[str, str] | None = None
) -> ContactMerge:
    """Merge ``merged`` into ``survivor``, keeping everything that referred to either."""
    choices = _check_choices(field_choices or {})
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": ["A contact cannot be merged with itself."]})
    for contact in (survivor, merged):
        if contact.organization_id != membership.organization_id:
            raise ValidationError({"merged": ["No such contact."]})
    survivor, merged = _lock_pair(survivor, merged)
    if survivor.merged_into_id is not None or merged.merged_into_id is not None:
        raise ValidationError({"merged": ["One of these contacts has already been merged into another."]})
    snapshot = {
        name: (value.isoformat() if isinstance(value, datetime.datetime) else value)
        for name in _SNAPSHOT_FIELDS
        for value in [getattr(survivor, name)]
    }
    moved: dict[str, Any] = {"survivor_fields": snapshot, "choices": choices, "kept": []}

    # Emails: all of them (unique per organization, so none clash); the survivor's primary stays primary.
    emails = list(ContactEmail.objects.filter(contact=merged).values("pk", "is_primary"))
    moved["emails"] = [{"id": e["pk"], "is_primary": e["is_primary"]} for e in emails]
    ContactEmail.objects.filter(contact=merged).update(contact=survivor, is_primary=False)

    # Phones: those the survivor lacks (a contact has each number once).
    have = set(ContactPhone.objects.filter(contact=survivor).values_list("number", flat=True))
    phones = list(ContactPhone.objects.filter(contact=merged).exclude(number__in=have).values("pk", "is_primary"))
    moved["phones"] = [{"id": p["pk"], "is_primary": p["is_primary"]} for p in phones]
    ContactPhone.objects.filter(pk__in=[p["pk"] for p in phones]).update(contact=survivor, is_primary=False)
    if ContactPhone.objects.filter(contact=merged).exists():
        moved["kept"].append("Phone numbers the survivor already has.")

    # Help offers: an offer introducing the two to each other cannot become an intro to oneself.
    moved["contacts.HelpOffer.contact"] = _move(
        "contacts.HelpOffer.contact", merged=merged, survivor=survivor, exclude=Q(intro_contact=survivor)
    )
    moved["contacts.HelpOffer.intro_contact"] = _move(
        "contacts.HelpOffer.intro_contact", merged=merged, survivor=survivor, exclude=Q(contact=survivor)
    )
    if HelpOffer.objects.filter(Q(contact=merged) | Q(intro_contact=merged)).exists():
        moved["kept"].append("Introductions between the two of them.")

    # Relationships: one per user and contact; a user who knows both keeps the survivor's
    # row, re-scored from the moved interactions after commit.
    users = Relationship.objects.filter(contact=survivor).values("user_id")
    moved["contacts.Relationship.contact"] = _move(
        "contacts.Relationship.contact", merged=merged, survivor=survivor, exclude=Q(user_id__in=users)
    )
    for reference in (
        "contacts.RelationshipChange.contact",
        "contacts.IntroRequest.target",
        "contacts.IntroRequest.via",
        "activities.Participant.contact",
    ):
        moved[reference] = _move(reference, merged=merged, survivor=survivor)

    # Suggestions: never "introduce X to X", never two of the same (unique per user and pair).
    for field, other_field in (("contact", "other"), ("other", "contact")):
        reference = f"contacts.IntroSuggestion.{field}"
        taken = {
            (user_id, other_id)
            for user_id, other_id in IntroSuggestion.objects.filter(**{field: survivor}).values_list(
                "user_id", f"{other_field}_id"
            )
        }
        candidates = IntroSuggestion.objects.filter(**{field: merged}).exclude(**{other_field: survivor})
        ids = [
            pk
            for pk, user_id, other_id in candidates.values_list("pk", "user_id", f"{other_field}_id")
            if (user_id, other_id) not in taken
        ]
        IntroSuggestion.objects.filter(pk__in=ids).update(**{field: survivor})
        moved[reference] = sorted(ids)

    pair = DuplicateCandidate.objects.filter(
        contact_id=min(survivor.pk, merged.pk), other_id=max(survivor.pk, merged.pk)
    ).first()
    if pair is not None:
        moved["duplicate_candidate"] = {"id": pair.pk, "status": pair.status}
        DuplicateCandidate.objects.filter(pk=pair.pk).update(status=DuplicateStatus.MERGED)

    if merged.salesforce_contact_id or merged.salesforce_lead_id:
        records = " and ".join(i for i in (merged.salesforce_contact_id, merged.salesforce_lead_id) if i)
        moved["salesforce_note"] = (
            f"{merged.full_name} is linked to Salesforce record {records}; Relintel no longer updates it. "
            "Merge the two records in Salesforce as well."
        )

    _apply_choices(survivor=survivor, merged=merged, choices=choices)
    survivor.full_clean()
    survivor.save()
    merged.merged_into = survivor
    merged.save(update_fields=["merged_into", "updated_at"])
    contact_refresh_search(contact=survivor)
    contact_refresh_search(contact=merged)
    merge = ContactMerge.objects.create(
        organization_id=membership.organization_id,
        survivor=survivor,
        merged=merged,
        performed_by=membership.user,
        moved=moved,
    )
    sync_services.outbox_enqueue(organization_id=survivor.organization_id, kind="contact", local_id=survivor.pk)
    _requeue_for_salesforce(survivor.organization_id, moved)
    _refresh_relationships_after_commit(survivor.organization_id, [survivor.pk])
    return merge


def _restore(reference: str, ids: list[int], *, survivor: Contact, merged: Contact) -> None:
    if not ids:
        return
    model = _model(reference)
    field = reference.rsplit(".", 1)[1]
    model._default_manager.filter(pk__in=ids, **{field: survivor}).update(**{field: merged})


@transaction.atomic
def contact_merge_undo(*, membership: Membership, merge: ContactMerge) -> ContactMerge:
    """Put every moved row back on the merged contact and restore both contacts' fields."""
    merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.organization_id != membership.organization_id:
        raise ValidationError({"merge": ["No such merge."]})
    if merge.undone_at is not None:
        raise ValidationError({"merge": ["This merge has already been undone."]})
    survivor, merged = _lock_pair(merge.survivor, merge.merged)
    if survivor.merged_into_id is not None:
        raise ValidationError(
            {"merge": [f"{survivor.full_name} has since been merged into another contact: undo that merge first."]}
        )
    if merged.merged_into_id != survivor.pk:
        raise ValidationError({"merge": ["These contacts are no longer merged."]})
    moved = merge.moved
    for email in moved.get("emails", []):
        ContactEmail.objects.filter(pk=email["id"], contact=survivor).update(
            contact=merged, is_primary=email["is_primary"]
        )
    for phone in moved.get("phones", []):
        ContactPhone.objects.filter(pk=phone["id"], contact=survivor).update(
            contact=merged, is_primary=phone["is_primary"]
        )
    for reference, action in REFERENCES.items():
        if action == "move" and reference in moved:
            _restore(reference, moved[reference], survivor=survivor, merged=merged)
    if pair := moved.get("duplicate_candidate"):
        DuplicateCandidate.objects.filter(pk=pair["id"]).update(status=pair["status"])
    for name, value in moved.get("survivor_fields", {}).items():
        if name == "last_interaction_at" and value:
            value = datetime.datetime.fromisoformat(value)
        setattr(survivor, name, value)
    survivor.save()
    merged.merged_into = None
    merged.save(update_fields=["merged_into", "updated_at"])
    contact_refresh_search(contact=survivor)
    contact_refresh_search(contact=merged)
    merge.undone_at = timezone.now()
    merge.undone_by = membership.user
    merge.save(update_fields=["undone_at", "undone_by"])
    for contact in (survivor, merged):
        sync_services.outbox_enqueue(organization_id=contact.organization_id, kind="contact", local_id=contact.pk)
    _requeue_for_salesforce(survivor.organization_id, moved)
    _refresh_relationships_after_commit(survivor.organization_id, [survivor.pk, merged.pk])
    return merge
