"""Which Salesforce user owns the activity pushed for each member.

Salesforce gives every record the connected (integration) user as owner unless told
otherwise, so each rep's emails, calls and meetings would all look like the integration
user's work. The sync links each member to the *active* Salesforce user with the same email
(SOQL compares emails case-insensitively), once a day, in as few queries as the URL length
allows, and sends ``OwnerId`` with their Tasks and Events. A member without such a user keeps
Salesforce's default; the mapping page says who is linked.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from relintel.accounts.models import Membership
from sync.models import SalesforceConnection, SalesforceUserLink
from sync.salesforce.client import SalesforceClient
from sync.salesforce.errors import ApiBudgetExhausted, ApiLimitExceeded, ReauthorizationNeeded, SalesforceError
from sync.salesforce.matching import batch_queries, soql_string

CHECK_EVERY = datetime.timedelta(hours=24)


def user_email_queries(emails: Iterable[str]) -> list[str]:
    """``SELECT Id, Email FROM User WHERE IsActive = true AND Email IN (…)`` in batches."""
    head = "SELECT Id, Email FROM User WHERE IsActive = true AND Email IN ("
    unique = sorted({e.strip().lower() for e in emails if e and e.strip()})
    return batch_queries(head, map(soql_string, unique), joiner=", ")


def users_check_due(connection: SalesforceConnection, *, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return connection.users_checked_at is None or connection.users_checked_at <= now - CHECK_EVERY


def owners_of(*, organization_id: int) -> dict[int, str]:
    """Member (user id) → the Salesforce User Id their activity is pushed as."""
    return dict(
        SalesforceUserLink.objects.filter(organization_id=organization_id)
        .exclude(salesforce_id="")
        .values_list("user_id", "salesforce_id")
    )


def salesforce_users_link(
    *, connection: SalesforceConnection, client: SalesforceClient, now: datetime.datetime | None = None
) -> int:
    """Look every active member up among the org's active users; returns how many were linked.

    A refused or failing query (an org or API user that may not read users, an outage) is
    recorded on the connection and leaves the links as they were: activity is pushed as
    before. Limit, budget and authorization errors propagate (the caller stops).
    """
    now = now or timezone.now()
    organization_id = connection.organization_id
    members = Membership.objects.filter(organization_id=organization_id, is_active=True).values_list(
        "user_id", "user__email"
    )
    by_email: dict[str, list[int]] = {}
    for user_id, email in members:
        by_email.setdefault(email.strip().lower(), []).append(user_id)
    found: dict[str, str] = {}
    try:
        for soql in user_email_queries(by_email):
            # Sorted by Id: with two active users on one email, the older one wins, every day.
            for row in sorted(client.query_all(soql), key=lambda r: str(r.get("Id") or "")):
                email = str(row.get("Email") or "").strip().lower()
                if email and row.get("Id"):
                    found.setdefault(email, str(row["Id"])[:18])
    except (ApiLimitExceeded, ApiBudgetExhausted, ReauthorizationNeeded):
        raise  # the caller stops: nothing more may be asked of Salesforce now
    except SalesforceError as error:
        # Refused (or failing): recorded, the links stay as they were. A refusal is asked
        # again tomorrow; an outage (5xx, timeout) at the next pull.
        SalesforceConnection.objects.filter(pk=connection.pk).update(
            users_checked_at=connection.users_checked_at if error.transient else now,
            users_check_error=f"{error.code or 'ERROR'}: {error.message}"[:300],
        )
        return 0
    with transaction.atomic():
        SalesforceUserLink.objects.filter(organization_id=organization_id).exclude(
            user_id__in=[u for ids in by_email.values() for u in ids]
        ).delete()
        SalesforceUserLink.objects.bulk_create(
            [
                SalesforceUserLink(
                    organization_id=organization_id, user_id=user_id, salesforce_id=found.get(email, ""), checked_at=now
                )
                for email, ids in by_email.items()
                for user_id in ids
            ],
            update_conflicts=True,
            unique_fields=["organization", "user"],
            update_fields=["salesforce_id", "checked_at"],
        )
        SalesforceConnection.objects.filter(pk=connection.pk).update(users_checked_at=now, users_check_error="")
    connection.users_checked_at, connection.users_check_error = now, ""
    return sum(len(ids) for email, ids in by_email.items() if email in found)
