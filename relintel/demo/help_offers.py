"""The demo's give-first ledger: help given and received, in every state of its lifecycle. Pure."""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Sequence

from relintel.demo import data
from relintel.demo.generate import DEMO_TIMEZONE, UTC, ContactPlan, RelationshipPlan, Rhythm, stage_rng

HelpRow = tuple[object, ...]

_STATUSES = ("offered", "accepted", "delivered", "declined", "withdrawn")
_STATUS_WEIGHTS = (20, 15, 40, 10, 15)
_PLAN_WEIGHTS = {Rhythm.STRONG: 6.0, Rhythm.NEW: 3.0, Rhythm.OCCASIONAL: 1.0, Rhythm.FADING: 1.0, Rhythm.ONE_WAY: 0.5}


def _moment(rng: random.Random, today: datetime.date, days_ago: int) -> datetime.datetime:
    wall = datetime.datetime.combine(today - datetime.timedelta(days=days_ago), datetime.time(9))
    wall += datetime.timedelta(minutes=rng.randrange(0, 8 * 60))
    return wall.replace(tzinfo=DEMO_TIMEZONE).astimezone(UTC)


def plan_help_offers(
    *,
    seed: int,
    organization_id: int,
    today: datetime.date,
    plans: Sequence[RelationshipPlan],
    contacts: Sequence[ContactPlan],
    count: int,
    first_rep_id: int,
) -> list[HelpRow]:
    """Rows for ``contacts_helpoffer``; the first ten cover every status both ways, for the first rep."""
    rng = stage_rng(seed, "help")
    if not plans or len(contacts) < 2:
        return []
    cum_weights = list(itertools.accumulate(_PLAN_WEIGHTS[p.rhythm] for p in plans))
    featured = [p for p in plans if p.user_id == first_rep_id and p.rhythm in (Rhythm.STRONG, Rhythm.NEW)] or list(
        plans
    )
    combos = [(status, direction) for direction in ("given", "received") for status in _STATUSES]
    now = datetime.datetime.combine(today, datetime.time()).replace(tzinfo=DEMO_TIMEZONE).astimezone(UTC)
    rows: list[HelpRow] = []
    for position in range(count):
        if position < len(combos):
            status, direction = combos[position]
            plan = featured[rng.randrange(len(featured))]
        else:
            status = rng.choices(_STATUSES, weights=_STATUS_WEIGHTS)[0]
            direction = "given" if rng.random() < 0.75 else "received"
            plan = rng.choices(plans, cum_weights=cum_weights)[0]
        contact = plan.contact
        kind, template = rng.choice(data.HELP_GIVEN if direction == "given" else data.HELP_RECEIVED)
        intro_contact: ContactPlan | None = None
        if kind == "intro":
            intro_contact = contacts[rng.randrange(len(contacts))]
            if intro_contact.id == contact.id:
                intro_contact = contacts[0] if contact.id != contacts[0].id else contacts[1]
        description = template.format(
            other=f"{intro_contact.full_name} ({intro_contact.company.name})" if intro_contact else "a peer",
            topic=(contact.expertise.split(", ")[0] if contact.expertise else rng.choice(data.EXPERTISE)),
        )
        due: datetime.date | None = None
        accepted_at = delivered_at = closed_at = None
        if status in ("offered", "accepted"):
            created = _moment(rng, today, rng.randint(3, 60))
            roll = rng.random() if position >= len(combos) else (0.1 if status == "offered" else 0.5)
            if roll < 0.3:  # overdue
                due = today - datetime.timedelta(days=rng.randint(1, 20))
            elif roll < 0.65:  # due this week
                due = today + datetime.timedelta(days=rng.randint(0, 7))
            else:
                due = today + datetime.timedelta(days=rng.randint(8, 45))
            if status == "accepted":
                accepted_at = min(
                    created + datetime.timedelta(days=rng.randint(1, 5)), now - datetime.timedelta(hours=1)
                )
        elif status == "delivered":
            created = _moment(rng, today, rng.randint(10, 480))
            accepted_at = created + datetime.timedelta(days=rng.randint(1, 7), hours=rng.randint(0, 6))
            delivered_at = min(
                accepted_at + datetime.timedelta(days=rng.randint(1, 20)), now - datetime.timedelta(hours=1)
            )
            accepted_at = min(accepted_at, delivered_at)
            due = (created + datetime.timedelta(days=14)).date() if rng.random() < 0.5 else None
        else:
            created = _moment(rng, today, rng.randint(10, 300))
            closed_at = min(created + datetime.timedelta(days=rng.randint(1, 14)), now - datetime.timedelta(hours=1))
            due = (created + datetime.timedelta(days=21)).date() if rng.random() < 0.4 else None
        updated = max(t for t in (created, accepted_at, delivered_at, closed_at) if t is not None)
        rows.append(
            (
                organization_id,
                plan.user_id,
                contact.id,
                direction,
                kind,
                description,
                status,
                due,
                intro_contact.id if intro_contact else None,
                accepted_at,
                delivered_at,
                closed_at,
                created,
                updated,
            )
        )
    return rows
