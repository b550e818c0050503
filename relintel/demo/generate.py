"""Pure generation of the demo organization's rows: no ORM, deterministic per seed.

Each stage draws from its own ``random.Random(f"{seed}-{stage}")`` so that, for
instance, asking for more interactions does not rename the contacts. Rows come
out as plain tuples in the column order of ``relintel.demo.bulk`` tables;
interactions are streamed so a million of them never sit in memory at once.
"""

from __future__ import annotations

import datetime
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from relintel.demo import data

DEMO_TIMEZONE = ZoneInfo("America/New_York")
ORG_DOMAIN = "northwind.example"
UTC = datetime.UTC


def stage_rng(seed: int, stage: str) -> random.Random:
    return random.Random(f"{seed}-{stage}")


# --- people of the organization --------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: str  # rep | manager | admin
    team: str | None


def email_for(full_name: str) -> str:
    local = ".".join(re.sub(r"[^a-z]", "", part.lower()) for part in full_name.split())
    return f"{local}@{ORG_DOMAIN}"


def plan_users(*, total: int, logins: dict[str, str]) -> tuple[list[str], list[DemoUser]]:
    """Teams and users: one admin, a manager per team, the rest reps spread over the teams.

    The admin, the first manager and the first rep get the fixed demo logins.
    """
    total = max(total, 5)
    team_count = max(2, min(len(data.TEAM_NAMES), round((total - 1) / 10)))
    teams = list(data.TEAM_NAMES[:team_count])
    users = [DemoUser(logins["admin"], data.ADMIN_NAME, "admin", None)]
    for position, team in enumerate(teams):
        name = data.MANAGER_NAMES[position]
        users.append(DemoUser(logins["manager"] if position == 0 else email_for(name), name, "manager", team))
    for position in range(total - 1 - team_count):
        name = data.REP_NAMES[position % len(data.REP_NAMES)]
        if position >= len(data.REP_NAMES):
            name = f"{name} {position // len(data.REP_NAMES) + 1}"
        email = logins["rep"] if position == 0 else email_for(name)
        users.append(DemoUser(email, name, "rep", teams[position % team_count]))
    return teams, users


# --- companies and contacts ------------------------------------------------------


@dataclass
class CompanyPlan:
    id: int
    name: str
    domain: str
    industry: str
    owner_id: int
    contact_ids: list[int] = field(default_factory=list)


@dataclass
class ContactPlan:
    id: int
    first_name: str
    last_name: str
    title: str
    company: CompanyPlan
    emails: list[str]
    phones: list[tuple[str, str]]  # (E.164, kind)
    location: str
    interests: str
    needs: str
    expertise: str
    owner_id: int

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def plan_companies(*, seed: int, count: int, first_id: int, rep_ids: Sequence[int]) -> list[CompanyPlan]:
    rng = stage_rng(seed, "companies")
    companies: list[CompanyPlan] = []
    taken: set[str] = set()
    while len(companies) < count:
        base = f"{rng.choice(data.COMPANY_PREFIXES)} {rng.choice(data.COMPANY_CORES)}"
        domain = f"{_slug(base)}.example"
        if domain in taken:
            # Same name twice: a regional subsidiary, as happens in real CRMs.
            city = rng.choice(data.CITIES).split(",")[0]
            base = f"{base} {city}"
            domain = f"{_slug(base)}.example"
            serial = 2
            while domain in taken:
                domain = f"{_slug(base)}{serial}.example"
                serial += 1
        taken.add(domain)
        suffix = rng.choice(data.COMPANY_SUFFIXES)
        companies.append(
            CompanyPlan(
                id=first_id + len(companies),
                name=f"{base} {suffix}".strip(),
                domain=domain,
                industry=rng.choice(data.INDUSTRIES),
                owner_id=rep_ids[len(companies) % len(rep_ids)],
            )
        )
    return companies


def _phone(rng: random.Random, city_index: int) -> str:
    area = data.CITY_AREA_CODES[city_index]
    if not area:  # London: Ofcom's range reserved for drama
        return f"+44207946{rng.randrange(1000):04d}"
    return f"+1{area}555{rng.randrange(100, 10_000):04d}"


def plan_contacts(
    *, seed: int, count: int, first_id: int, companies: list[CompanyPlan], rep_ids: Sequence[int]
) -> list[ContactPlan]:
    """Contacts spread over the companies (a few large accounts, many small ones)."""
    rng = stage_rng(seed, "contacts")
    used_emails: set[str] = set()
    contacts: list[ContactPlan] = []
    # Pareto-ish account sizes: the first companies in the list are the big accounts.
    weights = [1.0 / (1 + position * 0.05) for position in range(len(companies))]
    picks = rng.choices(range(len(companies)), weights=weights, k=count)
    # Every company gets at least one contact.
    for position in range(min(count, len(companies))):
        picks[position] = position
    for position, company_index in enumerate(picks):
        company = companies[company_index]
        first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
        local = f"{first}.{last}".lower().replace("'", "")
        emails: list[str] = []
        free = rng.random() < 0.12
        domain = rng.choice(data.FREE_MAIL) if free else company.domain
        email, serial = f"{local}@{domain}", 2
        while email in used_emails:
            email = f"{local}{serial}@{domain}"
            serial += 1
        emails.append(email)
        if not free and rng.random() < 0.35:
            personal = f"{local}{rng.randrange(10, 99)}@{rng.choice(data.FREE_MAIL)}"
            if personal not in used_emails:
                emails.append(personal)
        used_emails.update(emails)
        city_index = rng.randrange(len(data.CITIES))
        phones = [(_phone(rng, city_index), "work")]
        if rng.random() < 0.4:
            phones.append((_phone(rng, city_index), "mobile"))
        if len(phones) == 2 and phones[1][0] == phones[0][0]:
            phones.pop()
        owner_id = company.owner_id if rng.random() < 0.85 else rng.choice(rep_ids)
        contact = ContactPlan(
            id=first_id + position,
            first_name=first,
            last_name=last,
            title=rng.choice(data.JOB_TITLES),
            company=company,
            emails=emails,
            phones=phones,
            location=data.CITIES[city_index],
            interests=", ".join(rng.sample(data.INTERESTS, rng.randint(0, 3))),
            needs=rng.choice(data.NEEDS) if rng.random() < 0.3 else "",
            expertise=", ".join(rng.sample(data.EXPERTISE, rng.randint(0, 2))),
            owner_id=owner_id,
        )
        company.contact_ids.append(contact.id)
        contacts.append(contact)
    return contacts


