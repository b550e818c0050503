"""``manage.py create_organization``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from relintel.accounts.models import Membership, Organization, Role

PASSWORD = "a long and unusual passphrase"


def _run(*args: str) -> str:
    out = StringIO()
    call_command("create_organization", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_organization_and_its_first_admin(db):
    output = _run(
        "--name", "Initech", "--slug", "initech", "--admin-email", "Boss@Initech.example",
        "--admin-password", PASSWORD, "--internal-domain", "initech.example",
    )  # fmt: skip
    organization = Organization.objects.get(slug="initech")
    membership = Membership.objects.get(organization=organization)
    assert membership.role == Role.ADMIN
    assert membership.user.email == "boss@initech.example"
    assert membership.user.check_password(PASSWORD)
    assert organization.internal_domains == ["initech.example"]
    assert "Created organization 'Initech'" in output
    assert "boss@initech.example" in output


def test_the_password_can_come_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("RELINTEL_ADMIN_PASSWORD", PASSWORD)
    _run("--name", "Initech", "--slug", "initech", "--admin-email", "boss@initech.example")
    assert Membership.objects.get(organization__slug="initech").user.check_password(PASSWORD)


def test_it_refuses_an_existing_slug(world):
    with pytest.raises(CommandError, match="slug 'acme' already exists"):
        _run("--name", "Acme again", "--slug", "acme", "--admin-email", "x@y.example", "--admin-password", PASSWORD)
    assert Organization.objects.filter(slug="acme").count() == 1


def test_a_weak_password_creates_nothing(db):
    with pytest.raises(CommandError, match="Nothing was created"):
        _run("--name", "Initech", "--slug", "initech", "--admin-email", "b@i.example", "--admin-password", "123")
    assert not Organization.objects.filter(slug="initech").exists()


def test_without_a_password_and_no_terminal_it_says_how_to_give_one(db, monkeypatch):
    monkeypatch.delenv("RELINTEL_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("os.isatty", lambda fd: False)
    with pytest.raises(CommandError, match="RELINTEL_ADMIN_PASSWORD"):
        _run("--name", "Initech", "--slug", "initech", "--admin-email", "b@i.example")


def test_an_existing_user_becomes_admin_of_a_second_organization(world):
    _run("--name", "Initech", "--slug", "initech", "--admin-email", "rita@acme.example")
    assert Membership.objects.filter(user=world.rep.user).count() == 2
