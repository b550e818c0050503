"""The production files stay consistent with the code (no Docker engine needed)."""

from __future__ import annotations

from pathlib import Path

import yaml

from relintel.celery import QUEUES

BASE_DIR = Path(__file__).resolve().parent.parent


def compose() -> dict:
    data = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_runs_postgres_redis_web_worker_and_beat():
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(compose()["services"])


def test_compose_points_every_app_process_at_postgres_and_redis():
    services = compose()["services"]
    for name in ("migrate", "web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://"), name
        assert env["CELERY_BROKER_URL"].startswith("redis://"), name
        assert env["DEBUG"] == "0", name


def test_compose_serves_the_web_under_gunicorn():
    assert compose()["services"]["web"]["command"][:2] == ["gunicorn", "relintel.wsgi"]


def test_the_compose_worker_consumes_every_queue():
    command = compose()["services"]["worker"]["command"]

    assert set(command[command.index("-Q") + 1].split(",")) == set(QUEUES)


def test_compose_runs_exactly_one_beat():
    beat = compose()["services"]["beat"]

    assert beat["command"][:4] == ["celery", "-A", "relintel", "beat"]
    assert beat["deploy"]["replicas"] == 1


def test_the_image_runs_as_a_non_root_user_with_static_files_collected():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    instructions = [line.split()[0] for line in dockerfile.splitlines() if line and not line[0].isspace()]

    assert "FROM python:3.11-slim" in dockerfile
    assert "collectstatic" in dockerfile
    assert "USER relintel" in dockerfile
    assert instructions.index("USER") > instructions.index("FROM")


def test_the_image_never_ships_local_state():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()

    assert {".git", ".venv", "var", ".env"} <= set(ignored)


def test_compose_runs_the_bcc_to_log_smtp_server():
    services = compose()["services"]
    assert services["smtp"]["command"][:3] == ["python", "manage.py", "capture_smtp"]
