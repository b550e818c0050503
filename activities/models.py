"""Interactions (email, meeting, call, note) and who took part in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from contacts.models import Contact, HelpOffer
from relintel.accounts.models import Organization, Team


class InteractionKind(models.TextChoices):
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    CALL = "call", "Call"
    NOTE = "note", "Note"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    INTERNAL = "internal", "Internal"


class InteractionSource(models.TextChoices):
    MANUAL = "manual", "Logged by hand"
    IMAP = "imap", "IMAP mailbox"
    CALDAV = "caldav", "CalDAV calendar"
    ICS = "ics", "ICS feed"
    BCC = "bcc", "BCC to log"
    UPLOAD = "upload", "Upload"
    SALESFORCE = "salesforce", "Salesforce"
    API = "api", "API"
    DEMO = "demo", "Demo data"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Only me"
    TEAM = "team", "My team"
    ORGANIZATION = "organization", "Everyone in the organization"


class Interaction(models.Model):
    # organization/owner: indexed as the prefixes of interaction_org_occurred / interaction_owner_occurred.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    kind = models.CharField(max_length=10, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    body = models.TextField(blank=True, help_text="Sanitized; stored only where the privacy level allows.")
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    source = models.CharField(max_length=20, choices=InteractionSource.choices, default=InteractionSource.MANUAL)
    # Message-ID for email; iCalendar UID (+ RECURRENCE-ID) for meetings.
    external_id = models.CharField(max_length=998, blank=True)
    thread_id = models.CharField(max_length=998, blank=True)
    visibility = models.CharField(max_length=15, choices=Visibility.choices, default=Visibility.TEAM)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        db_index=False,
    )
    # The owner's team when the interaction was recorded: "team" visibility shares
    # with that team, and stays with it if the owner later moves.
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    help_offers = models.ManyToManyField(HelpOffer, blank=True, related_name="interactions")
    # Captured mail: attachments by name and size only, never their content.
    attachments = models.JSONField(default=list, blank=True)
    # For events: "SEQUENCE|DTSTAMP" of the version stored, so older updates never win.
    external_version = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-occurred_at"], name="interaction_org_occurred"),
            models.Index(fields=["owner", "-occurred_at"], name="interaction_owner_occurred"),
            # Replies owed and two-way detection look a thread's messages up.
            models.Index(
                fields=["organization", "thread_id"], condition=~Q(thread_id=""), name="interaction_org_thread"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "external_id"],
                condition=~Q(external_id=""),
                name="interaction_external_id_unique",
            ),
            models.CheckConstraint(condition=Q(kind__in=InteractionKind.values), name="interaction_kind_valid"),
            models.CheckConstraint(condition=Q(visibility__in=Visibility.values), name="interaction_visibility_valid"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="interaction_direction_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}: {self.subject or '(no subject)'}"


class ParticipantRole(models.TextChoices):
    FROM = "from", "From"
    TO = "to", "To"
    CC = "cc", "Cc"
    ATTENDEE = "attendee", "Attendee"
    ORGANIZER = "organizer", "Organizer"


class ResponseStatus(models.TextChoices):
    NONE = "", "—"
    ACCEPTED = "accepted", "Accepted"
    TENTATIVE = "tentative", "Tentative"
    DECLINED = "declined", "Declined"
    NEEDS_ACTION = "needs-action", "No answer yet"


class Participant(models.Model):
    """A person in an interaction: a contact, a user of ours, or just an address."""

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="participants")
    # contact/user: indexed as the prefixes of participant_contact / participant_user.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="participations", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="participations",
        db_index=False,
    )
    address = models.CharField(max_length=254, blank=True)
    display_name = models.CharField(max_length=300, blank=True)
    role = models.CharField(max_length=10, choices=ParticipantRole.choices)
    response_status = models.CharField(max_length=15, choices=ResponseStatus.choices, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["contact", "interaction"], name="participant_contact"),
            models.Index(fields=["user", "interaction"], name="participant_user"),
            models.Index(fields=["address"], name="participant_address"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(user__isnull=False) | ~Q(address=""),
                name="participant_identifies_someone",
            ),
        ]

    def __str__(self) -> str:
        who = self.contact or self.user or self.address
        return f"{who} ({self.role})"


# --- capture ------------------------------------------------------------------------


class PrivacyLevel(models.TextChoices):
    METADATA = "metadata", "Who and when only"
    SUBJECT = "subject", "Who, when and subject"
    FULL = "full", "Everything, including the body"


class CaptureKind(models.TextChoices):
    IMAP = "imap", "IMAP mailbox"
    CALDAV = "caldav", "CalDAV calendar"
    ICS = "ics", "ICS feed"


class ImapSecurity(models.TextChoices):
    TLS = "tls", "TLS (port 993)"
    STARTTLS = "starttls", "STARTTLS (port 143)"
    PLAIN = "plain", "None (local testing only)"


class AuthMethod(models.TextChoices):
    PASSWORD = "password", "Password"
    XOAUTH2 = "xoauth2", "OAuth2 access token (XOAUTH2)"


class CaptureStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    FAILING = "failing", "Failing, retrying"


class CaptureAccount(models.Model):
    """One source a rep connected: a mailbox, a CalDAV calendar or an ICS feed."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="capture_accounts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capture_accounts")
    kind = models.CharField(max_length=10, choices=CaptureKind.choices)
    name = models.CharField(max_length=100, help_text="A label, e.g. 'Work mailbox'.")
    # IMAP: host/port/security/username; CalDAV: url/username; ICS: url.
    host = models.CharField(max_length=253, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    security = models.CharField(max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.TLS)
    username = models.CharField(max_length=254, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    auth_method = models.CharField(max_length=10, choices=AuthMethod.choices, default=AuthMethod.PASSWORD)
    # Password or OAuth2 token, encrypted with relintel.crypto (never stored in clear).
    secret = models.TextField(blank=True)
    # IMAP folders to read; for CalDAV, calendar paths (empty = every calendar).
    folders = models.JSONField(default=list, blank=True)
    privacy_level = models.CharField(max_length=10, choices=PrivacyLevel.choices, default=PrivacyLevel.SUBJECT)
    visibility = models.CharField(max_length=15, choices=Visibility.choices, default=Visibility.TEAM)
    backfill_days = models.PositiveIntegerField(default=180)
    status = models.CharField(max_length=10, choices=CaptureStatus.choices, default=CaptureStatus.ACTIVE)
    # Scheduling: the beat task polls sources whose next_poll_at has passed.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_kind = models.CharField(max_length=20, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # A lease, not a lock held by a process: a crashed worker's lease simply expires.
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Backfill progress (messages or events) and running totals.
    backfill_total = models.PositiveIntegerField(default=0)
    backfill_done = models.PositiveIntegerField(default=0)
    backfill_completed_at = models.DateTimeField(null=True, blank=True)
    captured_count = models.PositiveIntegerField(default=0)
    skipped_counts = models.JSONField(default=dict, blank=True, help_text="Skip reason → count.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_poll_at"], name="capture_account_due"),
            models.Index(fields=["organization", "user"], name="capture_account_user"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CaptureKind.values), name="capture_kind_valid"),
            models.CheckConstraint(condition=Q(privacy_level__in=PrivacyLevel.values), name="capture_privacy_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class CaptureCursor(models.Model):
    """Where a source's folder or calendar was read up to."""

    account = models.ForeignKey(CaptureAccount, on_delete=models.CASCADE, related_name="cursors")
    folder = models.CharField(max_length=1000, help_text="IMAP folder, CalDAV calendar URL, or '' for an ICS feed.")
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    highest_modseq = models.BigIntegerField(null=True, blank=True)
    sync_token = models.TextField(blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    # Per-resource ETags when the server offers no sync token (CalDAV fallback).
    state = models.JSONField(default=dict, blank=True)
    backfill_complete = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "folder"], name="capture_cursor_unique")]

    def __str__(self) -> str:
        return f"{self.account} / {self.folder or 'feed'}"


