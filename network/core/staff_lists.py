"""Registry of the support team's follow-up lists (deadlines, contracts ending, unread
notices…): each module registers its own; the staff home shows them all, and each is
exported as CSV and served by the API, without the staff home importing the modules.

CSV: UTF-8 with a byte order mark and `;` between fields, what Excel opens as columns in a
French locale (where `,` is the decimal separator); dates are ISO 8601 (YYYY-MM-DD).
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from network.core.errors import NotFound
from network.core.permissions import Actor, require_staff


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy translatable
    kind: str = "text"  # text, date, count, or days (negative: overdue)


@dataclass(frozen=True)
class StaffList:
    """`load(full)` returns rows: dicts with each column's key, and maybe `_url` (the
    page of the row's subject), `_action` (where the list's `action` button posts); keys
    starting with `_` are for the page only. `full`: every detail (CSV, API) rather than
    what a page shows."""

    name: str
    title: Any
    description: Any
    columns: tuple[Column, ...]
    load: Callable[[bool], list[dict[str, Any]]]
    empty: Any
    action: Any = None  # label of the button each row may have
    position: int = 50  # lists show in this order


STAFF_LISTS: dict[str, StaffList] = {}


def register_staff_list(staff_list: StaffList) -> None:
    STAFF_LISTS[staff_list.name] = staff_list
    ordered = sorted(STAFF_LISTS.values(), key=lambda found: found.position)
    STAFF_LISTS.clear()
    STAFF_LISTS.update((found.name, found) for found in ordered)


def staff_lists(actor: Actor | None) -> list[tuple[StaffList, list[dict[str, Any]]]]:
    """Every list with its rows, for the staff home (staff only)."""
    require_staff(actor)
    return [(found, found.load(False)) for found in STAFF_LISTS.values()]


def staff_list(actor: Actor | None, name: str) -> tuple[StaffList, list[dict[str, Any]]]:
    """One list with all its details (staff only; `NotFound` for an unknown name)."""
    require_staff(actor)
    found = STAFF_LISTS.get(name)
    if found is None:
        raise NotFound()
    return found, found.load(True)


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row for the API: page-only keys left out, dates as ISO strings."""
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in row.items()
        if not key.startswith("_")
    }


def to_csv(found: StaffList, rows: list[dict[str, Any]]) -> str:
    """The rows as CSV text for Excel (see the module's docstring), headed by the labels."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(column.label) for column in found.columns])
    for row in rows:
        writer.writerow([_cell(row.get(column.key)) for column in found.columns])
    return "\ufeff" + out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    text = str(value)
    # A cell starting like a formula would run in the spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
