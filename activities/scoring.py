"""Relationship strength: a pure, explainable score for one user × one contact.

No ORM here: plain data in, plain data out, so the incremental refresh and the full rebuild
(activities.relationships) score with the very same function, and the rules are tested
without a database (tests/activities/test_scoring.py).

The formula
-----------
1. **What counts.** Every interaction the user owns with the contact, and every help offer
   between them that was *delivered* (given or received). Emails to more than
   ``mass_mail_recipients`` contacts are mass mail and ignored entirely; notes weigh
   ``note_weight`` (0 by default: writing about someone is not talking to them); internal
   interactions count nothing.
2. **Weight by channel.** meeting (6) > call (4) > two-way email (2) > one-way email (0.5);
   each delivered help offer, either way, weighs ``help_weight`` (5). An email is *two-way*
   when its thread between the pair has mail in both directions (a reply); otherwise one-way.
3. **Weight by direction.** What the contact started (inbound) counts in full; what we started
   (outbound) counts ``OUTBOUND_FACTOR`` (0.8) of it: their effort is the better evidence.
4. **Decay by age.** Each weight is multiplied by ``0.5 ** (age_days / half_life)``. The
   half-life is the organization's (90 days by default), lengthened for long-standing
   relationships: ``half_life × (1 + TENURE_BONUS × min(tenure_years, TENURE_CAP_YEARS))``,
   i.e. up to twice as slow for a relationship of two years or more, so an old friend fades
   more slowly than someone met last month.
5. **Saturate to 0–100.** ``strength = round(100 × (1 − exp(−activity / SATURATION)))`` where
   ``activity`` is the sum of the decayed weights. More recent activity always adds, with
   diminishing returns.
6. **Reciprocity required.** A relationship is reciprocal when the contact has ever written,
   called or met (an inbound interaction, a two-way email, a meeting or a call) or helped us
   (help received). A one-way relationship is capped at ``STRONG − 1``: outreach alone never
   makes a strong relationship, and the explanation says so.
7. **Bands.** strong ≥ 70, medium ≥ 40, weak ≥ 15, cold below (``BAND_THRESHOLDS``).

Besides the strength, ``score_relationship`` returns the counts and dates the
``Relationship`` row keeps, the pair's rhythm (median days between interactions, ``None``
below three) and ``components``: the JSON-safe facts the contact page explains
(``explain_components``), e.g. "strong: 14 two-way emails and 3 meetings in 90 days,
last reply 4 days ago, you introduced them to Ana Ruiz".
"""

from __future__ import annotations

import datetime
import itertools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Kinds and directions as the database stores them (activities.models), repeated here so
# this module needs no Django import.
EMAIL, MEETING, CALL, NOTE = "email", "meeting", "call", "note"
INBOUND, OUTBOUND, INTERNAL = "inbound", "outbound", "internal"
GIVEN, RECEIVED = "given", "received"

STRONG, MEDIUM, WEAK, COLD = "strong", "medium", "weak", "cold"
# (band, lowest strength in it), strongest first.
BAND_THRESHOLDS: tuple[tuple[str, int], ...] = ((STRONG, 70), (MEDIUM, 40), (WEAK, 15), (COLD, 0))
STRONG_MIN = BAND_THRESHOLDS[0][1]

OUTBOUND_FACTOR = 0.8
SATURATION = 20.0
TENURE_BONUS = 0.5
TENURE_CAP_YEARS = 2.0
WINDOW_DAYS = 90  # "in 90 days" of the explanation
RHYTHM_MIN_INTERACTIONS = 3
DAY = 86400.0
Moment = datetime.datetime | float  # an aware datetime, or POSIX seconds
MAX_INTRODUCED_NAMES = 3


