"""The writer's bulk rows (``activities/capture/ingest/rows.py``) and the contacts' latest interaction."""

from __future__ import annotations

import datetime
from unittest import mock

from django.test import TestCase

from activities.capture.ingest import capture_ingest
from activities.capture.items import Attachment
from activities.models import CaptureAccount, CaptureKind, CaptureSighting, Interaction, Participant, SkippedMessage
from activities.tasks import contacts_touch_latest
from contacts.models import Contact
from tests.capture.ingest_helpers import WHEN, email, meeting
from tests.factories import ContactFactory

LATER = WHEN + datetime.timedelta(days=3)
EARLIER = WHEN - datetime.timedelta(days=3)


def ingest(membership, items, *, privacy="subject", **kwargs):
    # The contacts' latest interaction is moved by a task after commit (eager in tests).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return capture_ingest(
            organization=membership.organization,
            user=membership.user,
            source="imap",
            items=items,
            privacy_level=privacy,
            visibility="team",
            **kwargs,
        )


def latest_of(contact: Contact) -> datetime.datetime | None:
    contact.refresh_from_db()
    return contact.last_interaction_at


def test_every_column_of_a_captured_email_is_written(world):
    account = CaptureAccount.objects.create(
        organization=world.org, user=world.rep.user, kind=CaptureKind.IMAP, name="Work", host="imap.example"
    )
    item = email(
        "<cols@customer.example>",
        cc=("sam@other.example",),
        names={"sam@other.example": "Sam  Other"},
        attachments=(Attachment(name="deck.pdf", size=1234, content_type="application/pdf"),),
    )

    result = ingest(world.rep, [item], account=account)

    interaction = Interaction.objects.get(pk=result.interaction_ids[0])
    assert (interaction.organization, interaction.owner, interaction.team_id) == (
        world.org,
        world.rep.user,
        world.rep.team_id,
    )
    assert (interaction.kind, interaction.source, interaction.visibility) == ("email", "imap", "team")
    assert (interaction.external_id, interaction.thread_id) == ("<cols@customer.example>",) * 2
    assert interaction.subject == "Pricing question" and interaction.body == ""
    assert interaction.attachments == [{"name": "deck.pdf", "size": 1234}]
    assert interaction.occurred_at == WHEN and interaction.duration_minutes is None
    assert interaction.created_at is not None and interaction.updated_at is not None
    rows = {p.address: (p.role, p.display_name) for p in Participant.objects.filter(interaction=interaction)}
    assert rows["sam@other.example"] == ("cc", "Sam Other")
    assert rows["jane.doe@customer.example"] == ("from", "Jane Doe")
    sighting = CaptureSighting.objects.get(interaction=interaction)
    assert (sighting.user, sighting.account, sighting.source) == (world.rep.user, account, "imap")


def test_backslashes_tabs_and_newlines_survive_the_copy_into_every_table(world):
    odd = "C:\\temp\\N \\t end"  # COPY's escapes, literally
    body = "line one\n\tindented \\ back\r\nlast\\N"
    item = email(
        "<odd\\id@customer.example>",
        sender="o\\dd@customer.example",
        sender_name="Back \\ Slash",
        subject=odd,
        text=body,
        attachments=(Attachment(name="a\tb\\c.pdf", size=1, content_type="application/pdf"),),
    )
    skipped = email("<odd\\skip@news.example>", sender="news@news.example", subject=odd, signals={"list-id": "<n>"})

    result = ingest(world.rep, [item, skipped], privacy="full")

    interaction = Interaction.objects.get(pk=result.interaction_ids[0])
    assert (interaction.external_id, interaction.subject) == ("<odd\\id@customer.example>", odd)
    assert interaction.body == body.strip()
    assert interaction.attachments == [{"name": "a\tb\\c.pdf", "size": 1}]
    sender = Participant.objects.get(interaction=interaction, role="from")
    assert (sender.address, sender.display_name) == ("o\\dd@customer.example", "Back \\ Slash")
    skip = SkippedMessage.objects.get()
    assert (skip.external_id, skip.subject) == ("<odd\\skip@news.example>", odd)


