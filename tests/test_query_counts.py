"""The main pages' SQL query counts do not grow with the data.

Each page is loaded, then every kind of row it may show or count is added several times
over (contacts, companies, interactions of every kind and direction, relationships in every
band and their band changes, help offers due and overdue, intro requests and suggestions,
nudge actions, rollups, target accounts), and the page is loaded again: the number of
queries must be the same. A page whose count grows has an N+1 somewhere, which at 100,000
contacts and 1,000,000 interactions is the difference between 50 ms and seconds.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Direction, InteractionKind, Visibility
from activities.services import relationships_rebuild
from contacts.models import (
    Band,
    HelpDirection,
    HelpKind,
    HelpStatus,
    IntroRequest,
    IntroSuggestion,
    RelationshipChange,
    TargetAccount,
)
from tests.conftest import World, client_for
from tests.dashboards.makers import email
from tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    ContactFactory,
    HelpOfferFactory,
    InteractionFactory,
)

pytestmark = pytest.mark.django_db

_counter = itertools.count()


def grow(world: World, times: int, anchor) -> None:
    """Add ``times`` of every kind of row the pages read, many of them about ``anchor``."""
    now = timezone.now()
    today = timezone.localdate()
    people = [world.rep, world.teammate, world.manager]
    for _ in range(times):
        n = next(_counter)
        company = CompanyFactory(organization=world.org, name=f"Grow Co {n}")
        CompanyDomainFactory(company=company, domain=f"grow{n}.example")
        contact = ContactFactory(
            organization=world.org,
            first_name=f"Grow{n}",
            last_name="Person",
            company=company,
            email=f"person{n}@grow{n}.example",
            needs="a CFO, intros to Series A investors",
            expertise="CFO search, Series A fundraising",
        )
        other = ContactFactory(
            organization=world.org, first_name=f"Other{n}", last_name="Person", company=anchor.company
        )
        for member in people:
            for kind, direction, days in [
                (InteractionKind.EMAIL, Direction.INBOUND, 5),
                (InteractionKind.EMAIL, Direction.OUTBOUND, 40),
                (InteractionKind.MEETING, Direction.OUTBOUND, 70),
                (InteractionKind.CALL, Direction.INBOUND, 100),
                (InteractionKind.NOTE, Direction.OUTBOUND, 2),
            ]:
                InteractionFactory(
                    organization=world.org,
                    owner=member.user,
                    team=member.team,
                    kind=kind,
                    direction=direction,
                    thread_id=f"<thread-{n}-{member.pk}@grow.example>" if kind == InteractionKind.EMAIL else "",
                    occurred_at=now - datetime.timedelta(days=days, minutes=n),
                    visibility=Visibility.PRIVATE if kind == InteractionKind.NOTE else Visibility.TEAM,
                    contacts=[contact, other, anchor],
                )
            # An email from the contact still waiting for the member's answer (a reply owed).
            email(member, contact, at=now - datetime.timedelta(days=5, minutes=n), thread=f"<owed-{n}@grow.example>")
            HelpOfferFactory(
                organization=world.org,
                contact=contact,
                user=member.user,
                kind=HelpKind.INTRO,
                intro_contact=other,
                due_date=today - datetime.timedelta(days=1),
            )
            HelpOfferFactory(
                organization=world.org,
                contact=contact,
                user=member.user,
                due_date=today + datetime.timedelta(days=2),
                status=HelpStatus.ACCEPTED,
            )
            HelpOfferFactory(
                organization=world.org,
                contact=anchor,
                user=member.user,
                due_date=today,
            )
            HelpOfferFactory(
                organization=world.org,
                contact=other,
                user=member.user,
                direction=HelpDirection.RECEIVED,
                status=HelpStatus.DELIVERED,
                delivered_at=now - datetime.timedelta(days=3),
            )
            RelationshipChange.objects.create(
                organization=world.org,
                user=member.user,
                contact=contact,
                from_band=Band.STRONG,
                to_band=Band.MEDIUM,
                changed_at=now - datetime.timedelta(days=2),
            )
        IntroRequest.objects.create(
            organization=world.org, requester=world.teammate.user, introducer=world.rep.user, target=contact
        )
        IntroRequest.objects.create(
            organization=world.org, requester=world.rep.user, introducer=world.teammate.user, target=other
        )
        IntroSuggestion.objects.create(
            organization=world.org, user=world.rep.user, contact=contact, other=other, reason="needs ↔ knows", score=1
        )
        TargetAccount.objects.create(organization=world.org, team=world.team_a, company=company)
    relationships_rebuild(organization_id=world.org.pk)
    _rebuild_rollups(world)


def _rebuild_rollups(world: World) -> None:
    """What workers keep for the pages: the weekly rollups and the reps' replies owed."""
    from activities.replies import replies_owed_rebuild
    from activities.rollups import activity_rollups_rebuild

    activity_rollups_rebuild(organization_id=world.org.pk)
    assert replies_owed_rebuild(organization_id=world.org.pk) > 0  # the rep home lists replies owed


def _pages(anchor) -> dict[str, tuple[str, str]]:
    """page name → (persona, URL)."""
    contacts = reverse("contacts:list")
    return {
        "rep home": ("rep", reverse("dashboards:home")),
        "contacts list": ("rep", contacts),
        "contacts search": ("rep", f"{contacts}?q=grow"),
        "contact page": ("rep", reverse("activities:contact_page", args=[anchor.pk])),
        "company page": ("rep", reverse("activities:company_page", args=[anchor.company_id])),
        "help offers": ("rep", reverse("contacts:help_list")),
        "team dashboard": ("manager", reverse("dashboards:team")),
    }


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def test_no_page_makes_more_queries_as_rows_are_added(world):
    company = CompanyFactory(organization=world.org, name="Anchor Inc")
    anchor = ContactFactory(organization=world.org, first_name="Anchor", last_name="Person", company=company)
    grow(world, 2, anchor)
    clients = {"rep": client_for(world.rep), "manager": client_for(world.manager)}
    pages = _pages(anchor)
    for persona, url in pages.values():  # warm: sessions, content types, first-use caches
        clients[persona].get(url)
    before = {name: _count(clients[persona], url) for name, (persona, url) in pages.items()}

    grow(world, 8, anchor)
    after = {name: _count(clients[persona], url) for name, (persona, url) in pages.items()}

    assert after == before
