"""The relationship rebuild and the relationship panels on the large demo data.

Prints (never asserts), against an already seeded large demo (``seed_demo --contacts 100000
--interactions 1000000 --users 40``; this script does not seed):

* one full ``relationships_rebuild`` of the organization, with its progress lines, the wall
  time, the CPU time of this Python process and of its PostgreSQL backend (their sum is about
  what a quiet machine would take: the two take turns, they never overlap much). ``now`` is a
  day later on every run (``BENCH_DAY``), so every row changes, as on a nightly run;
* the company page's "who knows them" for the three companies with the most people, and the
  contact page's relationship panels for the 20 contacts with the most relationships: p50,
  p95 and max over ``BENCH_REQUESTS`` calls (default 60), and the SQL queries of one call.

Environment: ``DATABASE_URL`` (the seeded database), ``BENCH_ORGANIZATION`` (slug, default
``northwind``), ``BENCH_DAY`` (days after 2026-11-27 for ``now``; default: the day of the
year, so consecutive days differ), ``BENCH_REQUESTS``. See BENCHMARKS.md, "Relationship rebuild".
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relintel.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from activities.relationship_selectors import (  # noqa: E402
    WHO_KNOWS_LIMIT,
    contact_relationship_rows,
    relationship_panels,
    who_knows_company,
)
from activities.relationships import relationships_rebuild_detailed  # noqa: E402
from contacts.models import Company, Contact  # noqa: E402
from relintel.accounts.models import Membership, Organization  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "60"))


def backend_cpu_seconds(pid: int) -> float:
    """user + system CPU of a PostgreSQL backend on this machine (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rebuild(organization: Organization) -> None:
    day = int(os.environ.get("BENCH_DAY", datetime.date.today().timetuple().tm_yday))
    now = datetime.datetime(2026, 11, 27, tzinfo=datetime.UTC) + datetime.timedelta(days=day)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    started, cpu, pg_cpu = time.perf_counter(), time.process_time(), backend_cpu_seconds(pid)
    result = relationships_rebuild_detailed(
        organization_id=organization.pk, now=now, progress=lambda message: print(f"  {message}", flush=True)
    )
    print(
        f"rebuild: {result.relationships:,} relationships from {result.interactions_read:,} facts, "
        f"{result.changes:,} band changes: {time.perf_counter() - started:.1f} s wall, "
        f"Python {time.process_time() - cpu:.1f} s CPU, PostgreSQL {backend_cpu_seconds(pid) - pg_cpu:.1f} s CPU"
    )


def timed(label: str, call: Callable[[int], object]) -> None:
    with CaptureQueriesContext(connection) as queries:
        call(0)
    times = []
    for i in range(REQUESTS):
        started = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"{label}: p50 {times[len(times) // 2]:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms, "
        f"{len(queries.captured_queries)} queries"
    )


def panels(organization: Organization) -> None:
    membership = Membership.objects.filter(organization=organization).order_by("pk").first()
    assert membership is not None
    companies = list(
        Company.objects.filter(organization=organization)
        .annotate(people=Count("contacts"))
        .order_by("-people", "pk")[:3]
    )
    print("largest companies: " + ", ".join(f"{c.name} ({c.people} people)" for c in companies))
    timed("company page, who knows them", lambda i: who_knows_company(membership=membership, company=companies[i % 3]))
    busiest = list(
        Contact.objects.filter(organization=organization)
        .annotate(rows=Count("relationships"))
        .order_by("-rows", "pk")[:20]
    )

    def contact_panels(i: int) -> object:
        contact = busiest[i % len(busiest)]
        rows = list(contact_relationship_rows(membership=membership, contact=contact)[:WHO_KNOWS_LIMIT])
        return relationship_panels(membership=membership, contact=contact, rows=rows)

    timed(f"contact page, relationship panels (busiest: {busiest[0].rows} rows)", contact_panels)


def main() -> None:
    organization = Organization.objects.get(slug=os.environ.get("BENCH_ORGANIZATION", "northwind"))
    rebuild(organization)
    panels(organization)


if __name__ == "__main__":
    main()
