"""Salesforce sync: the connection, the object mapping, the outbox, links, runs and their history.

Secrets (client secret, private key, access and refresh tokens) are stored encrypted with
``relintel.crypto`` and only decrypted by ``sync.salesforce`` at the moment of a call.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from relintel.accounts.models import Organization

PRODUCTION_LOGIN_URL = "https://login.salesforce.com"
SANDBOX_LOGIN_URL = "https://test.salesforce.com"
DEFAULT_API_VERSION = "62.0"
DEFAULT_EXTERNAL_ID_FIELD = "Relintel_Id__c"


class AuthFlow(models.TextChoices):
    WEB_SERVER = "web_server", "OAuth web-server flow (sign in with Salesforce)"
    JWT_BEARER = "jwt_bearer", "JWT bearer flow (certificate, no sign-in)"


class ConnectionStatus(models.TextChoices):
    DISCONNECTED = "disconnected", "Not connected"
    CONNECTED = "connected", "Connected"
    NEEDS_REAUTH = "needs_reauth", "Needs re-authorization"
    ERROR = "error", "Error"


class ContactWithoutCompanyAs(models.TextChoices):
    LEAD = "lead", "Lead"
    CONTACT = "contact", "Contact (without an Account)"


class ConflictPolicy(models.TextChoices):
    SALESFORCE_WINS = "salesforce_wins", "Salesforce wins"
    RELINTEL_WINS = "relintel_wins", "Relintel wins"
    NEWEST_WINS = "newest_wins", "Newest change wins"


class SalesforceConnection(models.Model):
    """An organization's one connection to its Salesforce org."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="salesforce_connection")
    login_url = models.URLField(max_length=300, default=PRODUCTION_LOGIN_URL)
    auth_flow = models.CharField(max_length=12, choices=AuthFlow.choices, default=AuthFlow.WEB_SERVER)
    client_id = models.CharField(max_length=300, blank=True, help_text="The connected app's consumer key.")
    # Encrypted with relintel.crypto ("enc1:…"); empty when not set.
    client_secret = models.TextField(blank=True)
    jwt_username = models.CharField(max_length=254, blank=True)
    jwt_private_key = models.TextField(blank=True)
    # Where the data API lives, as the token endpoint returned it.
    instance_url = models.URLField(max_length=300, blank=True)
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    token_issued_at = models.DateTimeField(null=True, blank=True)
    # For the emulator or a TLS-inspecting proxy: a CA bundle to trust (else REQUESTS_CA_BUNDLE / certifi).
    ca_bundle_path = models.CharField(max_length=500, blank=True)
    api_version = models.CharField(max_length=10, default=DEFAULT_API_VERSION)
    status = models.CharField(max_length=15, choices=ConnectionStatus.choices, default=ConnectionStatus.DISCONNECTED)
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=60, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    connected_at = models.DateTimeField(null=True, blank=True)
    # The web flow's CSRF token (its hash) and PKCE verifier (encrypted), valid until oauth_state_expires_at.
    oauth_state = models.CharField(max_length=128, blank=True)
    oauth_code_verifier = models.TextField(blank=True)
    oauth_state_expires_at = models.DateTimeField(null=True, blank=True)
    # Salesforce's user and org ids from the token response's identity URL.
    salesforce_org_id = models.CharField(max_length=18, blank=True)
    salesforce_user_id = models.CharField(max_length=18, blank=True)
    api_budget_percent = models.PositiveSmallIntegerField(
        default=50, help_text="Share of the org's daily API allocation Relintel may use."
    )
    api_usage_used = models.PositiveIntegerField(null=True, blank=True)
    api_usage_max = models.PositiveIntegerField(null=True, blank=True)
    api_usage_seen_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    contact_without_company_as = models.CharField(
        max_length=10, choices=ContactWithoutCompanyAs.choices, default=ContactWithoutCompanyAs.LEAD
    )
    conflict_policy = models.CharField(
        max_length=20, choices=ConflictPolicy.choices, default=ConflictPolicy.SALESFORCE_WINS
    )
    # Pull watermark per sObject (SystemModstamp, ISO 8601), for the pull round.
    pull_watermarks = models.JSONField(default=dict, blank=True)
    # When members were last looked up among the org's Salesforce users (``SalesforceUserLink``).
    users_checked_at = models.DateTimeField(null=True, blank=True)
    users_check_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(auth_flow__in=AuthFlow.values), name="sfconn_auth_flow_valid"),
            models.CheckConstraint(condition=Q(status__in=ConnectionStatus.values), name="sfconn_status_valid"),
            models.CheckConstraint(
                condition=Q(api_budget_percent__gte=1, api_budget_percent__lte=100), name="sfconn_budget_range"
            ),
            models.CheckConstraint(
                condition=Q(contact_without_company_as__in=ContactWithoutCompanyAs.values),
                name="sfconn_contact_as_valid",
            ),
            models.CheckConstraint(
                condition=Q(conflict_policy__in=ConflictPolicy.values), name="sfconn_conflict_policy_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Salesforce connection of {self.organization} ({self.status})"


class LocalKind(models.TextChoices):
    COMPANY = "company", "Company"
    CONTACT = "contact", "Contact"
    EMAIL = "email", "Email"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    HELP_OFFER = "help_offer", "Help offer"


class ObjectMapping(models.Model):
    """Which sObject a kind of local row becomes, by which external id, with which fields."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="salesforce_mappings")
    local_kind = models.CharField(max_length=12, choices=LocalKind.choices)
    sobject = models.CharField(max_length=80)
    external_id_field = models.CharField(max_length=80, default=DEFAULT_EXTERNAL_ID_FIELD)
    enabled = models.BooleanField(default=True)
    field_map = models.JSONField(default=dict, blank=True, help_text="{salesforce_field: local_field}")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["local_kind", "sobject"]
        constraints = [
            # Contacts map to Contact and Lead: one row per (kind, sObject).
            models.UniqueConstraint(fields=["organization", "local_kind", "sobject"], name="sfmap_unique"),
            models.CheckConstraint(condition=Q(local_kind__in=LocalKind.values), name="sfmap_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.local_kind} → {self.sobject}"


class OutboxOperation(models.TextChoices):
    UPSERT = "upsert", "Upsert"
    DELETE = "delete", "Delete"


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_FLIGHT = "in_flight", "In flight"
    SYNCED = "synced", "Synced"
    FAILED = "failed", "Failed"
    DEAD = "dead", "Dead"
    # Not pushed because its object mapping is switched off; queued again when it is switched on.
    SKIPPED = "skipped", "Skipped"


class OutboxEntry(models.Model):
    """Something owed to Salesforce, written in the same transaction as the change it describes."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    object_kind = models.CharField(max_length=12, choices=LocalKind.choices)
    local_id = models.BigIntegerField()
    operation = models.CharField(max_length=6, choices=OutboxOperation.choices, default=OutboxOperation.UPSERT)
    dedupe_key = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=80, blank=True)
    last_error_message = models.TextField(blank=True)
    # What the admin can do about a permanent failure; a database default because the outbox
    # is written by raw INSERT … SELECT statements (sync.outbox) that don't name this column.
    last_error_hint = models.TextField(blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A second change to the same row while the first is still owed folds into it.
            models.UniqueConstraint(
                fields=["organization", "dedupe_key"],
                condition=Q(state__in=["pending", "in_flight"]),
                name="outbox_one_open_per_key",
            ),
            models.CheckConstraint(condition=Q(state__in=OutboxState.values), name="outbox_state_valid"),
            models.CheckConstraint(condition=Q(operation__in=OutboxOperation.values), name="outbox_operation_valid"),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_claim"),
            models.Index(fields=["organization", "state", "next_attempt_at"], name="outbox_org_claim"),
            models.Index(fields=["state", "claimed_until"], name="outbox_lease"),
            models.Index(fields=["organization", "object_kind", "local_id"], name="outbox_object"),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.object_kind} {self.local_id} ({self.state})"


