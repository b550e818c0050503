"""Run Relintel's processes together: the web server, a Celery worker and beat.

With ``RELINTEL_DEMO_SALESFORCE=1`` (``make run`` sets it) and a PostgreSQL database, the
Salesforce emulator runs as one more child (its CA trusted by the others through
``REQUESTS_CA_BUNDLE``), and the demo organization is connected to it before the web server
and worker start, so a new user sees a live sync. The sync's outbox is PostgreSQL-only
(``FOR UPDATE SKIP LOCKED``): on the embedded SQLite database the emulator is left out.

``make run`` calls this after migrating and seeding; the embedded-mode smoke test
(``tests/test_embedded_smoke.py``) starts the very same command. It needs only
the standard library, so it also runs before Django is importable.

Each child runs in its own process group, so Ctrl-C reaches this supervisor
alone; it then asks every child to stop (SIGTERM: gunicorn and Celery finish
what they are doing), and kills whatever is still running after a grace period.
If any child dies on its own, the others are stopped too and the supervisor
exits non-zero: a half-running demo is worse than a clear failure.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# The worker consumes every queue; in production each may get its own workers.
# tests/test_celery_config.py checks this matches relintel.celery.QUEUES.
QUEUES = ("default", "capture", "insight", "sync")

_PR_SET_PDEATHSIG = 1
EMULATOR_CA_BUNDLE = BASE_DIR / "var" / "emulator" / "ca-bundle.pem"  # sync/emulator/tls.py writes it


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None


def _die_with_parent() -> None:
    """Runs in the child before exec: start a new process group, and get SIGTERM
    if the supervisor itself is killed (Linux only), so no orphan keeps port 8000."""
    os.setsid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _bin(name: str) -> str:
    """A console script next to this interpreter (the virtualenv's), else on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"run_dev: cannot find {name!r}; is the virtualenv installed (make install)?")
    return found


def build_children(args: argparse.Namespace) -> list[Child]:
    children = [
        Child(
            "web",
            [
                _bin("gunicorn"),
                "relintel.wsgi",
                "--bind",
                f"{args.host}:{args.port}",
                "--workers",
                str(args.web_workers),
                "--access-logfile",
                "-",
                "--timeout",
                "120",
            ],
        ),
        Child(
            "worker",
            [
                _bin("celery"),
                "-A",
                "relintel",
                "worker",
                "-Q",
                ",".join(QUEUES),
                "--concurrency",
                str(args.concurrency),
                "--loglevel",
                "INFO",
            ],
        ),
    ]
    if not args.no_beat:
        children.append(Child("beat", [_bin("celery"), "-A", "relintel", "beat", "--loglevel", "INFO"]))
    return children


def salesforce_demo_wanted() -> bool:
    return os.environ.get("RELINTEL_DEMO_SALESFORCE", "0").strip().lower() not in {"", "0", "false", "no", "off"}


def salesforce_demo_possible() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def emulator_child(port: int) -> Child:
    return Child(
        "salesforce-emulator",
        [sys.executable, "manage.py", "run_salesforce_emulator", "--port", str(port), "--seed-demo"],
    )


def connect_demo(port: int) -> None:
    """Connect the demo organization to the running emulator (a no-op once connected)."""
    done = subprocess.run(  # noqa: S603 - argv built here, no shell
        [sys.executable, "manage.py", "salesforce_demo_connect", "--url", f"https://127.0.0.1:{port}"],
        cwd=BASE_DIR,
        check=False,
        timeout=120,
    )
    if done.returncode:
        print("run_dev: the demo organization could not be connected to the emulator (see above)", flush=True)


def start(child: Child) -> None:
    child.process = subprocess.Popen(  # noqa: S603 - argv built above, no shell
        child.argv,
        cwd=BASE_DIR,
        preexec_fn=_die_with_parent,
    )
    print(f"run_dev: started {child.name} (pid {child.process.pid})", flush=True)


def stop_all(children: Sequence[Child], grace: float) -> None:
    """SIGTERM each child's leader (a warm shutdown), then SIGKILL its group."""
    running = [c for c in children if c.process is not None and c.process.poll() is None]
    for child in running:
        assert child.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in running:
        assert child.process is not None
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"run_dev: {child.name} did not stop in {grace:.0f}s, killing it", flush=True)
    # Whatever is left in a child's group (worker pool processes, gunicorn workers).
    for child in children:
        if child.process is None:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait()


