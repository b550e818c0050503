"""``manage.py create_organization``: bootstrap a tenant and its first admin."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from relintel.accounts import services
from relintel.accounts.selectors import account_exists, organization_slug_taken

PASSWORD_ENV = "RELINTEL_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create an organization and its first admin. The password comes from --admin-password, "
        f"else ${PASSWORD_ENV}, else a prompt (an existing user keeps their password)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Organization name, e.g. 'Acme Sales'.")
        parser.add_argument("--slug", required=True, help="Short unique identifier, e.g. 'acme'.")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", default="", help="The admin's full name.")
        parser.add_argument("--admin-password", default=None)
        parser.add_argument(
            "--internal-domain",
            action="append",
            default=[],
            dest="internal_domains",
            help="An email domain of the organization (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["slug"].strip().lower()
        if organization_slug_taken(slug=slug):
            raise CommandError(f"An organization with the slug '{slug}' already exists; choose another slug.")
        email = options["admin_email"].strip().lower()
        password = options["admin_password"] or os.environ.get(PASSWORD_ENV) or None
        existing_user = account_exists(email=email)
        if password is None and not existing_user:
            password = self._prompt_password(options)
        try:
            membership = services.organization_create(
                name=options["name"],
                slug=slug,
                admin_email=email,
                admin_password=password,
                admin_full_name=options["admin_name"],
                internal_domains=options["internal_domains"],
            )
        except ValidationError as exc:
            details = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in getattr(exc, "message_dict", {}).items()
            ) or "; ".join(exc.messages)
            raise CommandError(f"Nothing was created: {details}") from None
        organization = membership.organization
        self.stdout.write(self.style.SUCCESS(f"Created organization '{organization.name}' (slug {organization.slug})."))
        who = "existing user" if existing_user else "new user"
        self.stdout.write(f"Admin: {membership.user.email} ({who}).")
        if organization.internal_domains:
            self.stdout.write(f"Internal domains: {', '.join(organization.internal_domains)}.")

    def _prompt_password(self, options: dict[str, Any]) -> str:
        if not options.get("interactive", True) or not self.stdin_isatty():
            raise CommandError(f"Give the admin's password with --admin-password or ${PASSWORD_ENV}.")
        first = getpass.getpass("Admin password: ")
        if first != getpass.getpass("Admin password (again): "):
            raise CommandError("The two passwords differ.")
        return first

    @staticmethod
    def stdin_isatty() -> bool:
        try:
            return os.isatty(0)
        except OSError:
            return False
