"""The rep's home page: the Today list by rule, acting on items with and without htmx, recent activity."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Visibility
from contacts.models import Band, HelpStatus, NudgeAction, NudgeState
from relintel.dashboards.today.items import LIST_LIMIT
from tests.conftest import client_for
from tests.dashboards.makers import email, intro_request, relationship, suggestion
from tests.factories import ContactFactory, HelpOfferFactory, InteractionFactory

HOME = reverse("dashboards:home")
HTMX = {"HTTP_HX_REQUEST": "true"}


def act_url(key: str) -> str:
    return reverse("dashboards:nudge_act", args=[key])


def undo_url(key: str) -> str:
    return reverse("dashboards:nudge_undo", args=[key])


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper", full_name="Grace Hopper")


def ago(n: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)


def section(body: str, kind: str) -> str:
    return body.split(f'id="group-{kind}"', 1)[1].split("</section>", 1)[0]


def test_home_lists_every_rule_with_counts(world, grace, today):
    alan = ContactFactory(organization=world.org, full_name="Alan Turing")
    email(world.rep, grace, at=ago(8), subject="Pricing for 2027?")
    HelpOfferFactory(
        contact=grace, user=world.rep.user, due_date=today - datetime.timedelta(days=2), description="CFO intro"
    )
    relationship(world.rep, alan, band=Band.STRONG, rhythm_days=5, last_interaction_at=ago(20))
    intro_request(world.teammate, world.rep, grace, message="They are hiring")
    suggestion(world.rep, grace, alan)
    body = client_for(world.rep).get(HOME).content.decode()
    assert "5 things" in body
    assert "Pricing for 2027?" in section(body, "reply")
    assert "CFO intro" in section(body, "help") and "Overdue" in section(body, "help")
    assert "Alan Turing" in section(body, "cold")
    assert "Tom Teammate asks for an introduction to Grace Hopper" in section(body, "intro")
    assert "Introduce Grace Hopper to Alan Turing" in section(body, "suggestion")


def test_empty_today_says_so_kindly(world):
    body = client_for(world.rep).get(HOME).content.decode()
    assert "nothing waiting" in body
    assert "No one is waiting for an answer from you." in body
    assert "No relationship is going cold." in body


def test_home_shows_overdue_and_soon_due_help_but_not_later_or_closed_or_others(world, grace, today):
    def offer(description, due, **extra):
        return HelpOfferFactory(contact=grace, user=world.rep.user, description=description, due_date=due, **extra)

    offer("Overdue intro", today - datetime.timedelta(days=2))
    offer("Due in three days", today + datetime.timedelta(days=3))
    offer("Due next month", today + datetime.timedelta(days=30))
    offer("Declined long ago", today - datetime.timedelta(days=5), status=HelpStatus.DECLINED)
    HelpOfferFactory(contact=grace, user=world.teammate.user, description="Tom's overdue", due_date=today)
    body = section(client_for(world.rep).get(HOME).content.decode(), "help")
    assert body.index("Overdue intro") < body.index("Due in three days")
    assert "Due next month" not in body
    assert "Declined long ago" not in body
    assert "Tom&#x27;s overdue" not in body and "Tom's overdue" not in body


def test_my_items_are_not_my_teammates(world, grace):
    email(world.rep, grace, at=ago(8), subject="For Rita")
    body = client_for(world.teammate).get(HOME).content.decode()
    assert "For Rita" not in body


def test_home_shows_my_recent_interactions_only(world, grace):
    InteractionFactory(organization=world.org, owner=world.rep.user, subject="My call", contacts=[grace])
    InteractionFactory(
        organization=world.org,
        owner=world.teammate.user,
        team=world.team_a,
        visibility=Visibility.TEAM,
        subject="Tom's call",
        contacts=[grace],
    )
    body = client_for(world.rep).get(HOME).content.decode()
    assert "My call" in body
    assert "Tom&#x27;s call" not in body


def test_home_has_quick_links(world):
    body = client_for(world.rep).get(HOME).content.decode()
    for name in ("contacts:create", "contacts:list", "contacts:help_list", "contacts:company_list"):
        assert reverse(name) in body


# --- acting without JavaScript -------------------------------------------------------------------


def test_dismissing_without_js_redirects_and_offers_undo(world, grace):
    mail = email(world.rep, grace, at=ago(8), subject="Pricing for 2027?")
    key = f"reply:{mail.pk}"
    client = client_for(world.rep)
    response = client.post(act_url(key), {"action": "dismiss"})
    assert response.status_code == 302
    assert response["Location"] == f"{HOME}?acted={key}#today"
    body = client.get(f"{HOME}?acted={key}").content.decode()
    assert "Pricing for 2027?" not in section(body, "reply")
    assert "Dismissed." in body and undo_url(key) in body
    assert client.post(undo_url(key)).status_code == 302
    assert not NudgeAction.objects.exists()
    assert "Pricing for 2027?" in section(client.get(HOME).content.decode(), "reply")


def test_snoozing_without_js_names_when_it_returns(world, grace):
    alan = ContactFactory(organization=world.org, full_name="Alan Turing")
    relationship(world.rep, alan, band=Band.STRONG, rhythm_days=5, last_interaction_at=ago(20))
    client = client_for(world.rep)
    response = client.post(act_url(f"cold:{alan.pk}"), {"action": "snooze", "snooze": "next_week"}, follow=True)
    assert "Snoozed until Mon" in response.content.decode()
    action = NudgeAction.objects.get()
    assert action.state == NudgeState.SNOOZED and timezone.localtime(action.until).weekday() == 0


def test_done_on_help_delivers_it(world, grace, today):
    offer = HelpOfferFactory(contact=grace, user=world.rep.user, due_date=today)
    response = client_for(world.rep).post(act_url(f"help:{offer.pk}"), {"action": "done"})
    assert response["Location"] == f"{HOME}#today"
    offer.refresh_from_db()
    assert offer.status == HelpStatus.DELIVERED


def test_done_on_an_intro_request_is_refused_with_a_message(world, grace):
    request = intro_request(world.teammate, world.rep, grace)
    response = client_for(world.rep).post(act_url(f"intro:{request.pk}"), {"action": "done"}, follow=True)
    assert "answered through its own flow" in response.content.decode()
    assert not NudgeAction.objects.exists()


# --- acting with htmx --------------------------------------------------------------------------


def test_htmx_dismiss_swaps_the_row_for_an_undo(world, grace):
    mail = email(world.rep, grace, at=ago(8), subject="Pricing for 2027?")
    key = f"reply:{mail.pk}"
    client = client_for(world.rep)
    body = client.post(act_url(key), {"action": "dismiss"}, **HTMX).content.decode()
    assert f'id="nudge-reply-{mail.pk}"' in body
    assert "Dismissed." in body and undo_url(key) in body
    body = client.post(undo_url(key), **HTMX).content.decode()
    assert f'id="nudge-reply-{mail.pk}"' in body and act_url(key) in body
    assert not NudgeAction.objects.exists()


def test_htmx_refusal_shows_the_error_in_the_row(world, grace):
    request = intro_request(world.teammate, world.rep, grace)
    body = client_for(world.rep).post(act_url(f"intro:{request.pk}"), {"action": "done"}, **HTMX).content.decode()
    assert 'role="alert"' in body and "its own flow" in body


# --- who may act on what --------------------------------------------------------------------------


def test_an_outsider_gets_404_acting_on_our_items(world, grace, today):
    offer = HelpOfferFactory(contact=grace, user=world.rep.user, due_date=today)
    client = client_for(world.outsider)
    assert client.post(act_url(f"help:{offer.pk}"), {"action": "done"}).status_code == 404
    assert client.post(undo_url(f"help:{offer.pk}")).status_code == 404
    assert client.post(act_url(f"help:{offer.pk}"), {"action": "nonsense"}).status_code == 404
    offer.refresh_from_db()
    assert offer.status == HelpStatus.OFFERED


@pytest.mark.parametrize("persona", ["teammate", "manager", "admin"])
def test_colleagues_get_404_on_my_items(world, grace, today, persona):
    offer = HelpOfferFactory(contact=grace, user=world.rep.user, due_date=today)
    mail = email(world.rep, grace, at=ago(8))
    client = client_for(getattr(world, persona))
    for key in (f"help:{offer.pk}", f"reply:{mail.pk}", f"cold:{grace.pk}"):
        assert client.post(act_url(key), {"action": "dismiss"}).status_code == 404
    assert not NudgeAction.objects.exists()


def test_a_malformed_key_is_404_and_get_is_not_allowed(world):
    client = client_for(world.rep)
    assert client.post(act_url("drop-tables"), {"action": "dismiss"}).status_code == 404
    assert client.get(act_url("help:1")).status_code == 405


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    assert client.post(act_url("help:1"), {"action": "dismiss"}).status_code == 302


# --- bounded queries ---------------------------------------------------------------------------


def _grow(world, n: int) -> None:
    today = timezone.localdate()
    for i in range(n):
        contact = ContactFactory(organization=world.org)
        other = ContactFactory(organization=world.org)
        email(world.rep, contact, at=ago(6), thread=f"<grow-{contact.pk}>")
        email(world.rep, contact, at=ago(5), owner=world.teammate, thread=f"<grow-t-{contact.pk}>")
        HelpOfferFactory(contact=contact, user=world.rep.user, due_date=today - datetime.timedelta(days=1))
        relationship(world.rep, contact, band=Band.STRONG, rhythm_days=3, last_interaction_at=ago(30))
        relationship(
            world.rep,
            other,
            band=Band.WEAK,
            previous_band=Band.STRONG,
            band_changed_at=ago(2),
            last_interaction_at=ago(9),
        )
        intro_request(world.teammate, world.rep, contact)
        suggestion(world.rep, contact, other, score=i)
        InteractionFactory(organization=world.org, owner=world.rep.user, contacts=[contact, other])


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(HOME).status_code == 200
    return len(captured.captured_queries)


def test_the_query_count_does_not_grow_with_the_items(world):
    client = client_for(world.rep)
    _grow(world, 5)
    client.get(HOME)
    few = _queries(client)
    _grow(world, 45)
    many = _queries(client)
    assert few == many
    assert f"{LIST_LIMIT}+" in client.get(HOME).content.decode()
