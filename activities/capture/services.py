"""Writes for capture settings: sources, the capture policy, BCC addresses and exclusions.

Keyword-only and transactional. A source's password or token is encrypted with
``relintel.crypto`` before it reaches the row, and never logged or echoed back.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Required, TypedDict, Unpack
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from activities import tasks
from activities.capture.selectors import capture_policy_of
from activities.models import (
    AuthMethod,
    CaptureAccount,
    CaptureKind,
    CapturePolicy,
    CaptureSighting,
    CaptureStatus,
    ContactCreationRule,
    Exclusion,
    ExclusionKind,
    ImapSecurity,
    Interaction,
    LoggingAddress,
    Participant,
    PrivacyLevel,
    SkippedMessage,
    Visibility,
)
from contacts.normalize import normalize_domain, normalize_email
from relintel import crypto
from relintel.accounts.models import Membership

_UNSET: object = object()

DEFAULT_PORTS = {ImapSecurity.TLS: 993, ImapSecurity.STARTTLS: 143, ImapSecurity.PLAIN: 143}
MAX_BACKFILL_DAYS = 3650
MAX_RECIPIENTS_LIMIT = 10_000
# Settings that point at a different mailbox or calendar: changing one starts the source over.
_LOCATION_FIELDS = ("host", "port", "username", "url")


def _choice_error(value: str, choices: Iterable[str]) -> list[str]:
    return [f"“{value}” is not one of {', '.join(choices)}."]


def _normalize_url(url: str) -> str:
    """A feed or calendar URL; ``webcal://`` (what calendar apps hand out) means https."""
    url = url.strip()
    lowered = url.lower()
    if lowered.startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    elif lowered.startswith("webcals://"):
        url = "https://" + url[len("webcals://") :]
    return url


