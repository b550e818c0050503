"""Forms for logging and editing interactions by hand.

They parse and check what was typed; the services decide. Django's BoundField sets
``aria-invalid`` and ``aria-describedby`` (``<id>_error``, ``<id>_helptext``), so the
templates give the error list and the help text those ids.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from activities import selectors
from activities.models import Direction, Interaction, InteractionKind, Visibility
from contacts.models import Contact, HelpOffer
from contacts.normalize import normalize_email
from relintel.accounts.models import Membership

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
TIMED_KINDS = (InteractionKind.CALL, InteractionKind.MEETING)
LOGGABLE_DIRECTIONS = [(Direction.OUTBOUND, "Outbound — we reached out"), (Direction.INBOUND, "Inbound — they did")]


def local_now() -> datetime.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


def _datetime_field(*, required: bool, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label="Date and time",
        required=required,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=help_text,
    )


def _duration_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Duration (minutes)",
        required=False,
        min_value=1,
        max_value=24 * 60,
        help_text="Calls and meetings only.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def apply_service_errors(form: forms.Form, error: ValidationError, *, field_map: dict[str, str]) -> None:
    """Show a service's ``{field: [messages]}`` next to the matching form field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        name = field_map.get(key, key)
        form.add_error(name if name in form.fields and name not in form.errors else None, messages)


class ColleagueChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} — {obj.title}" if obj.title else str(obj.full_name)


class HelpOfferChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_kind_display()}: {obj.description[:60]}"


class InteractionLogForm(forms.Form):
    """Log a call, meeting, note or email with a contact (and optionally their colleagues)."""

    kind = forms.ChoiceField(label="What happened", choices=InteractionKind.choices, initial=InteractionKind.CALL)
    direction = forms.ChoiceField(
        label="Who started it", choices=LOGGABLE_DIRECTIONS, initial=Direction.OUTBOUND, widget=forms.RadioSelect
    )
    occurred_at = _datetime_field(required=False, help_text="Leave empty for now.")
    duration_minutes = _duration_field()
    subject = forms.CharField(label="Subject", max_length=998, required=False)
    body = forms.CharField(
        label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text="What was said or agreed."
    )
    visibility = forms.ChoiceField(
        label="Who can see it", choices=Visibility.choices, initial=Visibility.TEAM, widget=forms.RadioSelect
    )
    colleagues = ColleagueChoiceField(
        label="Also there from the same company",
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_emails = forms.CharField(
        label="Other contacts (email addresses)",
        required=False,
        help_text="Separate several with commas. They must already be contacts.",
    )
    help_offer = HelpOfferChoiceField(
        label="Part of a help offer",
        queryset=HelpOffer.objects.none(),
        required=False,
        empty_label="— none —",
        help_text="Link it to one of your open offers to this contact.",
    )

    def __init__(self, *args: Any, membership: Membership, contact: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.contact = contact
        # Querysets stay lazy: the contact page renders only a few fields and pays for none of these.
        colleagues = self.fields["colleagues"]
        assert isinstance(colleagues, forms.ModelMultipleChoiceField)
        colleagues.queryset = selectors.log_colleague_choices(membership=membership, contact=contact)
        offer = self.fields["help_offer"]
        assert isinstance(offer, forms.ModelChoiceField)
        offer.queryset = selectors.log_help_offer_choices(membership=membership, contact=contact)

    def clean_occurred_at(self) -> datetime.datetime:
        return self.cleaned_data.get("occurred_at") or timezone.now()

    def clean_other_emails(self) -> list[Contact]:
        raw = self.cleaned_data.get("other_emails", "")
        emails: list[str] = []
        bad: list[str] = []
        for part in raw.replace(";", ",").replace("\n", ",").split(","):
            if not part.strip():
                continue
            try:
                emails.append(normalize_email(part))
            except ValidationError:
                bad.append(part.strip())
        if bad:
            raise ValidationError(f"Not an email address: {', '.join(bad)}.")
        if len(emails) > 20:
            raise ValidationError("Twenty addresses at most.")
        found = selectors.contacts_by_emails(membership=self.membership, emails=emails)
        missing = [e for e in emails if e not in found]
        if missing:
            raise ValidationError(f"No contact has {', '.join(missing)}. Add them as contacts first.")
        return list(found.values())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("kind") not in TIMED_KINDS and data.get("duration_minutes"):
            self.add_error("duration_minutes", "Only calls and meetings have a duration.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        offer = data.get("help_offer")
        return {
            "kind": data["kind"],
            "contacts": [self.contact, *data.get("colleagues", []), *data.get("other_emails", [])],
            "occurred_at": data["occurred_at"],
            "subject": data.get("subject", ""),
            "body": data.get("body", ""),
            "direction": data["direction"],
            "visibility": data["visibility"],
            "duration_minutes": data.get("duration_minutes"),
            "help_offers": [offer] if offer else [],
        }


LOG_FIELD_MAP = {"contacts": "other_emails", "help_offers": "help_offer"}


class InteractionEditForm(forms.Form):
    """Correct what was logged: when, which way, what was said and who may see it."""

    direction = forms.ChoiceField(label="Who started it", choices=Direction.choices, widget=forms.RadioSelect)
    occurred_at = _datetime_field(required=True)
    duration_minutes = _duration_field()
    subject = forms.CharField(label="Subject", max_length=998, required=False)
    body = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 6}))
    visibility = forms.ChoiceField(label="Who can see it", choices=Visibility.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, interaction: Interaction, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "direction": interaction.direction,
                "occurred_at": timezone.localtime(interaction.occurred_at).replace(second=0, microsecond=0),
                "duration_minutes": interaction.duration_minutes,
                "subject": interaction.subject,
                "body": interaction.body,
                "visibility": interaction.visibility,
            },
        )
        super().__init__(*args, **kwargs)
        self.interaction = interaction
        direction = self.fields["direction"]
        assert isinstance(direction, forms.ChoiceField)
        # "Internal" is what capture decides; by hand one picks inbound or outbound.
        if interaction.direction != Direction.INTERNAL:
            direction.choices = LOGGABLE_DIRECTIONS
        if interaction.kind not in TIMED_KINDS:
            del self.fields["duration_minutes"]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "direction": data["direction"],
            "occurred_at": data["occurred_at"],
            "duration_minutes": data.get("duration_minutes"),
            "subject": data.get("subject", ""),
            "body": data.get("body", ""),
            "visibility": data["visibility"],
        }
