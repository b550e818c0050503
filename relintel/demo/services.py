"""Build (and tear down) the demo organization.

``demo_seed`` plans everything in memory except the interactions, which are
streamed straight into the database; contacts are written after them so each
one's ``last_interaction_at`` is already known.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model

from activities.models import ActivityRollup, Interaction, Participant, ReplyOwed
from activities.replies import replies_owed_rebuild
from activities.rollups import activity_rollups_rebuild
from activities.services import relationships_rebuild
from contacts.matchmaking.service import intro_suggestions_refresh
from contacts.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    HelpOffer,
    Relationship,
    RelationshipChange,
)
from contacts.normalize import search_text
from relintel.accounts.models import Membership, Organization, Team, User
from relintel.demo import bulk
from relintel.demo.constants import DEMO_LOGINS, DEMO_ORGANIZATION_SLUG, DEMO_PASSWORD
from relintel.demo.generate import (
    DEMO_TIMEZONE,
    ORG_DOMAIN,
    UTC,
    plan_companies,
    plan_contacts,
    plan_relationships,
    plan_users,
    stage_rng,
)
from relintel.demo.help_offers import plan_help_offers
from relintel.demo.timeline import Timeline, UserInfo

Log = Callable[[str], None]


@dataclass(frozen=True)
class SeedResult:
    organization: Organization
    users: int
    companies: int
    contacts: int
    interactions: int
    participants: int
    help_offers: int
    relationships: int
    seconds: float


class _Clock:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.started = time.monotonic()

    def __call__(self, stage: str, **counts: int) -> None:
        parts = " ".join(f"{name}={value:,}" for name, value in counts.items())
        self.log(f"[{time.monotonic() - self.started:7.1f}s] {stage} {parts}".rstrip())


def demo_organization_delete(*, organization: Organization, log: Log = lambda _: None) -> None:
    """Delete an organization and everything in it, the big tables with set-based SQL first.

    Its users go too unless they belong to another organization.
    """
    clock = _Clock(log)
    org_id = organization.pk
    user_ids = list(Membership.objects.filter(organization_id=org_id).values_list("user_id", flat=True))
    # Leaf rows first, straight in SQL: the ORM's cascade would load a million interactions.
    interactions = Interaction.objects.filter(organization_id=org_id).values("id")
    through = Interaction.help_offers.through
    with transaction.atomic():
        through.objects.filter(interaction_id__in=interactions)._raw_delete(connection.alias)
        Participant.objects.filter(interaction_id__in=interactions)._raw_delete(connection.alias)
        Interaction.objects.filter(organization_id=org_id)._raw_delete(connection.alias)
        Relationship.objects.filter(organization_id=org_id)._raw_delete(connection.alias)
        ContactPhone.objects.filter(contact__organization_id=org_id)._raw_delete(connection.alias)
        ContactEmail.objects.filter(organization_id=org_id)._raw_delete(connection.alias)
        HelpOffer.objects.filter(organization_id=org_id).delete()
        # The ORM deletes the rest, so rows of apps that come later are cascaded too.
        Contact.objects.filter(organization_id=org_id).delete()
        organization.delete()
        User.objects.filter(pk__in=user_ids, memberships__isnull=True).delete()
    clock("deleted organization", id=org_id)


def demo_seed(
    *,
    seed: int = 1,
    today: datetime.date | None = None,
    contacts: int = 2_000,
    interactions: int = 30_000,
    users: int = 9,
    replace: bool = False,
    log: Log = lambda _: None,
) -> SeedResult:
    """Build the demo organization. Refuses if it exists, unless ``replace``."""
    if contacts < 2 or interactions < 1 or users < 5:
        raise ValidationError({"size": ["Ask for at least 2 contacts, 1 interaction and 5 users."]})
    today = today or datetime.datetime.now(DEMO_TIMEZONE).date()
    clock = _Clock(log)
    existing = Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).first()
    if existing is not None and not replace:
        raise ValidationError({"organization": [f"The demo organization “{existing.name}” already exists."]})
    # One transaction: a failed rebuild leaves the old demo in place.
    with transaction.atomic():
        if existing is not None:
            demo_organization_delete(organization=existing, log=log)
        return _build(
            seed=seed, today=today, n_contacts=contacts, n_interactions=interactions, n_users=users, clock=clock
        )


def _analyze(*models: type[Model]) -> None:
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _build(
    *, seed: int, today: datetime.date, n_contacts: int, n_interactions: int, n_users: int, clock: _Clock
) -> SeedResult:
    midnight = datetime.datetime.combine(today, datetime.time()).replace(tzinfo=DEMO_TIMEZONE).astimezone(UTC)
    founded = midnight - datetime.timedelta(days=600)
    org = Organization.objects.create(
        name="Northwind Partners", slug=DEMO_ORGANIZATION_SLUG, internal_domains=[ORG_DOMAIN]
    )
    team_names, people = plan_users(total=n_users, logins=DEMO_LOGINS)
    teams = {name: Team.objects.create(organization=org, name=name) for name in team_names}
    password = make_password(DEMO_PASSWORD)  # hashed once: argon2 is slow on purpose
    taken = set(User.objects.filter(email__in=[p.email for p in people]).values_list("email", flat=True))
    if taken:
        raise ValidationError({"users": [f"These demo logins already belong to someone: {', '.join(sorted(taken))}."]})
    user_objects = User.objects.bulk_create(
        [User(email=p.email, full_name=p.full_name, password=password, date_joined=founded) for p in people]
    )
    if any(u.pk is None for u in user_objects):  # backends that cannot return ids
        by_email = dict(User.objects.filter(email__in=[p.email for p in people]).values_list("email", "pk"))
        for user in user_objects:
            user.pk = by_email[user.email]
    Membership.objects.bulk_create(
        [
            Membership(user=u, organization=org, role=p.role, team=teams[p.team] if p.team else None)
            for u, p in zip(user_objects, people, strict=True)
        ]
    )
    team_of = {u.pk: (teams[p.team].pk if p.team else None) for u, p in zip(user_objects, people, strict=True)}
    rep_ids = [u.pk for u, p in zip(user_objects, people, strict=True) if p.role == "rep"]
    team_name_of = {u.pk: p.team or "" for u, p in zip(user_objects, people, strict=True)}
    clock("users", teams=len(teams), users=len(people), reps=len(rep_ids))

    n_companies = max(1, round(n_contacts / 7))
    companies = plan_companies(
        seed=seed, count=n_companies, first_id=bulk.reserve_ids(Company, n_companies), rep_ids=rep_ids
    )
    contact_plans = plan_contacts(
        seed=seed,
        count=n_contacts,
        first_id=bulk.reserve_ids(Contact, n_contacts),
        companies=companies,
        rep_ids=rep_ids,
    )
    rels = plan_relationships(
        seed=seed, contacts=contact_plans, rep_ids=rep_ids, teams_by_rep=team_name_of, interactions=n_interactions
    )
    clock("planned", companies=len(companies), contacts=len(contact_plans), relationships=len(rels))

    company_rng = stage_rng(seed, "company-dates")
    company_rows = bulk.BulkWriter(Company, bulk.COMPANY_COLUMNS)
    domain_rows = bulk.BulkWriter(CompanyDomain, bulk.COMPANY_DOMAIN_COLUMNS)
    for company in companies:
        created = founded + datetime.timedelta(days=company_rng.uniform(0, 60))
        company_rows.add(
            (company.id, org.pk, company.name, f"https://www.{company.domain}", company.industry, "",
             company.owner_id, "", created, created)
        )  # fmt: skip
        domain_rows.add((org.pk, company.id, company.domain))
    company_rows.flush()
    domain_rows.flush()
    clock("companies", companies=company_rows.written, domains=domain_rows.written)

    users_info = {u.pk: UserInfo(u.email, u.full_name, team_of[u.pk]) for u in user_objects}
    teammates: dict[int, list[int]] = {}
    for rep_id in rep_ids:
        teammates[rep_id] = [
            other for other in team_of if other != rep_id and team_of[other] == team_of[rep_id] and other in users_info
        ]
    timeline = Timeline(
        seed=seed,
        organization_id=org.pk,
        today=today,
        first_id=bulk.reserve_ids(Interaction, n_interactions),
        users=users_info,
        teammates=teammates,
        contacts={c.id: c for c in contact_plans},
    )
    interaction_rows = bulk.BulkWriter(Interaction, bulk.INTERACTION_COLUMNS)
    participant_rows = bulk.BulkWriter(Participant, bulk.PARTICIPANT_COLUMNS, batch_size=150_000)
    for row, people_rows in timeline.rows(rels):
        interaction_rows.add(row)
        participant_rows.extend(people_rows)
        if interaction_rows.written and not interaction_rows.buffer and interaction_rows.written % 200_000 == 0:
            clock("interactions", interactions=interaction_rows.written, participants=participant_rows.written)
    interaction_rows.flush()
    participant_rows.flush()
    clock("interactions", interactions=interaction_rows.written, participants=participant_rows.written)

    contact_rng = stage_rng(seed, "contact-dates")
    sources = ("capture", "capture", "capture", "import", "manual", "salesforce")
    contact_rows = bulk.BulkWriter(Contact, bulk.CONTACT_COLUMNS)
    email_rows = bulk.BulkWriter(ContactEmail, bulk.CONTACT_EMAIL_COLUMNS)
    phone_rows = bulk.BulkWriter(ContactPhone, bulk.CONTACT_PHONE_COLUMNS)
    for c in contact_plans:
        first = timeline.first_at.get(c.id)
        created = (
            first - datetime.timedelta(days=contact_rng.uniform(0, 20))
            if first
            else midnight - datetime.timedelta(days=contact_rng.uniform(1, 540))
        )
        created = max(created, founded)
        contact_rows.add(
            (c.id, org.pk, c.full_name, c.first_name, c.last_name, c.title, c.company.id, c.location, "",
             c.interests, c.needs, c.expertise, "", c.owner_id, contact_rng.choice(sources), "", "",
             search_text(c.full_name, *c.emails, c.company.name), timeline.last_at.get(c.id), c.owner_id,
             created, timeline.last_at.get(c.id, created))
        )  # fmt: skip
        for position, email in enumerate(c.emails):
            email_rows.add((org.pk, c.id, email, position == 0))
        for position, (number, kind) in enumerate(c.phones):
            phone_rows.add((c.id, number, kind, position == 0))
    for writer in (contact_rows, email_rows, phone_rows):
        writer.flush()
    clock("contacts", contacts=contact_rows.written, emails=email_rows.written, phones=phone_rows.written)

    help_rows = bulk.BulkWriter(HelpOffer, bulk.HELP_OFFER_COLUMNS)
    help_rows.extend(
        plan_help_offers(
            seed=seed,
            organization_id=org.pk,
            today=today,
            plans=rels,
            contacts=contact_plans,
            count=max(10, n_contacts // 10),
            first_rep_id=rep_ids[0],
        )
    )
    help_rows.flush()
    clock("help offers", help_offers=help_rows.written)

    # Fresh statistics before the first big reads: without them PostgreSQL plans the
    # rebuild's and the pages' queries as if these tables were empty (autovacuum's
    # ANALYZE comes minutes later, and never inside this transaction).
    _analyze(Company, CompanyDomain, Contact, ContactEmail, Interaction, Participant, HelpOffer)
    relationships = relationships_rebuild(organization_id=org.pk)
    clock("relationships", relationships=relationships)
    clock("activity rollups", rollups=activity_rollups_rebuild(organization_id=org.pk))
    clock("replies owed", replies_owed=replies_owed_rebuild(organization_id=org.pk))
    _analyze(Relationship, RelationshipChange, ActivityRollup, ReplyOwed)
    suggestions = 0
    for user in user_objects:
        suggestions += intro_suggestions_refresh(organization_id=org.pk, user_id=user.pk)["created"]
    clock("intro suggestions", suggestions=suggestions)
    return SeedResult(
        organization=org,
        users=len(people),
        companies=company_rows.written,
        contacts=contact_rows.written,
        interactions=interaction_rows.written,
        participants=participant_rows.written,
        help_offers=help_rows.written,
        relationships=relationships,
        seconds=time.monotonic() - clock.started,
    )
