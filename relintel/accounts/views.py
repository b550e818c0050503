"""Placeholder views: replaced by the real pages (work in progress)."""

from django.http import Http404


def profile(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def token_list(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def token_revoke(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def member_list(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def member_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def invitation_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def invitation_revoke(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def team_list(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def team_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def organization_settings(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")


def invitation_accept(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404("not built yet")