class SalesforceLink(models.Model):
    """A local row and the Salesforce record it is."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    local_kind = models.CharField(max_length=12, choices=LocalKind.choices)
    local_id = models.BigIntegerField()
    sobject = models.CharField(max_length=80)
    salesforce_id = models.CharField(max_length=18, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    last_pushed_hash = models.CharField(max_length=64, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    last_pulled_modstamp = models.DateTimeField(null=True, blank=True)
    # The mapped fields' values both sides last agreed on ({salesforce_field: value}), written by
    # the push and the pull: the pull tells a field changed in Relintel from one changed in Salesforce.
    synced_values = models.JSONField(default=dict, blank=True)
    deleted_in_salesforce_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "local_kind", "local_id"], name="sflink_local_unique"),
            models.UniqueConstraint(
                fields=["organization", "sobject", "salesforce_id"],
                condition=~Q(salesforce_id=""),
                name="sflink_salesforce_unique",
            ),
        ]
        indexes = [models.Index(fields=["organization", "sobject", "external_id"], name="sflink_external")]

    def __str__(self) -> str:
        return f"{self.local_kind} {self.local_id} ↔ {self.sobject} {self.salesforce_id or '(not yet)'}"


class SyncRunKind(models.TextChoices):
    PUSH = "push", "Push"
    PULL = "pull", "Pull"
    BACKFILL = "backfill", "Backfill"


class SyncRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partly failed"
    FAILED = "failed", "Failed"
    PAUSED = "paused", "Paused"


class SyncRun(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=SyncRunKind.choices)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="e.g. {created, updated, failed, total, done}")
    api_calls = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=SyncRunStatus.choices, default=SyncRunStatus.RUNNING)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["organization", "-started_at"], name="syncrun_recent")]

    def __str__(self) -> str:
        return f"{self.kind} run {self.pk} ({self.status})"

    @property
    def shown_counts(self) -> dict[str, int]:
        """The figures a person reads: a backfill's run also keeps its job id, worker and object."""
        counts = self.counts if isinstance(self.counts, dict) else {}
        return {k: v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)}


