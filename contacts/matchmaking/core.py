"""Matchmaking, the pure part: whose needs match whose expertise or interests.

Plain functions over plain data, no database. Text fields are free text or tags
("a CFO; Series A fundraising, climate tech"): commas, semicolons and new lines
separate phrases. Each phrase is normalized (lower case, punctuation and stopwords
dropped, a light suffix-stripping stem), so "hiring a CFO" meets "CFO hires".

A need phrase matches an offer phrase (expertise, or interests at half weight):

* the same phrase: weight 3;
* every word of the need in the offer ("CFO" in "CFO search"), or the reverse: 2;
* otherwise the share of the need's words the offer has (at least one): up to 1.

A pair's score is its best phrase match plus a little for each further one, so
people who match on several needs rank first. The reason quotes the phrases as
written: ``Dana needs 'a CFO'; Lee knows 'CFO search'``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "into",
        "about",
        "as",
        "is",
        "are",
        "be",
        "been",
        "being",
        "our",
        "their",
        "his",
        "her",
        "my",
        "your",
        "its",
        "we",
        "they",
        "he",
        "she",
        "i",
        "you",
        "it",
        "this",
        "that",
        "these",
        "those",
        "some",
        "any",
        "someone",
        "somebody",
        "anyone",
        "who",
        "whom",
        "which",
        "what",
        "need",
        "needs",
        "needed",
        "needing",
        "look",
        "looking",
        "seek",
        "seeking",
        "want",
        "wants",
        "wanted",
        "know",
        "knows",
        "knowing",
        "help",
        "helping",
        "find",
        "finding",
        "get",
        "getting",
        "new",
        "good",
        "great",
        "intro",
        "introduction",
        "introductions",
        "etc",
        "also",
        "very",
        "more",
        "most",
    ]
)

EXACT, CONTAINED, PARTIAL_MAX = 3.0, 2.0, 1.0
EXPERTISE_FACTOR, INTEREST_FACTOR = 1.0, 0.5
EXTRA_MATCH_BONUS = 0.25
MIN_SCORE = 0.5  # below this a shared word is coincidence, not a reason to introduce
_SPLIT = re.compile(r"[,;\n]+")
_WORD = re.compile(r"[a-z0-9][a-z0-9+#&.-]*")


def stem(word: str) -> str:
    """A light stem: plural, -ing, -ed, -er/-or and a final -e go, so hire/hiring/hires/hired meet."""
    w = word.strip(".-")
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif (len(w) > 4 and w.endswith("ed")) or (len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes"))):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 6 and w.endswith(("er", "or")):  # investor/investing, founder/founding
        w = w[:-2]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


@dataclass(frozen=True)
class Phrase:
    text: str  # as written, trimmed
    words: frozenset[str]  # normalized, stemmed, without stopwords


def phrases(text: str) -> list[Phrase]:
    """Split a free-text or tag field into phrases worth matching (empty ones dropped)."""
    found: list[Phrase] = []
    seen: set[frozenset[str]] = set()
    for raw in _SPLIT.split(text or ""):
        shown = " ".join(raw.split())
        words = frozenset(stem(w) for w in _WORD.findall(shown.lower()) if w not in STOPWORDS)
        words = frozenset(w for w in words if w and w not in STOPWORDS)
        if words and words not in seen:
            seen.add(words)
            found.append(Phrase(text=shown[:80], words=words))
    return found


def phrase_match(need: Phrase, offer: Phrase) -> float:
    """How well one offer phrase answers one need phrase, 0 to ``EXACT``."""
    common = need.words & offer.words
    if not common:
        return 0.0
    if need.words == offer.words:
        return EXACT
    if need.words <= offer.words or offer.words <= need.words:
        return CONTAINED
    return min(PARTIAL_MAX, 2 * len(common) / len(need.words | offer.words))


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    needs: str = ""
    expertise: str = ""
    interests: str = ""


@dataclass(frozen=True)
class Match:
    """Introduce ``contact_id`` (who needs) to ``other_id`` (who knows)."""

    contact_id: int
    other_id: int
    score: float
    reason: str


@dataclass(frozen=True)
class _Offer:
    person: Person
    phrase: Phrase
    factor: float
    verb: str


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def find_matches(people: Sequence[Person], *, per_person: int = 3, limit: int = 100) -> list[Match]:
    """Every "A needs what B offers" pair among ``people``, best first.

    An index from word to offers keeps it near-linear: only people sharing a word
    with a need are compared. At most ``per_person`` matches per person in need.
    """
    index: dict[str, list[_Offer]] = defaultdict(list)
    for person in people:
        for field, factor, verb in (
            (person.expertise, EXPERTISE_FACTOR, "knows"),
            (person.interests, INTEREST_FACTOR, "is into"),
        ):
            for phrase in phrases(field):
                offer = _Offer(person=person, phrase=phrase, factor=factor, verb=verb)
                for word in phrase.words:
                    index[word].append(offer)
    matches: list[Match] = []
    for person in people:
        needs = phrases(person.needs)
        if not needs:
            continue
        # other person id -> [(weight, need, offer)]
        hits: dict[int, list[tuple[float, Phrase, _Offer]]] = defaultdict(list)
        for need in needs:
            best: dict[int, tuple[float, Phrase, _Offer]] = {}
            for offer in _offers_for(need, index):
                if offer.person.id == person.id:
                    continue
                weight = phrase_match(need, offer.phrase) * offer.factor
                if weight > 0 and weight > best.get(offer.person.id, (0.0,))[0]:
                    best[offer.person.id] = (weight, need, offer)
            for other_id, hit in best.items():
                hits[other_id].append(hit)
        mine: list[Match] = []
        for other_id, found in hits.items():
            found.sort(key=lambda h: -h[0])
            top_weight, need, offer = found[0]
            score = top_weight + EXTRA_MATCH_BONUS * (len(found) - 1)
            if score < MIN_SCORE:
                continue
            reason = (
                f"{_first_name(person.name)} needs '{need.text}'; "
                f"{_first_name(offer.person.name)} {offer.verb} '{offer.phrase.text}'"
            )
            mine.append(Match(contact_id=person.id, other_id=other_id, score=round(score, 3), reason=reason[:300]))
        mine.sort(key=lambda m: (-m.score, m.other_id))
        matches.extend(mine[:per_person])
    matches.sort(key=lambda m: (-m.score, m.contact_id, m.other_id))
    return matches[:limit]


def _offers_for(need: Phrase, index: dict[str, list[_Offer]]) -> Iterable[_Offer]:
    seen: set[int] = set()
    for word in need.words:
        for offer in index.get(word, ()):
            if id(offer) not in seen:
                seen.add(id(offer))
                yield offer
