"""The Salesforce connection form (/manage/salesforce/)."""

from __future__ import annotations

from typing import Any

from django import forms

from sync.models import (
    PRODUCTION_LOGIN_URL,
    SANDBOX_LOGIN_URL,
    AuthFlow,
    ConflictPolicy,
    ContactWithoutCompanyAs,
    SalesforceConnection,
)

LOGIN_CHOICES = [
    ("production", "Production (login.salesforce.com)"),
    ("sandbox", "Sandbox (test.salesforce.com)"),
    ("custom", "My Domain or another URL"),
]
MAX_KEY_BYTES = 64 * 1024


def login_choice_for(url: str) -> str:
    if url.rstrip("/") == PRODUCTION_LOGIN_URL:
        return "production"
    if url.rstrip("/") == SANDBOX_LOGIN_URL:
        return "sandbox"
    return "custom"


class SalesforceConnectionForm(forms.Form):
    login_choice = forms.ChoiceField(
        label="Salesforce login", choices=LOGIN_CHOICES, widget=forms.RadioSelect, initial="production"
    )
    custom_login_url = forms.CharField(
        label="My Domain or login URL",
        required=False,
        max_length=300,
        widget=forms.URLInput(attrs={"inputmode": "url", "placeholder": "https://yourcompany.my.salesforce.com"}),
        help_text="Only for “My Domain or another URL”.",
    )
    auth_flow = forms.ChoiceField(
        label="How to connect", choices=AuthFlow.choices, widget=forms.RadioSelect, initial=AuthFlow.WEB_SERVER
    )
    client_id = forms.CharField(
        label="Consumer Key (client id)",
        max_length=300,
        help_text="From your connected app: Setup → App Manager → View → Manage Consumer Details.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    client_secret = forms.CharField(
        label="Consumer Secret (client secret)",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Web-server flow. Stored encrypted; leave empty to keep the saved one.",
    )
    jwt_username = forms.CharField(
        label="Salesforce username (JWT)",
        required=False,
        max_length=254,
        help_text="JWT bearer flow: the pre-authorized user the sync acts as.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    jwt_private_key_file = forms.FileField(
        label="Private key (JWT)",
        required=False,
        help_text="JWT bearer flow: the PEM private key of the certificate uploaded to the connected app. "
        "Stored encrypted; leave empty to keep the saved one.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pem,.key,.txt"}),
    )
    api_budget_percent = forms.IntegerField(
        label="API budget (% of the daily allocation)",
        min_value=1,
        max_value=100,
        initial=50,
        help_text="Relintel stops calling Salesforce before the org's daily API usage passes this share.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    contact_without_company_as = forms.ChoiceField(
        label="A contact without a company becomes",
        choices=ContactWithoutCompanyAs.choices,
        widget=forms.RadioSelect,
        initial=ContactWithoutCompanyAs.LEAD,
    )
    conflict_policy = forms.ChoiceField(
        label="When a field changed on both sides",
        choices=ConflictPolicy.choices,
        widget=forms.RadioSelect,
        initial=ConflictPolicy.SALESFORCE_WINS,
    )

    def __init__(self, *args: Any, connection: SalesforceConnection | None = None, **kwargs: Any) -> None:
        if connection is not None:
            choice = login_choice_for(connection.login_url)
            kwargs.setdefault(
                "initial",
                {
                    "login_choice": choice,
                    "custom_login_url": connection.login_url if choice == "custom" else "",
                    "auth_flow": connection.auth_flow,
                    "client_id": connection.client_id,
                    "jwt_username": connection.jwt_username,
                    "api_budget_percent": connection.api_budget_percent,
                    "contact_without_company_as": connection.contact_without_company_as,
                    "conflict_policy": connection.conflict_policy,
                },
            )
        super().__init__(*args, **kwargs)
        if connection is not None and connection.client_secret:
            self.fields["client_secret"].help_text = "A secret is saved (encrypted). Leave empty to keep it."
        if connection is not None and connection.jwt_private_key:
            self.fields["jwt_private_key_file"].help_text = "A key is saved (encrypted). Leave empty to keep it."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("login_choice") == "custom" and not data.get("custom_login_url"):
            self.add_error("custom_login_url", "Give your My Domain or login URL.")
        upload = data.get("jwt_private_key_file")
        data["jwt_private_key"] = None
        if upload:
            if upload.size > MAX_KEY_BYTES:
                self.add_error("jwt_private_key_file", "This file is too large to be a private key.")
            else:
                try:
                    data["jwt_private_key"] = upload.read().decode("ascii")
                except UnicodeDecodeError:
                    self.add_error("jwt_private_key_file", "Upload the key in PEM (text) form, not DER.")
        return data

    def login_url(self) -> str:
        choice = self.cleaned_data["login_choice"]
        if choice == "production":
            return PRODUCTION_LOGIN_URL
        if choice == "sandbox":
            return SANDBOX_LOGIN_URL
        return self.cleaned_data.get("custom_login_url") or ""

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "login_url": self.login_url(),
            "auth_flow": data["auth_flow"],
            "client_id": data["client_id"],
            "client_secret": data.get("client_secret") or None,
            "jwt_username": data.get("jwt_username", ""),
            "jwt_private_key": data.get("jwt_private_key"),
            "api_budget_percent": data["api_budget_percent"],
            "contact_without_company_as": data["contact_without_company_as"],
            "conflict_policy": data["conflict_policy"],
        }


# === sync UI: the mapping page and the health page's filters =====================================

from sync.models import LocalKind  # noqa: E402


def mapping_prefix(local_kind: str, sobject: str) -> str:
    return f"{local_kind}-{sobject}"


def parse_mapping_post(data: Any, rows: list[Any]) -> list[Any]:
    """The posted mapping page → one ``selectors.ObjectMappingInput`` per object row.

    Field selects are named ``{kind}-{sObject}__f__{SalesforceField}``; a posted field the page no
    longer offers (it became unwritable meanwhile) is kept, so the check can say what to do about it.
    Unknown local fields are ignored.
    """
    from sync.selectors import ObjectMappingInput

    inputs = []
    for row in rows:
        item = row.input
        prefix = mapping_prefix(item.local_kind, item.sobject)
        local_names = {name for name, _label, _type in row.local_choices}
        field_map: dict[str, str] = {}
        marker = f"{prefix}__f__"
        for key in data:
            if key.startswith(marker):
                local = str(data.get(key) or "").strip()
                if local in local_names:
                    field_map[key[len(marker) :]] = local
        inputs.append(
            ObjectMappingInput(
                local_kind=item.local_kind,
                sobject=item.sobject,
                enabled=bool(data.get(f"{prefix}__enabled")),
                external_id_field=str(data.get(f"{prefix}__external_id") or "").strip(),
                field_map=field_map,
            )
        )
    return inputs


class FailedFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Object", required=False, choices=[("", "All objects"), *LocalKind.choices])
    code = forms.CharField(label="Error code", required=False, max_length=80)
