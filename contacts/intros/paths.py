"""Warm intro paths to a person or a company: the reads (ranking is in ``ranking``).

Bounded for a million interactions: the target's most recent ``SCAN_INTERACTIONS``
participations are read newest first down the ``participant_contact`` index, then the
other contacts on those interactions, then the members' relationships with them. A
fixed number of queries (eight for a contact, six for a company), each by an index and
with a LIMIT, whatever the size of the data. The queries avoid shapes whose plan depends
on fresh statistics (ORDER BY over an IN list, AND-ed organization filters): on the
1M-interaction bench database before any ANALYZE, a contact's paths take ~50 ms.

Privacy: another member's private interactions are left out of who-met-whom, so a
path never rests on something its asker may not know; paths carry people and
strengths only, never a subject. Interactions with a crowd (more than
``CROWD_SIZE`` contacts, a mass mailing or a conference call) say nothing about who
knows whom and are skipped.

Contacts may not import activities (imports point one way), so the participant and
interaction tables are reached through Django's model registry, as ``merge`` does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import F

from contacts.intros.ranking import IntroPath, Link, Shared, cooccurrence_strength, rank_paths
from contacts.models import Company, Contact, Relationship
from contacts.selectors import contacts_for
from relintel.accounts.models import Membership

SCAN_INTERACTIONS = 300  # newest participations of the target(s) read, shared among them
MIN_PER_TARGET = 10
SCAN_PARTICIPANTS = 5000  # co-participant rows read from those interactions
CROWD_SIZE = 15
MAX_BRIDGES = 200
MAX_TARGETS = 50  # a company's people considered, most recently in touch first
KNOWS_WELL = 40  # "medium" and up (activities.scoring bands): someone you can ask a favour
PATH_LIMIT = 25
DIRECT_LIMIT = 500  # relationship rows read for the targets (one per user and contact)
BRIDGE_LINK_LIMIT = 2000


@dataclass(frozen=True)
class IntroPaths:
    """What the paths page shows for one target (a contact, or a company's people)."""

    paths: list[IntroPath]
    my_strength: int | None = None  # the asker's own relationship with a contact target
    targets: list[Contact] = field(default_factory=list)

    @property
    def one_hop(self) -> list[IntroPath]:
        return [p for p in self.paths if p.hops == 1]

    @property
    def two_hop(self) -> list[IntroPath]:
        return [p for p in self.paths if p.hops == 2]


def _active_members(membership: Membership) -> dict[int, str]:
    """Current members' names by user id (someone who left keeps rows, but cannot be asked)."""
    return {
        user_id: full_name or email
        for user_id, full_name, email in Membership.objects.filter(
            organization_id=membership.organization_id, is_active=True, user__is_active=True
        ).values_list("user_id", "user__full_name", "user__email")
    }


def _links(*, members: dict[int, str], contact_ids: list[int], min_strength: int, limit: int) -> list[Link]:
    """Members' relationships with these contacts, strongest first.

    Read by contact only (``relationship_contact_strength``) and narrowed to members
    here: a user filter in SQL tempts a planner without statistics into AND-ing every
    relationship of every member. Tenancy is in the ids: the contacts are the
    organization's, and so are the members.
    """
    if not contact_ids:
        return []
    rows = (
        Relationship.objects.filter(contact_id__in=contact_ids, strength__gte=min_strength)
        .order_by("-strength", "id")
        .values_list("user_id", "contact_id", "strength")[:limit]
    )
    return [
        Link(user_id=user_id, user_name=members[user_id], contact_id=contact_id, strength=strength)
        for user_id, contact_id, strength in rows
        if user_id in members
    ]


def _shared_with(*, membership: Membership, target_ids: list[int]) -> list[Shared]:
    """Contacts who were on the targets' recent meetings and threads, with counts.

    Four short reads, each by an index and none joining the big tables, so the plan
    stays the same whatever the statistics say: the targets' newest participations
    (``participant_contact``), those interactions by primary key (visibility and kind),
    everyone else on them (``interaction_id``), and the bridges' names.
    """
    participant = apps.get_model("activities", "Participant")
    interaction = apps.get_model("activities", "Interaction")
    # Each target's newest, as one UNION ALL of index scans: ORDER BY over an IN list
    # would let the planner walk the whole table backwards by interaction id instead.
    per_target = max(MIN_PER_TARGET, SCAN_INTERACTIONS // len(target_ids))
    branches = [
        participant.objects.filter(contact_id=target_id)
        .order_by("-interaction_id")
        .values_list("interaction_id", "contact_id")[:per_target]
        for target_id in target_ids
    ]
    recent = list(branches[0].union(*branches[1:], all=True)) if len(branches) > 1 else list(branches[0])
    if not recent:
        return []
    # By primary key only, the rest checked here: the plan cannot go wrong (a planner
    # without fresh statistics once chose to read every interaction of the organization).
    thread_of: dict[int, str] = {}
    for pk, organization_id, kind, thread_id, visibility, owner_id in interaction.objects.filter(
        pk__in={i for i, _ in recent}
    ).values_list("pk", "organization_id", "kind", "thread_id", "visibility", "owner_id"):
        if organization_id != membership.organization_id:
            continue
        if visibility == "private" and owner_id != membership.user_id:
            continue
        thread_of[pk] = "meeting" if kind == "meeting" else f"t:{thread_id or pk}"
    targets_of: dict[int, set[int]] = defaultdict(set)
    for interaction_id, contact_id in recent:
        if interaction_id in thread_of:
            targets_of[interaction_id].add(contact_id)
    if not targets_of:
        return []
    targets = set(target_ids)
    others = [
        (interaction_id, contact_id)
        for interaction_id, contact_id in participant.objects.filter(interaction_id__in=list(targets_of))
        .order_by("interaction_id")  # keeps the plan on the interaction_id index, even without statistics
        .values_list("interaction_id", "contact_id")[:SCAN_PARTICIPANTS]
        if contact_id is not None and contact_id not in targets
    ]
    people_on: dict[int, set[int]] = defaultdict(set)
    for interaction_id, contact_id in others:
        people_on[interaction_id].add(contact_id)
    meetings: dict[tuple[int, int], set[int]] = defaultdict(set)
    threads: dict[tuple[int, int], set[str]] = defaultdict(set)
    for interaction_id, contact_id in others:
        if len(people_on[interaction_id]) + len(targets_of[interaction_id]) > CROWD_SIZE:
            continue
        for target_id in targets_of[interaction_id]:
            key = (contact_id, target_id)
            if thread_of[interaction_id] == "meeting":
                meetings[key].add(interaction_id)
            else:
                threads[key].add(thread_of[interaction_id])
    counts = [
        (
            bridge_id,
            target_id,
            len(meetings.get((bridge_id, target_id), ())),
            len(threads.get((bridge_id, target_id), ())),
        )
        for bridge_id, target_id in set(meetings) | set(threads)
    ]
    counts.sort(key=lambda c: (-cooccurrence_strength(meetings=c[2], threads=c[3]), c[0], c[1]))
    counts = counts[:MAX_BRIDGES]
    names = {
        pk: name
        for pk, name, organization_id, merged_into_id in Contact.objects.filter(
            pk__in={c[0] for c in counts}
        ).values_list("pk", "full_name", "organization_id", "merged_into_id")
        if organization_id == membership.organization_id and merged_into_id is None
    }
    return [
        Shared(bridge_id=b, bridge_name=names[b], target_id=t, meetings=mt, threads=th)
        for b, t, mt, th in counts
        if b in names  # merged contacts and (never expected) other organizations' drop out
    ]


def _paths(*, membership: Membership, targets: list[Contact]) -> list[IntroPath]:
    target_ids = [t.pk for t in targets]
    if not target_ids:
        return []
    members = _active_members(membership)
    direct = _links(members=members, contact_ids=target_ids, min_strength=1, limit=DIRECT_LIMIT)
    shared = _shared_with(membership=membership, target_ids=target_ids)
    bridge_ids = sorted({s.bridge_id for s in shared})
    bridge_links = _links(members=members, contact_ids=bridge_ids, min_strength=KNOWS_WELL, limit=BRIDGE_LINK_LIMIT)
    return rank_paths(
        asker_id=membership.user_id,
        target_names={t.pk: t.full_name for t in targets},
        direct=direct,
        shared=shared,
        bridge_links=bridge_links,
        knows_well=KNOWS_WELL,
        limit=PATH_LIMIT,
    )


def intro_paths(
    *, membership: Membership, contact: Contact | None = None, company: Company | None = None
) -> IntroPaths:
    """Warm paths to ``contact``, or to the people of ``company``, best first.

    Pass objects already fetched through the member's selectors (``contact_get``,
    ``company_get``): this does not check tenancy again.
    """
    if (contact is None) == (company is None):
        raise TypeError("intro_paths() takes a contact or a company")
    if contact is not None:
        mine = (
            Relationship.objects.filter(user_id=membership.user_id, contact=contact)
            .values_list("strength", flat=True)
            .first()
        )
        return IntroPaths(paths=_paths(membership=membership, targets=[contact]), my_strength=mine, targets=[contact])
    targets = company_targets(membership=membership, company=company)  # type: ignore[arg-type]
    return IntroPaths(paths=_paths(membership=membership, targets=targets), targets=targets)


def company_targets(*, membership: Membership, company: Company) -> list[Contact]:
    """The company's people considered as targets: the most recently in touch first, bounded."""
    return list(
        contacts_for(membership=membership)
        .filter(company=company)
        .only("id", "full_name")
        .order_by(F("last_interaction_at").desc(nulls_last=True), "id")[:MAX_TARGETS]
    )
