"""The demo's interactions, streamed: email threads, meetings, calls and notes per relationship.

Pure: yields row tuples (see ``relintel.demo.bulk``) and remembers, per contact,
the first and last time anyone talked to them.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from relintel.demo import data
from relintel.demo.generate import DEMO_TIMEZONE, ORG_DOMAIN, UTC, ContactPlan, RelationshipPlan, Rhythm, stage_rng

InteractionRow = tuple[object, ...]
ParticipantRow = tuple[object, ...]

_KIND_MIX: dict[Rhythm, tuple[tuple[str, ...], tuple[float, ...]]] = {
    # (email out, email in, meeting, call, note)
    Rhythm.STRONG: (("out", "in", "meeting", "call", "note"), (0.34, 0.33, 0.15, 0.13, 0.05)),
    Rhythm.FADING: (("out", "in", "meeting", "call", "note"), (0.38, 0.32, 0.10, 0.12, 0.08)),
    Rhythm.ONE_WAY: (("out", "call", "note"), (0.85, 0.10, 0.05)),
    Rhythm.NEW: (("out", "in", "meeting", "call"), (0.40, 0.30, 0.20, 0.10)),
    Rhythm.OCCASIONAL: (("out", "in", "meeting", "call", "note"), (0.40, 0.35, 0.05, 0.15, 0.05)),
}
_SOURCE = {"email": "imap", "meeting": "caldav", "call": "manual", "note": "manual"}


@dataclass(frozen=True)
class UserInfo:
    email: str
    full_name: str
    team_id: int | None


@dataclass
class _Thread:
    topic: str
    root: str
    direction: str
    day: int


@dataclass
class Timeline:
    """Turns relationship plans into interaction and participant rows."""

    seed: int
    organization_id: int
    today: datetime.date
    first_id: int
    users: dict[int, UserInfo]
    teammates: dict[int, list[int]]
    contacts: dict[int, ContactPlan]
    first_at: dict[int, datetime.datetime] = field(default_factory=dict)
    last_at: dict[int, datetime.datetime] = field(default_factory=dict)
    count: int = 0

    def rows(self, plans: list[RelationshipPlan]) -> Iterator[tuple[InteractionRow, list[ParticipantRow]]]:
        rng = stage_rng(self.seed, "interactions")
        for plan in plans:
            yield from self._relationship(rng, plan)

    # --- one relationship -----------------------------------------------------

    def _days(self, rng: random.Random, plan: RelationshipPlan) -> list[int]:
        """Whole days ago (≥ 1, weekdays only), oldest first; the last one is the span's end."""
        start, end, n = plan.start_days_ago, plan.end_days_ago, plan.events
        if plan.rhythm is Rhythm.STRONG and n > 1:
            # Regular cadence: evenly spaced, with a little jitter.
            step = (start - end) / (n - 1)
            raw = [end + step * i + rng.uniform(-step / 3, step / 3) for i in range(n)]
            raw[0] = end
        else:
            raw = [end] + [rng.uniform(end, start) for _ in range(n - 1)]
        days = []
        for value in raw:
            day = int(max(value, end)) + 1
            weekday = (self.today - datetime.timedelta(days=day)).weekday()
            if weekday == 5:  # Saturday → Friday
                day += 1
            elif weekday == 6:  # Sunday → Friday too, never into today
                day += 2
            days.append(day)
        days.sort(reverse=True)
        return days

    def _at(self, rng: random.Random, day: int, *, meeting: bool = False) -> datetime.datetime:
        minutes = rng.randrange(9 * 2, 17 * 2) * 30 if meeting else rng.randrange(8 * 60 + 15, 18 * 60 + 30)
        wall = datetime.datetime.combine(self.today - datetime.timedelta(days=day), datetime.time())
        # Wall-clock working hours in New York (DST included), stored in UTC.
        return (wall + datetime.timedelta(minutes=minutes)).replace(tzinfo=DEMO_TIMEZONE).astimezone(UTC)

    def _relationship(
        self, rng: random.Random, plan: RelationshipPlan
    ) -> Iterator[tuple[InteractionRow, list[ParticipantRow]]]:
        contact = plan.contact
        user = self.users[plan.user_id]
        kinds, weights = _KIND_MIX[plan.rhythm]
        thread: _Thread | None = None
        two_way = plan.rhythm is not Rhythm.ONE_WAY
        for day in self._days(rng, plan):
            choice = rng.choices(kinds, weights=weights)[0]
            self.count += 1
            iid = self.first_id + self.count - 1
            if choice in ("out", "in"):
                if thread is None or thread.day - day > 21 or rng.random() < 0.35:
                    topic = rng.choice(data.EMAIL_TOPICS).format(q=rng.randint(1, 4))
                    thread = _Thread(topic, "", "outbound" if choice == "out" else "inbound", day)
                    subject = topic
                else:
                    flip = two_way and rng.random() < 0.75
                    thread.direction = (
                        {"outbound": "inbound", "inbound": "outbound"}[thread.direction] if flip else thread.direction
                    )
                    thread.day = day
                    subject = f"Re: {thread.topic}"
                row, people = self._email(rng, iid, plan, user, contact, thread, subject, day)
            elif choice == "meeting":
                row, people = self._meeting(rng, iid, plan, user, contact, day)
            else:
                row, people = self._call_or_note(rng, iid, choice, plan, user, contact, day)
            occurred = row[3]
            assert isinstance(occurred, datetime.datetime)
            for person in people:
                contact_id = person[1]
                if isinstance(contact_id, int):
                    if contact_id not in self.first_at or occurred < self.first_at[contact_id]:
                        self.first_at[contact_id] = occurred
                    if contact_id not in self.last_at or occurred > self.last_at[contact_id]:
                        self.last_at[contact_id] = occurred
            yield row, people

    def _visibility(self, rng: random.Random) -> str:
        roll = rng.random()
        return "private" if roll < 0.05 else "organization" if roll < 0.15 else "team"

    def _row(
        self,
        rng: random.Random,
        *,
        iid: int,
        plan: RelationshipPlan,
        kind: str,
        at: datetime.datetime,
        subject: str,
        body: str = "",
        direction: str,
        duration: int | None = None,
        external_id: str = "",
        thread_id: str = "",
    ) -> InteractionRow:
        captured = at + datetime.timedelta(minutes=rng.randint(1, 30))
        return (
            iid,
            self.organization_id,
            kind,
            at,
            duration,
            subject,
            body,
            direction,
            _SOURCE[kind],
            external_id,
            thread_id,
            self._visibility(rng),
            plan.user_id,
            self.users[plan.user_id].team_id,
            captured,
            captured,
            "[]",  # attachments: demo mail carries none
            "",  # external_version: only captured meetings have one
        )

    def _colleague(self, rng: random.Random, contact: ContactPlan) -> ContactPlan | None:
        others = contact.company.contact_ids
        if len(others) < 2:
            return None
        pick = others[rng.randrange(len(others))]
        return self.contacts[pick] if pick != contact.id else None

    def _email(
        self,
        rng: random.Random,
        iid: int,
        plan: RelationshipPlan,
        user: UserInfo,
        contact: ContactPlan,
        thread: _Thread,
        subject: str,
        day: int,
    ) -> tuple[InteractionRow, list[ParticipantRow]]:
        direction = thread.direction
        sender_domain = ORG_DOMAIN if direction == "outbound" else contact.emails[0].rsplit("@", 1)[1]
        message_id = f"<demo.{self.seed}.{iid}@mail.{sender_domain}>"
        if not thread.root:
            thread.root = message_id
        body = rng.choice(data.EMAIL_SNIPPETS) if rng.random() < 0.4 else ""
        row = self._row(
            rng,
            iid=iid,
            plan=plan,
            kind="email",
            at=self._at(rng, day),
            subject=subject,
            body=body,
            direction=direction,
            external_id=message_id,
            thread_id=thread.root,
        )
        user_role, contact_role = ("from", "to") if direction == "outbound" else ("to", "from")
        people: list[ParticipantRow] = [
            (iid, None, plan.user_id, user.email, user.full_name, user_role, ""),
            (iid, contact.id, None, contact.emails[0], contact.full_name, contact_role, ""),
        ]
        if rng.random() < 0.12:
            colleague = self._colleague(rng, contact)
            if colleague is not None:
                people.append((iid, colleague.id, None, colleague.emails[0], colleague.full_name, "cc", ""))
        return row, people

    def _meeting(
        self, rng: random.Random, iid: int, plan: RelationshipPlan, user: UserInfo, contact: ContactPlan, day: int
    ) -> tuple[InteractionRow, list[ParticipantRow]]:
        outbound = rng.random() < 0.75
        topic = rng.choice(data.MEETING_TOPICS)
        row = self._row(
            rng,
            iid=iid,
            plan=plan,
            kind="meeting",
            at=self._at(rng, day, meeting=True),
            subject=f"{topic}: {contact.company.name} × Northwind",
            direction="outbound" if outbound else "inbound",
            duration=rng.choice((30, 30, 45, 60, 60, 90)),
            external_id=f"demo-{self.seed}-{iid}@{ORG_DOMAIN}",
        )
        people: list[ParticipantRow] = [
            (iid, None, plan.user_id, user.email, user.full_name, "organizer" if outbound else "attendee", "accepted"),
            (
                iid,
                contact.id,
                None,
                contact.emails[0],
                contact.full_name,
                "attendee" if outbound else "organizer",
                "accepted",
            ),
        ]
        seen = {contact.id}
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            colleague = self._colleague(rng, contact)
            if colleague is not None and colleague.id not in seen:
                seen.add(colleague.id)
                status = rng.choices(("accepted", "tentative", "declined"), weights=(85, 10, 5))[0]
                people.append((iid, colleague.id, None, colleague.emails[0], colleague.full_name, "attendee", status))
        mates = self.teammates.get(plan.user_id, [])
        if mates and rng.random() < 0.25:
            mate_id = mates[rng.randrange(len(mates))]
            mate = self.users[mate_id]
            people.append((iid, None, mate_id, mate.email, mate.full_name, "attendee", "accepted"))
        return row, people

    def _call_or_note(
        self,
        rng: random.Random,
        iid: int,
        kind: str,
        plan: RelationshipPlan,
        user: UserInfo,
        contact: ContactPlan,
        day: int,
    ) -> tuple[InteractionRow, list[ParticipantRow]]:
        if kind == "call":
            inbound = plan.rhythm is not Rhythm.ONE_WAY and rng.random() < 0.3
            topic = "Left voicemail" if plan.rhythm is Rhythm.ONE_WAY else rng.choice(data.CALL_TOPICS)
            row = self._row(
                rng,
                iid=iid,
                plan=plan,
                kind="call",
                at=self._at(rng, day),
                subject=topic,
                body=f"Spoke with {contact.first_name} about {rng.choice(data.EMAIL_TOPICS).format(q=2).lower()}."
                if topic != "Left voicemail"
                else "",
                direction="inbound" if inbound else "outbound",
                duration=rng.randint(2, 40),
            )
            user_role, contact_role = ("to", "from") if inbound else ("from", "to")
        else:
            topic = rng.choice(data.NOTE_TOPICS)
            row = self._row(
                rng,
                iid=iid,
                plan=plan,
                kind="note",
                at=self._at(rng, day),
                subject=topic,
                body=f"{topic} ({contact.company.name}).",
                direction="outbound",
            )
            user_role, contact_role = "organizer", "attendee"
        people: list[ParticipantRow] = [
            (iid, None, plan.user_id, user.email, user.full_name, user_role, ""),
            (iid, contact.id, None, "", contact.full_name, contact_role, ""),
        ]
        return row, people
