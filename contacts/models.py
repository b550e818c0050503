"""People, companies, give-first help offers and derived relationships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from relintel.accounts.models import Organization


class Source(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    IMPORT = "import", "Imported"
    CAPTURE = "capture", "Captured from activity"
    SALESFORCE = "salesforce", "Salesforce"
    API = "api", "API"
    DEMO = "demo", "Demo data"


class Company(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="companies")
    name = models.CharField(max_length=200)
    website = models.URLField(blank=True)
    industry = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    salesforce_id = models.CharField("Salesforce Account id", max_length=18, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "companies"
        indexes = [models.Index(fields=["organization", "name"])]

    def __str__(self) -> str:
        return self.name


class CompanyDomain(models.Model):
    """An email/web domain that identifies a company (``acme.com``)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "domain"], name="company_domain_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.domain


class Contact(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contacts")
    full_name = models.CharField(max_length=300)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    title = models.CharField("job title", max_length=200, blank=True)
    company = models.ForeignKey(Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts")
    location = models.CharField(max_length=200, blank=True)
    linkedin_url = models.URLField("LinkedIn URL", blank=True)
    interests = models.TextField(blank=True, help_text="What they care about, e.g. 'sailing, climate tech'.")
    needs = models.TextField(blank=True, help_text="What they are looking for, e.g. 'a CFO'.")
    expertise = models.TextField(blank=True, help_text="What they know, e.g. 'Series A fundraising'.")
    notes = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_contacts"
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    salesforce_contact_id = models.CharField(max_length=18, blank=True)
    salesforce_lead_id = models.CharField(max_length=18, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Denormalized for list pages at 100,000+ contacts: lower-cased names, emails and
    # company name (trigram-indexed on PostgreSQL), and the latest interaction.
    search_text = models.TextField(blank=True, editable=False)
    last_interaction_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "last_name", "first_name", "id"], name="contact_org_name"),
            # Matches the "created" sort exactly, so its pages are index scans. The
            # "recent" sort's index (NULLS LAST) is PostgreSQL-only: see migration 0003.
            models.Index(fields=["organization", "-created_at", "-id"], name="contact_org_created"),
            models.Index(fields=["organization", "company"], name="contact_org_company"),
            models.Index(fields=["organization", "owner"], name="contact_org_owner"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def primary_email(self) -> str:
        emails = getattr(self, "email_list", None)  # prefetched as a list by list pages
        for email in self.emails.all() if emails is None else emails:
            if email.is_primary:
                return email.email
        return ""


class ContactEmail(models.Model):
    """One of a contact's addresses, stored normalized (trimmed, lower-case)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(max_length=254)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="contact_email_unique_per_org"),
            models.UniqueConstraint(fields=["contact"], condition=Q(is_primary=True), name="contact_one_primary_email"),
        ]

    def __str__(self) -> str:
        return self.email


class PhoneKind(models.TextChoices):
    WORK = "work", "Work"
    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home"
    OTHER = "other", "Other"


class ContactPhone(models.Model):
    """A phone number in E.164 form (``+14155550123``)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=PhoneKind.choices, default=PhoneKind.WORK)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["contact", "number"], name="contact_phone_unique")]

    def __str__(self) -> str:
        return self.number


class HelpKind(models.TextChoices):
    INTRO = "intro", "Introduction"
    ADVICE = "advice", "Advice"
    RESOURCE = "resource", "Resource"
    REFERRAL = "referral", "Referral"
    ENDORSEMENT = "endorsement", "Endorsement"
    OTHER = "other", "Other"


class HelpStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DELIVERED = "delivered", "Delivered"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class HelpDirection(models.TextChoices):
    GIVEN = "given", "Given to the contact"
    RECEIVED = "received", "Received from the contact"


# Allowed lifecycle moves: offered → accepted → delivered; declined and withdrawn end it.
HELP_TRANSITIONS: dict[str, frozenset[str]] = {
    HelpStatus.OFFERED: frozenset(
        {HelpStatus.ACCEPTED, HelpStatus.DELIVERED, HelpStatus.DECLINED, HelpStatus.WITHDRAWN}
    ),
    HelpStatus.ACCEPTED: frozenset({HelpStatus.DELIVERED, HelpStatus.WITHDRAWN, HelpStatus.DECLINED}),
    HelpStatus.DELIVERED: frozenset(),
    HelpStatus.DECLINED: frozenset(),
    HelpStatus.WITHDRAWN: frozenset(),
}
OPEN_HELP_STATUSES = (HelpStatus.OFFERED, HelpStatus.ACCEPTED)