class CaptureSighting(models.Model):
    """A capture of an interaction by one rep's source: the same email in two mailboxes is
    one interaction with two sightings. Removing a source "with its data" deletes the
    interactions no other sighting keeps."""

    # interaction: indexed as the prefix of capture_sighting_unique; account: by capture_sighting_account.
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="sightings", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        CaptureAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    source = models.CharField(max_length=20, choices=InteractionSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interaction", "user", "source"], name="capture_sighting_unique"),
        ]
        indexes = [models.Index(fields=["account"], name="capture_sighting_account")]

    def __str__(self) -> str:
        return f"{self.interaction_id} seen by {self.user_id} via {self.source}"


class SkipReason(models.TextChoices):
    INTERNAL = "internal", "Internal mail only (no one outside the organization)"
    AUTOMATED = "automated", "Automated mail (auto-reply, notification, no-reply sender)"
    BULK = "bulk", "Bulk or mailing-list mail"
    EXCLUDED_PERSON = "excluded_person", "An excluded person"
    EXCLUDED_DOMAIN = "excluded_domain", "An excluded domain"
    TOO_MANY_RECIPIENTS = "too_many_recipients", "Too many recipients"
    MALFORMED = "malformed", "Could not be read"
    DECLINED = "declined", "A meeting you declined"
    CANCELLED = "cancelled", "A cancelled meeting"
    OUTSIDE_WINDOW = "outside_window", "Outside the capture window"
    NOT_A_PARTICIPANT = "not_a_participant", "You are not among its participants"


