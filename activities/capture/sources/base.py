"""What every source shares: the outcome of a run and the errors a source raises."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from relintel import crypto


class SourceError(Exception):
    """A failure we can explain: ``kind`` is a diagnostics stage ("dns", "login", ...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class BatchOutcome:
    """What one run of a source did; ``more`` means work is left (a backfill in progress)."""

    fetched: int = 0
    captured: int = 0
    duplicates: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    more: bool = False

    def add(self, result: object) -> None:
        """Fold in an ``IngestResult``."""
        self.captured += int(getattr(result, "captured", 0))
        self.duplicates += int(getattr(result, "duplicates", 0))
        self.updated += int(getattr(result, "updated", 0))
        self.deleted += int(getattr(result, "deleted", 0))
        self.skipped.update(getattr(result, "skipped", None) or {})


def account_secret(stored: str) -> str:
    """The clear password or token of a source ("" when none is stored)."""
    if not stored:
        return ""
    if not crypto.is_encrypted(stored):
        return stored
    try:
        return crypto.decrypt(stored)
    except crypto.DecryptionError as exc:
        raise SourceError("secret", f"The stored password could not be decrypted: {exc}") from None
