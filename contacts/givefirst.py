"""The give-first index: how much a rep gives against how much they ask, over a period.

Definition (shown on the team dashboard with its parts):

* **help delivered** — help the rep *gave* a contact (any kind but an introduction) that
  was delivered in the period (``HelpOffer``: direction given, status delivered,
  ``delivered_at`` in the period);
* **intros made** — introductions the rep delivered in the period: their given help offers
  of kind ``intro``, plus teammates' ``IntroRequest``s they delivered as the introducer
  (a request already linked to the introducer's help offer is counted once, as that offer);
* **asks** — help the rep *received* from contacts, delivered in the period, plus the
  introductions the rep asked teammates for in the period (``IntroRequest``s they made,
  whatever became of them);
* **index** = (help delivered + intros made) / max(asks, 1). Above 1 the rep gives more than
  they ask; a rep who gives without asking scores their giving.

The period is half-open, ``[start, end)``. Three aggregate queries whatever the number of
users or rows, each on an index (``help_user_status_due``, ``intro_introducer_status``,
``intro_requester_status``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q

from contacts.models import HelpDirection, HelpKind, HelpOffer, HelpStatus, IntroRequest, IntroStatus


@dataclass(frozen=True)
class GiveFirstFigures:
    help_delivered: int = 0
    intros_made: int = 0
    asks: int = 0

    @property
    def given(self) -> int:
        return self.help_delivered + self.intros_made

    @property
    def index(self) -> float:
        return self.given / max(self.asks, 1)

    def __add__(self, other: GiveFirstFigures) -> GiveFirstFigures:
        return GiveFirstFigures(
            help_delivered=self.help_delivered + other.help_delivered,
            intros_made=self.intros_made + other.intros_made,
            asks=self.asks + other.asks,
        )


def give_first_total(figures: Iterable[GiveFirstFigures]) -> GiveFirstFigures:
    """The team's figures: the parts summed, the index of the sums (not a mean of indexes)."""
    return sum(figures, GiveFirstFigures())


def give_first_index(
    *, organization_id: int, user_ids: Iterable[int], start: datetime.datetime, end: datetime.datetime
) -> dict[int, GiveFirstFigures]:
    """Each user's give-first figures for ``[start, end)``; every user gets an entry (zeros)."""
    ids = sorted(set(user_ids))
    parts: dict[int, dict[str, int]] = {uid: {"help_delivered": 0, "intros_made": 0, "asks": 0} for uid in ids}
    if not ids:
        return {}
    delivered_in_period = Q(delivered_at__gte=start, delivered_at__lt=end)
    help_rows = (
        HelpOffer.objects.filter(organization_id=organization_id, user_id__in=ids, status=HelpStatus.DELIVERED)
        .filter(delivered_in_period)
        .values("user_id")
        .annotate(
            helped=Count("id", filter=Q(direction=HelpDirection.GIVEN) & ~Q(kind=HelpKind.INTRO)),
            intros=Count("id", filter=Q(direction=HelpDirection.GIVEN, kind=HelpKind.INTRO)),
            received=Count("id", filter=Q(direction=HelpDirection.RECEIVED)),
        )
        .order_by()
    )
    for row in help_rows:
        counts = parts[row["user_id"]]
        counts["help_delivered"] += row["helped"]
        counts["intros_made"] += row["intros"]
        counts["asks"] += row["received"]
    introduced = (
        IntroRequest.objects.filter(
            organization_id=organization_id,
            introducer_id__in=ids,
            status=IntroStatus.DELIVERED,
            help_offer__isnull=True,
        )
        .filter(delivered_in_period)
        .values("introducer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for intro_row in introduced:
        parts[intro_row["introducer_id"]]["intros_made"] += intro_row["n"]
    asked = (
        IntroRequest.objects.filter(
            organization_id=organization_id, requester_id__in=ids, created_at__gte=start, created_at__lt=end
        )
        .values("requester_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for ask_row in asked:
        parts[ask_row["requester_id"]]["asks"] += ask_row["n"]
    return {uid: GiveFirstFigures(**counts) for uid, counts in parts.items()}
