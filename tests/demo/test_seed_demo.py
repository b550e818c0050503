"""``manage.py seed_demo``: a deterministic, realistic demo organization, built fast."""

from __future__ import annotations

import datetime
from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count, Max

from activities.models import Interaction, Participant
from activities.services import relationships_rebuild, relationships_refresh
from contacts.models import Company, CompanyDomain, Contact, ContactEmail, ContactPhone, HelpOffer, Relationship
from contacts.normalize import search_text
from relintel.accounts.models import Membership, Organization, Role, User
from relintel.demo.constants import DEMO_LOGINS, DEMO_ORGANIZATION_SLUG, DEMO_PASSWORD
from relintel.demo.generate import plan_users

TODAY = datetime.date(2025, 6, 30)
SMALL = {"contacts": 200, "interactions": 2000, "today": TODAY}
RELATIONSHIP_FIELDS = (
    "user_id",
    "contact_id",
    "interaction_count",
    "meeting_count",
    "inbound_count",
    "outbound_count",
    "help_given_count",
    "help_received_count",
    "first_interaction_at",
    "last_interaction_at",
    "last_inbound_at",
    "last_outbound_at",
)


def seed(*args: str, **options: object) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, **{**SMALL, **options})
    return out.getvalue()


def demo_org() -> Organization:
    return Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG)


def relationship_rows(org: Organization) -> list[tuple[object, ...]]:
    return sorted(Relationship.objects.filter(organization=org).values_list(*RELATIONSHIP_FIELDS))


@pytest.fixture
def seeded(db) -> Organization:
    seed()
    return demo_org()


def test_it_builds_two_teams_with_a_manager_each_six_reps_and_an_admin(seeded):
    memberships = Membership.objects.filter(organization=seeded).select_related("team", "user")
    assert Counter(m.role for m in memberships) == {Role.REP: 6, Role.MANAGER: 2, Role.ADMIN: 1}
    by_team = Counter((m.team.name if m.team else None, m.role) for m in memberships)
    assert by_team == {
        ("East", "rep"): 3,
        ("West", "rep"): 3,
        ("East", "manager"): 1,
        ("West", "manager"): 1,
        (None, "admin"): 1,
    }
    roles = {m.user.email: (m.role, m.team.name if m.team else None) for m in memberships}
    assert roles[DEMO_LOGINS["admin"]] == ("admin", None)
    assert roles[DEMO_LOGINS["manager"]] == ("manager", "East")
    assert roles[DEMO_LOGINS["rep"]] == ("rep", "East")
    assert seeded.name == "Northwind Partners"


def test_it_builds_the_requested_number_of_contacts_and_interactions(seeded):
    assert Contact.objects.filter(organization=seeded).count() == 200
    assert Interaction.objects.filter(organization=seeded).count() == 2000
    companies = Company.objects.filter(organization=seeded).count()
    assert 25 <= companies <= 32
    assert CompanyDomain.objects.filter(organization_id=seeded.pk).count() == companies
    assert Participant.objects.filter(interaction__organization=seeded).count() >= 4000


def test_every_contact_has_a_primary_email_a_valid_phone_and_its_search_text(seeded):
    contacts = (
        Contact.objects.filter(organization=seeded).select_related("company").prefetch_related("emails", "phones")
    )
    for contact in contacts:
        emails = [e.email for e in contact.emails.all()]
        assert sum(e.is_primary for e in contact.emails.all()) == 1
        assert contact.company is not None
        assert contact.search_text == search_text(contact.full_name, *emails, contact.company.name)
        for phone in contact.phones.all():
            assert phonenumbers.is_valid_number(phonenumbers.parse(phone.number, None)), phone.number
            assert (
                phonenumbers.format_number(phonenumbers.parse(phone.number, None), phonenumbers.PhoneNumberFormat.E164)
                == phone.number
            )
    assert ContactPhone.objects.filter(contact__organization=seeded).count() >= 200
    domains = set(CompanyDomain.objects.filter(organization_id=seeded.pk).values_list("domain", flat=True))
    at_company = ContactEmail.objects.filter(organization_id=seeded.pk, email__regex=r"@.*\.example$")
    assert all(e.email.split("@")[1] in domains for e in at_company)
    assert ContactEmail.objects.filter(organization_id=seeded.pk).exclude(email__regex=r"@.*\.example$").exists()


def test_last_interaction_at_is_the_latest_interaction_of_each_contact(seeded):
    latest = dict(
        Participant.objects.filter(interaction__organization=seeded, contact__isnull=False)
        .values("contact_id")
        .annotate(last=Max("interaction__occurred_at"))
        .values_list("contact_id", "last")
    )
    contacts = dict(Contact.objects.filter(organization=seeded).values_list("id", "last_interaction_at"))
    assert contacts == {pk: latest.get(pk) for pk in contacts}
    assert sum(1 for value in contacts.values() if value is None) < 60, "most contacts have been talked to"


