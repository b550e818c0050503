"""Exclusions: normalized, idempotent, applied retroactively (org-wide and per rep)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from activities.capture.ingest import capture_ingest, exclusion_add, exclusion_remove
from activities.models import CaptureSighting, Exclusion, Interaction, Participant, SkippedMessage
from tests.capture.ingest_helpers import email
from tests.factories import ContactFactory, InteractionFactory


def ingest(membership, items, privacy="subject"):
    return capture_ingest(
        organization=membership.organization,
        user=membership.user,
        source="imap",
        items=items,
        privacy_level=privacy,
        visibility="team",
    )


def test_an_address_is_normalized_and_adding_it_twice_is_idempotent(world):
    first = exclusion_add(organization=world.org, kind="email", value="  Jane.Doe@Customer.Example ")
    second = exclusion_add(organization=world.org, kind="email", value="jane.doe@customer.example")

    assert first.pk == second.pk
    assert first.value == "jane.doe@customer.example"
    assert Exclusion.objects.count() == 1


def test_a_domain_is_normalized(world):
    exclusion = exclusion_add(organization=world.org, kind="domain", value="https://www.Lawyers.example/about")

    assert exclusion.value == "lawyers.example"
    assert exclusion_add(organization=world.org, kind="domain", value="@lawyers.example").pk == exclusion.pk


@pytest.mark.parametrize(("kind", "value"), [("email", "not an address"), ("domain", "no dots"), ("phone", "x")])
def test_bad_input_is_refused_with_a_field_error(world, kind, value):
    with pytest.raises(ValidationError) as caught:
        exclusion_add(organization=world.org, kind=kind, value=value)

    assert set(caught.value.message_dict) <= {"value", "kind"}
    assert not Exclusion.objects.exists()


def test_a_reps_exclusion_and_the_organizations_are_separate_rows(world):
    exclusion_add(organization=world.org, kind="email", value="jane@customer.example")
    exclusion_add(organization=world.org, kind="email", value="jane@customer.example", user=world.rep.user)

    assert Exclusion.objects.count() == 2


def test_an_organization_wide_domain_exclusion_deletes_captured_interactions_with_it_and_its_subdomains(
    world, django_capture_on_commit_callbacks
):
    contact = ContactFactory(organization=world.org, email="counsel@lawyers.example")
    ingest(world.rep, [email("<a@x>", sender="counsel@lawyers.example", subject="Privileged")])
    ingest(world.teammate, [email("<b@x>", sender="partner@eu.lawyers.example", to=("tom@acme.example",))])
    ingest(world.rep, [email("<c@x>", sender="jane@notlawyers.example")])
    manual = InteractionFactory(organization=world.org, owner=world.rep.user, contacts=[contact])

    with (
        mock.patch("activities.tasks.relationship_refresh.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        exclusion_add(organization=world.org, kind="domain", value="lawyers.example", created_by=world.admin.user)

    assert set(Interaction.objects.values_list("external_id", flat=True)) == {"<c@x>", ""}
    assert Interaction.objects.filter(pk=manual.pk).exists()  # logged by hand: never removed
    skipped = {(s.user_id, s.external_id): s for s in SkippedMessage.objects.all()}
    assert set(skipped) == {(world.rep.user.pk, "<a@x>"), (world.teammate.user.pk, "<b@x>")}
    assert skipped[world.rep.user.pk, "<a@x>"].reason == "excluded_domain"
    assert skipped[world.rep.user.pk, "<a@x>"].subject == "Privileged"
    assert skipped[world.rep.user.pk, "<a@x>"].sender == "counsel@lawyers.example"
    delay.assert_called_once_with(world.org.pk, [contact.pk])


def test_an_excluded_person_is_removed_retroactively_and_not_captured_again(world):
    ingest(world.rep, [email("<a@x>", sender="jane.doe@customer.example")])
    ingest(world.rep, [email("<b@x>", sender="bob@customer.example")])

    exclusion_add(organization=world.org, kind="email", value="jane.doe@customer.example")
    result = ingest(world.rep, [email("<a@x>", sender="jane.doe@customer.example")])

    assert list(Interaction.objects.values_list("external_id", flat=True)) == ["<b@x>"]
    assert result.skipped == {"excluded_person": 1}
    assert SkippedMessage.objects.get().reason == "excluded_person"


def test_a_reps_own_exclusion_removes_only_what_no_other_rep_captured(world):
    # Captured by Rita only: deleted. Captured by Rita and Tom: stays, without Rita's sighting.
    only_rita = email("<a@x>", sender="jane.doe@customer.example", to=("rita@acme.example",))
    both = email("<b@x>", sender="jane.doe@customer.example", to=("rita@acme.example", "tom@acme.example"))
    only_tom = email("<c@x>", sender="jane.doe@customer.example", to=("tom@acme.example",))
    ingest(world.rep, [only_rita, both])
    ingest(world.teammate, [both, only_tom])

    exclusion_add(organization=world.org, kind="email", value="jane.doe@customer.example", user=world.rep.user)

    assert set(Interaction.objects.values_list("external_id", flat=True)) == {"<b@x>", "<c@x>"}
    kept = Interaction.objects.get(external_id="<b@x>")
    assert list(CaptureSighting.objects.filter(interaction=kept).values_list("user_id", flat=True)) == [
        world.teammate.user.pk
    ]
    assert set(SkippedMessage.objects.values_list("user_id", "external_id")) == {
        (world.rep.user.pk, "<a@x>"),
        (world.rep.user.pk, "<b@x>"),
    }
    assert Participant.objects.filter(interaction__external_id="<c@x>").exists()


def test_an_exclusion_in_another_organization_changes_nothing_here(world):
    ingest(world.rep, [email("<a@x>", sender="jane.doe@customer.example")])

    exclusion_add(organization=world.other_org, kind="domain", value="customer.example")

    assert Interaction.objects.filter(organization=world.org).count() == 1
    assert not SkippedMessage.objects.exists()


def test_removing_an_exclusion_lets_new_mail_be_captured_again(world):
    exclusion = exclusion_add(organization=world.org, kind="domain", value="customer.example")
    assert ingest(world.rep, [email("<a@x>")]).skipped == {"excluded_domain": 1}

    exclusion_remove(exclusion=exclusion)
    result = ingest(world.rep, [email("<a@x>")])

    assert not Exclusion.objects.exists()
    assert result.captured == 1
    assert not SkippedMessage.objects.exists()  # the earlier verdict is replaced by the capture
