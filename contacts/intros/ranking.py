"""Warm intro paths, the pure part: links in, ranked paths out.

A path to a target is one hop (a teammate who knows the target) or two (a teammate
who knows a bridge contact well, and the bridge shares meetings or email threads with
the target). A chain is as strong as its weakest link, so a two-hop path's strength is
the smaller of its two links; ties go to the shorter path, then to the stronger other
link. No names of interactions, only people and numbers, reach a path.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

# Shared meetings say more than shared threads: a meeting counts as this many threads.
MEETING_WEIGHT = 2.0
# The weighted count at which co-occurrence reaches 50 (of 100).
HALF_AT = 3.0


def cooccurrence_strength(*, meetings: int, threads: int) -> int:
    """0–100 for how well two contacts know each other from what they shared.

    Saturating: one thread is 21, three are 50, a couple of meetings 60, much more ~100.
    """
    weighted = MEETING_WEIGHT * max(meetings, 0) + max(threads, 0)
    if weighted <= 0:
        return 0
    return max(1, min(100, round(100 * (1 - math.pow(0.5, weighted / HALF_AT)))))


@dataclass(frozen=True)
class Link:
    """A teammate's relationship with a contact (the target, or a bridge)."""

    user_id: int
    user_name: str
    contact_id: int
    strength: int


@dataclass(frozen=True)
class Shared:
    """Two contacts (a bridge and a target) seen together: counts only."""

    bridge_id: int
    bridge_name: str
    target_id: int
    meetings: int
    threads: int

    @property
    def strength(self) -> int:
        return cooccurrence_strength(meetings=self.meetings, threads=self.threads)


@dataclass(frozen=True)
class IntroPath:
    target_id: int
    target_name: str
    introducer_id: int
    introducer_name: str
    strength: int  # the weakest link
    teammate_link: int  # the teammate's strength with the target (one hop) or the bridge
    via_id: int | None = None
    via_name: str = ""
    bridge_link: int | None = None  # the bridge's co-occurrence strength with the target
    meetings: int = 0
    threads: int = 0
    is_mine: bool = False  # the asker's own path: ask the bridge yourself

    @property
    def hops(self) -> int:
        return 1 if self.via_id is None else 2

    @property
    def shared_summary(self) -> str:
        parts = []
        if self.meetings:
            parts.append(f"{self.meetings} meeting{'s' if self.meetings != 1 else ''}")
        if self.threads:
            parts.append(f"{self.threads} email thread{'s' if self.threads != 1 else ''}")
        return " and ".join(parts)


def rank_paths(
    *,
    asker_id: int,
    target_names: dict[int, str],
    direct: Iterable[Link],
    shared: Iterable[Shared],
    bridge_links: Iterable[Link],
    knows_well: int,
    limit: int = 25,
) -> list[IntroPath]:
    """Every path to the targets, best first: by weakest link, then fewer hops.

    ``direct``: teammates' links to targets (the asker's own is skipped: no intro needed).
    ``bridge_links``: members' links to bridges; only those of ``knows_well`` or more count,
    the asker's included (a bridge the asker knows well is a path they can walk alone).
    One path per (teammate, target, bridge); a bridge who is themselves a target is skipped.
    """
    paths: list[IntroPath] = []
    for link in direct:
        if link.user_id == asker_id or link.contact_id not in target_names or link.strength <= 0:
            continue
        paths.append(
            IntroPath(
                target_id=link.contact_id,
                target_name=target_names[link.contact_id],
                introducer_id=link.user_id,
                introducer_name=link.user_name,
                strength=link.strength,
                teammate_link=link.strength,
            )
        )
    by_bridge: dict[int, list[Link]] = {}
    for link in bridge_links:
        if link.strength >= knows_well:
            by_bridge.setdefault(link.contact_id, []).append(link)
    for s in shared:
        if s.bridge_id in target_names or s.target_id not in target_names:
            continue
        co = s.strength
        if co <= 0:
            continue
        for link in by_bridge.get(s.bridge_id, ()):
            paths.append(
                IntroPath(
                    target_id=s.target_id,
                    target_name=target_names[s.target_id],
                    introducer_id=link.user_id,
                    introducer_name=link.user_name,
                    strength=min(link.strength, co),
                    teammate_link=link.strength,
                    via_id=s.bridge_id,
                    via_name=s.bridge_name,
                    bridge_link=co,
                    meetings=s.meetings,
                    threads=s.threads,
                    is_mine=link.user_id == asker_id,
                )
            )
    paths.sort(
        key=lambda p: (
            -p.strength,
            p.hops,
            -max(p.teammate_link, p.bridge_link or 0),
            p.target_name,
            p.introducer_name,
            p.via_name,
        )
    )
    return paths[:limit]