# --- relationships and their rhythms --------------------------------------------


class Rhythm(StrEnum):
    STRONG = "strong"  # regular two-way email, meetings and calls, recent
    FADING = "fading"  # was active, silent for the last 3–6 months
    ONE_WAY = "one-way"  # outbound only, no replies
    NEW = "new"  # started within the last month
    OCCASIONAL = "occasional"  # a few touches a year


# (share of contacts, relative number of interactions)
_RHYTHMS: dict[Rhythm, tuple[float, float]] = {
    Rhythm.STRONG: (0.14, 30.0),
    Rhythm.FADING: (0.22, 12.0),
    Rhythm.ONE_WAY: (0.14, 4.0),
    Rhythm.NEW: (0.08, 5.0),
    Rhythm.OCCASIONAL: (0.30, 3.0),
}
_UNTOUCHED_SHARE = 0.12


@dataclass
class RelationshipPlan:
    user_id: int
    contact: ContactPlan
    rhythm: Rhythm
    events: int
    start_days_ago: float
    end_days_ago: float


def _span(rng: random.Random, rhythm: Rhythm) -> tuple[float, float]:
    if rhythm is Rhythm.STRONG:
        return rng.uniform(120, 540), rng.uniform(0.5, 10)
    if rhythm is Rhythm.FADING:
        return rng.uniform(300, 540), rng.uniform(95, 180)
    if rhythm is Rhythm.ONE_WAY:
        return rng.uniform(40, 300), rng.uniform(3, 35)
    if rhythm is Rhythm.NEW:
        return rng.uniform(4, 30), rng.uniform(0.5, 3)
    start = rng.uniform(60, 540)
    return start, rng.uniform(10, start - 30)


def plan_relationships(
    *, seed: int, contacts: list[ContactPlan], rep_ids: Sequence[int], teams_by_rep: dict[int, str], interactions: int
) -> list[RelationshipPlan]:
    """Each rep's portfolio: one rhythm per (rep, contact), sized so the total is ``interactions``."""
    rng = stage_rng(seed, "relationships")
    rhythms = list(_RHYTHMS)
    shares = [_RHYTHMS[r][0] for r in rhythms] + [_UNTOUCHED_SHARE]
    reps_by_team: dict[str, list[int]] = {}
    for rep_id in rep_ids:
        reps_by_team.setdefault(teams_by_rep[rep_id], []).append(rep_id)
    plans: list[RelationshipPlan] = []
    for contact in contacts:
        pick = rng.choices(range(len(shares)), weights=shares)[0]
        if pick == len(rhythms):
            continue
        rhythm = rhythms[pick]
        start, end = _span(rng, rhythm)
        plans.append(RelationshipPlan(contact.owner_id, contact, rhythm, 0, start, end))
        if rng.random() < 0.12:
            # A teammate (now and then someone from another team) knows them too.
            same_team = [r for r in reps_by_team[teams_by_rep[contact.owner_id]] if r != contact.owner_id]
            other = rng.choice(same_team) if same_team and rng.random() < 0.8 else rng.choice(rep_ids)
            if other != contact.owner_id:
                second = rng.choice((Rhythm.OCCASIONAL, Rhythm.ONE_WAY, Rhythm.FADING))
                start, end = _span(rng, second)
                plans.append(RelationshipPlan(other, contact, second, 0, start, end))
    if len(plans) > interactions:
        plans = plans[:interactions]
    if not plans:
        return plans
    weight_sum = sum(_RHYTHMS[p.rhythm][1] for p in plans)
    scale = interactions / weight_sum
    for plan in plans:
        plan.events = max(1, round(_RHYTHMS[plan.rhythm][1] * scale * rng.uniform(0.6, 1.4)))
    # Land exactly on the requested total, adding to or trimming the busiest first.
    remainder = interactions - sum(p.events for p in plans)
    order = sorted(range(len(plans)), key=lambda i: -plans[i].events)
    position = 0
    while remainder != 0 and order:
        plan = plans[order[position % len(order)]]
        if remainder > 0:
            plan.events += 1
            remainder -= 1
        elif plan.events > 1:
            plan.events -= 1
            remainder += 1
        position += 1
    return plans
