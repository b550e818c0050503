"""Pages for warm introductions: paths to a person or company, requests, suggestions.

Each view fetches what the URL names through a scoped selector (a foreign or unknown
id is a 404), calls one service, and renders or redirects. Actions accept ``next`` to
return where they were posted from (the Today page), and answer htmx with the row.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from contacts import selectors
from contacts.intros import paths as path_selectors
from contacts.intros import requests as intro_requests
from contacts.matchmaking import service as matchmaking
from contacts.models import Company, Contact
from contacts.views import _is_htmx, _membership, _safe_next
from relintel.accounts.decorators import member_required
from relintel.accounts.models import Membership, User


class IntroRequestForm(forms.Form):
    introducer = forms.IntegerField(min_value=1, error_messages={"required": "Choose whom to ask."})
    via = forms.IntegerField(min_value=1, required=False)
    message = forms.CharField(
        required=False, max_length=intro_requests.MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def resolve(self, *, membership: Membership) -> tuple[User, Contact | None]:
        """The introducer (a member) and the bridge (a contact); unknown ids name their field."""
        introducer = User.objects.filter(
            pk=self.cleaned_data["introducer"], memberships__organization_id=membership.organization_id
        ).first()
        if introducer is None:
            raise ValidationError({"introducer": ["No such member."]})
        via = None
        if self.cleaned_data.get("via"):
            via = selectors.contacts_for(membership=membership).filter(pk=self.cleaned_data["via"]).first()
            if via is None:
                raise ValidationError({"via": ["No such contact."]})
        return introducer, via


def _paths_page(
    request: HttpRequest,
    *,
    contact: Contact | None = None,
    company: Company | None = None,
    form: IntroRequestForm | None = None,
) -> HttpResponse:
    membership = _membership(request)
    found = path_selectors.intro_paths(membership=membership, contact=contact, company=company)
    open_asks = intro_requests.open_asks(membership=membership, target=contact) if contact is not None else set()
    return render(
        request,
        "contacts/intro_paths.html",
        {
            "contact": contact,
            "company": company,
            "found": found,
            "open_asks": open_asks,
            "form": form or IntroRequestForm(),
        },
        status=400 if form is not None and form.errors else 200,
    )


@member_required
def intro_paths(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_get(membership=_membership(request), contact_id=contact_id)
    return _paths_page(request, contact=contact)


@member_required
def company_intro_paths(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_get(membership=_membership(request), company_id=company_id)
    return _paths_page(request, company=company)


@member_required
def intro_request_create(request: HttpRequest, contact_id: int) -> HttpResponse:
    membership = _membership(request)
    target = selectors.contact_get(membership=membership, contact_id=contact_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = IntroRequestForm(request.POST)
    if form.is_valid():
        try:
            introducer, via = form.resolve(membership=membership)
            intro_requests.intro_request_create(
                membership=membership,
                target=target,
                introducer=introducer,
                via=via,
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Asked {introducer.display_name} to introduce you to {target.full_name}.")
            return redirect(_safe_next(request, reverse("contacts:intro_request_list")))
    return _paths_page(request, contact=target, form=form)


@member_required
def intro_request_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    return render(
        request,
        "contacts/intro_requests.html",
        {
            "inbox": intro_requests.intro_inbox(membership=membership),
            "suggestions": matchmaking.intro_suggestions_open(membership=membership, limit=20),
        },
    )


_DONE = {
    "accept": "Accepted: {target} is yours to introduce to {requester}.",
    "decline": "Declined {requester}'s request.",
    "deliver": "Introduced {requester} to {target}: recorded on both ledgers.",
    "cancel": "Cancelled your request for an introduction to {target}.",
}


def _act(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    membership = _membership(request)
    intro = intro_requests.intro_request_get_for(membership=membership, request_id=request_id, action=action)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    error = ""
    try:
        intro = intro_requests.intro_request_act(
            request=intro, action=action, response=request.POST.get("response", "")[: intro_requests.MESSAGE_MAX]
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if _is_htmx(request):
        intro = intro_requests.intro_request_get(membership=membership, request_id=intro.pk)
        return render(request, "contacts/_intro_request_row.html", {"intro": intro, "row_error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _DONE[action].format(target=intro.target.full_name, requester=intro.requester.display_name),
        )
    return redirect(_safe_next(request, reverse("contacts:intro_request_list")))


@member_required
def intro_request_accept(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(request, request_id, "accept")


@member_required
def intro_request_decline(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(request, request_id, "decline")


@member_required
def intro_request_deliver(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(request, request_id, "deliver")


@member_required
def intro_request_cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(request, request_id, "cancel")


# --- matchmaking suggestions ----------------------------------------------------------


def _suggestion_response(request: HttpRequest, suggestion_id: int, *, accept: bool) -> HttpResponse:
    membership = _membership(request)
    suggestion = matchmaking.intro_suggestion_get(membership=membership, suggestion_id=suggestion_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    error = ""
    try:
        if accept:
            offer = matchmaking.intro_suggestion_accept(membership=membership, suggestion=suggestion)
            done = (
                f"Offered to introduce {suggestion.contact.full_name} to {suggestion.other.full_name}, "
                f"due {offer.due_date:%a %-d %b}. Mark it delivered from your help offers once done."
            )
        else:
            matchmaking.intro_suggestion_dismiss(suggestion=suggestion)
            done = f"Dismissed: introduce {suggestion.contact.full_name} to {suggestion.other.full_name}."
    except ValidationError as exc:
        error = done = " ".join(exc.messages)
    if _is_htmx(request):
        suggestion = matchmaking.intro_suggestion_get(membership=membership, suggestion_id=suggestion.pk)
        return render(
            request,
            "contacts/_intro_suggestion_row.html",
            {"suggestion": suggestion, "row_error": error, "next": _safe_next(request, "")},
        )
    (messages.error if error else messages.success)(request, done)
    return redirect(_safe_next(request, reverse("contacts:intro_request_list")))


@member_required
def intro_suggestion_accept(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    return _suggestion_response(request, suggestion_id, accept=True)


@member_required
def intro_suggestion_dismiss(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    return _suggestion_response(request, suggestion_id, accept=False)
