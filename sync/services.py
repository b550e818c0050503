"""Writes for the Salesforce sync: the connection (settings, connect, test, disconnect) and the
bookkeeping the client does while it calls Salesforce (tokens, usage, pauses, errors).

Secrets are encrypted with ``relintel.crypto`` before they reach the row and are never returned.
Page and API views call the ``salesforce_connection_*`` functions that take a ``membership``;
``sync.salesforce.client`` calls the ones that take a ``connection_id``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from relintel import crypto
from relintel.accounts.models import Membership, Organization
from sync.models import (
    AuthFlow,
    ConflictPolicy,
    ConnectionStatus,
    ContactWithoutCompanyAs,
    OutboxEntry,
    SalesforceConnection,
)
from sync.salesforce import auth
from sync.salesforce.errors import AuthError, SalesforceError

STATE_SALT = "sync.salesforce.oauth-state"
STATE_MAX_AGE = timedelta(minutes=15)


# --- settings -------------------------------------------------------------------------------------


def _connection_for_update(membership: Membership) -> SalesforceConnection:
    connection, _ = SalesforceConnection.objects.select_for_update().get_or_create(organization=membership.organization)
    return connection


def _valid_private_key(pem: str) -> bool:
    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        return False
    return True


@transaction.atomic
def salesforce_connection_save(
    *,
    membership: Membership,
    login_url: str,
    auth_flow: str,
    client_id: str,
    client_secret: str | None = None,
    jwt_username: str = "",
    jwt_private_key: str | None = None,
    api_budget_percent: int = 50,
    contact_without_company_as: str = ContactWithoutCompanyAs.LEAD,
    conflict_policy: str = ConflictPolicy.SALESFORCE_WINS,
    ca_bundle_path: str | None = None,
) -> SalesforceConnection:
    """Save the connection's settings. ``None`` for a secret keeps the stored one.

    Changing the login URL, the flow or the client id drops the tokens: they belong to the old
    connected app or org, so the admin connects again."""
    connection = _connection_for_update(membership)
    errors: dict[str, list[str]] = {}
    try:
        normalized = auth.normalize_login_url(login_url)
    except ValueError as exc:
        errors["login_url"] = [str(exc)]
        normalized = login_url
    client_id = (client_id or "").strip()
    jwt_username = (jwt_username or "").strip()
    if auth_flow not in AuthFlow.values:
        errors["auth_flow"] = ["Choose how to connect: the web-server flow or the JWT bearer flow."]
    if not client_id:
        errors["client_id"] = ["Give the connected app's Consumer Key."]
    if auth_flow == AuthFlow.WEB_SERVER and not client_secret and not connection.client_secret:
        errors["client_secret"] = ["Give the connected app's Consumer Secret."]
    if auth_flow == AuthFlow.JWT_BEARER:
        if not jwt_username:
            errors["jwt_username"] = ["Give the Salesforce username the sync acts as."]
        if jwt_private_key:
            if not _valid_private_key(jwt_private_key):
                errors["jwt_private_key"] = [
                    "This is not an unencrypted PEM private key (“-----BEGIN PRIVATE KEY-----”)."
                ]
        elif not connection.jwt_private_key:
            errors["jwt_private_key"] = ["Upload the private key whose certificate is on the connected app."]
    if not 1 <= int(api_budget_percent) <= 100:
        errors["api_budget_percent"] = ["Give a share between 1 and 100 percent."]
    if errors:
        raise ValidationError(errors)

    identity_changed = connection.pk is not None and (
        connection.login_url != normalized or connection.client_id != client_id or connection.auth_flow != auth_flow
    )
    connection.login_url = normalized
    connection.auth_flow = auth_flow
    connection.client_id = client_id
    connection.jwt_username = jwt_username
    if client_secret:
        connection.client_secret = crypto.encrypt(client_secret)
    if jwt_private_key:
        connection.jwt_private_key = crypto.encrypt(jwt_private_key.strip() + "\n")
    connection.api_budget_percent = int(api_budget_percent)
    connection.contact_without_company_as = contact_without_company_as
    connection.conflict_policy = conflict_policy
    if ca_bundle_path is not None:
        connection.ca_bundle_path = ca_bundle_path
    if identity_changed and connection.access_token:
        _clear_tokens(connection)
        connection.status = ConnectionStatus.DISCONNECTED
    connection.full_clean()
    connection.save()
    return connection


def _clear_tokens(connection: SalesforceConnection) -> None:
    connection.access_token = ""
    connection.refresh_token = ""
    connection.token_issued_at = None
    connection.oauth_state = ""
    connection.oauth_code_verifier = ""
    connection.oauth_state_expires_at = None


def _store_grant(connection: SalesforceConnection, grant: auth.TokenGrant) -> None:
    connection.access_token = crypto.encrypt(grant.access_token)
    if grant.refresh_token:
        connection.refresh_token = crypto.encrypt(grant.refresh_token)
    connection.instance_url = grant.instance_url
    connection.token_issued_at = grant.issued_at or timezone.now()
    if grant.org_id:
        connection.salesforce_org_id = grant.org_id[:18]
    if grant.user_id:
        connection.salesforce_user_id = grant.user_id[:18]


def _mark_connected(connection: SalesforceConnection, membership: Membership) -> None:
    connection.status = ConnectionStatus.CONNECTED
    connection.connected_by = membership.user
    connection.connected_at = timezone.now()
    # Perhaps another org than before: members are looked up among its users with the next pull.
    connection.users_checked_at = None
    connection.last_error = ""
    connection.last_error_code = ""
    connection.last_error_at = None


def _require_configured(connection: SalesforceConnection | None) -> SalesforceConnection:
    if connection is None or not connection.client_id:
        raise ValidationError({"__all__": ["Save the connected app's settings first."]})
    return connection


# --- the web-server flow ------------------------------------------------------------------------


@transaction.atomic
def salesforce_connection_authorization_start(*, membership: Membership, redirect_uri: str) -> str:
    """The Salesforce URL to send the admin to. The ``state`` is signed, names the organization,
    and is single-use (its nonce's hash is kept on the connection until the callback)."""
    connection = _require_configured(
        SalesforceConnection.objects.select_for_update().filter(organization=membership.organization).first()
    )
    if connection.auth_flow != AuthFlow.WEB_SERVER:
        raise ValidationError({"auth_flow": ["This connection uses the JWT bearer flow: use “Connect” instead."]})
    nonce = secrets.token_urlsafe(24)
    state = signing.dumps({"o": membership.organization_id, "n": nonce}, salt=STATE_SALT, compress=True)
    verifier, challenge = auth.pkce_pair()
    connection.oauth_state = hashlib.sha256(nonce.encode()).hexdigest()
    connection.oauth_code_verifier = crypto.encrypt(verifier)
    connection.oauth_state_expires_at = timezone.now() + STATE_MAX_AGE
    connection.save(update_fields=["oauth_state", "oauth_code_verifier", "oauth_state_expires_at", "updated_at"])
    return auth.authorize_url(
        login_url=connection.login_url,
        client_id=connection.client_id,
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
    )


def _check_state(connection: SalesforceConnection, membership: Membership, state: str) -> None:
    refused = ValidationError(
        {"__all__": ["This sign-in answer is not one Relintel asked for (or it is too old). Connect again."]}
    )
    try:
        payload = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        raise refused from None
    if not isinstance(payload, dict) or payload.get("o") != membership.organization_id:
        raise refused
    expected = connection.oauth_state
    given = hashlib.sha256(str(payload.get("n", "")).encode()).hexdigest()
    expired = connection.oauth_state_expires_at is None or connection.oauth_state_expires_at < timezone.now()
    if not expected or expired or not secrets.compare_digest(expected, given):
        raise refused


def salesforce_connection_authorization_complete(
    *,
    membership: Membership,
    state: str,
    code: str,
    redirect_uri: str,
    error: str = "",
    error_description: str = "",
) -> SalesforceConnection:
    """The callback: check the state, exchange the code, store the tokens."""
    with transaction.atomic():
        connection = _require_configured(
            SalesforceConnection.objects.select_for_update().filter(organization=membership.organization).first()
        )
        _check_state(connection, membership, state)
        verifier = crypto.decrypt(connection.oauth_code_verifier) if connection.oauth_code_verifier else ""
        # Single use, whatever happens next.
        connection.oauth_state = ""
        connection.oauth_code_verifier = ""
        connection.oauth_state_expires_at = None
        connection.save(update_fields=["oauth_state", "oauth_code_verifier", "oauth_state_expires_at", "updated_at"])
    if error:
        message = (
            "You (or Salesforce) declined the connection."
            if error == "access_denied"
            else f"Salesforce refused: {error}" + (f" — {error_description}" if error_description else "")
        )
        _record_error(connection, code=error, message=message)
        raise ValidationError({"__all__": [message]})
    if not code:
        raise ValidationError({"__all__": ["Salesforce sent no authorization code. Connect again."]})
    from sync.salesforce.client import verify_for

    try:
        grant = auth.exchange_code(
            login_url=connection.login_url,
            client_id=connection.client_id,
            client_secret=crypto.decrypt(connection.client_secret) if connection.client_secret else "",
            redirect_uri=redirect_uri,
            code=code,
            code_verifier=verifier,
            verify=verify_for(connection),
        )
    except AuthError as exc:
        _record_error(connection, code=exc.code, message=exc.message)
        raise ValidationError({"__all__": [exc.message]}, code=exc.code) from None
    with transaction.atomic():
        connection = SalesforceConnection.objects.select_for_update().get(pk=connection.pk)
        _store_grant(connection, grant)
        _mark_connected(connection, membership)
        connection.paused_until = None
        connection.paused_reason = ""
        connection.full_clean()
        connection.save()
    return connection


# --- the JWT bearer flow ---------------------------------------------------------------------------


def salesforce_connection_connect_jwt(*, membership: Membership) -> SalesforceConnection:
    connection = _require_configured(SalesforceConnection.objects.filter(organization=membership.organization).first())
    if connection.auth_flow != AuthFlow.JWT_BEARER:
        raise ValidationError(
            {"auth_flow": ["This connection uses the web-server flow: use “Connect with Salesforce”."]}
        )
    from sync.salesforce.client import obtain_fresh_grant

    try:
        grant = obtain_fresh_grant(connection)
    except AuthError as exc:
        _record_error(connection, code=exc.code, message=exc.message)
        raise ValidationError({"__all__": [exc.message]}, code=exc.code) from None
    with transaction.atomic():
        connection = SalesforceConnection.objects.select_for_update().get(pk=connection.pk)
        _store_grant(connection, grant)
        _mark_connected(connection, membership)
        connection.paused_until = None
        connection.paused_reason = ""
        connection.full_clean()
        connection.save()
    return connection


# --- test and disconnect --------------------------------------------------------------------------


@dataclass
class ConnectionReport:
    """What "Test connection" found."""

    ok: bool
    code: str
    message: str
    instance_url: str = ""
    org_id: str = ""
    api_used: int | None = None
    api_max: int | None = None
    sobject_count: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def api_percent(self) -> int | None:
        if self.api_used is None or not self.api_max:
            return None
        return round(100 * self.api_used / self.api_max)


def salesforce_connection_test(*, membership: Membership) -> ConnectionReport:
    """Call ``limits/`` and ``sobjects/`` with the stored tokens (refreshing them if need be)."""
    from sync.salesforce.client import salesforce_for

    connection = SalesforceConnection.objects.filter(organization=membership.organization).first()
    if connection is None or not connection.access_token:
        return ConnectionReport(ok=False, code="not_connected", message="Not connected yet: connect first.")
    try:
        with salesforce_for(connection) as client:
            limits = client.limits()
            sobjects = client.describe_global()
            used, limit = client.usage.used, client.usage.limit
            connection = client.connection
    except SalesforceError as exc:
        if exc.code not in {"needs_reauth", "REQUEST_LIMIT_EXCEEDED", "API_BUDGET_EXHAUSTED"}:
            _record_error(connection, code=exc.code, message=exc.message)
        return ConnectionReport(ok=False, code=exc.code or "error", message=exc.message)
    daily = limits.get("DailyApiRequests") if isinstance(limits, dict) else None
    if isinstance(daily, dict) and daily.get("Max"):
        limit = int(daily["Max"])
        used = limit - int(daily.get("Remaining", limit))
        salesforce_connection_usage_record(connection_id=connection.pk, used=used, limit=limit, seen_at=timezone.now())
    SalesforceConnection.objects.filter(pk=connection.pk).exclude(status=ConnectionStatus.NEEDS_REAUTH).update(
        status=ConnectionStatus.CONNECTED, last_error="", last_error_code="", last_error_at=None
    )
    count = len(sobjects.get("sobjects", [])) if isinstance(sobjects, dict) else None
    usage = f" API calls in the last 24 hours: {used:,} of {limit:,}." if used is not None and limit else ""
    return ConnectionReport(
        ok=True,
        code="ok",
        message=f"Connected to {connection.instance_url}: {count or 0} objects readable.{usage}",
        instance_url=connection.instance_url,
        org_id=connection.salesforce_org_id,
        api_used=used,
        api_max=limit,
        sobject_count=count,
    )


def salesforce_connection_disconnect(
    *, membership: Membership, revoke_remote: bool = True
) -> SalesforceConnection | None:
    """Forget the tokens (asking Salesforce to revoke them, best effort). Mapping and links stay."""
    connection = SalesforceConnection.objects.filter(organization=membership.organization).first()
    if connection is None:
        return None
    if revoke_remote and (connection.refresh_token or connection.access_token):
        from sync.salesforce.client import verify_for

        token = connection.refresh_token or connection.access_token
        auth.revoke(login_url=connection.login_url, token=crypto.decrypt(token), verify=verify_for(connection))
    with transaction.atomic():
        connection = SalesforceConnection.objects.select_for_update().get(pk=connection.pk)
        _clear_tokens(connection)
        connection.status = ConnectionStatus.DISCONNECTED
        connection.paused_until = None
        connection.paused_reason = ""
        connection.last_error = ""
        connection.last_error_code = ""
        connection.last_error_at = None
        connection.save()
    return connection


# --- bookkeeping for the client -----------------------------------------------------------------


def _record_error(connection: SalesforceConnection, *, code: str, message: str) -> None:
    salesforce_connection_record_error(connection_id=connection.pk, code=code, message=message)


def salesforce_connection_record_error(*, connection_id: int, code: str, message: str) -> None:
    SalesforceConnection.objects.filter(pk=connection_id).update(
        last_error=message, last_error_code=code[:60], last_error_at=timezone.now()
    )


def salesforce_connection_mark_needs_reauth(*, connection_id: int, code: str, message: str) -> None:
    """The refresh was refused: stop syncing and show every admin the banner."""
    SalesforceConnection.objects.filter(pk=connection_id).update(
        status=ConnectionStatus.NEEDS_REAUTH,
        access_token="",
        last_error=message,
        last_error_code=code[:60],
        last_error_at=timezone.now(),
    )


def salesforce_connection_store_refresh(*, connection_id: int, grant: auth.TokenGrant) -> SalesforceConnection:
    with transaction.atomic():
        connection = SalesforceConnection.objects.select_for_update().get(pk=connection_id)
        _store_grant(connection, grant)
        connection.save()
    return connection


def salesforce_connection_usage_record(
    *, connection_id: int, used: int, limit: int, seen_at: datetime | None = None
) -> None:
    SalesforceConnection.objects.filter(pk=connection_id).update(
        api_usage_used=used, api_usage_max=limit, api_usage_seen_at=seen_at or timezone.now()
    )


def salesforce_connection_pause(*, connection_id: int, until: datetime, reason: str) -> None:
    SalesforceConnection.objects.filter(pk=connection_id).update(
        paused_until=until,
        paused_reason=reason[:300],
        last_error=reason,
        last_error_code="REQUEST_LIMIT_EXCEEDED",
        last_error_at=timezone.now(),
    )


# --- the outbox ----------------------------------------------------------------------------------
# Domain services call these inside their own transactions (DESIGN.md: domain apps reach sync
# only through sync.services). See sync/outbox.py for dedupe and the connection check.


def outbox_enqueue(*, organization_id: int, kind: str, local_id: int, operation: str = "upsert") -> bool:
    """Queue one company, contact, interaction (by its kind) or help offer for Salesforce."""
    from sync import outbox

    return outbox.outbox_enqueue(organization_id=organization_id, kind=kind, local_id=local_id, operation=operation)


def outbox_enqueue_interaction(
    *, organization_id: int, interaction_id: int, kind: str, visibility: str, operation: str = "upsert"
) -> bool:
    """Queue an interaction; private ones and notes are never queued."""
    from sync import outbox

    return outbox.outbox_enqueue_interaction(
        organization_id=organization_id,
        interaction_id=interaction_id,
        kind=kind,
        visibility=visibility,
        operation=operation,
    )


def outbox_enqueue_many(*, organization_id: int, kind: str, local_ids: Iterable[int], operation: str = "upsert") -> int:
    """Queue many rows of one kind in one statement (``kind="interaction"`` for captured activity)."""
    from sync import outbox

    return outbox.outbox_enqueue_many(
        organization_id=organization_id, kind=kind, local_ids=local_ids, operation=operation
    )


def outbox_enqueue_captured(
    *,
    organization_id: int,
    new: Iterable[tuple[int, str]],
    visibility: str,
    changed_ids: Iterable[int] = (),
    contact_ids: Iterable[int] = (),
) -> int:
    """A capture batch's debt, in its transaction: new interactions ``(id, kind)`` of the batch's
    visibility (not private ones, not notes), the stored ones it changed, the contacts it created
    and their companies not yet in Salesforce."""
    from sync import outbox

    return outbox.captured_enqueue(
        organization_id=organization_id,
        new=new,
        visibility=visibility,
        changed_ids=changed_ids,
        contact_ids=contact_ids,
    )


@transaction.atomic
def salesforce_initial_sync_enqueue(*, organization: Organization) -> dict[str, int]:
    """After connecting: queue everything mappable (set-based), for the first push."""
    from sync import outbox

    return outbox.initial_sync_enqueue(organization_id=organization.pk)


@transaction.atomic
def outbox_retry(*, entry: OutboxEntry) -> bool:
    """Try a failed or dead record again now (after a mapping fix). False when it is not failed."""
    from sync.models import OutboxState

    return bool(
        OutboxEntry.objects.filter(pk=entry.pk, state__in=[OutboxState.FAILED, OutboxState.DEAD])
        .exclude(
            # A newer change to the same row is already queued: that one carries the fix.
            dedupe_key__in=OutboxEntry.objects.filter(
                organization_id=entry.organization_id,
                state__in=[OutboxState.PENDING, OutboxState.IN_FLIGHT],
            ).values("dedupe_key")
        )
        .update(state=OutboxState.PENDING, attempts=0, next_attempt_at=None, claimed_by="", claimed_until=None)
    )


@transaction.atomic
def outbox_retry_failed(*, organization: Organization, code: str | None = None) -> int:
    """Every failed (and dead) record of the organization, or those with one error code, again."""
    from sync.models import OutboxState

    open_keys = OutboxEntry.objects.filter(
        organization_id=organization.pk, state__in=[OutboxState.PENDING, OutboxState.IN_FLIGHT]
    ).values("dedupe_key")
    failed = OutboxEntry.objects.filter(
        organization_id=organization.pk, state__in=[OutboxState.FAILED, OutboxState.DEAD]
    ).exclude(dedupe_key__in=open_keys)
    if code:
        failed = failed.filter(last_error_code=code)
    # Several failed rows for one object: the newest is enough.
    newest = failed.order_by("dedupe_key", "-id").distinct("dedupe_key").values("id")
    return OutboxEntry.objects.filter(pk__in=newest).update(
        state=OutboxState.PENDING, attempts=0, next_attempt_at=None, claimed_by="", claimed_until=None
    )


def sync_push_organization(*, organization_id: int, seconds: float = 60.0) -> bool:
    """Push the organization's due outbox rows for up to ``seconds``; True when more remain."""
    from sync.salesforce import bulk, push

    if bulk.bulk_start_due(organization_id=organization_id):
        return True
    return push.run_push(organization_id=organization_id, seconds=seconds).more


def sync_runs_abandoned_close() -> int:
    """Close the runs of workers that died, so the health page doesn't show them running."""
    from sync.salesforce import bulk

    return bulk.runs_abandoned_close()


def sync_organizations_due() -> list[int]:
    """Organizations with outbox rows due now, whose connection can push."""
    from sync.selectors import outbox_organizations_due

    return outbox_organizations_due()


# === sync UI: the mapping page and the health page's actions =====================================
# (sync UI engineer. The pull engineer appends in a separate block.)


@dataclass
class MappingSaveResult:
    mappings: list[Any]
    warnings: list[Any]


def object_mapping_save(*, membership: Membership, objects: list[Any]) -> MappingSaveResult:
    """Save every object's mapping (``selectors.ObjectMappingInput``), or none of them.

    Each enabled object is checked against Salesforce's describe as it is now (not the cache);
    any error stops the whole save with a ``ValidationError`` keyed ``kind.sObject`` whose
    messages are "what is wrong. what to do". Warnings are returned and don't stop it."""
    from sync import selectors
    from sync.models import ObjectMapping
    from sync.salesforce.describe import ERROR

    connection = selectors.salesforce_connection_of(membership=membership)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        raise ValidationError({"__all__": ["Connect Salesforce first: the mapping is checked against your org."]})
    known = {f"{kind}.{sobject}" for kind, sobject in selectors.MAPPED_OBJECTS}
    unknown = [o.key for o in objects if o.key not in known]
    if unknown:
        raise ValidationError({"__all__": [f"Unknown object mapping: {', '.join(unknown)}."]})
    describes = selectors.salesforce_describes(
        connection=connection, sobjects=selectors.mapping_sobjects(objects), refresh=True
    )
    problems = selectors.mapping_problems(connection=connection, inputs=objects, describes=describes)
    errors = {
        key: [str(p) for p in found if p.severity == ERROR]
        for key, found in problems.items()
        if any(p.severity == ERROR for p in found)
    }
    if errors:
        raise ValidationError(errors)
    saved = []
    switched_on: set[str] = set()
    with transaction.atomic():
        for item in objects:
            mapping, _ = ObjectMapping.objects.select_for_update().get_or_create(
                organization_id=membership.organization_id, local_kind=item.local_kind, sobject=item.sobject
            )
            if item.enabled and not mapping.enabled:
                switched_on.add(item.local_kind)
            mapping.enabled = item.enabled
            mapping.external_id_field = item.external_id_field
            mapping.field_map = item.stored_field_map()
            mapping.full_clean()
            mapping.save()
            saved.append(mapping)
        if switched_on:
            outbox_requeue_skipped(organization_id=membership.organization_id, kinds=sorted(switched_on))
    warnings = [p for found in problems.values() for p in found if p.severity != ERROR]
    return MappingSaveResult(mappings=saved, warnings=warnings)


def outbox_requeue_skipped(*, organization_id: int, kinds: list[str]) -> int:
    """A mapping switched back on: what it skipped is owed again, the newest change per record
    (older skipped changes to the same record are folded into it). Returns how many were queued."""
    from sync.models import OutboxState

    skipped = OutboxEntry.objects.filter(
        organization_id=organization_id, state=OutboxState.SKIPPED, object_kind__in=kinds
    ).exclude(
        dedupe_key__in=OutboxEntry.objects.filter(
            organization_id=organization_id, state__in=[OutboxState.PENDING, OutboxState.IN_FLIGHT]
        ).values("dedupe_key")
    )
    newest = list(skipped.order_by("dedupe_key", "-id").distinct("dedupe_key").values_list("id", flat=True))
    skipped.exclude(pk__in=newest).update(
        state=OutboxState.SYNCED, last_error_message="Folded into a later change to the same record."
    )
    return OutboxEntry.objects.filter(pk__in=newest).update(
        state=OutboxState.PENDING, attempts=0, next_attempt_at=None, last_error_message="", updated_at=timezone.now()
    )


def outbox_retry_for(*, membership: Membership, entry_id: int) -> bool:
    """Retry one failed record of the member's organization (404 for another's)."""
    from sync import selectors

    entry = selectors.outbox_entry_get(membership=membership, entry_id=entry_id)
    return outbox_retry(entry=entry)


def outbox_retry_failed_for(*, membership: Membership, code: str = "") -> int:
    return outbox_retry_failed(organization=membership.organization, code=code or None)


def salesforce_initial_sync_start(*, membership: Membership) -> dict[str, int]:
    """The health page's "Start initial sync": only with a live connection."""
    connection = SalesforceConnection.objects.filter(organization_id=membership.organization_id).first()
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        raise ValidationError({"__all__": ["Connect Salesforce first."]})
    return salesforce_initial_sync_enqueue(organization=membership.organization)


# --- pull (pull engineer) ------------------------------------------------------------------------


def sync_pull_organization(*, organization_id: int) -> dict[str, int] | None:
    """Pull Salesforce's changes to the organization's linked Accounts, Contacts and Leads.

    Returns the run's counts, or ``None`` when the connection is not connected or is paused."""
    from sync.salesforce import pull

    connection = pull.pullable_connection(organization_id)
    if connection is None:
        return None
    return pull.pull_organization(connection=connection).counts


def sync_pull_organizations_due() -> list[int]:
    """Organizations whose connection can pull now."""
    from sync.selectors import pull_organizations_due

    return pull_organizations_due()
