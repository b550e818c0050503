"""Warm intro paths to a person or a company: the reads (ranking is in ``ranking``).

Bounded for a million interactions: the target's most recent ``SCAN_INTERACTIONS``
participations are read newest first down the ``participant_contact`` index, then the
other contacts on those interactions, then the members' relationships with them. A
fixed number of queries, each with a LIMIT, whatever the size of the data.

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
from django.db.models import F, Q, QuerySet

from contacts.intros.ranking import IntroPath, Link, Shared, rank_paths
from contacts.models import Company, Contact, Relationship
from contacts.selectors import contacts_for
from relintel.accounts.models import Membership

SCAN_INTERACTIONS = 300  # newest participations of the target(s) read
SCAN_PARTICIPANTS = 5000  # co-participant rows read from those interactions
CROWD_SIZE = 15
MAX_BRIDGES = 200
MAX_TARGETS = 50  # a company's people considered, most recently in touch first
KNOWS_WELL = 40  # "medium" and up (activities.scoring bands): someone you can ask a favour
PATH_LIMIT = 25


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


def _active_members(membership: Membership) -> Q:
    # Both conditions in one filter() so they apply to the same membership row.
    return Q(
        user__memberships__organization_id=membership.organization_id,
        user__memberships__is_active=True,
        user__is_active=True,
    )


def _links(rows: QuerySet[Relationship]) -> list[Link]:
    return [
        Link(user_id=r.user_id, user_name=r.user.display_name, contact_id=r.contact_id, strength=r.strength)
        for r in rows
    ]


def _shared_with(*, membership: Membership, target_ids: list[int]) -> list[Shared]:
    """Contacts who were on the targets' recent meetings and threads, with counts."""
    participant = apps.get_model("activities", "Participant")
    visible = ~Q(interaction__visibility="private") | Q(interaction__owner_id=membership.user_id)
    recent = list(
        participant.objects.filter(contact_id__in=target_ids, interaction__organization_id=membership.organization_id)
        .filter(visible)
        .order_by("-interaction_id")
        .values_list("interaction_id", "contact_id", "interaction__kind", "interaction__thread_id")[:SCAN_INTERACTIONS]
    )
    if not recent:
        return []
    targets_of: dict[int, set[int]] = defaultdict(set)
    thread_of: dict[int, str] = {}
    for interaction_id, contact_id, kind, thread_id in recent:
        targets_of[interaction_id].add(contact_id)
        thread_of[interaction_id] = "meeting" if kind == "meeting" else f"t:{thread_id or interaction_id}"
    others = list(
        participant.objects.filter(interaction_id__in=list(targets_of), contact__isnull=False)
        .exclude(contact_id__in=target_ids)
        .filter(contact__merged_into__isnull=True)
        .values_list("interaction_id", "contact_id", "contact__full_name")[:SCAN_PARTICIPANTS]
    )
    people_on: dict[int, set[int]] = defaultdict(set)
    for interaction_id, contact_id, _ in others:
        people_on[interaction_id].add(contact_id)
    names: dict[int, str] = {}
    meetings: dict[tuple[int, int], set[int]] = defaultdict(set)
    threads: dict[tuple[int, int], set[str]] = defaultdict(set)
    for interaction_id, contact_id, name in others:
        if len(people_on[interaction_id]) + len(targets_of[interaction_id]) > CROWD_SIZE:
            continue
        names[contact_id] = name
        for target_id in targets_of[interaction_id]:
            key = (contact_id, target_id)
            if thread_of[interaction_id] == "meeting":
                meetings[key].add(interaction_id)
            else:
                threads[key].add(thread_of[interaction_id])
    shared = [
        Shared(
            bridge_id=bridge_id,
            bridge_name=names[bridge_id],
            target_id=target_id,
            meetings=len(meetings.get((bridge_id, target_id), ())),
            threads=len(threads.get((bridge_id, target_id), ())),
        )
        for bridge_id, target_id in set(meetings) | set(threads)
    ]
    shared.sort(key=lambda s: (-s.strength, s.bridge_id))
    return shared[:MAX_BRIDGES]


def _paths(*, membership: Membership, targets: list[Contact]) -> list[IntroPath]:
    target_ids = [t.pk for t in targets]
    if not target_ids:
        return []
    relationships = Relationship.objects.filter(organization_id=membership.organization_id).filter(
        _active_members(membership)
    )
    direct = _links(
        relationships.filter(contact_id__in=target_ids, strength__gt=0)
        .exclude(user_id=membership.user_id)
        .select_related("user")
        .order_by("-strength", "id")[:100]
    )
    shared = _shared_with(membership=membership, target_ids=target_ids)
    bridge_ids = sorted({s.bridge_id for s in shared})
    bridge_links = (
        _links(
            relationships.filter(contact_id__in=bridge_ids, strength__gte=KNOWS_WELL)
            .select_related("user")
            .order_by("-strength", "id")[:1000]
        )
        if bridge_ids
        else []
    )
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
