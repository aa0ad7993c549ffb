"""Demo workspaces: two sites, desks and rooms, and a week of bookings around today."""

import random
from datetime import timedelta

from sqlalchemy import select

from network.cooperative import cooperative_today
from network.cooperative.times import at_minutes
from network.core.permissions import Role
from network.extensions import db
from network.members.models import Member
from network.workspaces.models import (
    Booking,
    BookingStatus,
    Closure,
    Granularity,
    Site,
    Space,
    SpaceKind,
    WorkspacePreference,
)
from network.workspaces.queries import held, peak

WEEK = {str(d): [8 * 60, 19 * 60] for d in range(5)}
SITES = [
    ("Lyon — Croix-Rousse", "12 rue d'Austerlitz, 69004 Lyon"),
    ("Villeurbanne — Gratte-Ciel", "5 avenue Henri Barbusse, 69100 Villeurbanne"),
]
SPACES = [
    # site, name, kind, capacity, granularity, slot, min, max, approval, check-in, equipment
    (
        0,
        "Open space du 1er",
        SpaceKind.DESK_AREA,
        12,
        Granularity.HALF_DAYS,
        30,
        60,
        660,
        False,
        True,
        ["écran 24 pouces", "wifi"],
    ),
    (
        0,
        "Salle Jaurès",
        SpaceKind.MEETING_ROOM,
        1,
        Granularity.SLOTS,
        30,
        30,
        240,
        False,
        False,
        ["vidéoprojecteur", "tableau blanc"],
    ),
    (
        0,
        "Atelier couture",
        SpaceKind.WORKSHOP_ROOM,
        1,
        Granularity.SLOTS,
        60,
        60,
        480,
        True,
        False,
        ["machines à coudre", "table de coupe"],
    ),
    (
        1,
        "Plateau partagé",
        SpaceKind.DESK_AREA,
        8,
        Granularity.HALF_DAYS,
        30,
        60,
        660,
        False,
        True,
        ["wifi"],
    ),
    (
        1,
        "Salle Louise Michel",
        SpaceKind.MEETING_ROOM,
        1,
        Granularity.SLOTS,
        30,
        30,
        240,
        False,
        False,
        ["écran", "visio"],
    ),
    (
        1,
        "Studio photo",
        SpaceKind.EQUIPMENT,
        1,
        Granularity.SLOTS,
        60,
        60,
        480,
        True,
        False,
        ["fond blanc", "éclairage"],
    ),
]


def seed_workspaces() -> None:
    """Seed sites, spaces, a closure and bookings (the caller commits)."""
    if db.session.scalar(select(Site.id).limit(1)):
        return
    sites = [Site(name=name, address=address) for name, address in SITES]
    db.session.add_all(sites)
    spaces = []
    for site, name, kind, capacity, granularity, slot, low, high, approval, check_in, kit in SPACES:
        space = Space(
            site=sites[site],
            name=name,
            kind=kind,
            capacity=capacity,
            granularity=granularity,
            slot_minutes=slot,
            min_minutes=low,
            max_minutes=high,
            needs_approval=approval,
            check_in_required=check_in,
            equipment=kit,
            opening_hours=WEEK,
            description=f"{name} : réservable par tous les membres de la coopérative.",
        )
        spaces.append(space)
    db.session.add_all(spaces)
    db.session.flush()
    today = cooperative_today()
    christmas = today.replace(month=12, day=24)
    if christmas < today:
        christmas = christmas.replace(year=today.year + 1)
    db.session.add(
        Closure(
            space=spaces[2],
            starts_on=christmas,
            ends_on=christmas + timedelta(days=8),
            reason="fêtes de fin d'année",
        )
    )
    members = list(
        db.session.scalars(
            select(Member)
            .where(Member.is_active.is_(True), Member.role == Role.MEMBER)
            .order_by(Member.id)
        )
    )
    if not members:
        return
    random.seed(6)
    for member in members[::3]:
        db.session.add(WorkspacePreference(member_id=member.id, show_presence=True))
    bookings = []
    for offset in range(-3, 8):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for space in spaces:
            if space.kind == SpaceKind.DESK_AREA:
                for member in random.sample(members, min(len(members), space.capacity // 2 + 2)):
                    afternoon = random.random() < 0.4
                    start = at_minutes(day, 13 * 60 if afternoon else 8 * 60)
                    end = at_minutes(day, 19 * 60 if afternoon else 13 * 60)
                    bookings.append((space, member, start, end))
            else:
                for hour in random.sample([9, 10, 11, 14, 15, 16], 3):
                    length = 1 if space.slot_minutes == 60 or random.random() < 0.6 else 2
                    start, end = at_minutes(day, hour * 60), at_minutes(day, (hour + length) * 60)
                    bookings.append((space, random.choice(members), start, end))
    for space, member, start, end in bookings:
        holdings = held([space.id], start, end)[space.id]
        if peak(holdings, start, end) + 1 > space.capacity:
            continue
        past = start.date() < today
        db.session.add(
            Booking(
                space_id=space.id,
                member_id=member.id,
                created_by_id=member.id,
                start_at=start,
                end_at=end,
                seats=1,
                status=BookingStatus.PENDING
                if space.needs_approval and not past and random.random() < 0.5
                else BookingStatus.CONFIRMED,
                checked_in_at=start if past and space.check_in_required else None,
                lapses_at=start + timedelta(minutes=30)
                if space.check_in_required and not past
                else None,
            )
        )
        db.session.flush()
