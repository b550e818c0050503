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
        for email in self.emails.all():
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


class Relationship(models.Model):
    """One user × one contact, derived from interactions and help; rebuildable."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relationships")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="relationships")
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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "contact"], name="relationship_unique")]
        indexes = [
            models.Index(fields=["contact", "-strength"], name="relationship_contact_strength"),
            models.Index(fields=["organization", "user", "-strength"], name="relationship_user_strength"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.contact}: {self.strength}"


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
