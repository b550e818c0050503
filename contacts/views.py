"""Pages for contacts, companies and give-first help offers.

Each view parses its input with a form, calls one selector or service, and renders.
Objects named in the URL are fetched through selectors scoped to the member's
organization, so a foreign or unknown id is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from contacts import selectors, services
from contacts.forms import (
    SORT_CHOICES,
    CompanyForm,
    ContactForm,
    ContactListForm,
    HelpOfferForm,
    intro_options,
)
from contacts.models import Contact, HelpDirection, HelpOffer
from relintel.accounts.decorators import member_required
from relintel.accounts.models import Membership
from relintel.accounts.selectors import organization_members
from relintel.pagination import CappedPaginator

PAGE_SIZE = 50
# Below this many matches a search sorts its matches instead of walking the sorted index
# (see contacts.selectors.contact_list); above it, matches are dense enough for the walk.
FEW_MATCHES = 2_000
# A search counts its matches only this far ("more than 2,000"): a word of one or two
# letters cannot use the trigram index, and counting 10,000 of its matches took longer
# than the rest of the page. Forty pages of results are more than anyone reads.
SEARCH_COUNT_CAP = FEW_MATCHES
# A word shorter than three letters is matched row by row (no trigram index helps): its
# search stops counting sooner.
SHORT_SEARCH_COUNT_CAP = 500
COMPANY_FILTER_LIMIT = 500


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore wants the whole page even though htmx sends it.
    return request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _render_form(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    form = context["form"]
    if form.is_bound and form.errors:
        form.focus_first_error()
    return render(request, template, context)


def _contact_url(contact_id: int) -> str:
    return reverse("activities:contact_page", kwargs={"contact_id": contact_id})


# --- contacts ------------------------------------------------------------------


@member_required
def contact_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    filter_form = ContactListForm(request.GET)
    filters = filter_form.filters()
    contacts = selectors.contact_list(membership=membership, filters=filters)
    indexed = selectors.search_uses_trigrams(filters.q)
    if not filters.q.strip():
        paginator = CappedPaginator(contacts, PAGE_SIZE)
    else:
        paginator = CappedPaginator(contacts, PAGE_SIZE, cap=SEARCH_COUNT_CAP if indexed else SHORT_SEARCH_COUNT_CAP)
    if indexed and paginator.count < FEW_MATCHES:
        few = selectors.contact_list(membership=membership, filters=filters, few_matches=True)
        paginator = paginator.with_object_list(few)
    page = paginator.get_page(request.GET.get("page"))
    filtered = bool(filters.q or filters.company_id or filters.owner_id or filters.mine or filters.has_open_help)
    context = {
        "page": page,
        "filters": filters,
        "filtered": filtered,
        "sort": filters.sort,
    }
    if _is_htmx(request):
        response = render(request, "contacts/_contact_results.html", context)
    else:
        companies = selectors.company_choices(membership=membership, limit=COMPANY_FILTER_LIMIT)
        selected_company = None
        if filters.company_id is not None:
            selected_company = next((name for pk, name in companies if pk == filters.company_id), None)
            if selected_company is None:
                try:
                    selected_company = selectors.company_get(membership=membership, company_id=filters.company_id).name
                except Http404:
                    selected_company = "Unknown company"
        context.update(
            companies=companies[:COMPANY_FILTER_LIMIT],
            too_many_companies=len(companies) > COMPANY_FILTER_LIMIT,
            selected_company=selected_company,
            members=[m for m in organization_members(organization=membership.organization) if m.is_active],
            sort_choices=SORT_CHOICES,
        )
        response = render(request, "contacts/contact_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required
def contact_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    initial = {"owner": membership.user_id}
    if company_id := request.GET.get("company"):
        initial["company"] = company_id  # type: ignore[assignment]
    form = ContactForm(request.POST or None, membership=membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(membership=membership, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{contact.full_name} was added.")
            return redirect(_contact_url(contact.pk))
    return _render_form(request, "contacts/contact_form.html", {"form": form, "contact": None})


@member_required
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    membership = _membership(request)
    contact = selectors.contact_get(membership=membership, contact_id=contact_id)
    name = contact.full_name  # the service changes the instance even when it then refuses
    form = ContactForm(request.POST or None, membership=membership, initial=ContactForm.initial_for(contact))
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_update(membership=membership, contact=contact, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Saved {contact.full_name}.")
            return redirect(_contact_url(contact.pk))
    return _render_form(request, "contacts/contact_form.html", {"form": form, "contact": contact, "contact_name": name})


@member_required
def contact_delete(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.contact_get(membership=_membership(request), contact_id=contact_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    name = contact.full_name
    services.contact_delete(contact=contact)
    messages.success(request, f"{name} was deleted.")
    return redirect("contacts:list")


@member_required
def duplicate_dismiss(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """ "Not the same person": stop offering this pair for merge."""
    candidate = selectors.duplicate_candidate_get(membership=_membership(request), candidate_id=candidate_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.duplicate_candidate_dismiss(candidate=candidate)
    messages.success(request, "Noted: they are not the same person.")
    return redirect(_safe_next(request, _contact_url(candidate.contact_id)))


# --- companies -----------------------------------------------------------------


@member_required
def company_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    companies = selectors.company_list(membership=_membership(request), q=q)
    page = Paginator(companies, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": q}
    if _is_htmx(request):
        response = render(request, "contacts/_company_results.html", context)
    else:
        response = render(request, "contacts/company_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_required
def company_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = CompanyForm(request.POST or None, membership=membership, initial={"owner": membership.user_id})
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(membership=membership, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{company.name} was added.")
            return redirect("activities:company_page", company_id=company.pk)
    return _render_form(request, "contacts/company_form.html", {"form": form, "company": None})


@member_required
def company_edit(request: HttpRequest, company_id: int) -> HttpResponse:
    membership = _membership(request)
    company = selectors.company_get(membership=membership, company_id=company_id)
    name = company.name
    form = CompanyForm(request.POST or None, membership=membership, initial=CompanyForm.initial_for(company))
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_update(company=company, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Saved {company.name}.")
            return redirect("activities:company_page", company_id=company.pk)
    return _render_form(request, "contacts/company_form.html", {"form": form, "company": company, "company_name": name})


@member_required
def company_delete(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_get(membership=_membership(request), company_id=company_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    name = company.name
    services.company_delete(company=company)
    messages.success(request, f"{name} was deleted. Its contacts are kept, without a company.")
    return redirect("contacts:company_list")


# --- help offers ---------------------------------------------------------------


def _own_offer(request: HttpRequest, offer_id: int) -> HelpOffer:
    """The member's own help offer; anyone else's, in the organization or not, is a 404."""
    membership = _membership(request)
    offer = selectors.help_offer_get(membership=membership, offer_id=offer_id)
    if offer.user_id != membership.user_id:
        raise Http404("No such help offer")
    return offer


def _intro_options_response(request: HttpRequest, contact: Contact) -> HttpResponse:
    raw = request.GET.get("intro_contact") or ""
    options = intro_options(
        membership=_membership(request),
        contact=contact,
        q=request.GET.get("intro_q", "")[:200],
        selected_id=int(raw) if raw.isdigit() else None,
    )
    return render(request, "contacts/_intro_options.html", {"options": options, "selected": raw})


@member_required
def help_offer_create(request: HttpRequest, contact_id: int) -> HttpResponse:
    membership = _membership(request)
    contact = selectors.contact_get(membership=membership, contact_id=contact_id)
    if request.method == "GET" and _is_htmx(request) and "intro_q" in request.GET:
        return _intro_options_response(request, contact)
    # "Find" without JavaScript reloads the form by GET with what was typed so far.
    data = request.POST if request.method == "POST" else None
    initial = request.GET.dict() if "intro_q" in request.GET else {}
    if "kind" in request.GET and "intro_q" not in request.GET:
        initial["kind"] = request.GET["kind"]
    form = HelpOfferForm(
        data,
        membership=membership,
        contact=contact,
        initial=initial,
        intro_q=request.GET.get("intro_q", "")[:200],
    )
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.help_offer_create(membership=membership, contact=contact, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            noun = "Help received" if offer.direction == HelpDirection.RECEIVED else "Help offer"
            messages.success(request, f"{noun} recorded for {contact.full_name}.")
            return redirect(_safe_next(request, _contact_url(contact.pk)))
    return _render_form(
        request,
        "contacts/help_form.html",
        {"form": form, "contact": contact, "offer": None, "next": _safe_next(request, "")},
    )


@member_required
def help_offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    membership = _membership(request)
    offer = _own_offer(request, offer_id)
    if request.method == "GET" and _is_htmx(request) and "intro_q" in request.GET:
        return _intro_options_response(request, offer.contact)
    data = request.POST if request.method == "POST" else None
    initial = HelpOfferForm.initial_for(offer)
    if "intro_q" in request.GET:
        initial.update(request.GET.dict())
    form = HelpOfferForm(
        data,
        membership=membership,
        contact=offer.contact,
        offer=offer,
        initial=initial,
        intro_q=request.GET.get("intro_q", "")[:200],
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.help_offer_update(offer=offer, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Help offer saved.")
            return redirect(_safe_next(request, _contact_url(offer.contact_id)))
    return _render_form(
        request,
        "contacts/help_form.html",
        {
            "form": form,
            "contact": offer.contact,
            "offer": offer,
            "today": timezone.localdate(),
            "next": _safe_next(request, ""),
        },
    )


@member_required
def help_offer_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    today = timezone.localdate()
    offers = selectors.my_help_offers(membership=membership)
    closed = selectors.my_closed_help_offers(membership=membership)
    overdue = sum(1 for o in offers if o.due_date is not None and o.due_date < today)
    due_today = sum(1 for o in offers if o.due_date == today)
    return render(
        request,
        "contacts/help_list.html",
        {
            "offers": offers,
            "closed": closed,
            "today": today,
            "overdue_count": overdue,
            "due_today_count": due_today,
        },
    )


@member_required
def help_offer_transition(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _own_offer(request, offer_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    status = request.POST.get("status", "")
    error = ""
    try:
        offer = services.help_offer_transition(offer=offer, status=status)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if _is_htmx(request):
        # Re-read through the selector so the row shows its contacts as before.
        offer = selectors.help_offer_get(membership=_membership(request), offer_id=offer.pk)
        return render(
            request,
            "contacts/_help_offer_row.html",
            {
                "offer": offer,
                "today": timezone.localdate(),
                "row_error": error,
                "next": _safe_next(request, ""),
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, f"Help offer for {offer.contact.full_name} is now {offer.get_status_display().lower()}."
        )
    return redirect(_safe_next(request, reverse("contacts:help_list")))