@dataclass(frozen=True)
class ScoringWeights:
    """The organization's tunable part (activities.models.ScoringPolicy)."""

    meeting: float = 6.0
    call: float = 4.0
    two_way_email: float = 2.0
    one_way_email: float = 0.5
    note: float = 0.0
    help: float = 5.0
    half_life_days: float = 90.0
    mass_mail_recipients: int = 10

    @classmethod
    def from_policy(cls, policy: Any) -> ScoringWeights:
        """From a ScoringPolicy row (or anything with its attribute names)."""
        return cls(
            meeting=policy.meeting_weight,
            call=policy.call_weight,
            two_way_email=policy.two_way_email_weight,
            one_way_email=policy.one_way_email_weight,
            note=policy.note_weight,
            help=policy.help_weight,
            half_life_days=float(policy.half_life_days),
            mass_mail_recipients=policy.mass_mail_recipients,
        )


class InteractionFact(NamedTuple):
    """One interaction between the user and the contact, as scoring sees it.

    A named tuple rather than a dataclass: a rebuild makes millions of them.
    """

    kind: str
    direction: str
    occurred_at: Moment
    thread_id: str = ""
    contacts: int = 1  # how many contacts took part (mass mail detection)


class HelpFact(NamedTuple):
    """One delivered help offer between the user and the contact."""

    direction: str  # GIVEN (we helped them) or RECEIVED (they helped us)
    delivered_at: Moment
    intro_name: str = ""  # for an introduction we gave: whom we introduced them to


@dataclass(frozen=True)
class Score:
    strength: int
    band: str
    interaction_count: int
    meeting_count: int
    inbound_count: int
    outbound_count: int
    help_given_count: int
    help_received_count: int
    first_interaction_at: datetime.datetime | None
    last_interaction_at: datetime.datetime | None
    last_inbound_at: datetime.datetime | None
    last_outbound_at: datetime.datetime | None
    rhythm_days: float | None
    components: dict[str, Any] = field(default_factory=dict)


def band_for(strength: int) -> str:
    for band, lowest in BAND_THRESHOLDS:
        if strength >= lowest:
            return band
    return COLD


def _seconds(when: Moment) -> float:
    return when if isinstance(when, float) else when.timestamp()


def _moment(seconds: float | None) -> datetime.datetime | None:
    return None if seconds is None else datetime.datetime.fromtimestamp(seconds, datetime.UTC)


def _age_days(now: datetime.datetime, when: datetime.datetime) -> float:
    # Something dated in the future (a meeting next week) counts as happening now.
    return max(0.0, (now - when).total_seconds() / 86400.0)


def effective_half_life(weights: ScoringWeights, tenure_days: float) -> float:
    years = min(max(tenure_days, 0.0) / 365.0, TENURE_CAP_YEARS)
    return weights.half_life_days * (1.0 + TENURE_BONUS * years)


def two_way_threads(facts: Iterable[InteractionFact]) -> set[str]:
    """Threads with email in both directions between the pair."""
    inbound: set[str] = set()
    outbound: set[str] = set()
    for fact in facts:
        if fact[0] == EMAIL and fact[3]:
            if fact[1] == INBOUND:
                inbound.add(fact[3])
            elif fact[1] == OUTBOUND:
                outbound.add(fact[3])
    return inbound & outbound


class ScoreSeconds(NamedTuple):
    """A ``Score`` with its four times as POSIX seconds (the rebuild writes them as they are)."""

    strength: int
    band: str
    interaction_count: int
    meeting_count: int
    inbound_count: int
    outbound_count: int
    help_given_count: int
    help_received_count: int
    first_interaction_at: float | None
    last_interaction_at: float | None
    last_inbound_at: float | None
    last_outbound_at: float | None
    rhythm_days: float | None
    components: dict[str, Any]


def score_relationship(
    facts: Sequence[InteractionFact],
    help_facts: Sequence[HelpFact],
    *,
    now: datetime.datetime,
    weights: ScoringWeights,
) -> Score:
    """Score one pair from all its interactions and delivered help (any order).

    Times may be aware datetimes or POSIX seconds; either gives the same score.
    """
    s = score_relationship_seconds(facts, help_facts, now=now, weights=weights)
    return Score(
        strength=s.strength,
        band=s.band,
        interaction_count=s.interaction_count,
        meeting_count=s.meeting_count,
        inbound_count=s.inbound_count,
        outbound_count=s.outbound_count,
        help_given_count=s.help_given_count,
        help_received_count=s.help_received_count,
        first_interaction_at=_moment(s.first_interaction_at),
        last_interaction_at=_moment(s.last_interaction_at),
        last_inbound_at=_moment(s.last_inbound_at),
        last_outbound_at=_moment(s.last_outbound_at),
        rhythm_days=s.rhythm_days,
        components=s.components,
    )


