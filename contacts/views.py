"""Placeholder views: replaced by the real pages (work in progress)."""

from django.http import Http404


def contact_list(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def contact_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def contact_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def contact_delete(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def help_offer_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def company_list(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def company_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def company_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def company_delete(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def help_offer_list(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def help_offer_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def help_offer_transition(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")
