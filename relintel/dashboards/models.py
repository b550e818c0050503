"""The weekly digest's delivery log: what makes sending it idempotent per member and week.

Not domain data (the dashboards own none): one row says "this member's digest for the
week starting ``week`` was claimed, and sent at ``sent_at``".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from relintel.accounts.models import Organization


class DigestDelivery(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week the digest is for.")
    # A claim, not a lock: a worker that died mid-send leaves a claim that expires.
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "digest deliveries"
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "week"], name="digest_once_per_week"),
        ]

    def __str__(self) -> str:
        return f"Digest of {self.user_id} for {self.week}: {'sent' if self.sent_at else 'claimed'}"
