"""The mapping page (/manage/salesforce/mapping/): which Salesforce field each local field fills,
per object, offered from Salesforce's describe (only fields that exist and are writable).

Saving checks every enabled object against the org and saves all of them or none; "Check the
org" re-reads the describes and lists every problem with its remedy.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from relintel.accounts.decorators import admin_required
from relintel.accounts.models import Membership
from sync import selectors, services
from sync.forms import mapping_prefix, parse_mapping_post


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _render(
    request: HttpRequest,
    page: selectors.MappingPage,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = []
    for row in page.rows:
        prefix = mapping_prefix(row.input.local_kind, row.input.sobject)
        offered = {choice.name for choice in row.choices}
        chosen = row.input.field_map
        rows.append(
            {
                "row": row,
                "prefix": prefix,
                "errors": (errors or {}).get(row.input.key, []),
                "problems": (page.problems or {}).get(row.input.key, []),
                "fields": [
                    {"choice": c, "name": f"{prefix}__f__{c.name}", "selected": chosen.get(c.name, "")}
                    for c in row.choices
                ],
                # Mapped, but the org no longer offers them: kept in the form so saving says what to do.
                "unavailable": [
                    {"sf": sf, "name": f"{prefix}__f__{sf}", "selected": local}
                    for sf, local in sorted(chosen.items())
                    if sf not in offered
                ],
            }
        )
    return render(
        request,
        "sync/mapping.html",
        {
            "page": page,
            "rows": rows,
            "general_errors": (errors or {}).get("__all__", []),
            "checked": page.problems is not None,
            "problem_count": sum(len(p) for p in (page.problems or {}).values()),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@admin_required
def mapping_page(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    page = selectors.mapping_page_of(membership=membership)
    if request.method != "POST" or not page.connected:
        return _render(request, page)
    objects = parse_mapping_post(request.POST, page.rows)
    try:
        result = services.object_mapping_save(membership=membership, objects=objects)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        # Show what was posted, so the admin fixes it rather than starting over.
        posted = {item.key: item for item in objects}
        for row in page.rows:
            row.input = posted.get(row.input.key, row.input)
        messages.error(request, "Nothing was saved: fix the problems below (each says what to do).")
        return _render(request, page, errors=errors, status=400)
    for warning in result.warnings:
        messages.warning(request, str(warning))
    messages.success(request, "Mapping saved for every object.")
    return redirect("sync:mapping")


@never_cache
@require_POST
@admin_required
def mapping_check(request: HttpRequest) -> HttpResponse:
    """Re-read the org's describes and list every problem of the saved mapping."""
    page = selectors.mapping_page_of(membership=_membership(request), check=True)
    return _render(request, page)