def test_the_same_seed_and_day_give_the_same_data(db):
    def snapshot() -> tuple[list[tuple[str, str]], list[str], dict[str, int], int]:
        org = demo_org()
        names = list(Contact.objects.filter(organization=org).order_by("id").values_list("full_name", "title"))
        emails = list(
            ContactEmail.objects.filter(organization_id=org.pk)
            .order_by("contact_id", "-is_primary", "email")
            .values_list("email", flat=True)
        )
        kinds = dict(Interaction.objects.filter(organization=org).values_list("kind").annotate(n=Count("id")))
        return names, emails, kinds, Participant.objects.filter(interaction__organization=org).count()

    seed(seed=7)
    first = snapshot()
    seed("--replace", seed=7)
    assert snapshot() == first
    seed("--replace", seed=8)
    assert snapshot()[0] != first[0]


def test_help_offers_cover_every_status_in_both_directions(seeded):
    offers = HelpOffer.objects.filter(organization=seeded)
    pairs = set(offers.values_list("status", "direction"))
    for status in ("offered", "accepted", "delivered", "declined", "withdrawn"):
        assert (status, "given") in pairs
        assert (status, "received") in pairs
    open_offers = offers.filter(status__in=("offered", "accepted"))
    assert open_offers.filter(due_date__lt=TODAY).exists(), "some are overdue"
    assert open_offers.filter(due_date__gte=TODAY, due_date__lte=TODAY + datetime.timedelta(days=7)).exists(), (
        "some are due soon"
    )
    intros = offers.filter(kind="intro")
    assert intros.exists()
    assert all(o.intro_contact_id and o.intro_contact_id != o.contact_id for o in intros)
    assert all(o.delivered_at for o in offers.filter(status="delivered"))
    assert all(o.closed_at for o in offers.filter(status__in=("declined", "withdrawn")))
    riley = User.objects.get(email=DEMO_LOGINS["rep"])
    assert offers.filter(user=riley, status="offered", due_date__lt=TODAY).exists()


def test_relationships_are_rebuilt_and_agree_with_a_fresh_refresh(seeded):
    before = relationship_rows(seeded)
    assert len(before) >= 150
    contact_ids = list(Contact.objects.filter(organization=seeded).values_list("id", flat=True))
    relationships_refresh(organization_id=seeded.pk, contact_ids=contact_ids)
    assert relationship_rows(seeded) == before
    delivered = HelpOffer.objects.filter(organization=seeded, status="delivered", direction="given").first()
    assert delivered is not None
    row = Relationship.objects.get(user_id=delivered.user_id, contact_id=delivered.contact_id)
    assert row.help_given_count >= 1


def test_the_three_demo_logins_sign_in_with_the_demo_password(seeded):
    for email in DEMO_LOGINS.values():
        assert authenticate(email=email, password=DEMO_PASSWORD) is not None, email
    hashes = set(User.objects.filter(memberships__organization=seeded).values_list("password", flat=True))
    assert len(hashes) == 1, "every demo user shares the one hash"


def test_the_output_names_the_url_and_the_logins(db):
    output = seed()
    assert "http://" in output
    for email in DEMO_LOGINS.values():
        assert email in output
    assert DEMO_PASSWORD in output
    assert "interactions" in output


def test_a_second_run_without_replace_is_refused_and_changes_nothing(seeded):
    count = Interaction.objects.filter(organization=seeded).count()
    with pytest.raises(CommandError, match="--replace"):
        seed()
    assert Interaction.objects.filter(organization=seeded).count() == count


def test_replace_rebuilds_the_demo_and_leaves_other_organizations_alone(world, seeded):
    other = Contact.objects.create(organization=world.org, full_name="Kept Safe")
    seed("--replace", contacts=100, interactions=500)
    org = demo_org()
    assert org.pk != seeded.pk
    assert not Organization.objects.filter(pk=seeded.pk).exists()
    assert Contact.objects.filter(organization=org).count() == 100
    assert Interaction.objects.filter(organization=org).count() == 500
    assert Interaction.objects.count() == 500
    assert Contact.objects.filter(pk=other.pk).exists()
    assert User.objects.filter(email=DEMO_LOGINS["rep"]).count() == 1


def test_if_empty_does_nothing_when_an_organization_exists(world):
    output = seed("--if-empty")
    assert "not seeding" in output
    assert not Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).exists()


def test_if_empty_seeds_an_empty_database(db):
    seed("--if-empty")
    assert Contact.objects.filter(organization=demo_org()).count() == 200


def test_users_flag_spreads_reps_over_more_teams(db):
    seed(users=40, contacts=100, interactions=300)
    memberships = Membership.objects.filter(organization=demo_org())
    assert memberships.count() == 40
    assert memberships.filter(role="admin").count() == 1
    managers = memberships.filter(role="manager")
    assert managers.count() >= 2
    assert {m.team_id for m in managers} == set(memberships.filter(role="rep").values_list("team_id", flat=True))


