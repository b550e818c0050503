"""View guards: a signed-in member of an organization, optionally with a role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from relintel.accounts.models import Membership, Role
from relintel.accounts.selectors import membership_for_request

View = Callable[..., HttpResponse]


def _guard(roles: tuple[str, ...] | None) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = membership_for_request(request)
            if membership is None:
                return render(request, "accounts/no_membership.html", status=403)
            request.membership = membership  # type: ignore[attr-defined]
            if roles is not None and membership.role not in roles:
                return render(request, "403.html", {"needed_roles": roles}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


member_required = _guard(None)
manager_required = _guard((Role.MANAGER, Role.ADMIN))
admin_required = _guard((Role.ADMIN,))