def score_relationship_seconds(
    facts: Sequence[InteractionFact],
    help_facts: Sequence[HelpFact],
    *,
    now: datetime.datetime,
    weights: ScoringWeights,
) -> ScoreSeconds:
    """``score_relationship``'s one implementation, its times left as POSIX seconds.

    The rebuild reads seconds and writes seconds, so a million facts never become a
    million datetimes.
    """
    limit = weights.mass_mail_recipients
    # Facts are read by position (kind, direction, occurred_at, thread_id, contacts): a rebuild
    # scores a million of them, and plain tuples of that shape work as well.
    mass = sum(1 for f in facts if f[0] == EMAIL and f[4] > limit)
    kept = [f for f in facts if not (f[0] == EMAIL and f[4] > limit)] if mass else facts
    threads = two_way_threads(kept)
    now_s = now.timestamp()
    ats = [_seconds(f[2]) for f in kept]
    times = sorted(ats)
    help_times = [_seconds(h.delivered_at) for h in help_facts]
    first_seen = min(times[:1] + help_times, default=None)
    tenure_days = max(0.0, (now_s - first_seen) / DAY) if first_seen is not None else 0.0
    # Decay as 2 ** (-age / half-life), age in seconds; an age below 0 (a meeting ahead) is 0.
    per_second = 1.0 / (effective_half_life(weights, tenure_days) * DAY)

    window_start = now_s - WINDOW_DAYS * DAY
    two_way_recent = one_way_recent = sent_recent = meetings_recent = calls_recent = notes_recent = 0
    # math.fsum over the parts: exactly rounded, so the order the facts come in never matters.
    parts: list[float] = []
    reciprocal = False
    inbound = outbound = meetings = 0
    last_in: float | None = None
    last_out: float | None = None
    w_meeting, w_call, w_note = weights.meeting, weights.call, weights.note
    w_two_way, w_one_way = weights.two_way_email, weights.one_way_email
    for fact, at in zip(kept, ats, strict=True):
        kind, direction = fact[0], fact[1]
        two_way = kind == EMAIL and fact[3] in threads
        if kind == MEETING:
            base = w_meeting
            meetings += 1
        elif kind == CALL:
            base = w_call
        elif kind == EMAIL:
            base = w_two_way if two_way else w_one_way
        else:
            base = w_note
        if direction == INBOUND:
            inbound += 1
            if last_in is None or at > last_in:
                last_in = at
            factor = 1.0
        elif direction == OUTBOUND:
            outbound += 1
            if last_out is None or at > last_out:
                last_out = at
            factor = OUTBOUND_FACTOR
        else:
            factor = 0.0
        if not reciprocal and kind != NOTE and (direction == INBOUND or kind in (MEETING, CALL) or two_way):
            reciprocal = True
        if base and factor:
            age = now_s - at
            parts.append(base * factor * 2.0 ** (-(age if age > 0.0 else 0.0) * per_second))
        if at >= window_start:
            if kind == EMAIL:
                if two_way:
                    two_way_recent += 1
                else:
                    one_way_recent += 1
                    if direction == OUTBOUND:
                        sent_recent += 1
            elif kind == MEETING:
                meetings_recent += 1
            elif kind == CALL:
                calls_recent += 1
            else:
                notes_recent += 1

    given = [h for h in help_facts if h.direction == GIVEN]
    received = [h for h in help_facts if h.direction == RECEIVED]
    for at in help_times:
        parts.append(weights.help * 2.0 ** (-max(0.0, now_s - at) * per_second))
    if received:
        reciprocal = True
    activity = math.fsum(parts)

    strength = round(100.0 * (1.0 - math.exp(-max(activity, 0.0) / SATURATION)))
    capped = False
    if not reciprocal and strength >= STRONG_MIN:
        strength, capped = STRONG_MIN - 1, True
    strength = max(0, min(100, strength))
    introduced = sorted({h.intro_name for h in given if h.intro_name})[:MAX_INTRODUCED_NAMES]
    last_at = times[-1] if times else None
    components: dict[str, Any] = {
        "activity": round(activity, 3),
        "recency_days": round(max(0.0, now_s - last_at) / DAY, 1) if last_at is not None else None,
        "frequency_90d": two_way_recent + one_way_recent + meetings_recent + calls_recent + notes_recent,
        "reciprocal": reciprocal,
        "capped_one_way": capped,
        "reciprocity": round(inbound / (inbound + outbound), 3) if inbound + outbound else None,
        "meetings_90d": meetings_recent,
        "calls_90d": calls_recent,
        "two_way_emails_90d": two_way_recent,
        "one_way_emails_90d": one_way_recent,
        "emails_sent_unanswered_90d": sent_recent,
        "help_given": len(given),
        "help_received": len(received),
        "introduced": introduced,
        "mass_mail_ignored": mass,
        "half_life_days": round(effective_half_life(weights, tenure_days), 1),
        "tenure_days": round(tenure_days),
        "last_reply_at": _moment(last_in).isoformat() if last_in is not None else None,  # type: ignore[union-attr]
    }
    return ScoreSeconds(
        strength,
        band_for(strength),
        len(kept),
        meetings,
        inbound,
        outbound,
        len(given),
        len(received),
        times[0] if times else None,
        last_at,
        last_in,
        last_out,
        _rhythm_seconds(times),
        components,
    )


