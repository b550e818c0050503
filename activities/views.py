"""Placeholder views: replaced by the real pages (work in progress)."""

from django.http import Http404


def contact_page(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def company_page(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def interaction_log(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def interaction_detail(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def interaction_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def interaction_delete(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")
