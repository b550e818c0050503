"""Forms for the accounts pages: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from relintel.accounts.models import Organization, Role, Team
from relintel.accounts.selectors import organization_teams


class ServiceErrorsMixin:
    """Put a service's ``ValidationError`` next to the fields it names."""

    def add_service_errors(self, error: ValidationError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, error.messages)


class TeamChoiceMixin:
    """A ``team`` select limited to one organization's teams."""

    def _limit_teams(self, organization: Organization) -> None:
        field = self.fields["team"]  # type: ignore[attr-defined]
        field.queryset = organization_teams(organization=organization)


class ProfileForm(ServiceErrorsMixin, forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)


class ApiTokenForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        label="Token name", max_length=100, help_text="What will use it, e.g. “Zapier” or “Reporting script”."
    )


class OrganizationForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label="Organization name", max_length=200)
    internal_domains = forms.CharField(
        label="Internal email domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line, e.g. acme.com. Mail only among these domains is internal and not captured.",
    )

    def clean_internal_domains(self) -> list[str]:
        value: str = self.cleaned_data["internal_domains"]
        return [line for line in value.replace(",", "\n").splitlines() if line.strip()]


class TeamForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label="Team name", max_length=100)


class MemberForm(ServiceErrorsMixin, TeamChoiceMixin, forms.Form):
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        help_text="Reps see their own and shared work; managers also see their team's; admins manage users and settings.",
    )
    team: forms.ModelChoiceField[Team] = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.none(), required=False, empty_label="No team"
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit_teams(organization)


class InvitationForm(MemberForm):
    email = forms.EmailField(label="Email", max_length=254)
    full_name = forms.CharField(label="Name", max_length=200, required=False)

    field_order = ["email", "full_name", "role", "team"]


class InvitationAcceptForm(ServiceErrorsMixin, forms.Form):
    full_name = forms.CharField(label="Your full name", max_length=200)
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; not a common password.",
    )
    password_again = forms.CharField(
        label="Password (again)", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, existing_account: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if existing_account:
            # They already have a password: ask for it once.
            del self.fields["password_again"]
            self.fields["password"].help_text = "You already have a Relintel account with this email: its password."
            self.fields["password"].widget.attrs["autocomplete"] = "current-password"
            self.fields["full_name"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "password_again" in self.fields and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data
