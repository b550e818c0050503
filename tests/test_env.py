"""Settings read from the environment fail loudly, naming the variable (relintel/env.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from relintel.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent


# --- the readers ------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), (" yes ", True), ("on", True)])
def test_true_spellings_read_as_true(raw, expected):
    assert env_bool("DEBUG", False, environ={"DEBUG": raw}) is expected


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_false_spellings_read_as_false(raw):
    assert env_bool("DEBUG", True, environ={"DEBUG": raw}) is False


def test_an_unset_bool_takes_the_default():
    assert env_bool("DEBUG", True, environ={}) is True


def test_a_bad_bool_names_the_variable_and_the_value():
    with pytest.raises(ImproperlyConfigured, match=r"SECURE_COOKIES must be a boolean.*'maybe'"):
        env_bool("SECURE_COOKIES", True, environ={"SECURE_COOKIES": "maybe"})


def test_an_int_is_parsed():
    assert env_int("EMAIL_PORT", 587, environ={"EMAIL_PORT": " 2525 "}) == 2525


def test_an_unset_or_blank_int_takes_the_default():
    assert env_int("EMAIL_PORT", 587, environ={}) == 587
    assert env_int("EMAIL_PORT", 587, environ={"EMAIL_PORT": "  "}) == 587


def test_a_bad_int_names_the_variable_and_the_value():
    with pytest.raises(ImproperlyConfigured, match=r"EMAIL_PORT must be an integer, got '25x'"):
        env_int("EMAIL_PORT", 587, environ={"EMAIL_PORT": "25x"})


def test_an_int_below_its_minimum_names_the_variable_and_the_minimum():
    with pytest.raises(ImproperlyConfigured, match=r"CELERY_VISIBILITY_TIMEOUT must be at least 300, got 10"):
        env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=300, environ={"CELERY_VISIBILITY_TIMEOUT": "10"})


def test_an_int_at_its_minimum_is_accepted():
    assert env_int("DB_CONN_MAX_AGE", 60, minimum=0, environ={"DB_CONN_MAX_AGE": "0"}) == 0


def test_a_list_drops_blank_items_and_spaces():
    assert env_list("ALLOWED_HOSTS", [], environ={"ALLOWED_HOSTS": " a.example, ,b.example ,"}) == [
        "a.example",
        "b.example",
    ]


def test_an_unset_list_is_a_copy_of_the_default():
    default = ["localhost"]
    result = env_list("ALLOWED_HOSTS", default, environ={})

    assert result == default
    assert result is not default


def test_a_str_is_returned_as_given_or_defaulted():
    assert env_str("TIME_ZONE", "UTC", environ={"TIME_ZONE": "Europe/Paris"}) == "Europe/Paris"
    assert env_str("TIME_ZONE", "UTC", environ={}) == "UTC"


# --- the settings module refuses a bad deployment at start-up -----------------------

_SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "CELERY_VISIBILITY_TIMEOUT",
    "EMAIL_HOST",
)


def import_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import relintel.settings in a fresh interpreter with exactly this configuration."""
    environ = {k: v for k, v in os.environ.items() if k not in _SETTINGS_VARIABLES}
    environ.update(RELINTEL_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "-c", "import relintel.settings"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_settings_import_with_a_secret_key_and_debug_off(tmp_path):
    result = import_settings(tmp_path, SECRET_KEY="a-long-production-secret", DEBUG="0")

    assert result.returncode == 0, result.stderr


def test_settings_refuse_a_missing_secret_key_with_debug_off(tmp_path):
    result = import_settings(tmp_path, DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_settings_allow_a_missing_secret_key_in_debug(tmp_path):
    result = import_settings(tmp_path, DEBUG="1")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("url", ["not a url", "mysql://user@db.example/relintel", "postgres://user@db.example:5432"])
def test_settings_refuse_a_database_url_they_cannot_use(tmp_path, url):
    result = import_settings(tmp_path, SECRET_KEY="s", DATABASE_URL=url)

    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL" in result.stderr


def test_settings_refuse_a_malformed_debug_flag(tmp_path):
    result = import_settings(tmp_path, SECRET_KEY="s", DEBUG="sometimes")

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_settings_refuse_a_visibility_timeout_below_the_minimum(tmp_path):
    result = import_settings(tmp_path, DEBUG="1", CELERY_VISIBILITY_TIMEOUT="60")

    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must be at least 300" in result.stderr
