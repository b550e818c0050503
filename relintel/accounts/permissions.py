from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from relintel.accounts.models import Role
from relintel.accounts.selectors import membership_for_request


class IsOrganizationMember(BasePermission):
    """Authenticated, with an active membership; it is put on ``request.membership``."""

    message = "You are not a member of an organization."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        membership = membership_for_request(request)
        if membership is None:
            return False
        request.membership = membership  # type: ignore[attr-defined]
        return True


class IsOrganizationAdmin(IsOrganizationMember):
    message = "Only organization admins may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and request.membership.role == Role.ADMIN  # type: ignore[attr-defined]