def _url_errors(url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ["Give the full address, starting with https:// (or webcal:// for a feed)."]
    return []


def _host_errors(host: str) -> list[str]:
    if "://" in host or "/" in host or " " in host or ":" in host:
        return ["Only the server name, like imap.example.com (the port has its own field)."]
    return []


def _clean_folders(folders: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for folder in folders:
        folder = folder.strip()
        if folder and folder not in cleaned:
            cleaned.append(folder)
    return cleaned


def _validate(account: CaptureAccount, *, has_secret: bool) -> None:
    """Field-level errors for one source, according to its kind."""
    errors: dict[str, list[str]] = {}
    if account.kind not in CaptureKind.values:
        raise ValidationError({"kind": _choice_error(account.kind, CaptureKind.values)})
    if not account.name.strip():
        errors["name"] = ["Give this source a name, e.g. “Work mailbox”."]
    if account.privacy_level not in PrivacyLevel.values:
        errors["privacy_level"] = _choice_error(account.privacy_level, PrivacyLevel.values)
    if account.visibility not in Visibility.values:
        errors["visibility"] = _choice_error(account.visibility, Visibility.values)
    if account.backfill_days is None or not 0 <= account.backfill_days <= MAX_BACKFILL_DAYS:
        errors["backfill_days"] = [f"Between 0 and {MAX_BACKFILL_DAYS} days."]
    if account.kind == CaptureKind.IMAP:
        if not account.host:
            errors["host"] = ["The IMAP server is required, e.g. imap.example.com."]
        elif host_errors := _host_errors(account.host):
            errors["host"] = host_errors
        if account.port is not None and not 1 <= account.port <= 65535:
            errors["port"] = ["A port is a number from 1 to 65535."]
        if account.security not in ImapSecurity.values:
            errors["security"] = _choice_error(account.security, ImapSecurity.values)
        if account.auth_method not in AuthMethod.values:
            errors["auth_method"] = _choice_error(account.auth_method, AuthMethod.values)
        if not account.username:
            errors["username"] = ["The username is required (often your email address)."]
        if not has_secret:
            errors["secret"] = ["The password (or access token) is required."]
    elif account.kind == CaptureKind.CALDAV:
        if not account.url:
            errors["url"] = ["The calendar address is required, e.g. https://dav.example.com/calendars/me/."]
        elif url_errors := _url_errors(account.url):
            errors["url"] = url_errors
        if not account.username:
            errors["username"] = ["The username is required."]
        if not has_secret:
            errors["secret"] = ["The password is required."]
    elif not account.url:
        errors["url"] = ["The feed address is required, e.g. webcal://example.com/calendar.ics."]
    elif url_errors := _url_errors(account.url):
        errors["url"] = url_errors
    if errors:
        raise ValidationError(errors)
    account.full_clean(exclude=["organization", "user"])


def _shape_for_kind(account: CaptureAccount) -> None:
    """Clear what a kind does not use, and fill the defaults it does."""
    if account.kind == CaptureKind.IMAP:
        account.url = ""
        if account.port is None and account.security in DEFAULT_PORTS:
            account.port = DEFAULT_PORTS[ImapSecurity(account.security)]
    else:
        account.host = ""
        account.port = None
        account.security = ImapSecurity.TLS
        account.auth_method = AuthMethod.PASSWORD
    if account.kind == CaptureKind.ICS:
        account.username = ""
        account.secret = ""
        account.folders = []


def capture_account_build(
    *,
    membership: Membership,
    kind: str,
    name: str,
    host: str = "",
    port: int | None = None,
    security: str = ImapSecurity.TLS,
    username: str = "",
    url: str = "",
    auth_method: str = AuthMethod.PASSWORD,
    secret: str = "",
    folders: Iterable[str] = (),
    privacy_level: str | None = None,
    visibility: str = Visibility.TEAM,
    backfill_days: int = 180,
) -> CaptureAccount:
    """A validated, unsaved source (the create form tests a connection with it before saving)."""
    if privacy_level is None:
        privacy_level = capture_policy_of(organization_id=membership.organization_id).default_privacy_level
    account = CaptureAccount(
        organization=membership.organization,
        user=membership.user,
        kind=kind,
        name=name.strip(),
        host=host.strip().lower(),
        port=port,
        security=security,
        username=username.strip(),
        url=_normalize_url(url),
        auth_method=auth_method,
        folders=_clean_folders(folders),
        privacy_level=privacy_level,
        visibility=visibility,
        backfill_days=backfill_days,
    )
    _validate(account, has_secret=bool(secret) or kind == CaptureKind.ICS)
    if kind != CaptureKind.ICS:
        account.secret = crypto.encrypt(secret)
    _shape_for_kind(account)
    return account


class SourceFields(TypedDict, total=False):
    """What ``capture_account_build`` takes besides the member (its defaults apply)."""

    kind: Required[str]
    name: Required[str]
    host: str
    port: int | None
    security: str
    username: str
    url: str
    auth_method: str
    secret: str
    folders: Iterable[str]
    privacy_level: str | None
    visibility: str
    backfill_days: int


@transaction.atomic
def capture_account_create(*, membership: Membership, **fields: Unpack[SourceFields]) -> CaptureAccount:
    """Connect a mailbox, calendar or feed; the scheduler picks it up at once."""
    account = capture_account_build(membership=membership, **fields)
    account.status = CaptureStatus.ACTIVE
    account.next_poll_at = timezone.now()
    account.save()
    return account


def capture_account_apply(
    *,
    account: CaptureAccount,
    name: str | None = None,
    host: str | None = None,
    port: int | object | None = _UNSET,
    security: str | None = None,
    username: str | None = None,
    url: str | None = None,
    auth_method: str | None = None,
    secret: str | None = None,
    folders: Iterable[str] | None = None,
    privacy_level: str | None = None,
    visibility: str | None = None,
    backfill_days: int | None = None,
) -> list[str]:
    """Apply changes to ``account`` in memory and validate them; returns the fields that changed.

    ``secret`` is replaced only when a new one is given (``None`` or ``""`` keep it).
    """
    before = {f: getattr(account, f) for f in _LOCATION_FIELDS}
    if name is not None:
        account.name = name.strip()
    if host is not None:
        account.host = host.strip().lower()
    if port is not _UNSET:
        account.port = port  # type: ignore[assignment]
    if security is not None:
        account.security = security
    if username is not None:
        account.username = username.strip()
    if url is not None:
        account.url = _normalize_url(url)
    if auth_method is not None:
        account.auth_method = auth_method
    if folders is not None:
        account.folders = _clean_folders(folders)
    if privacy_level is not None:
        account.privacy_level = privacy_level
    if visibility is not None:
        account.visibility = visibility
    if backfill_days is not None:
        account.backfill_days = backfill_days
    new_secret = bool(secret)
    _validate(account, has_secret=new_secret or bool(account.secret) or account.kind == CaptureKind.ICS)
    if new_secret and account.kind != CaptureKind.ICS:
        account.secret = crypto.encrypt(secret or "")
    _shape_for_kind(account)
    changed = [f for f in _LOCATION_FIELDS if getattr(account, f) != before[f]]
    if new_secret:
        changed.append("secret")
    return changed


@transaction.atomic
def capture_account_update(
    *,
    account: CaptureAccount,
    name: str | None = None,
    host: str | None = None,
    port: int | object | None = _UNSET,
    security: str | None = None,
    username: str | None = None,
    url: str | None = None,
    auth_method: str | None = None,
    secret: str | None = None,
    folders: Iterable[str] | None = None,
    privacy_level: str | None = None,
    visibility: str | None = None,
    backfill_days: int | None = None,
) -> CaptureAccount:
    """Change a source's settings. Pointing it at another mailbox or calendar starts it over
    (its cursors go; captured messages are deduplicated, so nothing doubles)."""
    changed = capture_account_apply(
        account=account,
        name=name,
        host=host,
        port=port,
        security=security,
        username=username,
        url=url,
        auth_method=auth_method,
        secret=secret,
        folders=folders,
        privacy_level=privacy_level,
        visibility=visibility,
        backfill_days=backfill_days,
    )
    if any(f in _LOCATION_FIELDS for f in changed):
        account.cursors.all().delete()
        account.backfill_total = 0
        account.backfill_done = 0
        account.backfill_completed_at = None
    if changed and account.status != CaptureStatus.PAUSED:
        # New settings deserve a try now, not after the failing source's back-off.
        account.next_poll_at = timezone.now()
        account.consecutive_failures = 0
    account.save()
    return account


@transaction.atomic
def capture_account_pause(*, account: CaptureAccount) -> CaptureAccount:
    account.status = CaptureStatus.PAUSED
    account.save(update_fields=["status", "updated_at"])
    return account


@transaction.atomic
def capture_account_resume(*, account: CaptureAccount) -> CaptureAccount:
    account.status = CaptureStatus.ACTIVE
    account.next_poll_at = timezone.now()
    account.consecutive_failures = 0
    account.save(update_fields=["status", "next_poll_at", "consecutive_failures", "updated_at"])
    return account


@transaction.atomic
def capture_account_remove(*, account: CaptureAccount, delete_data: bool) -> int:
    """Disconnect a source. With ``delete_data``, also delete what only it captured:
    the interactions no other sighting keeps (another rep's mailbox, a BCC, an upload),
    its sightings and its skipped rows. Returns the number of interactions deleted."""
    deleted = 0
    if delete_data:
        sightings = CaptureSighting.objects.filter(account=account)
        kept_elsewhere = CaptureSighting.objects.filter(interaction_id=OuterRef("pk")).exclude(account=account)
        orphans = Interaction.objects.filter(
            organization_id=account.organization_id, pk__in=sightings.values("interaction_id")
        ).exclude(Exists(kept_elsewhere))
        orphan_ids = list(orphans.values_list("pk", flat=True))
        contact_ids = sorted(
            set(
                Participant.objects.filter(interaction_id__in=orphan_ids, contact__isnull=False).values_list(
                    "contact_id", flat=True
                )
            )
        )
        sightings.delete()
        SkippedMessage.objects.filter(account=account).delete()
        Interaction.objects.filter(pk__in=orphan_ids).delete()
        deleted = len(orphan_ids)
        if contact_ids:
            organization_id = account.organization_id
            transaction.on_commit(lambda: tasks.relationship_refresh.delay(organization_id, contact_ids))
    account.delete()
    return deleted


# --- the organization's policy ------------------------------------------------------


@transaction.atomic
def capture_policy_update(
    *, membership: Membership, max_recipients: int, contact_creation: str, default_privacy_level: str
) -> CapturePolicy:
    if not membership.is_admin:
        raise PermissionDenied("Only admins may change the capture policy.")
    errors: dict[str, list[str]] = {}
    if max_recipients is None or not 1 <= max_recipients <= MAX_RECIPIENTS_LIMIT:
        errors["max_recipients"] = [f"Between 1 and {MAX_RECIPIENTS_LIMIT}."]
    if contact_creation not in ContactCreationRule.values:
        errors["contact_creation"] = _choice_error(contact_creation, ContactCreationRule.values)
    if default_privacy_level not in PrivacyLevel.values:
        errors["default_privacy_level"] = _choice_error(default_privacy_level, PrivacyLevel.values)
    if errors:
        raise ValidationError(errors)
    policy, _ = CapturePolicy.objects.select_for_update().get_or_create(organization_id=membership.organization_id)
    policy.max_recipients = max_recipients
    policy.contact_creation = contact_creation
    policy.default_privacy_level = default_privacy_level
    policy.full_clean()
    policy.save()
    return policy


# --- BCC to log ----------------------------------------------------------------------


def _new_token() -> str:
    # Lower-case hex: mail systems may change the case of a local part.
    return secrets.token_hex(12)


def _address(token: str) -> str:
    return f"log+{token}@{settings.RELINTEL_BCC_DOMAIN}"


@transaction.atomic
def logging_address_for(*, membership: Membership) -> str:
    """The member's personal "BCC to log" address, made on first use."""
    row, _ = LoggingAddress.objects.get_or_create(
        organization_id=membership.organization_id, user_id=membership.user_id, defaults={"token": _new_token()}
    )
    return _address(row.token)


@transaction.atomic
def logging_address_reset(*, membership: Membership) -> str:
    """A new address; the old one stops working at once (e.g. after it leaked to a list)."""
    token = _new_token()
    updated = LoggingAddress.objects.filter(
        organization_id=membership.organization_id, user_id=membership.user_id
    ).update(token=token)
    if not updated:
        LoggingAddress.objects.create(
            organization_id=membership.organization_id, user_id=membership.user_id, token=token
        )
    return _address(token)


# --- exclusions -----------------------------------------------------------------------


def _normalize_exclusion(kind: str, value: str) -> str:
    if kind not in ExclusionKind.values:
        raise ValidationError({"kind": _choice_error(kind, ExclusionKind.values)})
    raw = value.strip()
    if not raw:
        raise ValidationError({"value": ["Give an email address or a domain."]})
    try:
        if kind == ExclusionKind.EMAIL:
            return normalize_email(raw)
        return normalize_domain(raw.lstrip("@"))
    except ValidationError as error:
        noun = "an email address like name@example.com" if kind == ExclusionKind.EMAIL else "a domain like example.com"
        raise ValidationError({"value": [f"“{raw}” is not {noun}."]}) from error


@transaction.atomic
def capture_exclusion_add(
    *, membership: Membership, kind: str, value: str, organization_wide: bool = False
) -> Exclusion:
    """Never capture this person or domain again (and drop what was captured with them):
    for the member alone, or (admins) for the whole organization."""
    from activities.capture import ingest

    if organization_wide and not membership.is_admin:
        raise PermissionDenied("Only admins may exclude for the whole organization.")
    normalized = _normalize_exclusion(kind, value)
    existing = Exclusion.objects.filter(organization_id=membership.organization_id, kind=kind, value=normalized)
    existing = existing.filter(user__isnull=True) if organization_wide else existing.filter(user=membership.user)
    if existing.exists():
        raise ValidationError({"value": [f"{normalized} is already excluded."]})
    return ingest.exclusion_add(
        organization=membership.organization,
        kind=kind,
        value=normalized,
        user=None if organization_wide else membership.user,
        created_by=membership.user,
    )


@transaction.atomic
def capture_exclusion_remove(*, membership: Membership, exclusion: Exclusion) -> None:
    """Capture this person or domain again from now on (what was dropped stays dropped)."""
    from activities.capture import ingest

    if exclusion.organization_id != membership.organization_id:
        raise PermissionDenied("No such exclusion.")
    if exclusion.user_id is None and not membership.is_admin:
        raise PermissionDenied("Only admins may remove an organization-wide exclusion.")
    if exclusion.user_id is not None and exclusion.user_id != membership.user_id:
        raise PermissionDenied("That exclusion is someone else's.")
    ingest.exclusion_remove(exclusion=exclusion)
