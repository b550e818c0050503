"""The rep's Today list, computed on read: ``today_list`` for the page, ``nudge_get`` for one item.

``items`` holds the kinds, the item and group types and the hiding rule; ``rules`` the
selectors, one per nudge rule.
"""

from relintel.dashboards.today.items import (
    COLD,
    DONE_LABELS,
    EMPTY_TEXT,
    HELP,
    INTRO,
    KIND_LABELS,
    KIND_ORDER,
    LIST_LIMIT,
    REPLY,
    SUGGESTION,
    NudgeGroup,
    NudgeItem,
    TodayList,
    hidden_by_action,
)
from relintel.dashboards.today.rules import (
    going_cold,
    help_due,
    intro_requests_waiting,
    nudge_get,
    parse_key,
    replies_owed_items,
    suggested_introductions,
    today_list,
)

__all__ = [
    "COLD",
    "DONE_LABELS",
    "EMPTY_TEXT",
    "HELP",
    "INTRO",
    "KIND_LABELS",
    "KIND_ORDER",
    "LIST_LIMIT",
    "REPLY",
    "SUGGESTION",
    "NudgeGroup",
    "NudgeItem",
    "TodayList",
    "going_cold",
    "help_due",
    "hidden_by_action",
    "intro_requests_waiting",
    "nudge_get",
    "parse_key",
    "replies_owed_items",
    "suggested_introductions",
    "today_list",
]
