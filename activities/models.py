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
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="interactions")
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
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="interactions"
    )
    # The owner's team when the interaction was recorded: "team" visibility shares
    # with that team, and stays with it if the owner later moves.
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    help_offers = models.ManyToManyField(HelpOffer, blank=True, related_name="interactions")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-occurred_at"], name="interaction_org_occurred"),
            models.Index(fields=["owner", "-occurred_at"], name="interaction_owner_occurred"),
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
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="participations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="participations"
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
