"""Accounts at risk (hanging on one teammate, going cold) and target-account coverage."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from contacts.models import Band, Relationship, RelationshipChange, TargetAccount
from relintel.dashboards.team_accounts import accounts_at_risk, target_coverage
from relintel.dashboards.team_period import period_preset
from tests.factories import CompanyFactory, ContactFactory

STRENGTH = {Band.STRONG: 80, Band.MEDIUM: 55, Band.WEAK: 30, Band.COLD: 5}


def know(member, contact, band):
    return Relationship.objects.create(
        organization_id=contact.organization_id,
        user=member.user,
        contact=contact,
        band=band,
        strength=STRENGTH[band],
        interaction_count=3,
    )


def change(member, contact, from_band, to_band, when=None):
    return RelationshipChange.objects.create(
        organization_id=contact.organization_id,
        user=member.user,
        contact=contact,
        from_band=from_band,
        to_band=to_band,
        changed_at=when or timezone.now() - datetime.timedelta(days=3),
    )


@pytest.fixture
def period():
    return period_preset("4w", today=timezone.localdate())


@pytest.fixture
def team_ids(world):
    return [world.rep.user_id, world.teammate.user_id, world.manager.user_id]


def person_at(world, company, name="Ann"):
    return ContactFactory(
        organization=world.org, company=company, first_name=name, full_name=f"{name} at {company.name}"
    )


def test_a_company_known_well_by_one_teammate_only_hangs_on_them(world, period, team_ids):
    lonely = CompanyFactory(organization=world.org, name="Initech")
    shared = CompanyFactory(organization=world.org, name="Hooli")
    know(world.rep, person_at(world, lonely), Band.STRONG)
    know(world.rep, person_at(world, lonely, "Bob"), Band.MEDIUM)  # still one teammate
    know(world.teammate, person_at(world, lonely, "Cy"), Band.WEAK)  # weak does not count
    know(world.rep, person_at(world, shared), Band.MEDIUM)
    know(world.teammate, person_at(world, shared, "Dee"), Band.MEDIUM)
    know(world.other_rep, person_at(world, lonely, "Eve"), Band.STRONG)  # another team
    risk = accounts_at_risk(organization_id=world.org.pk, user_ids=team_ids, period=period)
    assert risk.one_person_total == 1
    [account] = risk.one_person
    assert (account.company_name, account.holder_name, account.band, account.relationships) == (
        "Initech",
        "Rita Rep",
        Band.STRONG,
        2,
    )
    assert account.contact_name == "Ann at Initech"


def test_the_best_relationship_falling_a_band_is_going_cold(world, period, team_ids):
    falling = CompanyFactory(organization=world.org, name="Globex Corp")
    ann = person_at(world, falling)
    know(world.rep, ann, Band.MEDIUM)
    change(world.rep, ann, Band.STRONG, Band.MEDIUM)
    held = CompanyFactory(organization=world.org, name="Umbrella")
    bob = person_at(world, held, "Bob")
    know(world.rep, bob, Band.WEAK)
    change(world.rep, bob, Band.STRONG, Band.WEAK)
    know(world.teammate, person_at(world, held, "Cy"), Band.STRONG)  # still strong through Tom
    old = CompanyFactory(organization=world.org, name="Old news")
    dee = person_at(world, old, "Dee")
    know(world.rep, dee, Band.WEAK)
    change(world.rep, dee, Band.MEDIUM, Band.WEAK, when=timezone.now() - datetime.timedelta(days=90))
    risk = accounts_at_risk(organization_id=world.org.pk, user_ids=team_ids, period=period)
    assert risk.going_cold_total == 1
    [account] = risk.going_cold
    assert (account.company_name, account.was_band, account.band) == ("Globex Corp", Band.STRONG, Band.MEDIUM)


def test_at_risk_lists_are_bounded_but_counted_in_full(world, period, team_ids):
    for i in range(4):
        know(world.rep, person_at(world, CompanyFactory(organization=world.org, name=f"Co {i}")), Band.MEDIUM)
    risk = accounts_at_risk(organization_id=world.org.pk, user_ids=team_ids, period=period, limit=2)
    assert len(risk.one_person) == 2
    assert risk.one_person_total == 4


def test_target_coverage_says_covered_thin_or_uncovered_with_the_best_teammate(world, team_ids):
    covered = CompanyFactory(organization=world.org, name="Covered Co")
    thin = CompanyFactory(organization=world.org, name="Thin Co")
    nobody = CompanyFactory(organization=world.org, name="Nobody Co")
    elsewhere = CompanyFactory(organization=world.org, name="West's Co")
    know(world.rep, person_at(world, covered), Band.MEDIUM)
    know(world.teammate, person_at(world, covered, "Bo"), Band.STRONG)
    know(world.rep, person_at(world, thin), Band.MEDIUM)
    know(world.teammate, person_at(world, thin, "Cy"), Band.WEAK)
    know(world.other_rep, person_at(world, nobody), Band.STRONG)  # West's relationship does not cover East
    TargetAccount.objects.create(organization=world.org, team=world.team_a, company=covered)
    TargetAccount.objects.create(organization=world.org, team=world.team_a, company=thin)
    TargetAccount.objects.create(organization=world.org, team=None, company=nobody)
    TargetAccount.objects.create(organization=world.org, team=world.team_b, company=elsewhere)
    rows = target_coverage(organization_id=world.org.pk, team=world.team_a, user_ids=team_ids)
    by_name = {r.company_name: r for r in rows}
    assert list(by_name) == ["Nobody Co", "Thin Co", "Covered Co"]  # uncovered first
    assert by_name["Covered Co"].status == "covered"
    assert (by_name["Covered Co"].best_name, by_name["Covered Co"].best_band) == ("Tom Teammate", Band.STRONG)
    assert (by_name["Covered Co"].teammates_well, by_name["Covered Co"].relationships_well) == (2, 2)
    assert by_name["Thin Co"].status == "thin"
    assert by_name["Nobody Co"].status == "uncovered" and by_name["Nobody Co"].org_wide
    assert by_name["Nobody Co"].best_name == ""
