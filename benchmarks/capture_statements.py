"""Where (a)'s time goes, per SQL statement and commit (the figures in BENCHMARKS.md).

Runs the (a) pipeline of ``benchmarks/capture.py`` (privacy "subject") a few times in one
process (the first pass is cold) and prints, for the last pass, each statement's time per
batch, plus the commit's. ``BENCH_RUNS`` (3); ``BENCH_NO_FK=1`` runs with
``session_replication_role = replica`` (no foreign-key triggers) only to *measure* what
the deferred foreign-key checks cost at commit; ``BENCH_PROFILE=1`` adds a cProfile of
the last pass. Same knobs otherwise (``BENCH_MESSAGES``, ``BENCH_CONTACTS``, ``BENCH_BATCH``).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import capture as bench


def main() -> None:
    bench._recreate_database()
    bench._setup_django()
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from benchmarks.mailgen import generate, to_mbox

    org, rep, correspondents = bench._world()
    messages = list(generate(correspondents, count=bench.MESSAGES))
    mbox_path = Path(tempfile.mkdtemp(prefix="relintel-bench-")) / "mailbox.mbox"
    with mbox_path.open("wb") as handle:
        for chunk in to_mbox(iter(messages)):
            handle.write(chunk)

    statements: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    committed = [0.0]

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = statements[" ".join(sql.split())[:72]]
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    original_commit = vars(BaseDatabaseWrapper)["_commit"]

    def timed_commit(self: BaseDatabaseWrapper) -> None:
        started = time.perf_counter()
        try:
            original_commit(self)
        finally:
            committed[0] += time.perf_counter() - started

    mock.patch.object(BaseDatabaseWrapper, "_commit", timed_commit).start()
    if os.environ.get("BENCH_NO_FK"):
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    count = len(messages)
    profile = cProfile.Profile()
    for run in range(runs):
        bench._reset_captured()
        statements.clear()
        committed[0] = 0.0
        spent: dict[str, float] = {}
        last = run == runs - 1 and bool(os.environ.get("BENCH_PROFILE"))
        started = time.perf_counter()
        with connection.execute_wrapper(timer):
            if last:
                profile.enable()
            bench.mbox_end_to_end(org=org, rep=rep, mbox_path=mbox_path, privacy_level="subject", spent=spent)
            profile.disable()
        elapsed = time.perf_counter() - started
        print(
            f"pass {run + 1}: {count / elapsed:.0f} msg/s; per message: split+parse {spent['parse'] / count * 1e6:.0f} us,"
            f" capture_ingest {spent['ingest'] / count * 1e6:.0f} us, statements {spent['sql'] / count * 1e6:.0f} us,"
            f" commit {committed[0] / count * 1e6:.0f} us",
            flush=True,
        )
    batches = (count + bench.BATCH - 1) // bench.BATCH
    print(f"last pass, ms per batch of {bench.BATCH}:")
    for sql, (calls, seconds) in sorted(statements.items(), key=lambda kv: -kv[1][1]):
        print(f"  {seconds / batches * 1000:7.2f} ms  {int(calls):5d}x  {sql}")
    print(f"  {committed[0] / batches * 1000:7.2f} ms         commit")
    if os.environ.get("BENCH_PROFILE"):
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)
    shutil.rmtree(mbox_path.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
