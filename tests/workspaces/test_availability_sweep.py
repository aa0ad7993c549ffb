"""`queries.availability` (one sort per space, slots shared between spaces) against a
brute-force count of the seats held at every instant of every slot, on random bookings,
across both daylight-saving changes, with closures and every granularity."""

import random
from datetime import UTC, date, datetime, timedelta

from network.cooperative.times import at_minutes
from network.extensions import db
from network.workspaces import queries
from network.workspaces.models import HOLDING, Booking, BookingStatus, Closure, Space

from .conftest import OFFICE_HOURS

NIGHT_AND_DAY = {str(d): [0, 24 * 60] for d in range(7)}


def brute_free(space: Space, bookings: list[Booking], start: datetime, end: datetime, now):
    """Free seats of [start, end): the capacity less the most seats held at any instant."""
    holding = [
        b
        for b in bookings
        if b.space_id == space.id
        and b.status in HOLDING
        and (b.lapses_at is None or b.lapses_at > now)
    ]
    if end <= start:
        return space.capacity
    instants = {start} | {b.start_at for b in holding if start < b.start_at < end}
    most = max(sum(b.seats for b in holding if b.start_at <= t < b.end_at) for t in instants)
    return max(space.capacity - most, 0)


def test_availability_matches_a_brute_force_count(app, make_space, make_member):
    rng = random.Random(6)
    member = make_member()
    spaces = [
        make_space(kind="desk_area", capacity=4),
        make_space(kind="desk_area", capacity=3, slot_minutes=45, opening_hours=NIGHT_AND_DAY),
        make_space(capacity=1, slot_minutes=60),
        make_space(kind="desk_area", capacity=5, granularity="half_days"),
        make_space(kind="desk_area", capacity=2, granularity="days"),
        make_space(capacity=1, opening_hours={"0": [8 * 60 + 15, 18 * 60], "2": [0, 24 * 60]}),
        make_space(kind="desk_area", capacity=6, opening_hours=OFFICE_HOURS),
    ]
    # a week around each change of clocks (Europe/Paris) and an ordinary one
    firsts = [date(2027, 3, 25), date(2027, 10, 28), date(2027, 6, 7)]
    now = datetime(2027, 6, 9, 12, 7, tzinfo=UTC)
    with app.test_request_context():
        db.session.add(
            Closure(space_id=spaces[0], starts_on=date(2027, 3, 27), ends_on=date(2027, 3, 28))
        )
        db.session.add(
            Closure(space_id=spaces[6], starts_on=date(2027, 6, 9), ends_on=date(2027, 6, 9))
        )
        rows = []
        for first in firsts:
            base = at_minutes(first - timedelta(days=1), 0)
            for space_id in spaces:
                for _ in range(60):
                    start = base + timedelta(minutes=15 * rng.randrange(4 * 24 * 9))
                    length = timedelta(minutes=15 * rng.randrange(1, 4 * 24 + 1))  # ≤ 24 h
                    rows.append(
                        Booking(
                            space_id=space_id,
                            member_id=member.id,
                            start_at=start,
                            end_at=start + length,
                            seats=rng.randint(1, 3),
                            status=rng.choice(list(BookingStatus)),
                            lapses_at=rng.choice(
                                [None, None, now - timedelta(minutes=1), now + timedelta(hours=1)]
                            ),
                        )
                    )
        db.session.add_all(rows)
        db.session.commit()
        loaded = [db.session.get(Space, space_id) for space_id in spaces]
        bookings = list(db.session.scalars(db.select(Booking)))
        checked = 0
        for first in firsts:
            grid = queries.availability(loaded, first, 7, now=now)
            for space in loaded:
                for offset, column in enumerate(grid[space.id]):
                    day = first + timedelta(days=offset)
                    assert column.day == day
                    assert column.closure is queries.closure_on(space, day)
                    assert column.open == (
                        queries.opening_of(space, day) is not None and column.closure is None
                    )
                    units = queries.units_of_day(space, day)
                    assert [(s.start_at, s.end_at) for s in column.slots] == [
                        (at_minutes(day, b), at_minutes(day, f)) for b, f in units
                    ]
                    for slot in column.slots:
                        assert slot.past == (slot.start_at < now)
                        expected = brute_free(space, bookings, slot.start_at, slot.end_at, now)
                        assert slot.free == expected, (space.id, slot)
                        checked += 1
        assert checked > 2000
