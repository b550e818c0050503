"""Field-by-field resolution of a pulled record against Relintel's values and the last agreed ones."""

from __future__ import annotations

import datetime

import pytest

from sync.salesforce import conflicts
from sync.salesforce.conflicts import RELINTEL_KEPT, SALESFORCE_KEPT, resolve

EARLY = datetime.datetime(2025, 1, 1, 10, 0, tzinfo=datetime.UTC)
LATE = EARLY + datetime.timedelta(hours=1)
BASE = {"Title": "CTO", "Email": "jane@initech.example", "Phone": ""}


def test_a_change_made_only_in_salesforce_is_applied():
    result = resolve(
        remote={**BASE, "Title": "CEO"}, local=BASE, baseline=BASE, local_dirty=False, policy="relintel_wins"
    )
    assert result.apply == {"Title": "CEO"}
    assert result.conflicts == []
    assert result.baseline["Title"] == "CEO"


def test_the_echo_of_our_own_push_changes_nothing():
    result = resolve(remote=dict(BASE), local=BASE, baseline={}, local_dirty=False, policy="salesforce_wins")
    assert result.echo
    assert result.baseline == BASE


def test_empty_and_none_and_case_of_emails_are_the_same_value():
    remote = {"Title": "CTO ", "Email": "Jane@Initech.example", "Phone": None}
    assert resolve(remote=remote, local=BASE, baseline=BASE, local_dirty=False, policy="salesforce_wins").echo


def test_a_change_made_only_in_relintel_is_left_for_the_push():
    local = {**BASE, "Title": "VP"}
    result = resolve(remote=BASE, local=local, baseline=BASE, local_dirty=True, policy="salesforce_wins")
    assert result.echo
    assert result.local_only == ["Title"]
    assert result.baseline["Title"] == "CTO"  # still known as a local change next time


def test_different_fields_changed_on_each_side_are_no_conflict():
    local = {**BASE, "Title": "VP"}
    remote = {**BASE, "Phone": "+14155550123"}
    result = resolve(remote=remote, local=local, baseline=BASE, local_dirty=True, policy="relintel_wins")
    assert result.apply == {"Phone": "+14155550123"}
    assert result.conflicts == []


@pytest.mark.parametrize(
    ("policy", "local_at", "remote_at", "kept"),
    [
        ("salesforce_wins", LATE, EARLY, SALESFORCE_KEPT),
        ("relintel_wins", EARLY, LATE, RELINTEL_KEPT),
        ("newest_wins", LATE, EARLY, RELINTEL_KEPT),
        ("newest_wins", EARLY, LATE, SALESFORCE_KEPT),
    ],
)
def test_the_same_field_changed_on_both_sides_follows_the_policy(policy, local_at, remote_at, kept):
    result = resolve(
        remote={**BASE, "Title": "CEO"},
        local={**BASE, "Title": "VP"},
        baseline=BASE,
        local_dirty=True,
        policy=policy,
        local_changed_at=local_at,
        remote_changed_at=remote_at,
    )
    assert result.conflicts == [conflicts.Conflict("Title", "VP", "CEO", kept)]
    assert result.apply == ({"Title": "CEO"} if kept == SALESFORCE_KEPT else {})
    assert result.repush is (kept == RELINTEL_KEPT)


def test_both_sides_changing_to_the_same_value_is_no_conflict():
    local = remote = {**BASE, "Title": "CEO"}
    assert resolve(remote=remote, local=local, baseline=BASE, local_dirty=True, policy="relintel_wins").echo


def test_an_unknown_baseline_with_unpushed_local_changes_is_a_conflict_not_an_overwrite():
    result = resolve(
        remote={"Title": "CEO"}, local={"Title": "VP"}, baseline={}, local_dirty=True, policy="salesforce_wins"
    )
    assert [c.field for c in result.conflicts] == ["Title"]


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="policy"):
        resolve(remote={}, local={}, baseline={}, local_dirty=False, policy="coin_flip")
