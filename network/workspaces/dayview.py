"""The day view across spaces: spaces grouped by site and kind, each with a few runs of
consecutive bookable units, free (with the fewest seats free along them) or full; units
already begun are left out.

Two hundred spaces of eleven slots were 2,200 slot links and forms (780 KiB of HTML, ~200 ms
of CPU); as runs they are a few links per space. Everything the template shows is computed
here once per distinct value (local times, seat counts, labels: spaces share them), so the
template only loops over strings.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from network.cooperative.times import local_zone
from network.workspaces.models import KIND_LABELS, Space
from network.workspaces.queries import DayColumn, SpaceSummary, availability


@dataclass(frozen=True)
class Row:
    space_id: int
    name: str
    week_url: str
    note: str  # seats and approval, "" for a plain single room
    closed: str  # why nothing is shown ("" when runs are)
    free: list[tuple[str, str]]  # (link to the booking form, "08:00–10:00 · 3 seats free")
    full: list[str]  # "10:00–11:00"


@dataclass
class Group:
    site_id: int
    site_name: str
    kind: str
    rows: list[Row] = field(default_factory=list)


class _Memo(dict):
    """A value per key, computed once by `make(key)`."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


class _Texts:
    """The strings of one page, each translated or formatted once."""

    def __init__(self, day: date) -> None:
        zone = local_zone()
        self.clock = _Memo(lambda moment: moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M"))
        self.seats_free = _Memo(lambda n: ngettext("%(num)s seat free", "%(num)s seats free", n))
        self.note = _Memo(self._note)
        self.closed = _("Closed")
        self.closed_day = _("Closed this day")
        self.nothing = _("Nothing left to book this day")
        self.book_base = url_for("workspaces.book", space_id=0).replace("/0/", "/{}/")
        self.week_base = url_for("workspaces.space", space_id=0, week=day.isoformat()).replace(
            "/0?", "/{}?"
        )

    @staticmethod
    def _note(key: tuple[int, bool]) -> str:
        capacity, approval = key
        parts = [ngettext("%(num)s seat", "%(num)s seats", capacity)] if capacity > 1 else []
        if approval:
            parts.append(_("needs approval"))
        return " · ".join(parts)


def _runs(column: DayColumn, space: Space | SpaceSummary, texts: _Texts) -> tuple[list, list]:
    """The column's units not yet begun as free runs (links) and full runs (text)."""
    runs: list[list[Any]] = []  # [free, start, end, fewest seats free]
    for slot in column.slots:
        if slot.past:
            continue
        free = slot.free > 0
        last = runs[-1] if runs else None
        if last is not None and last[0] == free and last[2] == slot.start_at:
            last[2], last[3] = slot.end_at, min(last[3], slot.free)
        else:
            runs.append([free, slot.start_at, slot.end_at, slot.free])
    clock, book = texts.clock, texts.book_base.format(space.id)
    free_runs, full_runs = [], []
    for free, start, end, seats in runs:
        text = f"{clock[start][11:]}–{clock[end][11:]}"
        if not free:
            full_runs.append(text)
            continue
        if space.capacity > 1:
            text = f"{text} · {texts.seats_free[seats]}"
        free_runs.append((f"{book}?start={clock[start]}", text))
    return free_runs, full_runs


def row_of(space: Space | SpaceSummary, column: DayColumn, texts: _Texts) -> Row:
    free, full = _runs(column, space, texts)
    if column.closure is not None:
        reason = column.closure.reason
        closed = f"{texts.closed} ({reason})" if reason else texts.closed
    elif not column.open:
        closed = texts.closed_day
    else:
        closed = "" if free or full else texts.nothing
    return Row(
        space.id,
        space.name,
        texts.week_base.format(space.id),
        texts.note[(space.capacity, space.needs_approval)],
        closed,
        free,
        full,
    )


def groups(spaces: Sequence[SpaceSummary], day: date) -> list[Group]:
    """The spaces' rows by site, then kind, in the order of `spaces` (one query for all)."""
    grid = availability(spaces, day, 1)
    texts = _Texts(day)
    kinds = {kind: str(label) for kind, label in KIND_LABELS.items()}
    found: dict[tuple[int, str], Group] = {}
    for space in spaces:
        key = (space.site_id, space.kind)
        group = found.get(key)
        if group is None:
            group = found[key] = Group(space.site_id, space.site_name, kinds[space.kind])
        group.rows.append(row_of(space, grid[space.id][0], texts))
    return sorted(found.values(), key=lambda g: (g.site_name, g.kind))


def one_row(space: Space, day: date) -> Row:
    return row_of(space, availability([space], day, 1)[space.id][0], _Texts(day))