def test_relationships_show_strong_fading_one_way_and_new_rhythms(seeded):
    rows = Relationship.objects.filter(organization=seeded)
    now = datetime.datetime(2025, 6, 30, tzinfo=datetime.UTC)
    strong = rows.filter(
        interaction_count__gte=8,
        inbound_count__gte=2,
        outbound_count__gte=2,
        meeting_count__gte=1,
        last_interaction_at__gte=now - datetime.timedelta(days=14),
    )
    fading = rows.filter(
        interaction_count__gte=3,
        inbound_count__gte=1,
        last_interaction_at__lt=now - datetime.timedelta(days=90),
        first_interaction_at__lt=now - datetime.timedelta(days=270),
    )
    one_way = rows.filter(outbound_count__gte=2, inbound_count=0)
    new = rows.filter(first_interaction_at__gte=now - datetime.timedelta(days=31))
    assert strong.count() >= 5
    assert fading.count() >= 5
    assert one_way.count() >= 5
    assert new.count() >= 3


def test_interactions_happen_on_weekdays_in_working_hours(seeded):
    zone = ZoneInfo("America/New_York")
    earliest = datetime.datetime(2025, 6, 30, tzinfo=zone) - datetime.timedelta(days=560)
    for occurred in Interaction.objects.filter(organization=seeded).values_list("occurred_at", flat=True):
        local = occurred.astimezone(zone)
        assert local.weekday() < 5
        assert 8 <= local.hour < 19
        assert earliest <= local < datetime.datetime(2025, 6, 30, tzinfo=zone)


def test_participants_and_directions_agree(seeded):
    interactions = Interaction.objects.filter(organization=seeded).prefetch_related("participants")
    for interaction in interactions[:600]:
        people = list(interaction.participants.all())
        users = [p for p in people if p.user_id == interaction.owner_id]
        assert users, "the owner takes part"
        assert any(p.contact_id for p in people)
        if interaction.kind == "email":
            sender = next(p for p in people if p.role == "from")
            assert (sender.user_id is not None) == (interaction.direction == "outbound")
            assert interaction.thread_id and interaction.external_id
        if interaction.kind == "meeting":
            organizer = next(p for p in people if p.role == "organizer")
            assert (organizer.user_id is not None) == (interaction.direction == "outbound")
    meetings = Interaction.objects.filter(organization=seeded, kind="meeting").annotate(n=Count("participants"))
    assert meetings.filter(n__gte=3).exists(), "some meetings have several attendees"
    threads = Interaction.objects.filter(organization=seeded, kind="email").values("thread_id").annotate(n=Count("id"))
    assert threads.filter(n__gte=3).exists(), "email comes in threads"
    assert Interaction.objects.filter(organization=seeded, subject__startswith="Re: ").exists()


def test_most_interactions_are_shared_with_the_team_some_private_or_organization_wide(seeded):
    visibility = Counter(Interaction.objects.filter(organization=seeded).values_list("visibility", flat=True))
    assert visibility["team"] > visibility["organization"] > visibility["private"] > 0
    interaction = Interaction.objects.filter(organization=seeded).select_related("owner").first()
    assert interaction is not None
    assert interaction.team_id == Membership.objects.get(user=interaction.owner, organization=seeded).team_id


def test_plan_users_gives_the_fixed_logins_and_scales_teams():
    teams, users = plan_users(total=9, logins=DEMO_LOGINS)
    assert teams == ["East", "West"]
    assert [u.email for u in users if u.email in DEMO_LOGINS.values()] == list(DEMO_LOGINS.values())
    teams, users = plan_users(total=40, logins=DEMO_LOGINS)
    assert len(users) == 40
    assert len({u.email for u in users}) == 40
    assert len(teams) >= 3


def test_relationships_rebuild_drops_stale_rows_and_counts_help_without_interactions(seeded):
    contact = Contact.objects.filter(organization=seeded, last_interaction_at__isnull=True).first()
    rep = User.objects.get(email=DEMO_LOGINS["rep"])
    assert contact is not None
    Relationship.objects.create(organization=seeded, user=rep, contact=contact, interaction_count=99)
    HelpOffer.objects.create(
        organization=seeded,
        user=rep,
        contact=contact,
        direction="received",
        kind="advice",
        description="Told us how their buying committee works",
        status="delivered",
        delivered_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC),
    )
    relationships_rebuild(organization_id=seeded.pk)
    rebuilt = relationship_rows(seeded)
    row = Relationship.objects.get(user=rep, contact=contact)
    assert (row.interaction_count, row.help_received_count, row.last_interaction_at) == (0, 1, None)
    relationships_refresh(
        organization_id=seeded.pk,
        contact_ids=list(Contact.objects.filter(organization=seeded).values_list("id", flat=True)),
    )
    assert relationship_rows(seeded) == rebuilt
