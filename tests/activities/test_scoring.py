"""Relationship strength, the pure core: one table-driven case per rule, and its properties.

No database: ``activities.scoring`` is plain functions over plain data.
"""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activities.scoring import (
    BAND_THRESHOLDS,
    STRONG_MIN,
    HelpFact,
    InteractionFact,
    ScoringWeights,
    band_for,
    effective_half_life,
    explain,
    explain_components,
    rhythm,
    score_relationship,
)

NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)
W = ScoringWeights()


def ago(days: float) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


def email(direction: str, days: float, thread: str = "", contacts: int = 1) -> InteractionFact:
    return InteractionFact("email", direction, ago(days), thread, contacts)


def meeting(days: float, direction: str = "outbound") -> InteractionFact:
    return InteractionFact("meeting", direction, ago(days))


def call(days: float, direction: str = "outbound") -> InteractionFact:
    return InteractionFact("call", direction, ago(days))


def score(facts=(), help_facts=(), weights=W, now=NOW):
    return score_relationship(list(facts), list(help_facts), now=now, weights=weights)


# --- one rule per row: (what, facts on the left, facts on the right) where left is stronger ---

STRONGER_THAN = [
    ("a meeting outweighs a call", [meeting(5)], [call(5)]),
    (
        "a call outweighs an email of a two-way thread",
        [call(5, "inbound"), email("outbound", 100, "t")],
        [email("inbound", 5, "t"), email("outbound", 100, "t")],
    ),
    (
        "a two-way email outweighs a one-way email",
        [email("outbound", 5, "t"), email("inbound", 5, "t")],
        [email("outbound", 5, "t"), email("outbound", 5, "t")],
    ),
    ("what they started outweighs what we started", [call(5, "inbound")], [call(5, "outbound")]),
    ("recent outweighs old", [meeting(2)], [meeting(200)]),
    ("delivered help counts", [call(5)], []),
    (
        "a long-standing relationship fades more slowly",
        [meeting(120), email("inbound", 700)],
        [meeting(120), email("inbound", 121)],
    ),
]


@pytest.mark.parametrize(("rule", "stronger", "weaker"), STRONGER_THAN, ids=[r[0] for r in STRONGER_THAN])
def test_each_rule_orders_two_relationships(rule, stronger, weaker):
    assert score(stronger).strength > score(weaker).strength, rule


def test_help_given_and_received_add_to_strength():
    base = score([call(10)]).strength
    assert score([call(10)], [HelpFact("given", ago(3))]).strength > base
    assert score([call(10)], [HelpFact("received", ago(3))]).strength > base


def test_mass_mail_is_ignored_entirely():
    blast = [email("outbound", d, f"t{d}", contacts=W.mass_mail_recipients + 1) for d in range(1, 30)]
    result = score(blast)
    assert (result.strength, result.interaction_count) == (0, 0)
    assert result.components["mass_mail_ignored"] == 29
    at_the_limit = score([email("outbound", 1, "t", contacts=W.mass_mail_recipients)])
    assert at_the_limit.interaction_count == 1


def test_an_email_is_two_way_when_its_thread_has_both_directions():
    result = score([email("outbound", 3, "a"), email("inbound", 2, "a"), email("outbound", 1, "b")])
    assert result.components["two_way_emails_90d"] == 2
    assert result.components["one_way_emails_90d"] == 1


def test_one_way_outreach_alone_is_capped_below_strong_and_says_so():
    flood = [email("outbound", d / 3, f"t{d}") for d in range(300)]
    result = score(flood, [HelpFact("given", ago(1))] * 5)
    assert result.strength == STRONG_MIN - 1
    assert result.band == "medium"
    assert result.components["capped_one_way"] is True
    assert "outreach alone never makes a strong relationship" in explain(result, now=NOW)


