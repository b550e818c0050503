"""Strength on the contact and company pages, and the admins' scoring settings page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import ScoringPolicy, Visibility
from activities.relationships import relationships_refresh
from contacts.models import Relationship
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory

SETTINGS = "/manage/scoring/"


@pytest.fixture
def company(world):
    return CompanyFactory(organization=world.org, name="Initech")


@pytest.fixture
def contact(world, company):
    return ContactFactory(organization=world.org, first_name="Grace", last_name="Hopper", company=company)


def log(membership, contact, kind="meeting", direction="outbound", days=1, **extra):
    return services.interaction_log(
        membership=membership,
        kind=kind,
        contacts=[contact],
        direction=direction,
        occurred_at=timezone.now() - datetime.timedelta(days=days),
        **extra,
    )


def page(membership, contact):
    return client_for(membership).get(reverse("activities:contact_page", args=[contact.pk]))


def test_the_contact_page_shows_my_strength_band_and_why(world, contact):
    for day in (1, 8, 15):
        log(world.rep, contact, days=day)
    log(world.rep, contact, kind="call", direction="inbound", days=2)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    mine = Relationship.objects.get(user=world.rep.user, contact=contact)
    body = page(world.rep, contact).content.decode()
    assert "Your relationship" in body
    assert f"badge-band-{mine.band}" in body
    assert "3 meetings and 1 call in 90 days, last reply 2 days ago" in body


def test_who_knows_ranks_teammates_by_strength_without_private_content(world, contact):
    log(world.teammate, contact, subject="Secret pricing talk", body="private words", visibility=Visibility.PRIVATE)
    for day in (1, 3, 5, 9):
        log(world.other_rep, contact, days=day, subject="West meeting")
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    response = page(world.rep, contact)
    body = response.content.decode()
    assert "Who knows Grace Hopper" in body
    ranked = [t.user_id for t in response.context["who_knows"]]
    assert ranked == [world.other_rep.user_id, world.teammate.user_id], "strongest first"
    assert "Secret pricing talk" not in body and "private words" not in body
    assert "You have no relationship with them yet" in body
    # The teammate's own page explains their score; nobody else's page does.
    assert "1 meeting in 90 days" in page(world.teammate, contact).content.decode()
    assert "1 meeting in 90 days" not in body


def test_someone_who_left_is_not_listed(world, contact):
    log(world.teammate, contact)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    assert [t.user_id for t in page(world.rep, contact).context["who_knows"]] == [world.teammate.user_id]
    world.teammate.delete()
    assert page(world.rep, contact).context["who_knows"] == []


def test_the_company_page_ranks_teammates_by_their_best_relationship_there(world, company, contact):
    ken = ContactFactory(organization=world.org, company=company)
    log(world.teammate, ken, days=300)
    log(world.teammate, contact, days=200)
    for day in (1, 2, 4):
        log(world.other_rep, contact, days=day)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk, ken.pk])
    response = client_for(world.rep).get(reverse("activities:company_page", args=[company.pk]))
    ranked = response.context["teammates"]
    assert [t.user_id for t in ranked] == [world.other_rep.user_id, world.teammate.user_id]
    assert ranked[0].strength > ranked[1].strength
    body = response.content.decode()
    assert "2 contacts · 2 interactions" in body
    assert "badge-band-" in body


def test_the_company_page_query_count_does_not_grow_with_teammates(world, company, django_assert_max_num_queries):
    client = client_for(world.rep)
    url = reverse("activities:company_page", args=[company.pk])
    people = [ContactFactory(organization=world.org, company=company) for _ in range(3)]
    for member in (world.rep, world.teammate):
        for person in people:
            log(member, person)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[p.pk for p in people])
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    for member in (world.manager, world.other_rep, world.admin):
        for person in people:
            log(member, person)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[p.pk for p in people])
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_an_outsider_sees_no_strength_of_ours(world, contact):
    log(world.rep, contact)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    assert page(world.outsider, contact).status_code == 404


# --- the admins' settings page ----------------------------------------------------------


def test_an_admin_changes_the_weights_and_everything_is_rescored(world, contact, django_capture_on_commit_callbacks):
    log(world.rep, contact, kind="call", days=10)
    relationships_refresh(organization_id=world.org.pk, contact_ids=[contact.pk])
    before = Relationship.objects.get(user=world.rep.user, contact=contact).strength
    client = client_for(world.admin)
    form = client.get(SETTINGS)
    assert form.status_code == 200 and "Half-life (days)" in form.content.decode()
    data = {
        "meeting_weight": 6,
        "call_weight": 12,
        "two_way_email_weight": 2,
        "one_way_email_weight": 0.5,
        "note_weight": 0,
        "help_weight": 5,
        "half_life_days": 60,
        "mass_mail_recipients": 8,
        "reply_owed_working_days": 3,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SETTINGS, data)
    assert response.status_code == 302
    policy = ScoringPolicy.objects.get(organization=world.org)
    assert (policy.call_weight, policy.half_life_days, policy.mass_mail_recipients) == (12, 60, 8)
    assert Relationship.objects.get(user=world.rep.user, contact=contact).strength > before


def test_a_bad_setting_is_named_and_changes_nothing(world):
    client = client_for(world.admin)
    response = client.post(SETTINGS, {"meeting_weight": -1, "half_life_days": 3})
    assert response.status_code == 400
    body = response.content.decode()
    assert "greater than or equal to 0" in body and "greater than or equal to 7" in body
    assert ScoringPolicy.objects.get(organization=world.org).half_life_days == 90


def test_rescore_now_rebuilds_after_commit(world, contact, django_capture_on_commit_callbacks):
    log(world.rep, contact)
    Relationship.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.admin).post(reverse("activities:scoring_rescore"))
    assert response.status_code == 302
    assert Relationship.objects.filter(user=world.rep.user, contact=contact).exists()


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_only_admins_open_the_scoring_settings(world, who):
    client = client_for(getattr(world, who))
    assert client.get(SETTINGS).status_code == 403
    assert client.post(reverse("activities:scoring_rescore")).status_code == 403


def test_an_outsider_admin_edits_only_their_own_organizations_policy(world):
    client = client_for(world.outsider)
    assert client.get(SETTINGS).status_code == 200
    ScoringPolicy.objects.get_or_create(organization=world.org)
    client.post(SETTINGS, {"meeting_weight": 1, "call_weight": 1, "two_way_email_weight": 1, "one_way_email_weight": 1,
                           "note_weight": 1, "help_weight": 1, "half_life_days": 30, "mass_mail_recipients": 5,
                           "reply_owed_working_days": 2})  # fmt: skip
    assert ScoringPolicy.objects.get(organization=world.org).half_life_days == 90
    assert ScoringPolicy.objects.get(organization=world.other_org).half_life_days == 30


def test_the_admin_nav_links_the_scoring_page(world):
    assert SETTINGS in client_for(world.admin).get(SETTINGS).content.decode()