class HelpOffer(models.Model):
    """The give-first record: help a rep offered a contact, or received from one.

    ``user`` is always the rep on our side; ``direction`` says who helped whom.
    For an introduction, ``intro_contact`` is the second person introduced.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="help_offers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_offers")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="help_offers")
    direction = models.CharField(max_length=10, choices=HelpDirection.choices, default=HelpDirection.GIVEN)
    kind = models.CharField(max_length=20, choices=HelpKind.choices, default=HelpKind.ADVICE)
    description = models.TextField()
    status = models.CharField(max_length=10, choices=HelpStatus.choices, default=HelpStatus.OFFERED)
    due_date = models.DateField(null=True, blank=True)
    intro_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="introduced_in"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was declined or withdrawn.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "user", "status", "due_date"], name="help_user_status_due"),
            models.Index(fields=["contact", "-created_at"], name="help_contact_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=HelpStatus.values), name="help_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=HelpKind.values), name="help_kind_valid"),
            models.CheckConstraint(condition=Q(direction__in=HelpDirection.values), name="help_direction_valid"),
            models.CheckConstraint(
                condition=~Q(status=HelpStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="help_delivered_has_date",
            ),
            models.CheckConstraint(
                condition=Q(intro_contact__isnull=True) | ~Q(intro_contact=models.F("contact")),
                name="help_intro_to_someone_else",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.contact}: {self.description[:40]}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_HELP_STATUSES


class Band(models.TextChoices):
    """How strong a relationship is, from its 0–100 strength (thresholds in activities.scoring)."""

    STRONG = "strong", "Strong"
    MEDIUM = "medium", "Medium"
    WEAK = "weak", "Weak"
    COLD = "cold", "Cold"


class Relationship(models.Model):
    """One user × one contact, derived from interactions and help; rebuildable."""

    # No single-column indexes: each is the prefix of one below (organization of
    # relationship_user_strength, user of relationship_unique, contact of
    # relationship_contact_strength), and every rebuild writes every index.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relationships", db_index=False
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="relationships", db_index=False)
    strength = models.PositiveSmallIntegerField(default=0)
    interaction_count = models.PositiveIntegerField(default=0)
    meeting_count = models.PositiveIntegerField(default=0)
    inbound_count = models.PositiveIntegerField(default=0)
    outbound_count = models.PositiveIntegerField(default=0)
    help_given_count = models.PositiveIntegerField(default=0)
    help_received_count = models.PositiveIntegerField(default=0)
    first_interaction_at = models.DateTimeField(null=True, blank=True)
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    components = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=10, choices=Band.choices, default=Band.COLD)
    # The band before the last change, and when it changed: "going cold" is a drop.
    previous_band = models.CharField(max_length=10, choices=Band.choices, blank=True)
    band_changed_at = models.DateTimeField(null=True, blank=True)
    # The pair's own rhythm: the typical gap between interactions, in days (None until
    # there are enough of them). Past ~2× its rhythm a relationship is going quiet.
    rhythm_days = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "contact"], name="relationship_unique"),
            models.CheckConstraint(condition=Q(strength__lte=100), name="relationship_strength_max_100"),
        ]
        indexes = [
            models.Index(fields=["contact", "-strength"], name="relationship_contact_strength"),
            models.Index(fields=["organization", "user", "-strength"], name="relationship_user_strength"),
            models.Index(fields=["organization", "user", "band"], name="relationship_user_band"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.contact}: {self.strength}"


class RelationshipChange(models.Model):
    """A relationship entering a band (``from_band`` blank: a new relationship).

    Written whenever a refresh or rebuild moves a pair's band, so dashboards can count
    how relationships moved over a period without replaying history.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    from_band = models.CharField(max_length=10, choices=Band.choices, blank=True)
    to_band = models.CharField(max_length=10, choices=Band.choices)
    changed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organization", "user", "changed_at"], name="relchange_user_time")]

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.contact}: {self.from_band or 'new'} → {self.to_band}"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "Open"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Not a duplicate"