@pytest.mark.parametrize(
    ("what", "facts", "help_facts"),
    [
        ("an inbound email", [email("inbound", 30)], []),
        ("a meeting", [meeting(30)], []),
        ("a call", [call(30)], []),
        ("help received", [], [HelpFact("received", ago(30))]),
    ],
)
def test_reciprocity_comes_from(what, facts, help_facts):
    assert score(facts, help_facts).components["reciprocal"] is True, what


def test_help_given_alone_is_not_reciprocity():
    assert score([email("outbound", 1)], [HelpFact("given", ago(1))]).components["reciprocal"] is False


def test_notes_weigh_nothing_by_default_and_internal_direction_counts_nothing():
    assert score([InteractionFact("note", "outbound", ago(1))]).strength == 0
    assert score([InteractionFact("meeting", "internal", ago(1))]).strength == 0
    heavier_notes = dataclasses.replace(W, note=3.0)
    assert score([InteractionFact("note", "outbound", ago(1))], weights=heavier_notes).strength > 0


def test_a_shorter_half_life_decays_faster():
    facts = [meeting(60), call(45, "inbound")]
    assert score(facts, weights=dataclasses.replace(W, half_life_days=14)).strength < score(facts).strength


def test_effective_half_life_grows_with_tenure_and_is_capped():
    assert effective_half_life(W, 0) == 90
    assert effective_half_life(W, 365) == pytest.approx(135)
    assert effective_half_life(W, 730) == effective_half_life(W, 5000) == pytest.approx(180)


@pytest.mark.parametrize(
    ("strength", "band"),
    [
        (100, "strong"),
        (70, "strong"),
        (69, "medium"),
        (40, "medium"),
        (39, "weak"),
        (15, "weak"),
        (14, "cold"),
        (0, "cold"),
    ],
)
def test_bands_have_documented_thresholds(strength, band):
    assert band_for(strength) == band
    assert dict(BAND_THRESHOLDS)[band] <= strength


def test_counts_and_dates_for_the_row():
    facts = [email("inbound", 10, "a"), email("outbound", 9, "a"), meeting(3), call(1, "inbound")]
    result = score(facts, [HelpFact("given", ago(2)), HelpFact("received", ago(4))])
    assert (result.interaction_count, result.meeting_count, result.inbound_count, result.outbound_count) == (4, 1, 2, 2)
    assert (result.help_given_count, result.help_received_count) == (1, 1)
    assert (result.first_interaction_at, result.last_interaction_at) == (ago(10), ago(1))
    assert (result.last_inbound_at, result.last_outbound_at) == (ago(1), ago(3))


def test_rhythm_is_the_median_gap_and_needs_three_interactions():
    assert rhythm([ago(10), ago(5)]) is None
    assert rhythm([ago(30), ago(20), ago(13), ago(0)]) == 10.0
    assert score([meeting(14), meeting(7), meeting(0)]).rhythm_days == 7.0


def test_an_empty_relationship_is_cold():
    result = score()
    assert (result.strength, result.band, result.rhythm_days) == (0, "cold", None)


def test_the_explanation_names_the_counts_the_last_reply_and_introductions():
    facts = [email("outbound", d, f"t{d // 2}") for d in range(0, 28, 2)] + [
        email("inbound", d + 1, f"t{d // 2}") for d in range(0, 28, 2)
    ]
    facts += [meeting(20), meeting(40), meeting(60)]
    result = score(facts, [HelpFact("given", ago(5), "Ana Ruiz")])
    sentence = explain(result, now=NOW)
    assert sentence.startswith("strong: 28 two-way emails and 3 meetings in 90 days, last reply yesterday")
    assert "you helped them once" in sentence
    assert sentence.endswith("you introduced them to Ana Ruiz.")
    # The page explains a stored row later: "N days ago" moves with the clock.
    later = explain_components(result.band, result.components, now=NOW + datetime.timedelta(days=3))
    assert "last reply 4 days ago" in later


def test_the_explanation_of_a_quiet_relationship():
    sentence = explain(score([meeting(200), email("inbound", 150)]), now=NOW)
    assert sentence == "cold: nothing in the last 90 days, last reply 150 days ago."
    assert explain_components("cold", {}, now=NOW) == "cold: nothing to go on yet."


