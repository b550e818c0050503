"""Forms for capture settings. They parse what was typed; the services decide.

A stored password is never rendered back: the secret input is always empty and,
when editing, "leave blank to keep" means exactly that.
"""

from __future__ import annotations

from typing import Any

from django import forms

from activities.models import (
    AuthMethod,
    CaptureAccount,
    CaptureKind,
    CapturePolicy,
    ContactCreationRule,
    ExclusionKind,
    ImapSecurity,
    PrivacyLevel,
    Visibility,
)

# Which fields each kind of source asks for.
KIND_FIELDS = {
    CaptureKind.IMAP: ("name", "host", "port", "security", "username", "auth_method", "secret", "folders"),
    CaptureKind.CALDAV: ("name", "url", "username", "secret", "folders"),
    CaptureKind.ICS: ("name", "url"),
}
COMMON_FIELDS = ("privacy_level", "visibility", "backfill_days")
DEFAULT_NAMES = {
    CaptureKind.IMAP: "Work mailbox",
    CaptureKind.CALDAV: "Work calendar",
    CaptureKind.ICS: "Calendar feed",
}


class CaptureAccountForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="A label for you, e.g. “Work mailbox”.")
    host = forms.CharField(label="IMAP server", max_length=253, help_text="e.g. imap.example.com")
    port = forms.IntegerField(
        label="Port",
        required=False,
        min_value=1,
        max_value=65535,
        help_text="Leave empty for the usual one (993 with TLS, 143 otherwise).",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    security = forms.ChoiceField(label="Security", choices=ImapSecurity.choices, initial=ImapSecurity.TLS)
    url = forms.CharField(label="Address", max_length=2000, widget=forms.URLInput(attrs={"inputmode": "url"}))
    username = forms.CharField(
        label="Username", max_length=254, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    auth_method = forms.ChoiceField(label="Sign in with", choices=AuthMethod.choices, initial=AuthMethod.PASSWORD)
    secret = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted. An app password is best where your provider offers one.",
    )
    folders = forms.CharField(
        label="Folders",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line. Leave empty for your inbox and sent mail.",
    )
    privacy_level = forms.ChoiceField(
        label="What to keep", choices=PrivacyLevel.choices, widget=forms.RadioSelect, initial=PrivacyLevel.SUBJECT
    )
    visibility = forms.ChoiceField(
        label="Who can see what is captured", choices=Visibility.choices, widget=forms.RadioSelect
    )
    backfill_days = forms.IntegerField(
        label="Capture the past (days)",
        min_value=0,
        max_value=3650,
        initial=180,
        help_text="How far back the first sync reads.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        account: CaptureAccount | None = None,
        default_privacy_level: str = PrivacyLevel.SUBJECT,
        **kwargs: Any,
    ) -> None:
        if account is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": account.name,
                    "host": account.host,
                    "port": account.port,
                    "security": account.security,
                    "url": account.url,
                    "username": account.username,
                    "auth_method": account.auth_method,
                    "folders": "\n".join(account.folders or []),
                    "privacy_level": account.privacy_level,
                    "visibility": account.visibility,
                    "backfill_days": account.backfill_days,
                },
            )
        else:
            kwargs.setdefault(
                "initial",
                {
                    "name": DEFAULT_NAMES[CaptureKind(kind)],
                    "privacy_level": default_privacy_level,
                    "visibility": Visibility.TEAM,
                    "backfill_days": 180,
                },
            )
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.account = account
        keep = set(KIND_FIELDS[CaptureKind(kind)]) | set(COMMON_FIELDS)
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if kind == CaptureKind.CALDAV:
            self.fields["url"].label = "Calendar address (CalDAV URL)"
            self.fields["url"].help_text = "e.g. https://dav.example.com/calendars/you/ — ask your provider."
            self.fields["folders"].label = "Calendars"
            self.fields["folders"].help_text = "Calendar paths, one per line. Leave empty for every calendar."
        elif kind == CaptureKind.ICS:
            self.fields["url"].label = "Feed address (ICS URL)"
            self.fields["url"].help_text = "webcal:// and https:// addresses both work."
        if "secret" in self.fields:
            secret = self.fields["secret"]
            if kind == CaptureKind.IMAP:
                secret.label = "Password or access token"
            if account is not None and account.secret:
                secret.help_text = "Leave blank to keep the stored one. " + str(secret.help_text)
            else:
                secret.required = True

    def clean_folders(self) -> list[str]:
        raw = self.cleaned_data.get("folders", "")
        return [line.strip() for line in raw.splitlines() if line.strip()]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.account is not None and not data.get("secret"):
            data.pop("secret", None)  # blank keeps the stored one
        return data


class RemoveAccountForm(forms.Form):
    captured_activity = forms.ChoiceField(
        label="What happens to the activity it captured",
        choices=[
            ("keep", "Keep captured activity (stop capturing only)"),
            ("delete", "Delete captured activity (except what another source also captured)"),
        ],
        initial="keep",
        widget=forms.RadioSelect,
    )


class CapturePolicyForm(forms.Form):
    max_recipients = forms.IntegerField(
        label="Most recipients in a captured email",
        min_value=1,
        max_value=10_000,
        help_text="Mail to more people than this is treated as a mass mailing and skipped.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    contact_creation = forms.ChoiceField(
        label="New people become contacts", choices=ContactCreationRule.choices, widget=forms.RadioSelect
    )
    default_privacy_level = forms.ChoiceField(
        label="Default of what to keep for new sources", choices=PrivacyLevel.choices, widget=forms.RadioSelect
    )

    @classmethod
    def for_policy(cls, policy: CapturePolicy, data: Any = None) -> CapturePolicyForm:
        return cls(
            data,
            initial={
                "max_recipients": policy.max_recipients,
                "contact_creation": policy.contact_creation,
                "default_privacy_level": policy.default_privacy_level,
            },
        )


class ExclusionForm(forms.Form):
    kind = forms.ChoiceField(label="Exclude", choices=ExclusionKind.choices, initial=ExclusionKind.DOMAIN)
    value = forms.CharField(
        label="Email address or domain", max_length=254, help_text="e.g. jane@example.com or example.com"
    )


class WhyForm(forms.Form):
    message_id = forms.CharField(
        label="Message-ID",
        required=False,
        max_length=998,
        help_text="From the email's headers (“Show original”), with or without the angle brackets.",
    )
    subject = forms.CharField(label="or words of the subject", required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if not (data.get("message_id") or "").strip() and not (data.get("subject") or "").strip():
            raise forms.ValidationError("Give a Message-ID or some words of the subject.")
        return data
