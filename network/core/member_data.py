"""What each module keeps about a member, declared where the module plugs in: how to export
it (the member's "download my data") and how to erase it when the member leaves.

Every foreign key to `members` must be declared, either as the member's own data
(`register_member_data`: exported, then kept, deleted or blanked at the exit) or as a mere
reference in someone else's record (`register_member_reference`: the staff who decided a
booking; kept, and shown under the former member's anonymised name). A test fails when a
model has a member foreign key that no module declared, so a new module cannot forget its
part. The privacy module reads this registry and never imports the contributors.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, inspect, select, update


class Erase(enum.StrEnum):
    """What happens to a member's rows when they leave the cooperative."""

    KEEP = "keep"  # the collective record stays true (votes, bookings): rows point to the
    # anonymised member
    DELETE = "delete"  # personal data with no collective value (skills, preferences, tokens)
    WRITINGS = "writings"  # what they wrote: kept as written by "Ancien·ne membre", or blanked
    # (`blank`) when the member chose so


@dataclass(frozen=True)
class MemberData:
    """One kind of data of a member: a file of their export and what their exit does to it."""

    name: str  # the export's file name, without ".json": "posts"
    model: Any  # the mapped class
    column: str  # its foreign key to the member: "author_id"
    description: Any  # translatable: what the file holds (the export's README)
    erase: Erase = Erase.KEEP
    #: columns never exported (secrets, derived search keys, another member's data)
    exclude: tuple[str, ...] = ()
    #: WRITINGS: the columns set when the member chose their writings deleted (e.g.
    #: {"body": "", "deleted_at": <now>}); a callable value is called at the exit
    blank: dict[str, Any] | None = None
    #: a custom export: member id → JSON-able rows (replaces the generic one)
    export: Callable[[int], list[dict[str, Any]]] | None = None
    #: a custom eraser: (member id, delete writings) → rows changed (replaces `erase`)
    eraser: Callable[[int, bool], int] | None = None
    #: member id → [(name in the archive, storage key)] of the files the member uploaded
    files: Callable[[int], list[tuple[str, str]]] | None = None
    #: the search kind of these rows, re-indexed at the exit (their documents hold the
    #: author's name, or the text now blanked)
    search_kind: str | None = None


@dataclass(frozen=True)
class MemberReference:
    """A member foreign key in someone else's record (kept: it shows the anonymised name)."""

    model: Any
    column: str
    #: an optional eraser: (member id, delete writings) → rows changed (e.g. a note's author)
    eraser: Callable[[int, bool], int] | None = None


MEMBER_DATA: dict[str, MemberData] = {}
MEMBER_REFERENCES: dict[tuple[str, str], MemberReference] = {}
#: (table, column) → what declared it (data or reference), for the completeness test.
DECLARED: dict[tuple[str, str], Any] = {}


def register_member_data(data: MemberData) -> None:
    MEMBER_DATA[data.name] = data
    DECLARED[(data.model.__tablename__, data.column)] = data


def register_member_reference(model: Any, column: str, eraser=None) -> None:
    reference = MemberReference(model, column, eraser)
    MEMBER_REFERENCES[(model.__tablename__, column)] = reference
    DECLARED[(model.__tablename__, column)] = reference


def plain(value: Any) -> Any:
    """A column's value as JSON can hold it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _columns(model: Any, exclude: tuple[str, ...]) -> list[Any]:
    return [c for c in inspect(model).columns if c.key not in exclude]


def export_rows(data: MemberData, member_id: int) -> list[dict[str, Any]]:
    """The member's rows of `data`, as JSON-able dicts (ordered by primary key)."""
    from network.extensions import db

    if data.export is not None:
        return data.export(member_id)
    columns = _columns(data.model, data.exclude)
    primary = inspect(data.model).primary_key
    rows = db.session.execute(
        select(*columns).where(getattr(data.model, data.column) == member_id).order_by(*primary)
    )
    return [{c.key: plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def count_rows(data: MemberData, member_id: int) -> int:
    from network.extensions import db

    where = getattr(data.model, data.column) == member_id
    return db.session.scalar(select(func.count()).select_from(data.model).where(where)) or 0


def erase_rows(data: MemberData, member_id: int, delete_writings: bool) -> int:
    """Apply `data`'s exit rule to the member's rows; how many rows changed."""
    from network.core.registries import index_later
    from network.extensions import db

    where = getattr(data.model, data.column) == member_id
    if data.search_kind:
        primary = inspect(data.model).primary_key[0]
        for object_id in db.session.scalars(select(primary).where(where)):
            index_later(data.search_kind, object_id)
    if data.eraser is not None:
        return data.eraser(member_id, delete_writings)
    if data.erase == Erase.DELETE:
        return changed_rows(delete(data.model).where(where))
    if data.erase == Erase.WRITINGS and delete_writings and data.blank:
        values = {k: v() if callable(v) else v for k, v in data.blank.items()}
        statement = update(data.model).where(where).values(**values)
        return changed_rows(statement.execution_options(synchronize_session=False))
    return 0


def undeclared_member_keys(models: list[Any]) -> list[tuple[str, str]]:
    """(table, column) of the member foreign keys of `models` that no module declared."""
    missing = []
    for model in models:
        table = model.__table__
        for column in table.columns:
            to_members = any(fk.column.table.name == "members" for fk in column.foreign_keys)
            if to_members and (table.name, column.key) not in DECLARED:
                missing.append((table.name, column.key))
    return missing


def image_files(folder: str, keys: list[str]) -> list[tuple[str, str]]:
    """The full-size files of uploaded images (`network.core.images` keys), as
    (`files/<folder>/<name>.webp`, storage key) pairs."""
    return [(f"files/{folder}/{Path(key).name}.webp", f"{key}-full.webp") for key in keys]


def keys_of(model: Any, column: str, member_column: str, member_id: int) -> list[str]:
    """Every image key listed in the JSON `column` of the member's rows of `model`."""
    from network.extensions import db

    lists = db.session.scalars(
        select(getattr(model, column)).where(getattr(model, member_column) == member_id)
    )
    return [key for keys in lists for key in (keys or [])]


# --- Retention ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    """A kind of data removed once it is old enough, by the daily `flask privacy retention`.

    The duration is a setting of the cooperative (`setting`, in `unit`s); the privacy page
    tells members what is kept, why, for how long and who can see it, from these."""

    name: str  # "direct_messages_of_former_members"
    label: Any  # translatable: what is kept
    why: Any  # translatable: why it is kept
    who: Any  # translatable: who can see it
    setting: str  # the key of its duration setting
    unit: str  # "days", "months" or "years"
    #: cutoff (aware datetime: older goes) → how many rows were removed; flushes, never commits
    apply: Callable[[datetime], int]


RETENTIONS: dict[str, Retention] = {}


def register_retention(retention: Retention) -> None:
    RETENTIONS[retention.name] = retention


def changed_rows(statement: Any) -> int:
    """Run an UPDATE or DELETE in the current session; how many rows it changed."""
    from network.extensions import db

    result: Any = db.session.execute(statement)
    return int(result.rowcount or 0)