def test_weights_come_from_the_policy():
    class Policy:
        meeting_weight, call_weight, two_way_email_weight, one_way_email_weight = 9.0, 3.0, 1.5, 0.25
        note_weight, help_weight, half_life_days, mass_mail_recipients = 0.5, 4.0, 30, 5

    weights = ScoringWeights.from_policy(Policy)
    assert (weights.meeting, weights.half_life_days, weights.mass_mail_recipients) == (9.0, 30.0, 5)


# --- properties ----------------------------------------------------------------------

kinds = st.sampled_from(["email", "meeting", "call", "note"])
directions = st.sampled_from(["inbound", "outbound"])
ages = st.floats(min_value=0, max_value=1500, allow_nan=False)
facts_strategy = st.lists(
    st.builds(
        lambda kind, direction, age, thread, contacts: InteractionFact(kind, direction, ago(age), thread, contacts),
        kinds,
        directions,
        ages,
        st.sampled_from(["", "a", "b", "c"]),
        st.integers(min_value=1, max_value=15),
    ),
    max_size=40,
)
help_strategy = st.lists(
    st.builds(lambda d, age: HelpFact(d, ago(age)), st.sampled_from(["given", "received"]), ages), max_size=5
)
weights_strategy = st.builds(
    ScoringWeights,
    meeting=st.floats(0, 20),
    call=st.floats(0, 20),
    two_way_email=st.floats(0, 10),
    one_way_email=st.floats(0, 5),
    note=st.floats(0, 5),
    help=st.floats(0, 20),
    half_life_days=st.floats(7, 730),
    mass_mail_recipients=st.integers(2, 50),
)


@settings(max_examples=200, deadline=None)
@given(facts=facts_strategy, help_facts=help_strategy, weights=weights_strategy, age=st.floats(0, 30))
def test_more_recent_two_way_activity_never_lowers_strength(facts, help_facts, weights, age):
    before = score(facts, help_facts, weights)
    thread = "new-thread"
    more = [*facts, email("outbound", age, thread), email("inbound", age, thread)]
    assert score(more, help_facts, weights).strength >= before.strength
    assert score([*facts, meeting(age, "inbound")], help_facts, weights).strength >= before.strength


@settings(max_examples=200, deadline=None)
@given(
    sent=st.lists(st.tuples(st.sampled_from(["email", "note"]), ages, st.sampled_from(["", "a", "b"])), max_size=200),
    given_help=st.lists(ages, max_size=10),
    weights=weights_strategy,
)
def test_one_way_outreach_is_never_strong(sent, given_help, weights):
    facts = [InteractionFact(kind, "outbound", ago(age), thread) for kind, age, thread in sent]
    result = score(facts, [HelpFact("given", ago(age)) for age in given_help], weights)
    assert result.band != "strong"
    assert result.strength < STRONG_MIN


@settings(max_examples=200, deadline=None)
@given(facts=facts_strategy, help_facts=help_strategy, weights=weights_strategy, days=st.floats(0, 1000))
def test_strength_decays_as_time_passes(facts, help_facts, weights, days):
    # Only the past: something dated ahead of the clock counts as "now" until it happens.
    today = score(facts, help_facts, weights)
    later = score(facts, help_facts, weights, now=NOW + datetime.timedelta(days=days))
    assert later.strength <= today.strength


@settings(max_examples=100, deadline=None)
@given(facts=facts_strategy, help_facts=help_strategy, weights=weights_strategy)
def test_strength_is_within_0_and_100_and_the_order_of_facts_does_not_matter(facts, help_facts, weights):
    result = score(facts, help_facts, weights)
    assert 0 <= result.strength <= 100
    assert result.band == band_for(result.strength)
    assert score(list(reversed(facts)), list(reversed(help_facts)), weights) == result
    assert explain(result, now=NOW).startswith(result.band + ":")
