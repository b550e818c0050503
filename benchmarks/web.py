"""``make bench-web``: server time and SQL queries of the main pages on the large demo data.

Prints (never asserts), on the large demo organization (``seed_demo --contacts 100000
--interactions 1000000 --users 40``, seeded once into its own database and reused while it
holds the expected sizes):

* the time of a full ``rebuild_relationships`` and of ``rebuild_rollups`` (the dashboards' weekly rollups and
  every rep's stored replies owed);
* for each page — the rep home, the contacts list, a contacts search, a contact page and the
  manager's team dashboard — the p50, p95 and max server time over ``BENCH_REQUESTS`` requests
  (default 200) after a short warm-up, and the SQL queries one request makes;
* next to them, the same figures for a **baseline** request measured in the same run (the
  profile page: a login check and one small template), since these machines are noisy.

Server time is measured in-process through Django's test client with ``DEBUG`` off: the whole
middleware stack, the view, its queries against PostgreSQL and the template, without the
network. Each request of a page varies what it asks for (another contact, another search term)
so no page is measured on one warm row. Environment: ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/relintel_bench_web``), ``BENCH_CONTACTS``,
``BENCH_INTERACTIONS``, ``BENCH_USERS``, ``BENCH_REQUESTS``, ``BENCH_RESEED=1`` to seed again.
See BENCHMARKS.md.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relintel_bench_web")
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
INTERACTIONS = int(os.environ.get("BENCH_INTERACTIONS", "1000000"))
USERS = int(os.environ.get("BENCH_USERS", "40"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARMUP = 10
SEARCH_TERMS = ["smith", "an", "ventures", "lee", "marketing", "jo", "north", "partners", "garcia", "chen"]


def _ensure_database() -> None:
    import psycopg2

    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    admin = psycopg2.connect(BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-web-not-secret")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relintel.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Work the pages enqueue (none should, on GET) goes nowhere.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seeded_sizes() -> tuple[int, int, int] | None:
    from activities.models import Interaction
    from contacts.models import Contact
    from relintel.accounts.models import Membership, Organization
    from relintel.demo.constants import DEMO_ORGANIZATION_SLUG

    organization = Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).first()
    if organization is None:
        return None
    return (
        Contact.objects.filter(organization=organization).count(),
        Interaction.objects.filter(organization=organization).count(),
        Membership.objects.filter(organization=organization).count(),
    )


def _seed() -> None:
    from django.core.management import call_command

    sizes = _seeded_sizes()
    wanted = (CONTACTS, INTERACTIONS, USERS)
    if sizes is not None and os.environ.get("BENCH_RESEED") != "1":
        contacts, interactions, users = sizes
        if contacts >= CONTACTS and interactions >= INTERACTIONS * 0.95 and users >= USERS:
            print(
                f"data: reusing the seeded demo ({contacts:,} contacts, {interactions:,} interactions, {users} users)"
            )
            return
    print(f"data: seeding {wanted[0]:,} contacts, {wanted[1]:,} interactions, {wanted[2]} users (takes minutes) …")
    started = time.perf_counter()
    call_command(
        "seed_demo",
        contacts=CONTACTS,
        interactions=INTERACTIONS,
        users=USERS,
        replace=True,
        verbosity=0,
    )
    print(f"data: seeded in {time.perf_counter() - started:.0f} s")


def _timed_command(label: str, name: str, *args: str) -> float:
    """Run a management command in its own process, as a worker or an operator would.

    Not in this process: the pages measured next would otherwise share a heap holding the
    rebuild's leftovers, and every garbage collection would walk it.
    """
    import subprocess

    from django.core.management import get_commands

    if name not in get_commands():
        print(f"{label}: command {name!r} is not available")
        return float("nan")
    started = time.perf_counter()
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), name, *args], check=True, env=os.environ.copy())  # noqa: S603 - our own command
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.1f} s")
    return elapsed


def _analyze() -> None:
    """What autovacuum would do after the rebuilds rewrote their tables: reclaim the dead row
    versions and refresh the planner's statistics (autovacuum is off on some machines here)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- pages -----------------------------------------------------------------------------------


