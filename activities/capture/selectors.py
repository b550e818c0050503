"""Reads for capture settings and health, scoped to the member's organization.

A member's sources are their own: nobody else (admins included) changes them. Admins
read the health of every source in the organization. Skipped messages are a member's
own (skipped from their sources or addressed to them); admins see the organization's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from activities.models import (
    CaptureAccount,
    CapturePolicy,
    CaptureStatus,
    Exclusion,
    Interaction,
    LoggingAddress,
    SkippedMessage,
    SkipReason,
)
from activities.selectors import interactions_visible
from relintel.accounts.models import Membership

# A heading for each failed stage; the sources record the details in plain words.
ERROR_STAGE_LABELS = {
    "dns": "Server not found",
    "connect": "Server unreachable",
    "timeout": "Server too slow",
    "tls": "Secure connection failed",
    "login": "Sign-in refused",
    "folder": "Folder or calendar not found",
    "http": "Server error",
    "secret": "Stored password unreadable",
    "protocol": "Unexpected server answer",
}


@dataclass(frozen=True)
class SkipCount:
    reason: str
    label: str
    count: int


@dataclass(frozen=True)
class SourceHealth:
    """What a person needs to know about one source, in words."""

    account: CaptureAccount
    state: str  # "paused" | "failing" | "backfilling" | "waiting" | "active"
    state_label: str
    last_success_at: datetime.datetime | None
    captured_count: int
    skipped: list[SkipCount] = field(default_factory=list)
    last_error: str = ""
    last_error_at: datetime.datetime | None = None
    progress_percent: int | None = None

    @property
    def skipped_total(self) -> int:
        return sum(s.count for s in self.skipped)


def _progress(account: CaptureAccount) -> int | None:
    if account.backfill_completed_at is not None:
        return 100
    if account.backfill_total:
        return min(100, account.backfill_done * 100 // account.backfill_total)
    return None


def _error_in_words(account: CaptureAccount) -> str:
    heading = ERROR_STAGE_LABELS.get(account.last_error_kind, "")
    detail = account.last_error.strip()
    if heading and detail:
        return f"{heading}: {detail}"
    return detail or heading


def source_health(account: CaptureAccount) -> SourceHealth:
    progress = _progress(account)
    if account.status == CaptureStatus.PAUSED:
        state, label = "paused", "Paused"
    elif account.status == CaptureStatus.FAILING:
        state, label = "failing", "Failing, retrying"
    elif account.last_success_at is None and not progress:
        state, label = "waiting", "Waiting for the first sync"
    elif progress is not None and progress < 100:
        state, label = "backfilling", f"Backfilling ({progress}%)"
    else:
        state, label = "active", "Active"
    reason_labels: dict[str, str] = {str(v): str(t) for v, t in SkipReason.choices}
    counts = account.skipped_counts if isinstance(account.skipped_counts, dict) else {}
    skipped = sorted(
        (
            SkipCount(reason=str(reason), label=reason_labels.get(str(reason), str(reason)), count=int(count))
            for reason, count in counts.items()
            if count
        ),
        key=lambda s: (-s.count, s.reason),
    )
    return SourceHealth(
        account=account,
        state=state,
        state_label=label,
        last_success_at=account.last_success_at,
        captured_count=account.captured_count,
        skipped=skipped,
        last_error=_error_in_words(account),
        last_error_at=account.last_error_at,
        progress_percent=progress,
    )


# --- sources ------------------------------------------------------------------------------


def capture_accounts_of(*, membership: Membership) -> QuerySet[CaptureAccount]:
    """The member's own sources."""
    return CaptureAccount.objects.filter(
        organization_id=membership.organization_id, user_id=membership.user_id
    ).order_by("created_at", "id")


def capture_accounts_in_organization(*, membership: Membership) -> QuerySet[CaptureAccount]:
    """Every source in the organization, for an admin; nothing for anyone else."""
    if not membership.is_admin:
        return CaptureAccount.objects.none()
    return (
        CaptureAccount.objects.filter(organization_id=membership.organization_id)
        .select_related("user")
        .order_by("user__full_name", "user__email", "created_at", "id")
    )


def capture_account_get(*, membership: Membership, account_id: int) -> CaptureAccount:
    """One of the member's own sources, to change or act on; anything else is a 404."""
    try:
        return capture_accounts_of(membership=membership).get(pk=account_id)
    except (CaptureAccount.DoesNotExist, ValueError, TypeError):
        raise Http404("No such source") from None


def capture_account_get_readable(*, membership: Membership, account_id: int) -> CaptureAccount:
    """A source the member may read: their own, or (admins) any in the organization."""
    qs = capture_accounts_in_organization(membership=membership) if membership.is_admin else None
    try:
        if qs is None:
            return capture_account_get(membership=membership, account_id=account_id)
        return qs.get(pk=account_id)
    except (CaptureAccount.DoesNotExist, ValueError, TypeError):
        raise Http404("No such source") from None


