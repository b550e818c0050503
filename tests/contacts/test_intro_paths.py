"""Warm intro paths from the database: who can introduce the rep, ranked by the weakest link.

Rita (rep) wants to meet Grace. Tom (teammate) and Wes (other team) are her colleagues;
Bob is a contact who meets Grace, and whom a colleague may know well.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import InteractionKind, Visibility
from contacts.intros.paths import intro_paths
from contacts.models import Relationship
from tests.factories import CompanyFactory, ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def grace(world):
    return ContactFactory(organization=world.org, full_name="Grace Hopper")


@pytest.fixture
def bob(world):
    return ContactFactory(organization=world.org, full_name="Bob Bridge")


def knows(member, contact, strength):
    return Relationship.objects.create(
        organization_id=member.organization_id, user=member.user, contact=contact, strength=strength
    )


def together(world, *contacts, kind=InteractionKind.MEETING, owner=None, visibility=Visibility.TEAM, thread=""):
    return InteractionFactory(
        organization=world.org,
        owner=(owner or world.teammate).user,
        kind=kind,
        visibility=visibility,
        thread_id=thread,
        contacts=list(contacts),
    )


def summary(found):
    return [(p.introducer_name, p.via_name or None, p.strength) for p in found.paths]


def test_teammates_who_know_the_target_are_one_hop_strongest_first(world, grace):
    knows(world.teammate, grace, 35)
    knows(world.other_rep, grace, 80)
    found = intro_paths(membership=world.rep, contact=grace)
    assert summary(found) == [("Wes West", None, 80), ("Tom Teammate", None, 35)]
    assert [p.hops for p in found.one_hop] == [1, 1]


def test_the_askers_own_relationship_is_reported_not_offered_as_a_path(world, grace):
    knows(world.rep, grace, 55)
    found = intro_paths(membership=world.rep, contact=grace)
    assert found.paths == [] and found.my_strength == 55


def test_a_bridge_who_meets_the_target_and_whom_a_teammate_knows_well_is_a_two_hop_path(world, grace, bob):
    knows(world.teammate, bob, 90)
    for _ in range(3):
        together(world, grace, bob)
    [path] = intro_paths(membership=world.rep, contact=grace).two_hop
    assert (path.introducer_name, path.via_name, path.meetings) == ("Tom Teammate", "Bob Bridge", 3)
    assert path.bridge_link is not None
    assert path.strength == min(90, path.bridge_link)


def test_the_weakest_link_decides_between_one_and_two_hops(world, grace, bob):
    knows(world.other_rep, grace, 20)  # one hop, weak
    knows(world.teammate, bob, 75)  # two hops: strong to Bob, Bob often with Grace
    for _ in range(4):
        together(world, grace, bob)
    paths = intro_paths(membership=world.rep, contact=grace).paths
    assert [(p.introducer_name, p.hops) for p in paths] == [("Tom Teammate", 2), ("Wes West", 1)]
    weak_bridge = paths[0]
    assert weak_bridge.bridge_link is not None
    assert weak_bridge.strength == min(weak_bridge.teammate_link, weak_bridge.bridge_link)


def test_emails_count_by_thread_not_by_message(world, grace, bob):
    knows(world.teammate, bob, 90)
    for _ in range(3):
        together(world, grace, bob, kind=InteractionKind.EMAIL, thread="<t1@x>")
    together(world, grace, bob, kind=InteractionKind.EMAIL, thread="<t2@x>")
    [path] = intro_paths(membership=world.rep, contact=grace).paths
    assert (path.meetings, path.threads) == (0, 2)


def test_a_bridge_nobody_knows_well_is_no_path(world, grace, bob):
    knows(world.teammate, bob, 20)
    together(world, grace, bob)
    assert intro_paths(membership=world.rep, contact=grace).paths == []


def test_someone_elses_private_meeting_is_no_evidence(world, grace, bob):
    knows(world.teammate, bob, 90)
    together(world, grace, bob, owner=world.other_rep, visibility=Visibility.PRIVATE)
    assert intro_paths(membership=world.rep, contact=grace).paths == []
    # ...while the owner's own private meeting counts for the owner.
    assert intro_paths(membership=world.other_rep, contact=grace).paths != []


def test_paths_carry_people_and_numbers_never_a_subject(world, grace, bob):
    knows(world.teammate, bob, 90)
    meeting = together(world, grace, bob)
    [path] = intro_paths(membership=world.rep, contact=grace).paths
    assert meeting.subject not in repr(path)


def test_crowded_mailings_say_nothing_about_who_knows_whom(world, grace, bob):
    knows(world.teammate, bob, 90)
    crowd = [ContactFactory(organization=world.org) for _ in range(20)]
    together(world, grace, bob, *crowd, kind=InteractionKind.EMAIL, thread="<all-hands@x>")
    assert intro_paths(membership=world.rep, contact=grace).paths == []


def test_inactive_members_and_other_organizations_are_never_paths(world, grace):
    knows(world.teammate, grace, 60)
    world.teammate.is_active = False
    world.teammate.save()
    foreign = ContactFactory(organization=world.other_org)
    Relationship.objects.create(organization=world.other_org, user=world.outsider.user, contact=foreign, strength=99)
    assert intro_paths(membership=world.rep, contact=grace).paths == []


def test_a_company_target_ranks_paths_to_all_its_people(world):
    globex = CompanyFactory(organization=world.org, name="Globex")
    hank = ContactFactory(organization=world.org, full_name="Hank Scorpio", company=globex)
    frank = ContactFactory(organization=world.org, full_name="Frank Grimes", company=globex)
    knows(world.teammate, frank, 30)
    knows(world.other_rep, hank, 70)
    found = intro_paths(membership=world.rep, company=globex)
    assert [(p.target_name, p.introducer_name) for p in found.paths] == [
        ("Hank Scorpio", "Wes West"),
        ("Frank Grimes", "Tom Teammate"),
    ]


def test_the_number_of_queries_does_not_grow_with_the_data(world, grace, bob):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            intro_paths(membership=world.rep, contact=grace)
        return len(queries)

    knows(world.teammate, bob, 90)
    together(world, grace, bob)
    few = count()
    for i in range(10):
        other = ContactFactory(organization=world.org)
        knows(world.other_rep if i % 2 else world.teammate, other, 60)
        knows(world.manager, grace, 40) if i == 0 else None
        together(world, grace, other, bob)
    assert count() == few
