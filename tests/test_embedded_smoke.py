"""Embedded mode end to end: no PostgreSQL, no Redis, real processes.

With no ``DATABASE_URL`` and no broker URL, Relintel runs on a SQLite file and
kombu's filesystem broker. This test starts the web server and a Celery worker
exactly as ``make run`` does (``scripts/run_dev.py``), logs in over HTTP,
creates a company and a contact through the API, and waits for the worker to
run ``contacts.tasks.contact_match_company``, which links the contact to the
company by its email domain. If the task never runs, the contact keeps
``company: null`` and the test fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "smoke@example.com"
ADMIN_PASSWORD = "smoke-test-password-4821"  # a throwaway login in a temp database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    }
    env.update(
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="relintel.settings",  # not the test settings: no eager tasks here
        RELINTEL_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def running_app(embedded_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """migrate, create an organization, then run_dev.py (web + worker + beat)."""
    manage(embedded_env, "migrate", "--noinput")
    manage(
        embedded_env,
        "create_organization",
        "--name",
        "Smoke",
        "--slug",
        "smoke",
        "--admin-email",
        ADMIN_EMAIL,
        "--admin-password",
        ADMIN_PASSWORD,
    )
    port = free_port()
    log_path = tmp_path / "run_dev.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "scripts/run_dev.py",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--web-workers",
                "1",
                "--concurrency",
                "1",
                "--grace",
                "10",
            ],
            cwd=BASE_DIR,
            env=embedded_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_serving(base_url, process, log_path)
            yield base_url
        finally:
            process.send_signal(signal.SIGINT)  # what Ctrl-C does under `make run`
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            print(log_path.read_text(errors="replace")[-4000:])  # shown by pytest on failure


def wait_until_serving(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"run_dev.py exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if requests.get(f"{base_url}/accounts/login/", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the web server did not answer within 90 s:\n{log_path.read_text(errors='replace')}")


def csrf_token(session: requests.Session) -> str:
    token = session.cookies.get("csrftoken")
    assert token, "no CSRF cookie was set"
    return str(token)


def log_in(base_url: str) -> requests.Session:
    session = requests.Session()
    login_page = session.get(f"{base_url}/accounts/login/", timeout=10)
    assert login_page.status_code == 200
    response = session.post(
        f"{base_url}/accounts/login/",
        data={
            "login": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "csrfmiddlewaretoken": csrf_token(session),
        },
        headers={"Referer": f"{base_url}/accounts/login/"},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, f"login refused ({response.status_code}):\n{response.text[:2000]}"
    assert "sessionid" in session.cookies, "login did not start a session"
    return session


def api_post(session: requests.Session, url: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = session.post(
        url,
        json=payload,
        headers={"X-CSRFToken": csrf_token(session), "Referer": url},
        timeout=10,
    )
    assert response.status_code == 201, f"{url}: {response.status_code} {response.text[:2000]}"
    body = response.json()
    assert isinstance(body, dict)
    return body


def test_a_contact_created_over_http_is_matched_to_its_company_by_a_real_worker(running_app):
    base_url = running_app
    session = log_in(base_url)

    company = api_post(session, f"{base_url}/api/v1/companies/", {"name": "Initech", "domains": ["initech.example"]})
    contact = api_post(
        session,
        f"{base_url}/api/v1/contacts/",
        {"full_name": "Peter Gibbons", "emails": ["peter@initech.example"]},
    )
    assert contact["company"] is None, "the match must happen in the worker, not in the request"

    deadline = time.monotonic() + 60
    seen = contact
    while time.monotonic() < deadline:
        response = session.get(f"{base_url}/api/v1/contacts/{contact['id']}/", timeout=10)
        assert response.status_code == 200
        seen = response.json()
        if seen["company"] is not None:
            break
        time.sleep(1)

    assert seen["company"] == company["id"], "the worker never ran contact_match_company"


def test_the_demo_seeds_scores_and_rebuilds_without_postgresql(embedded_env):
    """make run without PostgreSQL: the seed, the relationship rebuild and the replies owed on SQLite."""
    manage(embedded_env, "migrate", "--noinput")
    manage(embedded_env, "seed_demo", "--contacts", "200", "--interactions", "2000", "--users", "5")
    manage(embedded_env, "rebuild_relationships")
    manage(embedded_env, "rebuild_rollups")
    check = (
        "from contacts.models import Relationship; from activities.models import ReplyOwed; "
        "assert Relationship.objects.filter(strength__gt=0).exists(); assert ReplyOwed.objects.exists()"
    )
    manage(embedded_env, "shell", "-c", check)
