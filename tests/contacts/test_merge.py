"""Merging two contacts keeps everything of both, and undo puts every row back where it was."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from activities.models import Participant
from contacts import merge as merging
from contacts.models import (
    Contact,
    ContactEmail,
    ContactMerge,
    ContactPhone,
    DuplicateCandidate,
    DuplicateStatus,
    HelpKind,
    HelpOffer,
    IntroRequest,
    IntroSuggestion,
    Relationship,
    RelationshipChange,
)
from contacts.selectors import ContactFilters, contact_list
from tests.factories import CompanyFactory, ContactFactory, HelpOfferFactory, InteractionFactory


def _rows_of(contact: Contact) -> dict[str, list[int]]:
    """Every related row pointing at ``contact``, by table and column."""
    return {
        reference: sorted(
            model._default_manager.filter(**{reference.rsplit(".", 1)[1]: contact}).values_list("pk", flat=True)
        )
        for reference, model in merging.contact_references().items()
        if reference not in ("contacts.ContactMerge.survivor", "contacts.ContactMerge.merged")
    }


def _fields(contact: Contact) -> dict[str, object]:
    contact.refresh_from_db()
    return {
        f.attname: getattr(contact, f.attname)
        for f in Contact._meta.concrete_fields
        if f.attname not in ("updated_at", "search_text")
    }


@pytest.fixture
def pair(world):
    """Two records of Jane Doe, each with a full life of her own."""
    acme = CompanyFactory(organization=world.org, name="Acme")
    globex = CompanyFactory(organization=world.org, name="Globex")
    survivor = ContactFactory(
        organization=world.org,
        first_name="Jane",
        last_name="Doe",
        email="jane@acme.example",
        company=acme,
        title="CTO",
        notes="Met at the summit.",
        interests="sailing",
        last_interaction_at=timezone.now() - datetime.timedelta(days=9),
    )
    merged = ContactFactory(
        organization=world.org,
        first_name="Janet",
        last_name="Doe",
        email="janet.doe@gmail.com",
        company=globex,
        title="Chief Technology Officer",
        notes="Likes tea.",
        interests="climbing",
        location="Lisbon",
        last_interaction_at=timezone.now() - datetime.timedelta(days=2),
    )
    ContactEmail.objects.create(organization=world.org, contact=merged, email="jd@globex.example")
    ContactPhone.objects.create(contact=survivor, number="+14155550100", is_primary=True)
    ContactPhone.objects.create(contact=merged, number="+14155550100", is_primary=True)  # the same number
    ContactPhone.objects.create(contact=merged, number="+14155550199", kind="mobile")
    other = ContactFactory(organization=world.org, first_name="Bob", last_name="Bridge")
    for contact in (survivor, merged):
        InteractionFactory(organization=world.org, owner=world.rep.user, contacts=[contact])
    InteractionFactory(organization=world.org, owner=world.teammate.user, contacts=[merged, other])
    HelpOfferFactory(contact=merged, user=world.rep.user, organization=world.org)
    HelpOfferFactory(
        contact=other, user=world.rep.user, organization=world.org, kind=HelpKind.INTRO, intro_contact=merged
    )
    # An introduction of the two to each other: cannot become an intro of Jane to Jane.
    HelpOfferFactory(
        contact=survivor, user=world.rep.user, organization=world.org, kind=HelpKind.INTRO, intro_contact=merged
    )
    Relationship.objects.create(organization=world.org, user=world.rep.user, contact=survivor, strength=40)
    Relationship.objects.create(organization=world.org, user=world.rep.user, contact=merged, strength=30)
    Relationship.objects.create(organization=world.org, user=world.teammate.user, contact=merged, strength=50)
    RelationshipChange.objects.create(
        organization=world.org, user=world.teammate.user, contact=merged, to_band="medium", changed_at=timezone.now()
    )
    IntroRequest.objects.create(
        organization=world.org, requester=world.other_rep.user, introducer=world.teammate.user, target=merged, via=other
    )
    IntroSuggestion.objects.create(organization=world.org, user=world.rep.user, contact=merged, other=other, reason="x")
    IntroSuggestion.objects.create(
        organization=world.org, user=world.rep.user, contact=survivor, other=merged, reason="y"
    )
    candidate = (
        DuplicateCandidate.objects.create(organization=world.org, contact=survivor, other=merged, reason="Same name")
        if survivor.pk < merged.pk
        else DuplicateCandidate.objects.create(
            organization=world.org, contact=merged, other=survivor, reason="Same name"
        )
    )
    return survivor, merged, candidate


def test_every_reference_to_a_contact_is_handled_by_the_merge():
    assert set(merging.contact_references()) == set(merging.REFERENCES)


def test_a_merge_moves_everything_to_the_survivor(world, pair):
    survivor, merged, candidate = pair
    merge = merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged, field_choices={})
    assert sorted(e.email for e in survivor.emails.all()) == [
        "jane@acme.example",
        "janet.doe@gmail.com",
        "jd@globex.example",
    ]
    assert survivor.emails.get(is_primary=True).email == "jane@acme.example"
    assert sorted(p.number for p in survivor.phones.all()) == ["+14155550100", "+14155550199"]
    assert Participant.objects.filter(contact=survivor).count() == 3
    assert Participant.objects.filter(contact=merged).count() == 0
    assert HelpOffer.objects.filter(contact=survivor).count() == 2
    assert HelpOffer.objects.filter(intro_contact=survivor, contact__full_name="Bob Bridge").exists()
    assert Relationship.objects.get(contact=survivor, user=world.teammate.user).strength == 50
    assert RelationshipChange.objects.filter(contact=survivor).count() == 1
    assert IntroRequest.objects.get().target == survivor
    assert IntroSuggestion.objects.filter(contact=survivor, other__full_name="Bob Bridge").exists()
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.MERGED
    merged.refresh_from_db()
    assert merged.merged_into == survivor
    assert merge.performed_by == world.rep.user
    # What could not move stays on the merged contact, and says so.
    assert HelpOffer.objects.filter(contact=survivor, intro_contact=merged).exists()
    assert Relationship.objects.get(contact=merged, user=world.rep.user).strength == 30
    assert merge.moved["kept"]


def test_field_choices_take_the_other_value_or_both(world, pair):
    survivor, merged, _ = pair
    merging.contact_merge(
        membership=world.rep,
        survivor=survivor,
        merged=merged,
        field_choices={
            "title": "merged",
            "company": "merged",
            "location": "merged",
            "notes": "both",
            "full_name": "survivor",
        },
    )
    survivor.refresh_from_db()
    assert survivor.title == "Chief Technology Officer"
    assert survivor.company.name == "Globex"
    assert survivor.location == "Lisbon"
    assert survivor.notes == "Met at the summit.\n\nLikes tea."
    assert survivor.interests == "sailing"
    assert survivor.full_name == "Jane Doe"
    assert survivor.last_interaction_at == merged.last_interaction_at  # the latest of the two
    assert "janet.doe@gmail.com" in survivor.search_text


def test_undo_puts_every_row_back_and_restores_both_contacts(world, pair):
    survivor, merged, candidate = pair
    before = {"survivor": _rows_of(survivor), "merged": _rows_of(merged)}
    fields_before = {"survivor": _fields(survivor), "merged": _fields(merged)}
    primaries = dict(ContactEmail.objects.filter(organization=world.org).values_list("email", "is_primary"))
    merge = merging.contact_merge(
        membership=world.rep,
        survivor=survivor,
        merged=merged,
        field_choices={"title": "merged", "notes": "both", "full_name": "merged", "owner": "merged"},
    )
    assert _rows_of(survivor) != before["survivor"]

    merging.contact_merge_undo(membership=world.manager, merge=merge)

    assert _rows_of(survivor) == before["survivor"]
    assert _rows_of(merged) == before["merged"]
    assert _fields(survivor) == fields_before["survivor"]
    assert _fields(merged) == fields_before["merged"]
    assert dict(ContactEmail.objects.filter(organization=world.org).values_list("email", "is_primary")) == primaries
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.OPEN
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert merge.undone_by == world.manager.user


def test_a_merge_is_undone_once(world, pair):
    survivor, merged, _ = pair
    merge = merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    merging.contact_merge_undo(membership=world.rep, merge=merge)
    with pytest.raises(ValidationError, match="already been undone"):
        merging.contact_merge_undo(membership=world.rep, merge=merge)


def test_an_earlier_merge_waits_for_the_later_one_to_be_undone(world, pair):
    survivor, merged, _ = pair
    third = ContactFactory(organization=world.org, first_name="J", last_name="Doe")
    first = merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    second = merging.contact_merge(membership=world.rep, survivor=third, merged=survivor)
    with pytest.raises(ValidationError, match="undo that merge first"):
        merging.contact_merge_undo(membership=world.rep, merge=first)
    merging.contact_merge_undo(membership=world.rep, merge=second)
    merging.contact_merge_undo(membership=world.rep, merge=first)
    assert Contact.objects.filter(pk__in=[survivor.pk, merged.pk, third.pk], merged_into__isnull=True).count() == 3


def test_a_merged_contact_disappears_from_lists_and_search(world, pair):
    survivor, merged, _ = pair
    merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    assert list(contact_list(membership=world.rep, filters=ContactFilters(q="doe"))) == [survivor]
    assert list(contact_list(membership=world.rep, filters=ContactFilters(q="janet.doe@gmail.com"))) == [survivor]


def test_merging_refuses_the_same_contact_an_outsider_or_a_merged_one(world, pair):
    survivor, merged, _ = pair
    with pytest.raises(ValidationError):
        merging.contact_merge(membership=world.rep, survivor=survivor, merged=survivor)
    with pytest.raises(ValidationError):
        merging.contact_merge(membership=world.outsider, survivor=survivor, merged=merged)
    merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    with pytest.raises(ValidationError, match="already been merged"):
        merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    with pytest.raises(ValidationError):
        merging.contact_merge(
            membership=world.rep,
            survivor=survivor,
            merged=ContactFactory(organization=world.org),
            field_choices={"title": "both"},
        )
    assert ContactMerge.objects.count() == 1


def test_a_merge_rescores_the_survivor_and_undo_rescores_both(
    world, pair, django_capture_on_commit_callbacks, monkeypatch
):
    survivor, merged, _ = pair
    sent = []
    monkeypatch.setattr(merging.current_app, "send_task", lambda name, args: sent.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        merge = merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    with django_capture_on_commit_callbacks(execute=True):
        merging.contact_merge_undo(membership=world.rep, merge=merge)
    assert sent == [
        ("activities.tasks.relationship_refresh", (world.org.pk, [survivor.pk])),
        ("activities.tasks.relationship_refresh", (world.org.pk, [survivor.pk, merged.pk])),
    ]


def test_relationships_rescored_after_a_merge_and_its_undo_are_those_of_before(world, pair):
    from activities.relationships import relationships_refresh

    survivor, merged, _ = pair
    relationships_refresh(organization_id=world.org.pk, contact_ids=[survivor.pk, merged.pk])
    before = sorted(
        Relationship.objects.filter(contact__in=[survivor, merged]).values_list(
            "user_id", "contact_id", "interaction_count"
        )
    )
    merge = merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[survivor.pk])
    rep = Relationship.objects.get(user=world.rep.user, contact=survivor)
    assert rep.interaction_count == 2  # both interactions with the rep now count for one person
    merging.contact_merge_undo(membership=world.rep, merge=merge)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[survivor.pk, merged.pk])
    after = sorted(
        Relationship.objects.filter(contact__in=[survivor, merged]).values_list(
            "user_id", "contact_id", "interaction_count"
        )
    )
    assert after == before


def test_a_salesforce_linked_contact_leaves_a_note(world, pair):
    survivor, merged, _ = pair
    Contact.objects.filter(pk=merged.pk).update(salesforce_contact_id="003000000000001AAA")
    merged.refresh_from_db()
    merge = merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    assert "003000000000001AAA" in merge.moved["salesforce_note"]


def test_with_salesforce_connected_the_moved_activity_and_help_are_queued_again(world, pair):
    from sync.models import ConnectionStatus, OutboxEntry, SalesforceConnection

    SalesforceConnection.objects.create(
        organization=world.org, status=ConnectionStatus.CONNECTED, instance_url="https://sf.example"
    )
    survivor, merged, _ = pair
    moved_interactions = set(Participant.objects.filter(contact=merged).values_list("interaction_id", flat=True))
    OutboxEntry.objects.all().delete()
    merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    queued = set(OutboxEntry.objects.values_list("object_kind", "local_id"))
    assert ("contact", survivor.pk) in queued
    assert {i for kind, i in queued if kind in ("call", "email", "meeting")} == moved_interactions
    assert {i for kind, i in queued if kind == "help_offer"} == set(
        HelpOffer.objects.filter(Q(contact=survivor) | Q(intro_contact=survivor)).values_list("pk", flat=True)
    ) - {o.pk for o in HelpOffer.objects.filter(contact=survivor, intro_contact=merged)}


def test_replies_owed_follow_the_merge_and_its_undo_once_the_workers_ran(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    """What the merge sends to the workers, run: each rep's stored replies owed name the survivor."""
    from activities import tasks
    from activities.models import ReplyOwed
    from tests.dashboards.makers import email

    survivor = ContactFactory(organization=world.org, full_name="Jane Doe", email="jane@initech.example")
    merged = ContactFactory(organization=world.org, full_name="Jane Doe", email="jane.doe@gmail.example")
    mail = email(world.rep, merged, at=timezone.now() - datetime.timedelta(days=5), subject="Pricing?")
    monkeypatch.setattr(
        merging.current_app, "send_task", lambda name, args: getattr(tasks, name.rsplit(".", 1)[1])(*args)
    )

    def sender() -> int | None:
        return ReplyOwed.objects.get(user=world.rep.user, interaction=mail).sender_contact_id

    assert sender() == merged.pk
    with django_capture_on_commit_callbacks(execute=True):
        merge = merging.contact_merge(membership=world.rep, survivor=survivor, merged=merged)
    assert sender() == survivor.pk
    with django_capture_on_commit_callbacks(execute=True):
        merging.contact_merge_undo(membership=world.rep, merge=merge)
    assert sender() == merged.pk
