"""The admins' scoring settings page (/manage/scoring/): weights, half-life, mass mail, re-score now."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from activities import scoring_policy
from activities.forms import apply_service_errors
from activities.models import ScoringPolicy
from activities.scoring import BAND_THRESHOLDS
from relintel.accounts.decorators import admin_required
from relintel.accounts.models import Membership


def _weight(label: str, help_text: str) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        help_text=help_text,
        min_value=0,
        max_value=scoring_policy.MAX_WEIGHT,
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )


class ScoringPolicyForm(forms.Form):
    meeting_weight = _weight("Meeting", "Each meeting with the contact.")
    call_weight = _weight("Call", "Each call.")
    two_way_email_weight = _weight("Two-way email", "Each email in a thread with mail both ways.")
    one_way_email_weight = _weight("One-way email", "Each email nobody answered.")
    note_weight = _weight("Note", "Each note written about them (0: a note is not a conversation).")
    help_weight = _weight("Help", "Each delivered help offer, given or received.")
    half_life_days = forms.IntegerField(
        label="Half-life (days)",
        min_value=7,
        max_value=3650,
        help_text="After this many days an interaction counts half; up to twice as long for relationships of two years or more.",
    )
    mass_mail_recipients = forms.IntegerField(
        label="Mass mail above (contacts)",
        min_value=2,
        max_value=1000,
        help_text="Emails to more contacts than this are ignored.",
    )
    reply_owed_working_days = forms.IntegerField(
        label="Reply owed after (working days)",
        min_value=1,
        max_value=30,
        help_text="When an unanswered email becomes a reply owed.",
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in scoring_policy.POLICY_FIELDS}


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _initial(policy: ScoringPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in scoring_policy.POLICY_FIELDS}


@require_http_methods(["GET", "POST"])
@admin_required
def scoring_settings(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    policy = scoring_policy.scoring_policy_get(membership=membership)
    form = ScoringPolicyForm(request.POST if request.method == "POST" else None, initial=_initial(policy))
    if request.method == "POST" and form.is_valid():
        try:
            scoring_policy.scoring_policy_update(membership=membership, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error, field_map={})
        else:
            messages.success(request, "Scoring saved. Every relationship is being re-scored with it.")
            return redirect("activities:scoring_settings")
    return render(
        request,
        "activities/scoring_policy.html",
        {"form": form, "bands": BAND_THRESHOLDS},
        status=400 if form.errors else 200,
    )


@require_POST
@admin_required
def scoring_rescore(request: HttpRequest) -> HttpResponse:
    scoring_policy.scoring_policy_rescore(membership=_membership(request))
    messages.success(request, "Re-scoring every relationship now; bands update in a minute or so.")
    return redirect("activities:scoring_settings")
