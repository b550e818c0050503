"""Reading, editing and deleting one interaction: visibility for reading, ownership for changing."""

import pytest
from django.urls import reverse

from activities.models import Interaction, Visibility
from tests.conftest import client_for
from tests.factories import ContactFactory, HelpOfferFactory, InteractionFactory


@pytest.fixture
def contact(world):
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper")


def _interaction(world, owner, contact, visibility=Visibility.TEAM, **extra):
    return InteractionFactory(
        organization=world.org,
        owner=owner.user,
        team=owner.team,
        visibility=visibility,
        subject="Quarterly review",
        body="Renewal looks likely.",
        contacts=[contact],
        **extra,
    )


def _detail(member, interaction):
    return client_for(member).get(reverse("activities:detail", args=[interaction.pk]))


def test_the_owner_sees_the_detail_with_edit_and_delete(world, contact):
    call = _interaction(world, world.rep, contact, duration_minutes=40)
    response = _detail(world.rep, call)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Quarterly review" in body
    assert "Renewal looks likely." in body
    assert "40 min" in body
    assert reverse("activities:contact_page", args=[contact.pk]) in body
    assert reverse("activities:edit", args=[call.pk]) in body
    assert reverse("activities:delete", args=[call.pk]) in body


def test_a_teammate_reads_a_team_interaction_but_cannot_edit_it(world, contact):
    call = _interaction(world, world.rep, contact)
    body = _detail(world.teammate, call).content.decode()
    assert "Quarterly review" in body
    assert reverse("activities:edit", args=[call.pk]) not in body


def test_the_detail_shows_the_help_offers_it_carried(world, contact):
    call = _interaction(world, world.rep, contact)
    call.help_offers.add(HelpOfferFactory(contact=contact, user=world.rep.user, description="Intro to their CFO"))
    assert "Intro to their CFO" in _detail(world.rep, call).content.decode()


@pytest.mark.parametrize("who", ["teammate", "manager", "admin", "other_rep", "outsider"])
def test_a_private_interaction_is_404_for_everyone_but_its_owner(world, contact, who):
    secret = _interaction(world, world.rep, contact, Visibility.PRIVATE)
    assert _detail(getattr(world, who), secret).status_code == 404
    assert _detail(world.rep, secret).status_code == 200


def test_a_team_interaction_is_404_for_another_teams_rep(world, contact):
    call = _interaction(world, world.rep, contact, Visibility.TEAM)
    assert _detail(world.other_rep, call).status_code == 404
    assert _detail(world.manager, call).status_code == 200


def test_an_organization_interaction_is_seen_by_another_team(world, contact):
    call = _interaction(world, world.rep, contact, Visibility.ORGANIZATION)
    assert _detail(world.other_rep, call).status_code == 200


def test_the_owner_edits_an_interaction(world, contact):
    call = _interaction(world, world.rep, contact)
    client = client_for(world.rep)
    url = reverse("activities:edit", args=[call.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert "Quarterly review" in form.content.decode()
    response = client.post(
        url,
        {
            "direction": "inbound",
            "occurred_at": "2026-01-15T09:00",
            "duration_minutes": "15",
            "subject": "Quarterly review (moved)",
            "body": "They called us.",
            "visibility": "private",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:detail", args=[call.pk])
    call.refresh_from_db()
    assert (call.subject, call.direction, call.visibility, call.duration_minutes) == (
        "Quarterly review (moved)",
        "inbound",
        "private",
        15,
    )


def test_editing_with_bad_input_shows_field_errors_and_changes_nothing(world, contact):
    call = _interaction(world, world.rep, contact)
    response = client_for(world.rep).post(
        reverse("activities:edit", args=[call.pk]),
        {"direction": "up", "occurred_at": "", "subject": "x", "visibility": "public"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"direction", "occurred_at", "visibility"}
    assert 'aria-invalid="true"' in response.content.decode()
    call.refresh_from_db()
    assert call.subject == "Quarterly review"


@pytest.mark.parametrize("who", ["teammate", "manager", "admin", "outsider"])
def test_only_the_owner_may_edit_or_delete(world, contact, who):
    call = _interaction(world, world.rep, contact, Visibility.ORGANIZATION)
    client = client_for(getattr(world, who))
    for name in ("activities:edit", "activities:delete"):
        url = reverse(name, args=[call.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"subject": "Hacked", "visibility": "organization"}).status_code == 404
    call.refresh_from_db()
    assert call.subject == "Quarterly review"


def test_delete_asks_for_confirmation_then_deletes_and_returns_to_the_contact(world, contact):
    call = _interaction(world, world.rep, contact)
    client = client_for(world.rep)
    url = reverse("activities:delete", args=[call.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert Interaction.objects.filter(pk=call.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:contact_page", args=[contact.pk])
    assert not Interaction.objects.filter(pk=call.pk).exists()


@pytest.mark.parametrize("name", ["activities:detail", "activities:edit", "activities:delete"])
def test_an_outsider_gets_404_for_every_interaction_route(world, contact, name):
    call = _interaction(world, world.rep, contact, Visibility.ORGANIZATION)
    client = client_for(world.outsider)
    assert client.get(reverse(name, args=[call.pk])).status_code == 404
    assert client.post(reverse(name, args=[call.pk])).status_code in (404, 405)
    assert Interaction.objects.filter(pk=call.pk).exists()