def capture_health_of(*, membership: Membership) -> list[SourceHealth]:
    return [source_health(a) for a in capture_accounts_of(membership=membership)[:100]]


def capture_health_organization(*, membership: Membership, limit: int = 500) -> list[SourceHealth]:
    return [source_health(a) for a in capture_accounts_in_organization(membership=membership)[:limit]]


# --- policy, BCC address, exclusions ------------------------------------------------------


def capture_policy_of(*, organization_id: int) -> CapturePolicy:
    """The organization's policy row, or the defaults (unsaved) when it has none yet."""
    policy = CapturePolicy.objects.filter(organization_id=organization_id).first()
    return policy or CapturePolicy(organization_id=organization_id)


def capture_policy_for(*, membership: Membership) -> CapturePolicy:
    return capture_policy_of(organization_id=membership.organization_id)


def logging_address_exists(*, membership: Membership) -> bool:
    return LoggingAddress.objects.filter(
        organization_id=membership.organization_id, user_id=membership.user_id
    ).exists()


def exclusions_for(*, membership: Membership) -> QuerySet[Exclusion]:
    """The organization's exclusions and the member's own."""
    return (
        Exclusion.objects.filter(organization_id=membership.organization_id)
        .filter(Q(user__isnull=True) | Q(user_id=membership.user_id))
        .order_by("kind", "value", "id")
    )


def exclusions_organization(*, membership: Membership) -> QuerySet[Exclusion]:
    return exclusions_for(membership=membership).filter(user__isnull=True)


def exclusions_personal(*, membership: Membership) -> QuerySet[Exclusion]:
    return exclusions_for(membership=membership).filter(user_id=membership.user_id)


def exclusion_get(*, membership: Membership, exclusion_id: int) -> Exclusion:
    """An exclusion the member can see: the organization's or their own; anything else is a 404."""
    try:
        return exclusions_for(membership=membership).get(pk=exclusion_id)
    except (Exclusion.DoesNotExist, ValueError, TypeError):
        raise Http404("No such exclusion") from None


# --- why wasn't this captured? --------------------------------------------------------------


def message_id_candidates(message_id: str) -> list[str]:
    """A Message-ID as typed, with and without its angle brackets."""
    bare = message_id.strip().removeprefix("<").removesuffix(">").strip()
    if not bare:
        return []
    return [f"<{bare}>", bare]


def skipped_messages_for(*, membership: Membership) -> QuerySet[SkippedMessage]:
    qs = SkippedMessage.objects.filter(organization_id=membership.organization_id)
    if not membership.is_admin:
        qs = qs.filter(Q(user_id=membership.user_id) | Q(account__user_id=membership.user_id))
    return qs.select_related("account", "user")


def skipped_messages_lookup(
    *, membership: Membership, message_id: str = "", q: str = "", limit: int | None = None
) -> QuerySet[SkippedMessage]:
    """Skipped rows by exact Message-ID (brackets optional) and/or subject words."""
    qs = skipped_messages_for(membership=membership)
    if message_id.strip():
        qs = qs.filter(external_id__in=message_id_candidates(message_id))
    if q.strip():
        qs = qs.filter(subject__icontains=q.strip())
    qs = qs.order_by("-created_at", "-id")
    return qs[:limit] if limit is not None else qs


@dataclass(frozen=True)
class WhyNotCaptured:
    """The answer to "why wasn't this email captured?"."""

    skipped: list[SkippedMessage]
    captured: list[Interaction]  # the matching interactions the member may open
    captured_elsewhere: bool  # captured, but not visible to this member

    @property
    def never_seen(self) -> bool:
        return not self.skipped and not self.captured and not self.captured_elsewhere


def why_not_captured(*, membership: Membership, message_id: str = "", subject: str = "") -> WhyNotCaptured:
    skipped = list(skipped_messages_lookup(membership=membership, message_id=message_id, q=subject, limit=50))
    organization_interactions = Interaction.objects.filter(organization_id=membership.organization_id)
    visible = interactions_visible(membership=membership)
    captured: list[Interaction] = []
    elsewhere = False
    if message_id.strip():
        candidates = message_id_candidates(message_id)
        captured = list(visible.filter(external_id__in=candidates).order_by("-occurred_at")[:10])
        # That it exists is all we say about a message someone else keeps private.
        elsewhere = not captured and organization_interactions.filter(external_id__in=candidates).exists()
    elif subject.strip():
        captured = list(
            visible.filter(subject__icontains=subject.strip()).exclude(external_id="").order_by("-occurred_at")[:10]
        )
    return WhyNotCaptured(skipped=skipped, captured=captured, captured_elsewhere=elsewhere)
