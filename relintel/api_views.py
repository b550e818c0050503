"""The API's viewsets: rows of the requesting member's organization, and the full set of actions.

A viewset's rows always come from a selector given the requester's membership, so an id of
another organization's row reads like an unknown one (404).
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from rest_framework import mixins, viewsets

from relintel.accounts.models import Membership
from relintel.api_fields import request_membership

_M = TypeVar("_M", bound=Model)


# No docstrings on these classes: the schema generator would take them as every
# operation's description.


class MemberViewSet(viewsets.GenericViewSet[_M]):
    # Rows from ``member_queryset(membership)``, the requester's view of them. Schema
    # generation runs without a member: it gets the class's ``queryset`` (empty).

    def get_queryset(self) -> QuerySet[_M]:
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()  # the class's empty queryset
        return self.member_queryset(request_membership(self.request))

    def member_queryset(self, membership: Membership) -> QuerySet[_M]:
        raise NotImplementedError


class CrudViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    MemberViewSet[_M],
):
    pass  # list, create, read, update and delete the member's rows
