"""What can go wrong talking to Salesforce, and whether trying again can help.

Every error carries Salesforce's ``code`` (``INVALID_FIELD``, ``invalid_grant``…) or one of ours
(``dns``, ``tls``, ``wrong_login_url``…), a ``message`` worded for an admin, and the ``fields``
Salesforce named. ``TransientSalesforceError`` means the same call may work later (network,
5xx, a locked row); ``PermanentSalesforceError`` means a person must change something first.
"""

from __future__ import annotations

from datetime import datetime


class SalesforceError(Exception):
    transient: bool = False

    def __init__(
        self, message: str, *, code: str = "", status: int | None = None, fields: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.fields = list(fields or [])

    def __str__(self) -> str:
        return self.message


class TransientSalesforceError(SalesforceError):
    """Network trouble, a 5xx, a timeout, ``UNABLE_TO_LOCK_ROW``: retry with back-off."""

    transient = True


class PermanentSalesforceError(SalesforceError):
    """Salesforce refused the call as it is (validation, permissions, configuration)."""


class AuthError(PermanentSalesforceError):
    """The token endpoint refused, or could not be reached. ``transient`` when the network is to blame."""

    def __init__(self, message: str, *, code: str, transient: bool = False, status: int | None = None) -> None:
        super().__init__(message, code=code, status=status)
        self.transient = transient


class ReauthorizationNeeded(PermanentSalesforceError):
    """The refresh token (or the JWT grant) was refused: an admin must connect again."""


class ApiLimitExceeded(SalesforceError):
    """Salesforce answered ``REQUEST_LIMIT_EXCEEDED``, or the sync is paused after it did."""

    transient = True

    def __init__(self, message: str, *, paused_until: datetime, code: str = "REQUEST_LIMIT_EXCEEDED") -> None:
        super().__init__(message, code=code, status=403)
        self.paused_until = paused_until


class ApiBudgetExhausted(SalesforceError):
    """The next call would take Relintel past its share of the org's daily API allocation."""

    transient = True

    def __init__(self, message: str, *, used: int, limit: int, budget: int) -> None:
        super().__init__(message, code="API_BUDGET_EXHAUSTED")
        self.used = used
        self.limit = limit
        self.budget = budget
