"""The day view across spaces as a few runs per space: consecutive bookable units that are
free (with the fewest seats free along them) or full are one run, past ones are left out.

Two hundred spaces of eleven slots were 2,200 slot links (780 KiB of HTML); as runs they
are a few links per space. Local times are formatted once per instant: spaces share them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for

from network.workspaces.models import Space
from network.workspaces.queries import DayColumn, availability
from network.workspaces.times import local_zone


@dataclass(frozen=True)
class Run:
    free: bool
    start: str  # local "HH:MM"
    end: str
    seats: int  # free runs: the fewest seats free at any of its units
    href: str  # free runs: the booking form for the run's first unit


@dataclass(frozen=True)
class Row:
    space: Space
    column: DayColumn
    runs: list[Run]
    week_url: str


class _Clock:
    """Local "HH:MM" and "YYYY-MM-DDTHH:MM" of UTC instants, each computed once."""

    def __init__(self) -> None:
        self.zone = local_zone()
        self.known: dict[datetime, tuple[str, str]] = {}

    def __call__(self, moment: datetime) -> tuple[str, str]:
        found = self.known.get(moment)
        if found is None:
            local = moment.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M")
            found = self.known[moment] = (local[11:], local)
        return found


def runs_of(column: DayColumn, book_url: str, clock: _Clock) -> list[Run]:
    """The column's units not yet begun, as runs of free or full ones."""
    runs: list[Run] = []
    last_end = None
    for slot in column.slots:
        if slot.past:
            continue
        free = slot.free > 0
        start, start_iso = clock(slot.start_at)
        end, end_iso = clock(slot.end_at)
        if runs and runs[-1].free == free and last_end == slot.start_at:
            previous = runs[-1]
            seats = min(previous.seats, slot.free)
            runs[-1] = Run(free, previous.start, end, seats, previous.href)
        else:
            href = f"{book_url}?start={start_iso}&end={end_iso}" if free else ""
            runs.append(Run(free, start, end, slot.free, href))
        last_end = slot.end_at
    return runs


def rows(spaces: Sequence[Space], day: date) -> list[Row]:
    """One row per space: its day and its runs (one availability query for all)."""
    grid = availability(spaces, day, 1)
    clock = _Clock()
    book_base = url_for("workspaces.book", space_id=0).replace("/0/", "/{}/")
    week_base = url_for("workspaces.space", space_id=0, week=day.isoformat()).replace("/0?", "/{}?")
    found = []
    for space in spaces:
        column = grid[space.id][0]
        book_url = book_base.format(space.id)
        found.append(
            Row(space, column, runs_of(column, book_url, clock), week_base.format(space.id))
        )
    return found
