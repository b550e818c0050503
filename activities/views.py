"""Pages: the contact page, the company page, and logging, reading, editing and deleting interactions.

Every object comes through a selector that scopes it to the member's organization and
the visibility rules: an id the member may not see is a 404. Only the owner of an
interaction may edit or delete it; for anyone else those pages are a 404 too.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities import selectors, services
from activities.forms import LOG_FIELD_MAP, InteractionEditForm, InteractionLogForm, apply_service_errors, local_now
from activities.models import Interaction
from activities.relationship_selectors import relationship_panels
from contacts.merge_selectors import merged_contact_survivor_id
from contacts.models import Contact
from contacts.normalize import format_phone
from contacts.selectors import Ledger, contact_get
from relintel.accounts.decorators import member_required
from relintel.accounts.models import Membership

QUICK_LOG_PREFIX = "quick-%s"


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def ledger_summary(ledger: Ledger) -> str:
    """The reciprocity ledger in words: delivered help both ways, and what it means."""
    given, received = ledger.given_delivered, ledger.received_delivered
    if not given and not received:
        return "No help delivered either way yet. Give first: offer something useful."
    words = f"You have given {given}, received {received}."
    if ledger.balance > 0:
        return f"{words} You are {ledger.balance} ahead: giving first."
    if ledger.balance < 0:
        return f"{words} They have helped more: time to give back."
    return f"{words} Balanced."


def _timeline_context(*, membership: Membership, contact: Contact, form: InteractionLogForm | None) -> dict[str, Any]:
    return {
        "contact": contact,
        "timeline": selectors.contact_timeline(membership=membership, contact=contact),
        "quick_form": form or InteractionLogForm(membership=membership, contact=contact, auto_id=QUICK_LOG_PREFIX),
    }


@require_GET
@member_required
def contact_page(request: HttpRequest, contact_id: int) -> HttpResponse:
    membership = _membership(request)
    try:
        overview = selectors.contact_overview(membership=membership, contact_id=contact_id)
    except Http404:
        # A merged contact's page (bookmarks, old links) leads to the contact it became.
        survivor_id = merged_contact_survivor_id(membership=membership, contact_id=contact_id)
        if survivor_id is None:
            raise
        return redirect("activities:contact_page", contact_id=survivor_id)
    contact = overview.contact
    return render(
        request,
        "activities/contact_page.html",
        {
            "contact": contact,
            "emails": list(contact.emails.all()),
            "phones": [(p, format_phone(p.number)) for p in contact.phones.all()],
            "timeline": overview.timeline,
            "ledger": overview.ledger,
            "ledger_summary": ledger_summary(overview.ledger),
            "relationships": overview.relationships,
            **relationship_panels(membership=membership, contact=contact, rows=overview.relationships),
            "possible_duplicates": overview.possible_duplicates,
            "quick_form": InteractionLogForm(membership=membership, contact=contact, auto_id=QUICK_LOG_PREFIX),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def interaction_log(request: HttpRequest, contact_id: int) -> HttpResponse:
    membership = _membership(request)
    contact = contact_get(membership=membership, contact_id=contact_id)
    # The quick form on the contact page posts here with htmx and gets the timeline back.
    quick = request.POST.get("quick") == "1"
    if request.method == "POST":
        form = InteractionLogForm(
            request.POST, membership=membership, contact=contact, auto_id=QUICK_LOG_PREFIX if quick else "id_%s"
        )
        if form.is_valid():
            try:
                interaction = services.interaction_log(membership=membership, **form.service_kwargs())
            except ValidationError as error:
                apply_service_errors(form, error, field_map=LOG_FIELD_MAP)
            else:
                if _is_htmx(request):
                    context = _timeline_context(membership=membership, contact=contact, form=None)
                    context["logged"] = interaction
                    return render(request, "activities/_timeline_section.html", context)
                messages.success(request, f"{interaction.get_kind_display()} logged.")
                return redirect("activities:contact_page", contact_id=contact.pk)
        if _is_htmx(request):
            return render(
                request,
                "activities/_timeline_section.html",
                _timeline_context(membership=membership, contact=contact, form=form),
            )
    else:
        initial: dict[str, Any] = {"occurred_at": local_now()}
        if request.GET.get("kind"):
            initial["kind"] = request.GET["kind"]
        form = InteractionLogForm(membership=membership, contact=contact, initial=initial)
    return render(request, "activities/log.html", {"contact": contact, "form": form})


def _back_to(interaction: Interaction) -> str:
    """Where to go from an interaction: its first contact's page, or home."""
    for participant in interaction.participants.all():
        if participant.contact_id is not None:
            return reverse("activities:contact_page", args=[participant.contact_id])
    return reverse("dashboards:home")


@require_GET
@member_required
def interaction_detail(request: HttpRequest, interaction_id: int) -> HttpResponse:
    membership = _membership(request)
    interaction = selectors.interaction_get(membership=membership, interaction_id=interaction_id)
    return render(
        request,
        "activities/detail.html",
        {
            "interaction": interaction,
            "is_owner": interaction.owner_id == membership.user_id,
            "help_offers": selectors.interaction_help_offers(membership=membership, interaction=interaction),
            "back_url": _back_to(interaction),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def interaction_edit(request: HttpRequest, interaction_id: int) -> HttpResponse:
    membership = _membership(request)
    interaction = selectors.interaction_get_owned(membership=membership, interaction_id=interaction_id)
    if request.method == "POST":
        form = InteractionEditForm(request.POST, interaction=interaction)
        if form.is_valid():
            try:
                services.interaction_update(interaction=interaction, **form.service_kwargs())
            except ValidationError as error:
                apply_service_errors(form, error, field_map={})
            else:
                messages.success(request, "Changes saved.")
                return redirect("activities:detail", interaction_id=interaction.pk)
    else:
        form = InteractionEditForm(interaction=interaction)
    return render(request, "activities/edit.html", {"interaction": interaction, "form": form})


@require_http_methods(["GET", "POST"])
@member_required
def interaction_delete(request: HttpRequest, interaction_id: int) -> HttpResponse:
    membership = _membership(request)
    interaction = selectors.interaction_get_owned(membership=membership, interaction_id=interaction_id)
    back_url = _back_to(interaction)
    if request.method == "POST":
        label = interaction.get_kind_display()
        services.interaction_delete(interaction=interaction)
        messages.success(request, f"{label} deleted.")
        return redirect(back_url)
    return render(request, "activities/delete.html", {"interaction": interaction, "back_url": back_url})


@require_GET
@member_required
def company_page(request: HttpRequest, company_id: int) -> HttpResponse:
    membership = _membership(request)
    overview = selectors.company_overview(membership=membership, company_id=company_id)
    return render(
        request,
        "activities/company_page.html",
        {
            "company": overview.company,
            "domains": list(overview.company.domains.all()),
            "contacts": overview.contacts,
            "contact_count": overview.contact_count,
            "timeline": overview.interactions,
            "teammates": overview.teammates,
        },
    )
