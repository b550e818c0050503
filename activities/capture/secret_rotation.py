"""Re-encrypt every stored secret with the newest key of ``RELINTEL_ENCRYPTION_KEYS``.

The stores are listed in ``STORES``: a new kind of stored secret (the Salesforce
refresh token, say) is added there, and ``manage.py rotate_secrets`` rotates it too.
Rows are read in primary-key batches, each locked and rewritten in one transaction,
so the command can run while the application does and can be stopped and re-run:
values already on the newest key are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from django.db import transaction
from django.db.models import Model, QuerySet

from activities.models import CaptureAccount
from relintel import crypto

Rewrite = Callable[[str], str]


@dataclass(frozen=True)
class SecretStore:
    label: str
    model: type[Model]
    fields: tuple[str, ...]  # the columns written back
    rows: Callable[[], QuerySet[Any]]
    values: Callable[[Any], list[str]]  # the encrypted values a row holds
    rewrite: Callable[[Any, Rewrite], None]  # replace each value by rewrite(value)


def _account_rewrite(row: CaptureAccount, rewrite: Rewrite) -> None:
    row.secret = rewrite(row.secret)


# allauth MFA: the TOTP secret and the recovery-codes seed, encrypted by our MFAAdapter.
_MFA_KEYS = {Authenticator.Type.TOTP: "secret", Authenticator.Type.RECOVERY_CODES: "seed"}


def _mfa_values(row: Authenticator) -> list[str]:
    key = _MFA_KEYS.get(row.type)
    value = row.data.get(key) if key and isinstance(row.data, dict) else None
    return [value] if isinstance(value, str) and value else []


def _mfa_rewrite(row: Authenticator, rewrite: Rewrite) -> None:
    key = _MFA_KEYS[row.type]
    row.data = {**row.data, key: rewrite(row.data[key])}


STORES: tuple[SecretStore, ...] = (
    SecretStore(
        label="Capture source passwords and tokens",
        model=CaptureAccount,
        fields=("secret",),
        rows=lambda: CaptureAccount.objects.exclude(secret=""),
        values=lambda row: [row.secret],
        rewrite=_account_rewrite,
    ),
    SecretStore(
        label="Two-factor secrets (TOTP and recovery codes)",
        model=Authenticator,
        fields=("data",),
        rows=lambda: Authenticator.objects.filter(type__in=list(_MFA_KEYS)),
        values=_mfa_values,
        rewrite=_mfa_rewrite,
    ),
)


@dataclass
class RotationCount:
    label: str
    values: int = 0
    current: int = 0  # already on the newest key
    rotated: int = 0
    stale: int = 0  # --check: not yet on the newest key
    failed: int = 0  # no configured key decrypts them


def _rotate(value: str, count: RotationCount) -> str:
    try:
        rotated = crypto.rotate(value)
    except crypto.DecryptionError:
        count.failed += 1
        return value
    count.rotated += 1
    return rotated


def _store_rotate(store: SecretStore, *, check: bool, batch_size: int) -> RotationCount:
    count = RotationCount(label=store.label)
    last_pk: Any = None
    while True:
        with transaction.atomic():
            rows = store.rows().order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            if not check:
                rows = rows.select_for_update()
            batch = list(rows[:batch_size])
            if not batch:
                return count
            last_pk = batch[-1].pk
            changed = []
            for row in batch:
                values = store.values(row)
                count.values += len(values)
                stale = [value for value in values if not crypto.is_current(value)]
                count.current += len(values) - len(stale)
                if not stale:
                    continue
                if check:
                    for value in stale:
                        try:
                            crypto.rotate(value)
                        except crypto.DecryptionError:
                            count.failed += 1
                        else:
                            count.stale += 1
                    continue
                before = count.rotated
                store.rewrite(row, lambda value: value if crypto.is_current(value) else _rotate(value, count))
                if count.rotated > before:
                    changed.append(row)
            if changed:
                store.model._default_manager.bulk_update(changed, list(store.fields))


def secrets_rotate(*, check: bool = False, batch_size: int = 500) -> list[RotationCount]:
    """Re-encrypt every stored secret with the newest key (with ``check``: only count what is not)."""
    return [_store_rotate(store, check=check, batch_size=batch_size) for store in STORES]
