"""Forms for the contacts pages: they parse what people type; services decide and write."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html

from contacts import selectors
from contacts.errors import DuplicateEmailError
from contacts.models import Company, Contact, HelpDirection, HelpKind, HelpOffer, HelpStatus, PhoneKind
from contacts.selectors import CONTACT_SORTS, ContactFilters
from contacts.services import PhoneInput
from relintel.accounts.models import Membership, User
from relintel.accounts.selectors import organization_members

# Separators people use between addresses or domains when one per line is asked for.
_LIST_SPLIT = re.compile(r"[\n,;]+")
_PHONE_KIND = re.compile(r"^\s*(?P<kind>[A-Za-z]+)\s*:\s*(?P<number>.+)$")

SORT_CHOICES = [
    ("name", "Name (A–Z)"),
    ("-name", "Name (Z–A)"),
    ("recent", "Recent activity"),
    ("created", "Newest first"),
    ("company", "Company"),
]


def _lines(value: str) -> list[str]:
    return [part.strip() for part in _LIST_SPLIT.split(value or "") if part.strip()]


def _member_choices(membership: Membership) -> tuple[list[tuple[str, str]], dict[int, User]]:
    members = [m for m in organization_members(organization=membership.organization) if m.is_active]
    users = {m.user_id: m.user for m in members}
    return [(str(m.user_id), m.user.display_name) for m in members], users


class ServiceErrorsMixin:
    """Puts a service's ``ValidationError`` onto the fields it names, the rest on top of the form."""

    # Model fields that the form shows under another name.
    field_aliases: dict[str, str] = {}

    def focus_first_error(self) -> None:
        """Put the keyboard on the first field to fix when the page comes back with errors."""
        form: forms.Form = self  # type: ignore[assignment]
        for field in form.fields.values():
            field.widget.attrs.pop("autofocus", None)
        for name, field in form.fields.items():
            if name in form.errors:
                field.widget.attrs["autofocus"] = True
                return

    def add_service_errors(self, exc: ValidationError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc.messages)
            return
        for name, messages in exc.message_dict.items():
            target = self.field_aliases.get(name, name)
            form.add_error(target if target in form.fields else None, messages)


# --- contacts ------------------------------------------------------------------


