"""The rep's Today page: help due, recent interactions, relationships going quiet, quick links."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Visibility
from activities.services import relationships_refresh
from contacts.models import HelpStatus
from tests.conftest import client_for
from tests.factories import ContactFactory, HelpOfferFactory, InteractionFactory

HOME = reverse("dashboards:home")


@pytest.fixture
def today():
    return timezone.localdate()


def test_home_shows_overdue_and_soon_due_help_but_not_later_or_closed_or_others(world, today):
    contact = ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper")

    def offer(description, due, **extra):
        return HelpOfferFactory(contact=contact, user=world.rep.user, description=description, due_date=due, **extra)

    offer("Overdue intro", today - datetime.timedelta(days=2))
    offer("Due in three days", today + datetime.timedelta(days=3))
    offer("Due next month", today + datetime.timedelta(days=30))
    offer("Declined long ago", today - datetime.timedelta(days=5), status=HelpStatus.DECLINED)
    HelpOfferFactory(contact=contact, user=world.teammate.user, description="Tom's overdue", due_date=today)
    body = client_for(world.rep).get(HOME).content.decode()
    assert "Overdue intro" in body
    assert "Due in three days" in body
    assert body.index("Overdue intro") < body.index("Due in three days")
    assert "Due next month" not in body
    assert "Declined long ago" not in body
    assert "Tom&#x27;s overdue" not in body and "Tom's overdue" not in body


def test_home_shows_my_recent_interactions_only(world):
    contact = ContactFactory(organization=world.org)
    InteractionFactory(organization=world.org, owner=world.rep.user, subject="My call", contacts=[contact])
    InteractionFactory(
        organization=world.org,
        owner=world.teammate.user,
        team=world.team_a,
        visibility=Visibility.TEAM,
        subject="Tom's call",
        contacts=[contact],
    )
    body = client_for(world.rep).get(HOME).content.decode()
    assert "My call" in body
    assert "Tom&#x27;s call" not in body


def test_home_lists_frequent_contacts_gone_quiet_most_talked_to_first(world):
    now = timezone.now()
    old = now - datetime.timedelta(days=45)
    frequent = ContactFactory(organization=world.org, first_name="Frequent", last_name="Quiet")
    occasional = ContactFactory(organization=world.org, first_name="Occasional", last_name="Quiet")
    recent = ContactFactory(organization=world.org, first_name="Still", last_name="Talking")
    for contact, n, when in ((frequent, 4, old), (occasional, 1, old), (recent, 5, now)):
        for _ in range(n):
            InteractionFactory(organization=world.org, owner=world.rep.user, occurred_at=when, contacts=[contact])
    relationships_refresh(organization_id=world.org.pk, contact_ids=[frequent.pk, occasional.pk, recent.pk])
    body = client_for(world.rep).get(HOME).content.decode()
    quiet = body.split('id="quiet-heading"', 1)[1]
    assert "Frequent Quiet" in quiet
    assert "Occasional Quiet" in quiet
    assert quiet.index("Frequent Quiet") < quiet.index("Occasional Quiet")
    assert "Still Talking" not in quiet


def test_home_has_quick_links(world):
    body = client_for(world.rep).get(HOME).content.decode()
    for name in ("contacts:create", "contacts:list", "contacts:help_list", "contacts:company_list"):
        assert reverse(name) in body
    assert 'role="search"' in body


def test_home_links_the_team_page_for_managers_only(world):
    team_url = f'class="btn" href="{reverse("dashboards:team")}"'
    assert team_url not in client_for(world.rep).get(HOME).content.decode()
    assert team_url in client_for(world.manager).get(HOME).content.decode()


def test_an_outsider_sees_none_of_our_rows_on_their_home(world):
    contact = ContactFactory(organization=world.org, first_name="Zanzibar")
    HelpOfferFactory(contact=contact, user=world.rep.user, description="Zanzibar help", due_date=timezone.localdate())
    InteractionFactory(organization=world.org, owner=world.rep.user, subject="Zanzibar call", contacts=[contact])
    response = client_for(world.outsider).get(HOME)
    assert response.status_code == 200
    assert "Zanzibar" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in():
    from django.test import Client

    assert Client().get(HOME).status_code == 302


def _fill(world, n, today):
    old = timezone.now() - datetime.timedelta(days=60)
    contacts = []
    for i in range(n):
        contact = ContactFactory(organization=world.org)
        contacts.append(contact.pk)
        InteractionFactory(organization=world.org, owner=world.rep.user, occurred_at=old, contacts=[contact])
        HelpOfferFactory(
            contact=contact, user=world.rep.user, due_date=today - datetime.timedelta(days=i % 3), description="x"
        )
        HelpOfferFactory(
            contact=contact, user=world.rep.user, due_date=today + datetime.timedelta(days=1 + i % 5), description="y"
        )
    relationships_refresh(organization_id=world.org.pk, contact_ids=contacts)


def test_the_home_page_query_count_does_not_grow_with_rows(world, today, django_assert_max_num_queries):
    client = client_for(world.rep)
    _fill(world, 2, today)
    client.get(HOME)
    with django_assert_max_num_queries(10):
        assert client.get(HOME).status_code == 200
    _fill(world, 30, today)
    with django_assert_max_num_queries(10):
        response = client.get(HOME)
    body = response.content.decode()
    # Lists are capped at ten rows each.
    assert body.count('class="help-offer ') + body.count('class="help-offer"') <= 20