class DuplicateCandidate(models.Model):
    """Two contacts that look like one person: offered for merge, never merged silently."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "other"], name="duplicate_pair_unique"),
            models.CheckConstraint(condition=Q(contact__lt=models.F("other")), name="duplicate_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} ~ {self.other}"


class IntroStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the teammate"
    ACCEPTED = "accepted", "Accepted"
    DELIVERED = "delivered", "Introduced"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


OPEN_INTRO_STATUSES = (IntroStatus.PENDING, IntroStatus.ACCEPTED)


class IntroRequest(models.Model):
    """A rep asking a teammate for a warm introduction to ``target``.

    ``via`` is the bridge for a two-hop path: a contact the teammate knows well who knows
    the target. Delivered, it becomes help offers of kind ``intro`` on both ledgers
    (``help_offer``: the introducer's).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intro_requests")
    introducer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intro_requests_received"
    )
    target = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="intro_requests")
    via = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=IntroStatus.choices, default=IntroStatus.PENDING)
    response = models.TextField(blank=True, help_text="The teammate's answer, e.g. why they declined.")
    help_offer = models.ForeignKey(HelpOffer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "introducer", "status"], name="intro_introducer_status"),
            models.Index(fields=["organization", "requester", "status"], name="intro_requester_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=IntroStatus.values), name="intro_status_valid"),
            models.CheckConstraint(condition=~Q(requester=models.F("introducer")), name="intro_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.requester} asks {self.introducer} for {self.target}"


class SuggestionStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class IntroSuggestion(models.Model):
    """Matchmaking: "introduce ``contact`` (who needs X) to ``other`` (who knows X)".

    Suggested to ``user``, who knows both; accepting creates an intro help offer.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intro_suggestions")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    score = models.FloatField(default=0)
    status = models.CharField(max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN)
    help_offer = models.ForeignKey(HelpOffer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "user", "status", "-score"], name="suggestion_user_open")]
        constraints = [
            models.UniqueConstraint(fields=["user", "contact", "other"], name="suggestion_unique"),
            models.CheckConstraint(condition=~Q(contact=models.F("other")), name="suggestion_two_people"),
            models.CheckConstraint(condition=Q(status__in=SuggestionStatus.values), name="suggestion_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Introduce {self.contact} to {self.other}"


class NudgeState(models.TextChoices):
    DONE = "done", "Done"
    SNOOZED = "snoozed", "Snoozed"
    DISMISSED = "dismissed", "Dismissed"


class NudgeAction(models.Model):
    """What a rep did with one item of their Today list.

    Nudges themselves are computed on read; ``key`` names the item ("cold:<contact id>",
    "reply:<interaction id>", "help:<offer id>", ...). A snoozed item comes back after
    ``until``; done and dismissed ones stay gone until the underlying fact changes
    (``fingerprint`` records the fact that was acted on).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=NudgeState.choices)
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="nudge_action_unique"),
            models.CheckConstraint(condition=Q(state__in=NudgeState.values), name="nudge_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.state}"


class TargetAccount(models.Model):
    """A company on a team's (or, with no team, the organization's) target-account list."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "team", "company"], nulls_distinct=False, name="target_account_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Target: {self.company}"


class ContactMerge(models.Model):
    """One merge of ``merged`` into ``survivor``, with what moved, so it can be undone.

    ``moved`` records every related row re-pointed (ids per table) and the survivor's
    fields as they were before, so undo restores both contacts exactly.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survivor = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    merged = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    moved = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at"], name="merge_org_created")]

    def __str__(self) -> str:
        return f"{self.merged} merged into {self.survivor}"


class ImportFormat(models.TextChoices):
    LINKEDIN = "linkedin", "LinkedIn connections (CSV)"
    GOOGLE = "google", "Google Contacts (CSV)"
    OUTLOOK = "outlook", "Outlook (CSV)"
    CSV = "csv", "CSV with a column mapping"
    VCARD = "vcard", "vCard"


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", "Waiting for confirmation"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportJob(models.Model):
    """An uploaded contacts file: previewed first, written only when the user confirms."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=10, choices=ImportFormat.choices)
    content = models.TextField(help_text="The decoded file, kept until the import finishes.")
    column_mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    # [{"line": 12, "field": "email", "message": "..."}], capped.
    errors = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="Why the whole import failed, in plain words.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "user", "-created_at"], name="import_user_created")]
        constraints = [models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="import_status_valid")]

    def __str__(self) -> str:
        return f"Import {self.filename} ({self.get_status_display()})"
