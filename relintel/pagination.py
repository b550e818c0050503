"""Pages of long lists whose total is counted only up to a cap.

``COUNT(*)`` over 100,000 contacts costs more than the rest of the contacts page together,
and nobody reads "page 1 of 2,000". Past the cap the list says "more than 10,000" and
offers the pages up to it; a search or a filter narrows it down.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A ``Paginator`` whose ``count`` stops at ``cap`` (``is_capped`` says it did)."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, cap: int = COUNT_CAP) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        self.cap = cap

    @cached_property
    def _bounded_count(self) -> int:
        # COUNT(*) over a LIMIT subquery: reads at most cap + 1 index entries.
        return self.queryset[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, self.cap)

    def with_object_list(self, object_list: QuerySet[Any]) -> CappedPaginator:
        """The same list (same count, not counted again) read through another queryset."""
        other = CappedPaginator(object_list, self.per_page, cap=self.cap)
        other.__dict__["_bounded_count"] = self._bounded_count
        return other

    @property
    def is_capped(self) -> bool:
        return self._bounded_count > self.cap
