"""The team dashboard's slow figures are re-computed by a worker, ahead of the managers."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.models import Band, Relationship, RelationshipChange
from relintel.dashboards import tasks
from relintel.dashboards.team import team_figures_warm
from tests.conftest import client_for
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

TEAM = reverse("dashboards:team")


@pytest.fixture(autouse=True)
def cached(settings):
    settings.RELINTEL_TEAM_FIGURES_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(TEAM).status_code == 200
    return len(captured.captured_queries)


def _strong(world, member, name: str) -> None:
    contact = ContactFactory(organization=world.org, first_name=name, last_name="Known")
    Relationship.objects.create(
        organization=world.org, user=member.user, contact=contact, band=Band.STRONG, strength=80
    )
    RelationshipChange.objects.create(
        organization=world.org,
        user=member.user,
        contact=contact,
        from_band="",
        to_band=Band.STRONG,
        changed_at=timezone.now(),
    )


def test_after_the_worker_ran_the_page_reads_the_slow_figures_instead_of_computing_them(world):
    client = client_for(world.manager)
    client.get(TEAM)
    cache.clear()
    cold = _queries(client)
    cache.clear()

    assert team_figures_warm(organization=world.org) == 2  # East and West
    warm = _queries(client)

    assert warm < cold


def _new_relationships(page: str) -> int:
    found = re.search(r'<span class="kpi-value">(\d+)</span><span class="kpi-label">new relationships', page)
    assert found, "no new-relationships figure on the page"
    return int(found.group(1))


def test_the_worker_recomputes_figures_that_are_still_cached(world):
    client = client_for(world.manager)
    team_figures_warm(organization=world.org)
    _strong(world, world.rep, "Grace")
    assert _new_relationships(client.get(TEAM).content.decode()) == 0  # still the cached figures

    team_figures_warm(organization=world.org)

    assert _new_relationships(client.get(TEAM).content.decode()) == 1


def test_the_beat_task_warms_every_organization(world):
    assert tasks.team_figures_warm_all.delay().get() == 2
    assert tasks.team_figures_warm.delay(world.other_org.pk).get() == 0  # no teams there