class ContactListForm(forms.Form):
    """The contacts list's query string. Bad values are dropped, never an error page."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    company = forms.IntegerField(required=False, min_value=1)
    owner = forms.IntegerField(required=False, min_value=1)
    mine = forms.BooleanField(required=False, label="Mine only")
    open_help = forms.BooleanField(required=False, label="Open help offers")
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort by")

    def filters(self) -> ContactFilters:
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        sort = data.get("sort") or "name"
        return ContactFilters(
            q=data.get("q") or "",
            company_id=data.get("company"),
            owner_id=data.get("owner"),
            mine=bool(data.get("mine")),
            has_open_help=bool(data.get("open_help")),
            sort=sort if sort in CONTACT_SORTS else "name",
        )


class ContactForm(ServiceErrorsMixin, forms.Form):
    field_aliases = {"first_name": "full_name", "last_name": "full_name", "__all__": "__all__"}

    full_name = forms.CharField(label="Full name", max_length=300)
    emails = forms.CharField(
        label="Email addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text="One per line. The first one is the primary address.",
    )
    phones = forms.CharField(
        label="Phone numbers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"}),
        help_text="One per line, with the country code (+44 20 7946 0018). "
        "Start a line with mobile:, home: or other: to say what kind; otherwise it is a work number.",
    )
    title = forms.CharField(label="Job title", max_length=200, required=False)
    company = forms.TypedChoiceField(label="Company", required=False, coerce=int, empty_value=None)
    location = forms.CharField(label="Location", max_length=200, required=False)
    linkedin_url = forms.URLField(
        label="LinkedIn URL",
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://www.linkedin.com/in/…"}),
    )
    interests = forms.CharField(
        label="Interests",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What they care about, e.g. “sailing, climate tech”.",
    )
    needs = forms.CharField(
        label="Needs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What they are looking for, e.g. “a CFO”. Where you can help first.",
    )
    expertise = forms.CharField(
        label="Expertise",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What they know, e.g. “Series A fundraising”.",
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    owner = forms.TypedChoiceField(label="Owner", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        companies = selectors.company_choices(membership=membership, limit=5000)
        selected = self.data.get("company") if self.is_bound else self.initial.get("company")
        if selected not in (None, "") and all(str(pk) != str(selected) for pk, _ in companies):
            # Past the cut of a very long list: keep the current choice selectable.
            try:
                company = selectors.company_get(membership=membership, company_id=int(selected))
                companies.append((company.pk, company.name))
            except (Http404, TypeError, ValueError):
                pass
        self.fields["company"].choices = [("", "— No company —"), *((str(pk), name) for pk, name in companies)]  # type: ignore[attr-defined]
        member_choices, self._users = _member_choices(membership)
        self.fields["owner"].choices = [("", "— Nobody —"), *member_choices]  # type: ignore[attr-defined]
        self.fields["full_name"].widget.attrs["autocomplete"] = "off"
        if not self.is_bound:
            self.fields["full_name"].widget.attrs["autofocus"] = True

    @staticmethod
    def initial_for(contact: Contact) -> dict[str, Any]:
        return {
            "full_name": contact.full_name,
            "emails": "\n".join(e.email for e in contact.emails.all()),
            "phones": "\n".join(
                p.number if p.kind == PhoneKind.WORK else f"{p.kind}: {p.number}" for p in contact.phones.all()
            ),
            "title": contact.title,
            "company": contact.company_id,
            "location": contact.location,
            "linkedin_url": contact.linkedin_url,
            "interests": contact.interests,
            "needs": contact.needs,
            "expertise": contact.expertise,
            "notes": contact.notes,
            "owner": contact.owner_id,
        }

    def clean_emails(self) -> list[str]:
        return _lines(self.cleaned_data["emails"])

    def clean_phones(self) -> list[PhoneInput]:
        phones: list[PhoneInput] = []
        errors: list[str] = []
        for line in (line.strip() for line in (self.cleaned_data["phones"] or "").splitlines()):
            if not line:
                continue
            match = _PHONE_KIND.match(line)
            if match is None:
                phones.append(PhoneInput(number=line))
                continue
            kind = match["kind"].lower()
            if kind not in PhoneKind.values:
                errors.append(f"“{match['kind']}” is not a kind of phone: use work, mobile, home or other.")
                continue
            phones.append(PhoneInput(number=match["number"].strip(), kind=kind))
        if errors:
            raise ValidationError(errors)
        return phones

    def clean_company(self) -> Company | None:
        company_id = self.cleaned_data.get("company")
        if company_id is None:
            return None
        try:
            return selectors.company_get(membership=self.membership, company_id=company_id)
        except Http404:
            raise ValidationError("No such company.") from None

    def clean_owner(self) -> User | None:
        owner_id = self.cleaned_data.get("owner")
        return None if owner_id is None else self._users[owner_id]

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def add_service_errors(self, exc: ValidationError) -> None:
        if isinstance(exc, DuplicateEmailError):
            url = reverse("activities:contact_page", kwargs={"contact_id": exc.existing.pk})
            self.add_error(
                "emails",
                ValidationError(
                    format_html(
                        '{} already belongs to <a href="{}">{}</a>. Open that contact to update it instead.',
                        exc.email,
                        url,
                        exc.existing.full_name,
                    ),
                    code="duplicate",
                ),
            )
            return
        super().add_service_errors(exc)


# --- companies -----------------------------------------------------------------


class CompanyForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    domains = forms.CharField(
        label="Domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text="One per line, like acme.com. Contacts with addresses at these domains join the company.",
    )
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    industry = forms.CharField(label="Industry", max_length=100, required=False)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    owner = forms.TypedChoiceField(label="Owner", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member_choices, self._users = _member_choices(membership)
        self.fields["owner"].choices = [("", "— Nobody —"), *member_choices]  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(company: Company) -> dict[str, Any]:
        return {
            "name": company.name,
            "domains": "\n".join(d.domain for d in company.domains.all()),
            "website": company.website,
            "industry": company.industry,
            "description": company.description,
            "owner": company.owner_id,
        }

    def clean_domains(self) -> list[str]:
        return _lines(self.cleaned_data["domains"])

    def clean_owner(self) -> User | None:
        owner_id = self.cleaned_data.get("owner")
        return None if owner_id is None else self._users[owner_id]


# --- help offers ---------------------------------------------------------------


class HelpOfferForm(ServiceErrorsMixin, forms.Form):
    direction = forms.ChoiceField(
        label="Who helps whom",
        choices=HelpDirection.choices,
        initial=HelpDirection.GIVEN,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(label="Kind of help", choices=HelpKind.choices, initial=HelpKind.ADVICE)
    description = forms.CharField(
        label="What",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Be specific, e.g. “Intro to a fractional CFO”.",
    )
    intro_contact = forms.TypedChoiceField(
        label="Introduce them to",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="For an introduction: the second person.",
    )
    due_date = forms.DateField(
        label="Due date", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    status = forms.ChoiceField(
        label="Status",
        choices=HelpStatus.choices,
        initial=HelpStatus.OFFERED,
        help_text="Recording help that already happened? Choose “Delivered”.",
    )

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        contact: Contact,
        offer: HelpOffer | None = None,
        intro_q: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.contact = contact
        if offer is not None:
            # Direction is fixed once recorded; status moves through its own buttons.
            del self.fields["direction"]
            del self.fields["status"]
        self.intro_options = intro_options(
            membership=membership, contact=contact, q=intro_q, selected_id=self._selected_intro_id(offer)
        )
        self.fields["intro_contact"].choices = [  # type: ignore[attr-defined]
            ("", "— Nobody yet —"),
            *((str(c.pk), contact_label(c)) for c in self.intro_options),
        ]
        self.fields["intro_contact"].widget.attrs.update({"data-intro-select": ""})

    def _selected_intro_id(self, offer: HelpOffer | None) -> int | None:
        raw = self.data.get("intro_contact") if self.is_bound else self.initial.get("intro_contact")
        if raw in (None, "") and offer is not None:
            return offer.intro_contact_id
        try:
            return int(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            return None

    @staticmethod
    def initial_for(offer: HelpOffer) -> dict[str, Any]:
        return {
            "kind": offer.kind,
            "description": offer.description,
            "intro_contact": offer.intro_contact_id,
            "due_date": offer.due_date,
        }

    def clean_intro_contact(self) -> Contact | None:
        contact_id = self.cleaned_data.get("intro_contact")
        if contact_id is None:
            return None
        for option in self.intro_options:
            if option.pk == contact_id:
                return option
        raise ValidationError("No such contact.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        # The intro field is hidden unless the kind is an introduction: drop a stale pick.
        if data.get("kind") != HelpKind.INTRO:
            data["intro_contact"] = None
        return data


def contact_label(contact: Contact) -> str:
    company = contact.company.name if contact.company_id and contact.company else ""
    return f"{contact.full_name} ({company})" if company else contact.full_name


def intro_options(*, membership: Membership, contact: Contact, q: str = "", selected_id: int | None) -> list[Contact]:
    """Whom an introduction could connect ``contact`` with: search matches, plus the current pick."""
    options = selectors.contact_choices(membership=membership, q=q, limit=50, exclude_id=contact.pk)
    if selected_id is not None and selected_id != contact.pk and all(o.pk != selected_id for o in options):
        with contextlib.suppress(Http404):
            options.insert(0, selectors.contact_get(membership=membership, contact_id=selected_id))
    return options