def test_a_skip_is_recorded_once_and_replaced_by_a_later_verdict(world):
    bulk = email("<skip@news.example>", sender="news@news.example", signals={"list-id": "<news.example>"})
    ingest(world.rep, [bulk])
    ingest(world.rep, [bulk])

    skip = SkippedMessage.objects.get(external_id="<skip@news.example>")
    assert (skip.reason, skip.sender, skip.subject, skip.occurred_at) == (
        "bulk",
        "news@news.example",
        "Pricing question",
        WHEN,
    )
    assert skip.created_at is not None


def test_the_batch_never_writes_a_contact_and_the_task_after_commit_moves_its_latest_interaction(world):
    jane = ContactFactory(organization=world.org, email="jane.doe@customer.example")
    with (
        mock.patch("activities.tasks.contacts_touch_latest.delay") as delay,
        mock.patch("activities.tasks.relationship_refresh.delay"),
    ):
        with TestCase.captureOnCommitCallbacks() as callbacks:
            capture_ingest(
                organization=world.org,
                user=world.rep.user,
                source="imap",
                items=[email("<a@x>", when=WHEN), email("<b@x>", when=LATER)],
                privacy_level="subject",
                visibility="team",
            )
        assert latest_of(jane) is None  # derived, eventually consistent: not in the batch's transaction
        for callback in callbacks:
            callback()

    delay.assert_called_once_with(world.org.pk, [[jane.pk, LATER.isoformat()]], [])
    contacts_touch_latest(world.org.pk, *delay.call_args.args[1:])
    assert latest_of(jane) == LATER
    contacts_touch_latest(world.org.pk, [[jane.pk, EARLIER.isoformat()]], [])  # forward only, idempotent
    assert latest_of(jane) == LATER


def test_a_newer_message_moves_a_contacts_latest_interaction_forward(world):
    jane = ContactFactory(organization=world.org, email="jane.doe@customer.example")
    ingest(world.rep, [email("<a@x>", when=WHEN)])

    ingest(world.rep, [email("<b@x>", when=LATER)])

    assert latest_of(jane) == LATER


def test_an_older_message_never_moves_a_contacts_latest_interaction_back(world):
    jane = ContactFactory(organization=world.org, email="jane.doe@customer.example")
    ingest(world.rep, [email("<a@x>", when=LATER)])

    ingest(world.rep, [email("<b@x>", when=EARLIER), email("<c@x>", when=WHEN)])

    assert latest_of(jane) == LATER


def test_a_cancelled_meeting_gives_the_contact_back_its_previous_latest_interaction(world):
    jane = ContactFactory(organization=world.org, email="jane.doe@customer.example")
    ingest(world.rep, [email("<a@x>", when=WHEN), meeting("<evt@x>", when=LATER)])
    assert latest_of(jane) == LATER

    ingest(world.rep, [meeting("<evt@x>", when=LATER, status="cancelled", version="1|20250102T000000Z")])

    assert latest_of(jane) == WHEN


def test_a_meeting_moved_earlier_re_derives_the_contacts_latest_interaction(world):
    jane = ContactFactory(organization=world.org, email="jane.doe@customer.example")
    ingest(world.rep, [email("<a@x>", when=WHEN), meeting("<evt@x>", when=LATER)])

    ingest(world.rep, [meeting("<evt@x>", when=EARLIER, version="1|20250102T000000Z")])

    assert latest_of(jane) == WHEN


def test_a_batch_of_another_organization_never_moves_our_contact(world):
    ours = ContactFactory(organization=world.org, email="jane.doe@customer.example")
    ContactFactory(organization=world.other_org, email="jane.doe@customer.example")

    ingest(world.outsider, [email("<theirs@x>", to=("olga@other-org.example",))])

    assert latest_of(ours) is None
