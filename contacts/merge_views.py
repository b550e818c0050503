"""Merge pages: two contacts side by side, the merge, its result with Undo, and the history."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from contacts import merge as merging
from contacts import merge_display, merge_selectors, selectors
from contacts.models import Contact
from relintel.accounts.decorators import member_required
from relintel.accounts.models import Membership


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


class MergeForm(forms.Form):
    """Per field: keep the survivor's value, take the other's, or (for free text) keep both."""

    def __init__(self, *args: Any, rows: list[merge_display.FieldRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in rows:
            choices = [(merging.SURVIVOR, "Keep"), (merging.MERGED, "Take the other")]
            if row.can_combine:
                choices.append((merging.BOTH, "Keep both"))
            self.fields[row.name] = forms.ChoiceField(
                label=row.label, choices=choices, initial=merging.SURVIVOR, widget=forms.RadioSelect, required=False
            )

    def choices(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if value}


def _pair(request: HttpRequest, contact_id: int, other_id: int) -> tuple[Contact, Contact]:
    membership = _membership(request)
    survivor = selectors.contact_get(membership=membership, contact_id=contact_id)
    merged = selectors.contact_get(membership=membership, contact_id=other_id)
    if survivor.pk == merged.pk:
        raise Http404("A contact cannot be merged with itself")
    return survivor, merged


@require_GET
@member_required
def merge_pick(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Find the other record of the same person (any contact, not only suggested duplicates)."""
    membership = _membership(request)
    contact = selectors.contact_get(membership=membership, contact_id=contact_id)
    q = request.GET.get("q", "")[:200]
    choices = selectors.contact_choices(membership=membership, q=q or contact.last_name, exclude_id=contact.pk)
    return render(request, "contacts/merge_pick.html", {"contact": contact, "q": q, "choices": choices})


@member_required
def merge_compare(request: HttpRequest, contact_id: int, other_id: int) -> HttpResponse:
    """``contact_id`` survives, ``other_id`` is merged into it (a link swaps them)."""
    survivor, merged = _pair(request, contact_id, other_id)
    rows = merge_display.merge_field_rows(survivor=survivor, merged=merged)
    form = MergeForm(request.POST if request.method == "POST" else None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            merge = merging.contact_merge(
                membership=_membership(request), survivor=survivor, merged=merged, field_choices=form.choices()
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{merged.full_name} was merged into {survivor.full_name}.")
            return redirect("contacts:merge_detail", merge_id=merge.pk)
    fields = [(row, form[row.name]) for row in rows]
    return render(
        request,
        "contacts/merge_compare.html",
        {
            "survivor": survivor,
            "merged": merged,
            "fields": fields,
            "form": form,
            "survivor_emails": [e.email for e in survivor.emails.all()],
            "merged_emails": [e.email for e in merged.emails.all()],
            "survivor_phones": [p.number for p in survivor.phones.all()],
            "merged_phones": [p.number for p in merged.phones.all()],
        },
    )


@require_GET
@member_required
def merge_detail(request: HttpRequest, merge_id: int) -> HttpResponse:
    merge = merge_selectors.merge_get(membership=_membership(request), merge_id=merge_id)
    return render(
        request, "contacts/merge_detail.html", {"merge": merge, "summary": merge_display.merge_summary(merge.moved)}
    )


@require_GET
@member_required
def merge_history(request: HttpRequest) -> HttpResponse:
    merges = merge_selectors.merge_history(membership=_membership(request))
    return render(request, "contacts/merge_history.html", {"merges": merges})


@require_POST
@member_required
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    membership = _membership(request)
    merge = merge_selectors.merge_get(membership=membership, merge_id=merge_id)
    try:
        merging.contact_merge_undo(membership=membership, merge=merge)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("contacts:merge_detail", merge_id=merge.pk)
    messages.success(
        request, f"Undone: {merge.merged.full_name} and {merge.survivor.full_name} are two contacts again."
    )
    return redirect("activities:contact_page", contact_id=merge.merged_id)
