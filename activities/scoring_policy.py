"""The organization's scoring policy: the weights and half-life of relationship strength.

Admins tune it (page /manage/scoring/ and ``/api/v1/scoring-policy/``); a change re-scores
every relationship of the organization in a worker after commit, since each band may move.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from activities import tasks
from activities.models import ScoringPolicy
from relintel.accounts.models import Membership

WEIGHT_FIELDS = (
    "meeting_weight",
    "call_weight",
    "two_way_email_weight",
    "one_way_email_weight",
    "note_weight",
    "help_weight",
)
MAX_WEIGHT = 100.0
# (field, lowest, highest): whole numbers.
WHOLE_FIELDS = (
    ("half_life_days", 7, 3650),
    ("mass_mail_recipients", 2, 1000),
    ("reply_owed_working_days", 1, 30),
)
POLICY_FIELDS = WEIGHT_FIELDS + tuple(name for name, _, _ in WHOLE_FIELDS)


def scoring_policy_get(*, membership: Membership) -> ScoringPolicy:
    """The member's organization's policy (created with the defaults on first use)."""
    policy, _ = ScoringPolicy.objects.get_or_create(organization_id=membership.organization_id)
    return policy


def _check(changes: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(changes) - set(POLICY_FIELDS))
    for name in unknown:
        errors[name] = ["Not a scoring policy setting."]
    for name in WEIGHT_FIELDS:
        if name in changes:
            value = changes[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_WEIGHT:
                errors[name] = [f"A weight is a number from 0 to {MAX_WEIGHT:g}."]
    for name, lowest, highest in WHOLE_FIELDS:
        if name in changes:
            value = changes[name]
            if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
                errors[name] = [f"A whole number from {lowest} to {highest}."]
    return errors


@transaction.atomic
def scoring_policy_update(*, membership: Membership, **changes: Any) -> ScoringPolicy:
    """Change some settings (admins only); every relationship is re-scored after commit."""
    if not membership.is_admin:
        raise PermissionDenied("Only admins may change how relationship strength is scored.")
    errors = _check(changes)
    if errors:
        raise ValidationError(errors)
    policy, _ = ScoringPolicy.objects.select_for_update().get_or_create(organization_id=membership.organization_id)
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    scoring_policy_rescore(membership=membership)
    return policy


def scoring_policy_rescore(*, membership: Membership) -> None:
    """Re-score the organization's relationships now, in a worker (after commit)."""
    if not membership.is_admin:
        raise PermissionDenied("Only admins may re-score relationships.")
    organization_id = membership.organization_id
    transaction.on_commit(lambda: tasks.relationships_rescore.delay(organization_id))
