"""Building blocks the API's serializers and viewsets share.

Every id a client sends is resolved inside the requester's organization: an id
of another organization's row reads exactly like an unknown one ("No such
company."), so the API never confirms that a foreign row exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.request import Request

from relintel.accounts.models import Membership, User
from relintel.accounts.selectors import organization_members

Scope = Callable[[Membership], QuerySet[Any]]


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id that must name a row ``scope(request.membership)`` returns."""

    def __init__(self, *, scope: Scope, model: type[Model], noun: str, **kwargs: Any) -> None:
        self.scope = scope
        self.noun = noun
        # The empty queryset only tells the schema generator the id's type; lookups use ``scope``.
        kwargs["queryset"] = model._default_manager.none()
        super().__init__(**kwargs)
        self.error_messages["does_not_exist"] = f"No such {noun}."
        self.error_messages["incorrect_type"] = f"Give the {noun}'s id as a number, not {{data_type}}."

    def get_queryset(self) -> QuerySet[Any]:
        return self.scope(request_membership(self.context["request"]))


def member_users(membership: Membership) -> QuerySet[User]:
    """Users with an active membership in ``membership``'s organization."""
    members = organization_members(organization=membership.organization).filter(is_active=True)
    return User.objects.filter(pk__in=members.values("user_id"))


def MemberUserField(**kwargs: Any) -> ScopedPrimaryKeyRelatedField:
    """A user id that must belong to a member of the requester's organization."""
    return ScopedPrimaryKeyRelatedField(scope=member_users, model=User, noun="member", **kwargs)


class RelatedListField(serializers.ListField):
    """A list in, a related set out (``company.domains`` → ``["acme.com"]``).

    With ``attr`` each related row is shown as that attribute; without it, through ``child``.
    """

    def __init__(self, *, attr: str | None = None, **kwargs: Any) -> None:
        self.attr = attr
        super().__init__(**kwargs)

    def to_representation(self, data: Any) -> list[Any]:
        rows = data.all() if hasattr(data, "all") else data
        if self.attr is not None:
            return [getattr(row, self.attr) for row in rows]
        return [self.child.to_representation(row) for row in rows]


def request_membership(request: Request) -> Membership:
    """The membership ``IsOrganizationMember`` put on the request."""
    return request.membership  # type: ignore[attr-defined]


def query_filters(request: Request, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
    """Validate a list's query parameters; a malformed one is a 400 that names it."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
