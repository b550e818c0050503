"""Matchmaking's pure core: needs against expertise and interests, no database."""

from __future__ import annotations

from contacts.matchmaking.core import Person, find_matches, phrase_match, phrases, stem


def words(text: str) -> list[frozenset[str]]:
    return [p.words for p in phrases(text)]


def test_tags_split_on_commas_semicolons_and_new_lines():
    assert [p.text for p in phrases("CFO search; board building,\nSeries A  fundraising")] == [
        "CFO search",
        "board building",
        "Series A fundraising",
    ]


def test_case_stopwords_and_word_endings_do_not_matter():
    assert words("Looking for a CFO") == words("cfo")
    assert words("hiring engineers") == words("Engineer hires")
    assert stem("investors") == stem("investing") == "invest"


def test_a_field_of_only_stopwords_gives_nothing_to_match():
    assert phrases("looking for someone, ;; ") == []


def test_the_same_phrase_beats_a_contained_one_which_beats_a_partial_one():
    need = phrases("CFO search")[0]
    assert phrase_match(need, phrases("cfo searches")[0]) > phrase_match(phrases("CFO")[0], need)
    contained = phrase_match(phrases("a CFO")[0], phrases("CFO search")[0])
    partial = phrase_match(phrases("climate investors")[0], phrases("climate policy")[0])
    assert contained > partial > 0
    assert phrase_match(phrases("a CFO")[0], phrases("sailing")[0]) == 0


def test_a_need_meets_the_person_who_knows_it_with_a_reason_quoting_both():
    dana = Person(1, "Dana Scully", needs="a CFO")
    lee = Person(2, "Lee Adama", expertise="CFO search; board building")
    [match] = find_matches([dana, lee])
    assert (match.contact_id, match.other_id) == (1, 2)
    assert match.reason == "Dana needs 'a CFO'; Lee knows 'CFO search'"


def test_expertise_outranks_interests_for_the_same_words():
    kim = Person(1, "Kim Possible", needs="climate tech")
    expert = Person(2, "Ola Nord", expertise="climate tech")
    fan = Person(3, "Pat Fan", interests="climate tech")
    matches = find_matches([kim, expert, fan])
    assert [m.other_id for m in matches] == [2, 3]
    assert "Pat is into 'climate tech'" in matches[1].reason


def test_several_matching_needs_rank_a_pair_higher():
    a = Person(1, "Ann", needs="a CFO; Series A fundraising")
    one = Person(2, "Ben", expertise="CFO search")
    both = Person(3, "Cat", expertise="CFO search, Series A fundraising")
    assert [m.other_id for m in find_matches([a, one, both])] == [3, 2]


def test_nobody_is_matched_with_themselves_and_unrelated_people_are_not_matched():
    solo = Person(1, "Solo", needs="a CFO", expertise="CFO search")
    sailor = Person(2, "Sailor", expertise="sailing")
    assert find_matches([solo, sailor]) == []


def test_matches_are_capped_per_person_in_need():
    needy = Person(1, "Needy", needs="a CFO")
    experts = [Person(i, f"Expert {i}", expertise="CFO search") for i in range(2, 10)]
    assert len(find_matches([needy, *experts], per_person=3)) == 3