class SyncRecordEvent(models.Model):
    """One thing that happened to one record: pushed, updated, failed, pulled, conflicted."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(SalesforceLink, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    outbox_entry = models.ForeignKey(
        OutboxEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    action = models.CharField(max_length=20, help_text="created, updated, deleted, failed, pulled, matched …")
    salesforce_id = models.CharField(max_length=18, blank=True)
    code = models.CharField(max_length=80, blank=True)
    message = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["organization", "-at"], name="syncevent_recent"),
            models.Index(fields=["link", "-at"], name="syncevent_link"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.salesforce_id} at {self.at}"


class ConflictResolution(models.TextChoices):
    SALESFORCE_KEPT = "salesforce_kept", "Salesforce's value kept"
    RELINTEL_KEPT = "relintel_kept", "Relintel's value kept"


class SyncConflict(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(SalesforceLink, on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(max_length=80)
    local_value = models.TextField(blank=True)
    salesforce_value = models.TextField(blank=True)
    resolution = models.CharField(max_length=20, choices=ConflictResolution.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["organization", "-at"], name="syncconflict_recent")]

    def __str__(self) -> str:
        return f"{self.field} on {self.link}: {self.resolution}"


class SalesforceUserLink(models.Model):
    """A member and the active Salesforce user with their email, if any.

    The Tasks and Events pushed for a member's activity are owned (``OwnerId``) by that user;
    without one they keep Salesforce's default, the connected integration user. Re-checked
    daily by the pull (one query for all members).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    salesforce_id = models.CharField(
        max_length=18, blank=True, help_text="Blank when no active Salesforce user has the member's email."
    )
    checked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="salesforce_user_link_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.salesforce_id or 'no Salesforce user'}"
