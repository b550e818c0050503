"""Logging a call, meeting, note or email by hand, from the log page and the contact page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Interaction, Visibility
from contacts.models import HelpStatus
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory, HelpOfferFactory


@pytest.fixture
def contact(world):
    company = CompanyFactory(organization=world.org, name="Initech")
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper", company=company)


def _url(contact):
    return reverse("activities:log", args=[contact.pk])


def _valid(**overrides):
    data = {
        "kind": "call",
        "direction": "outbound",
        "occurred_at": "2026-03-02T14:30",
        "duration_minutes": "25",
        "subject": "Pricing call",
        "body": "They want the annual plan.",
        "visibility": "team",
    }
    data.update(overrides)
    return data


def test_the_log_form_defaults_to_now_and_team_visibility(world, contact):
    response = client_for(world.rep).get(_url(contact))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'type="datetime-local"' in body
    assert timezone.localtime().strftime("%Y-%m-%dT") in body
    assert response.context["form"]["visibility"].value() == "team"
    for label in ("What happened", "Who started it", "Date and time", "Duration", "Subject", "Notes", "Who can see it"):
        assert label in body


def test_a_rep_logs_a_call_and_lands_on_the_contact_page(world, contact):
    response = client_for(world.rep).post(_url(contact), _valid())
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:contact_page", args=[contact.pk])
    call = Interaction.objects.get()
    assert (call.kind, call.direction, call.visibility, call.duration_minutes) == ("call", "outbound", "team", 25)
    assert call.owner == world.rep.user
    assert call.subject == "Pricing call"
    assert timezone.localtime(call.occurred_at).replace(tzinfo=None) == datetime.datetime(2026, 3, 2, 14, 30)
    assert list(call.participants.filter(contact__isnull=False).values_list("contact_id", flat=True)) == [contact.pk]


def test_an_empty_date_means_now(world, contact):
    client_for(world.rep).post(_url(contact), _valid(occurred_at="", kind="note", duration_minutes=""))
    note = Interaction.objects.get()
    assert abs((timezone.now() - note.occurred_at).total_seconds()) < 60


def test_bad_input_gets_field_level_errors_and_saves_nothing(world, contact):
    response = client_for(world.rep).post(
        _url(contact),
        _valid(kind="telegram", direction="sideways", occurred_at="yesterday-ish", visibility="everyone"),
    )
    assert response.status_code == 200
    assert not Interaction.objects.exists()
    form = response.context["form"]
    assert set(form.errors) >= {"kind", "direction", "occurred_at", "visibility"}
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert 'id="id_occurred_at_error"' in body
    assert 'aria-describedby="id_occurred_at_helptext id_occurred_at_error"' in body


def test_a_date_more_than_a_year_ahead_is_refused_next_to_the_field(world, contact):
    far = (timezone.localtime() + datetime.timedelta(days=800)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(world.rep).post(_url(contact), _valid(occurred_at=far))
    assert response.status_code == 200
    assert "occurred_at" in response.context["form"].errors
    assert not Interaction.objects.exists()


def test_a_note_cannot_have_a_duration(world, contact):
    response = client_for(world.rep).post(_url(contact), _valid(kind="note", duration_minutes="30"))
    assert "duration_minutes" in response.context["form"].errors
    assert not Interaction.objects.exists()


def test_colleagues_and_other_contacts_by_email_are_added(world, contact):
    colleague = ContactFactory(organization=world.org, company=contact.company, first_name="Ken")
    elsewhere = ContactFactory(organization=world.org, email="linus@elsewhere.example")
    response = client_for(world.rep).post(
        _url(contact), _valid(colleagues=[colleague.pk], other_emails=" Linus@Elsewhere.example ")
    )
    assert response.status_code == 302
    ids = set(Interaction.objects.get().participants.filter(contact__isnull=False).values_list("contact_id", flat=True))
    assert ids == {contact.pk, colleague.pk, elsewhere.pk}


def test_an_unknown_email_or_a_foreign_contact_is_refused(world, contact):
    foreign = ContactFactory(organization=world.other_org, email="spy@globex.example")
    client = client_for(world.rep)
    response = client.post(_url(contact), _valid(other_emails="nobody@nowhere.example"))
    assert "other_emails" in response.context["form"].errors
    response = client.post(_url(contact), _valid(other_emails="spy@globex.example"))
    assert "other_emails" in response.context["form"].errors
    response = client.post(_url(contact), _valid(colleagues=[foreign.pk]))
    assert "colleagues" in response.context["form"].errors
    assert not Interaction.objects.exists()


def test_a_logged_interaction_can_carry_one_of_my_open_help_offers(world, contact):
    mine = HelpOfferFactory(contact=contact, user=world.rep.user, description="Send the hiring playbook")
    theirs = HelpOfferFactory(contact=contact, user=world.teammate.user, description="Tom's offer")
    closed = HelpOfferFactory(contact=contact, user=world.rep.user, status=HelpStatus.DECLINED, description="Old")
    client = client_for(world.rep)
    body = client.get(_url(contact)).content.decode()
    assert "Send the hiring playbook" in body
    assert "Tom&#x27;s offer" not in body and "Tom's offer" not in body
    for other in (theirs, closed):
        response = client.post(_url(contact), _valid(help_offer=other.pk))
        assert "help_offer" in response.context["form"].errors
    assert client.post(_url(contact), _valid(help_offer=mine.pk)).status_code == 302
    assert list(Interaction.objects.get().help_offers.all()) == [mine]


def test_the_quick_form_with_htmx_returns_the_timeline_with_the_new_interaction(world, contact):
    response = client_for(world.rep).post(
        _url(contact),
        {
            "quick": "1",
            "kind": "note",
            "direction": "outbound",
            "subject": "Met at the conference",
            "visibility": "private",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="timeline-section"' in body
    assert "Met at the conference" in body
    assert "<html" not in body
    assert Interaction.objects.get().visibility == Visibility.PRIVATE


def test_the_quick_form_with_htmx_shows_errors_inline(world, contact):
    response = client_for(world.rep).post(
        _url(contact),
        {"quick": "1", "kind": "pigeon", "direction": "outbound", "visibility": "team"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="quick-kind_error"' in body
    assert 'aria-invalid="true"' in body
    assert not Interaction.objects.exists()


def test_the_quick_form_without_javascript_redirects_to_the_contact_page(world, contact):
    response = client_for(world.rep).post(
        _url(contact),
        {"quick": "1", "kind": "call", "direction": "inbound", "subject": "Called back", "visibility": "team"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:contact_page", args=[contact.pk])


def test_the_contact_page_has_a_labelled_quick_log_form(world, contact):
    body = client_for(world.rep).get(reverse("activities:contact_page", args=[contact.pk])).content.decode()
    assert f'hx-post="{_url(contact)}"' in body
    assert f'action="{_url(contact)}"' in body
    for field_id in ("quick-kind", "quick-subject", "quick-body", "quick-direction-select", "quick-visibility-select"):
        assert f'for="{field_id}"' in body


def test_an_outsider_gets_404_on_the_log_page(world, contact):
    client = client_for(world.outsider)
    assert client.get(_url(contact)).status_code == 404
    assert client.post(_url(contact), _valid()).status_code == 404
    assert not Interaction.objects.exists()