@dataclass
class PageResult:
    name: str
    times_ms: list[float]
    queries: int
    status: int

    def percentile(self, p: float) -> float:
        ordered = sorted(self.times_ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]


def _client_for(email: str) -> Any:
    from django.test import Client

    from relintel.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def _queries_of(client: Any, url: str) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, secure=True)
    return len(captured.captured_queries), response.status_code


def _measure(name: str, client: Any, urls: Callable[[int], str]) -> PageResult:
    for i in range(WARMUP):
        client.get(urls(i), secure=True)
    times: list[float] = []
    status = 0
    for i in range(REQUESTS):
        url = urls(WARMUP + i)
        started = time.perf_counter()
        response = client.get(url, secure=True)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        if status != 200:
            raise SystemExit(f"{name}: {url} answered {status}")
    queries, _ = _queries_of(client, urls(0))
    result = PageResult(name=name, times_ms=times, queries=queries, status=status)
    print(f"  measured {name}: p50 {result.percentile(50):.1f} ms, p95 {result.percentile(95):.1f} ms", flush=True)
    return result


def _pages() -> list[PageResult]:
    from django.urls import reverse

    from contacts.models import Relationship
    from relintel.accounts.models import User
    from relintel.demo.constants import DEMO_LOGINS

    rep_email, manager_email = DEMO_LOGINS["rep"], DEMO_LOGINS["manager"]
    rep = User.objects.get(email=rep_email)
    rep_client = _client_for(rep_email)
    manager_client = _client_for(manager_email)
    # Contacts the rep knows, strongest first: the pages a rep actually opens.
    known = list(
        Relationship.objects.filter(user=rep).order_by("-interaction_count").values_list("contact_id", flat=True)[:500]
    )
    rng = random.Random(7)
    rng.shuffle(known)
    if not known:
        raise SystemExit("the rep has no relationships: was the demo seeded?")

    home, contacts, profile, team = (
        reverse("dashboards:home"),
        reverse("contacts:list"),
        reverse("accounts:profile"),
        reverse("dashboards:team"),
    )
    results = [
        _measure("baseline (profile page)", rep_client, lambda i: profile),
        _measure("rep home", rep_client, lambda i: home),
        _measure("contacts list", rep_client, lambda i: f"{contacts}?page={1 + i % 5}"),
        _measure("contacts search", rep_client, lambda i: f"{contacts}?q={SEARCH_TERMS[i % len(SEARCH_TERMS)]}"),
        _measure(
            "contact page",
            rep_client,
            lambda i: reverse("activities:contact_page", args=[known[i % len(known)]]),
        ),
        _measure("manager dashboard", manager_client, lambda i: team),
    ]
    return results


def main() -> None:
    _ensure_database()
    _setup_django()
    from django.test.utils import override_settings

    # DEBUG is off (as in production) but the benchmark has no collectstatic manifest.
    with override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ):
        _seed()
        print()
        _timed_command("full rebuild_relationships", "rebuild_relationships")
        _timed_command("rollups + replies owed rebuild", "rebuild_rollups")
        _analyze()
        print()
        results = _pages()

    baseline = statistics.median(results[0].times_ms)
    print(f"{REQUESTS} requests per page after {WARMUP} warm-up; server time in ms (in-process, DEBUG off)")
    print(f"{'page':26} {'p50':>8} {'p95':>8} {'max':>8} {'p50/baseline':>13} {'queries':>8}")
    for result in results:
        print(
            f"{result.name:26} {result.percentile(50):8.1f} {result.percentile(95):8.1f} "
            f"{max(result.times_ms):8.1f} {result.percentile(50) / baseline:12.1f}x {result.queries:8d}"
        )
    worst = max(r.percentile(95) for r in results[1:])
    print(f"\ngoal: p95 < 100 ms on every page; worst p95 here: {worst:.1f} ms")


if __name__ == "__main__":
    main()
