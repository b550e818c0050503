"""Ranking warm intro paths, pure: the weakest link decides, shorter paths win ties."""

from __future__ import annotations

from contacts.intros.ranking import Link, Shared, cooccurrence_strength, rank_paths

ASKER = 1
TOM, WES = 2, 3
GRACE = 100  # the target
BOB, CAROL = 200, 201  # bridges


def rank(direct=(), shared=(), bridge_links=(), knows_well=40):
    return rank_paths(
        asker_id=ASKER,
        target_names={GRACE: "Grace Hopper"},
        direct=direct,
        shared=shared,
        bridge_links=bridge_links,
        knows_well=knows_well,
    )


def test_cooccurrence_grows_with_what_was_shared_and_saturates():
    assert cooccurrence_strength(meetings=0, threads=0) == 0
    one_thread = cooccurrence_strength(meetings=0, threads=1)
    assert 0 < one_thread < cooccurrence_strength(meetings=1, threads=0) < cooccurrence_strength(meetings=3, threads=2)
    assert cooccurrence_strength(meetings=50, threads=50) == 100


def test_teammates_who_know_the_target_rank_by_strength():
    paths = rank(direct=[Link(TOM, "Tom", GRACE, 30), Link(WES, "Wes", GRACE, 80)])
    assert [(p.introducer_name, p.strength, p.hops) for p in paths] == [("Wes", 80, 1), ("Tom", 30, 1)]


def test_the_asker_is_not_their_own_one_hop_path():
    assert rank(direct=[Link(ASKER, "Me", GRACE, 90)]) == []


def test_a_two_hop_path_is_as_strong_as_its_weakest_link():
    shared = [Shared(BOB, "Bob", GRACE, meetings=3, threads=2)]  # strong co-occurrence
    [path] = rank(shared=shared, bridge_links=[Link(TOM, "Tom", BOB, 45)])
    assert path.hops == 2 and path.via_name == "Bob"
    assert path.strength == 45 == min(path.teammate_link, path.bridge_link)


def test_a_strong_two_hop_path_outranks_a_weak_one_hop_path():
    shared = [Shared(BOB, "Bob", GRACE, meetings=4, threads=0)]
    paths = rank(direct=[Link(WES, "Wes", GRACE, 20)], shared=shared, bridge_links=[Link(TOM, "Tom", BOB, 90)])
    assert [(p.introducer_name, p.hops) for p in paths] == [("Tom", 2), ("Wes", 1)]


def test_on_equal_strength_the_shorter_path_wins():
    shared = [Shared(BOB, "Bob", GRACE, meetings=1, threads=1)]  # 50
    strength = cooccurrence_strength(meetings=1, threads=1)
    paths = rank(direct=[Link(WES, "Wes", GRACE, strength)], shared=shared, bridge_links=[Link(TOM, "Tom", BOB, 90)])
    assert [p.hops for p in paths] == [1, 2]


def test_a_bridge_only_counts_when_someone_knows_them_well():
    shared = [Shared(BOB, "Bob", GRACE, meetings=2, threads=0)]
    assert rank(shared=shared, bridge_links=[Link(TOM, "Tom", BOB, 39)], knows_well=40) == []


def test_the_askers_own_bridge_is_a_path_they_walk_alone():
    shared = [Shared(CAROL, "Carol", GRACE, meetings=2, threads=0)]
    [path] = rank(shared=shared, bridge_links=[Link(ASKER, "Me", CAROL, 70)])
    assert path.is_mine and path.via_name == "Carol"
    assert path.shared_summary == "2 meetings"