def rhythm(times: Sequence[Moment]) -> float | None:
    """The pair's typical gap: the median of the days between consecutive interactions."""
    return _rhythm_seconds(sorted(_seconds(t) for t in times))


def _rhythm_seconds(ordered: Sequence[float]) -> float | None:
    if len(ordered) < RHYTHM_MIN_INTERACTIONS:
        return None
    return round(statistics.median(b - a for a, b in itertools.pairwise(ordered)) / DAY, 2)


# --- the explanation -------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _ago(days: float) -> str:
    whole = int(days)
    if whole <= 0:
        return "today"
    if whole == 1:
        return "yesterday"
    return f"{whole} days ago"


def explain(score: Score, *, now: datetime.datetime) -> str:
    return explain_components(score.band, score.components, now=now)


def explain_components(band: str, components: Mapping[str, Any], *, now: datetime.datetime) -> str:
    """The sentence the contact page shows: the band, then why.

    Reads only the stored ``components`` (and ``now`` for "4 days ago"), so a page explains
    a row without re-scoring it.
    """
    if not components:
        return f"{band}: nothing to go on yet."
    c = components
    counts = [
        _plural(c.get("two_way_emails_90d", 0), "two-way email") if c.get("two_way_emails_90d") else "",
        _plural(c.get("meetings_90d", 0), "meeting") if c.get("meetings_90d") else "",
        _plural(c.get("calls_90d", 0), "call") if c.get("calls_90d") else "",
        _plural(c.get("one_way_emails_90d", 0), "one-way email") if c.get("one_way_emails_90d") else "",
    ]
    parts = []
    listed = [p for p in counts if p]
    parts.append(f"{_join(listed)} in {WINDOW_DAYS} days" if listed else f"nothing in the last {WINDOW_DAYS} days")
    last_reply = c.get("last_reply_at")
    if last_reply:
        days = _age_days(now, datetime.datetime.fromisoformat(last_reply))
        parts.append(f"last reply {_ago(days)}")
    elif not c.get("reciprocal") and c.get("recency_days") is not None:
        parts.append("no reply yet")
    if c.get("help_given"):
        parts.append(f"you helped them {_times(c['help_given'])}")
    if c.get("help_received"):
        parts.append(f"they helped you {_times(c['help_received'])}")
    if c.get("introduced"):
        parts.append("you introduced them to " + _join(list(c["introduced"])))
    sentence = f"{band}: " + ", ".join(parts)
    if not c.get("reciprocal"):
        sentence += "; one-way so far, and outreach alone never makes a strong relationship"
    return sentence + "."


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")
