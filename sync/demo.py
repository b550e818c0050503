"""``make run``'s live sync: the demo organization connected to the local Salesforce emulator.

The emulator approves an authorization request at once (it has no login page), so the demo
connects through the very services an admin's clicks call — save the settings, start the
web-server flow, complete it with the code the emulator hands back — and then queues the first
sync. Idempotent: a demo already connected to the emulator is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from django.db import connection as db_connection

from relintel.accounts.models import Membership, Role
from sync import services
from sync.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from sync.models import AuthFlow, ConnectionStatus, SalesforceConnection

# Where the demo's callback would be; the emulator only echoes it back.
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/manage/salesforce/callback/"


@dataclass(frozen=True)
class DemoConnection:
    connection: SalesforceConnection
    connected_now: bool
    queued: dict[str, int]


class DemoConnectError(Exception):
    """Why the demo could not be connected, in words for the terminal."""


def salesforce_demo_connect(*, organization_slug: str, emulator_url: str, ca_bundle: str) -> DemoConnection:
    """Connect the organization (as its first admin) to the emulator at ``emulator_url``."""
    if db_connection.vendor != "postgresql":
        # The outbox is claimed with FOR UPDATE SKIP LOCKED and written with PostgreSQL's upsert.
        raise DemoConnectError(
            "The live Salesforce sync needs PostgreSQL (DATABASE_URL=postgres://…); the demo runs on SQLite."
        )
    admin = (
        Membership.objects.select_related("organization", "user")
        .filter(organization__slug=organization_slug, role=Role.ADMIN, user__is_active=True)
        .order_by("pk")
        .first()
    )
    if admin is None:
        raise DemoConnectError(f"No organization “{organization_slug}” with an admin: run manage.py seed_demo first.")
    current = SalesforceConnection.objects.filter(organization=admin.organization).first()
    if (
        current is not None
        and current.status == ConnectionStatus.CONNECTED
        and current.login_url.rstrip("/") == emulator_url.rstrip("/")
    ):
        return DemoConnection(connection=current, connected_now=False, queued={})
    services.salesforce_connection_save(
        membership=admin,
        login_url=emulator_url,
        auth_flow=AuthFlow.WEB_SERVER,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        ca_bundle_path=ca_bundle,
    )
    authorize = services.salesforce_connection_authorization_start(membership=admin, redirect_uri=DEMO_REDIRECT_URI)
    try:
        answer = requests.get(authorize, allow_redirects=False, timeout=10, verify=ca_bundle)
    except requests.RequestException as exc:
        raise DemoConnectError(f"The Salesforce emulator at {emulator_url} does not answer: {exc}") from None
    query = parse_qs(urlsplit(answer.headers.get("Location", "")).query)
    connection = services.salesforce_connection_authorization_complete(
        membership=admin,
        state=query.get("state", [""])[0],
        code=query.get("code", [""])[0],
        redirect_uri=DEMO_REDIRECT_URI,
        error=query.get("error", [""])[0],
    )
    queued = services.salesforce_initial_sync_start(membership=admin)
    return DemoConnection(connection=connection, connected_now=True, queued=queued)