def wait_for_port(host: str, port: int, timeout: float, alive: Callable[[], bool]) -> bool:
    target = "127.0.0.1" if host in {"0.0.0.0", ""} else host  # noqa: S104
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with socket.create_connection((target, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def banner(host: str, port: int, emulator_port: int | None = None) -> str:
    shown_host = "127.0.0.1" if host in {"0.0.0.0", ""} else host  # noqa: S104
    var_dir = os.environ.get("RELINTEL_VAR_DIR", "var")
    lines = [
        "",
        "=" * 64,
        f"  Relintel is running at http://{shown_host}:{port}/",
        "  Database: "
        + ("DATABASE_URL" if os.environ.get("DATABASE_URL") else f"embedded SQLite ({var_dir}/relintel.sqlite3)")
        + "; broker: "
        + ("CELERY_BROKER_URL" if os.environ.get("CELERY_BROKER_URL") else f"embedded ({var_dir}/celery/)"),
    ]
    if emulator_port is not None:
        lines.append(
            f"  Salesforce emulator: https://127.0.0.1:{emulator_port} (the demo organization is connected; "
            f"sync health at http://{shown_host}:{port}/manage/salesforce/health/)"
        )
    try:
        sys.path.insert(0, str(BASE_DIR))
        from relintel.demo.constants import DEMO_LOGINS, DEMO_PASSWORD

        lines.append("  Demo logins (password for all: " + DEMO_PASSWORD + "):")
        for role, email in DEMO_LOGINS.items():
            lines.append(f"    {role:<8} {email}")
    except ImportError:
        pass
    lines += ["  Press Ctrl-C to stop the web server, worker and scheduler.", "=" * 64, ""]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))  # noqa: S104 - a demo for the LAN
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--no-beat", action="store_true", help="do not start the Celery scheduler")
    parser.add_argument("--grace", type=float, default=20.0, help="seconds to wait for a clean stop")
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=int(os.environ.get("RELINTEL_DEMO_SALESFORCE_PORT", "8443")),
        help="the Salesforce emulator's port (with RELINTEL_DEMO_SALESFORCE=1)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    children = build_children(args)

    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    def all_alive() -> bool:
        return not stopping and all(c.process is not None and c.process.poll() is None for c in started)

    started: list[Child] = []
    emulator_port: int | None = None
    if salesforce_demo_wanted() and not salesforce_demo_possible():
        print("run_dev: the live Salesforce sync demo needs PostgreSQL (DATABASE_URL); running without it", flush=True)
    elif salesforce_demo_wanted():
        # Before the others: they trust its CA, and the demo is connected before the worker runs.
        emulator = emulator_child(args.emulator_port)
        children.insert(0, emulator)
        os.environ["REQUESTS_CA_BUNDLE"] = str(EMULATOR_CA_BUNDLE)
        start(emulator)
        started.append(emulator)
        if wait_for_port("127.0.0.1", args.emulator_port, timeout=60, alive=all_alive):
            connect_demo(args.emulator_port)
            emulator_port = args.emulator_port

    for child in children:
        if child not in started:
            start(child)
            started.append(child)

    if wait_for_port(args.host, args.port, timeout=60, alive=all_alive):
        time.sleep(3)  # let the worker and beat print their start-up banners first
        print(banner(args.host, args.port, emulator_port), flush=True)

    exit_code = 0
    while not stopping:
        for child in children:
            assert child.process is not None
            code = child.process.poll()
            if code is not None:
                print(f"run_dev: {child.name} exited with code {code}; stopping the others", flush=True)
                # A child killed by a signal exits like a shell would report it (128 + N).
                exit_code = code if code > 0 else (128 - code if code < 0 else 1)
                stopping = True
                break
        else:
            time.sleep(0.5)

    print("run_dev: stopping…", flush=True)
    stop_all(children, grace=args.grace)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
