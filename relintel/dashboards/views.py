"""Placeholder views: replaced by the real pages (work in progress)."""

from django.http import Http404


def home(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def team(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")