class SkippedMessage(models.Model):
    """A message or event a source saw and did not capture, with the rule that skipped it.

    The subject is kept only where the source's privacy level allows it.
    """

    # organization: indexed as the prefix of skipped_external_id and skipped_user_recent.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")
    account = models.ForeignKey(CaptureAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=20, choices=InteractionSource.choices)
    external_id = models.CharField(max_length=998, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    reason = models.CharField(max_length=30, choices=SkipReason.choices)
    detail = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "external_id"], name="skipped_external_id"),
            models.Index(fields=["organization", "user", "-created_at"], name="skipped_user_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "source", "external_id"],
                condition=~Q(external_id=""),
                name="skipped_once_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id or self.subject}: {self.reason}"


class ExclusionKind(models.TextChoices):
    EMAIL = "email", "Person (email address)"
    DOMAIN = "domain", "Domain"


class Exclusion(models.Model):
    """Never capture anything with this person or domain: organization-wide (no user) or one rep's."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=ExclusionKind.choices)
    value = models.CharField(max_length=254, help_text="Normalized: lower-case address or domain.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "value"],
                condition=Q(user__isnull=True),
                name="exclusion_org_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "user", "kind", "value"],
                condition=Q(user__isnull=False),
                name="exclusion_user_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.value


class ContactCreationRule(models.TextChoices):
    TWO_WAY = "two_way", "After a two-way exchange or a shared meeting"
    ANY = "any", "From any captured message"
    NEVER = "never", "Never: only match existing contacts"


class CapturePolicy(models.Model):
    """The organization's capture rules (internal domains live on the organization)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="capture_policy")
    max_recipients = models.PositiveIntegerField(default=20)
    contact_creation = models.CharField(
        max_length=10, choices=ContactCreationRule.choices, default=ContactCreationRule.TWO_WAY
    )
    default_privacy_level = models.CharField(max_length=10, choices=PrivacyLevel.choices, default=PrivacyLevel.SUBJECT)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Capture policy of {self.organization}"


class LoggingAddress(models.Model):
    """A rep's personal "BCC to log" address: ``log+<token>@<RELINTEL_BCC_DOMAIN>``."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="logging_addresses")
    token = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="logging_address_one_per_user")]

    def __str__(self) -> str:
        return self.token


class ScoringPolicy(models.Model):
    """The organization's relationship-strength weights (see activities.scoring for the formula)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="scoring_policy")
    meeting_weight = models.FloatField(default=6.0)
    call_weight = models.FloatField(default=4.0)
    two_way_email_weight = models.FloatField(default=2.0)
    one_way_email_weight = models.FloatField(default=0.5)
    note_weight = models.FloatField(default=0.0)
    help_weight = models.FloatField(default=5.0, help_text="Each delivered help offer, given or received.")
    half_life_days = models.PositiveIntegerField(default=90)
    mass_mail_recipients = models.PositiveIntegerField(
        default=10, help_text="Emails with more contacts than this are mass mail and ignored."
    )
    reply_owed_working_days = models.PositiveIntegerField(default=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "scoring policies"
        constraints = [
            models.CheckConstraint(condition=Q(half_life_days__gte=7), name="scoring_half_life_min"),
            models.CheckConstraint(condition=Q(mass_mail_recipients__gte=2), name="scoring_mass_mail_min"),
        ]

    def __str__(self) -> str:
        return f"Scoring policy of {self.organization}"


class ActivityRollup(models.Model):
    """Interactions of one owner in one ISO week, by kind: what team dashboards read.

    Derived and rebuildable; workers keep it current after interactions change, so a
    dashboard reads a few hundred rows instead of aggregating a million.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday the week starts on.")
    kind = models.CharField(max_length=10, choices=InteractionKind.choices)
    count = models.PositiveIntegerField(default=0)
    inbound = models.PositiveIntegerField(default=0)
    outbound = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week", "kind"], name="activity_rollup_unique")]
        indexes = [models.Index(fields=["organization", "week"], name="activity_rollup_org_week")]

    def __str__(self) -> str:
        return f"{self.user} {self.week} {self.kind}: {self.count}"


class ReplyOwed(models.Model):
    """An inbound email from a contact that a rep has not answered: what Today lists.

    Derived and rebuildable (``activities.replies``): a worker re-derives a rep's rows after
    emails with the contacts concerned change (capture, logging, deletion, merge), and every
    organization's rows nightly. Rows hold every unanswered thread of the look-back window,
    including those still inside their working days' grace; the page applies the grace and
    the window when it reads, so a row needs no rewrite as time passes.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # Indexed as the prefix of reply_owed_unique.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField()
    sender_contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, related_name="+")
    sender_name = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "interaction"], name="reply_owed_unique")]
        indexes = [
            models.Index(fields=["user", "occurred_at"], name="reply_owed_user_time"),
            models.Index(fields=["sender_contact"], name="reply_owed_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.user} owes {self.sender_name} a reply ({self.occurred_at:%Y-%m-%d})"
