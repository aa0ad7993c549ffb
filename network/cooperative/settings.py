"""The cooperative's settings, read once per request (modules declare theirs with
`network.core.registries.register_setting`).

Statute thresholds (durations, quorums, quotas…) are data of the cooperative, never constants
in code: operations read them through `current_settings()`.

The settings are kept in memory between requests and socket events (reading their row was
a statement of every page and chat message, see docs/benchmarks.md): they are forgotten
whenever the row is written through the ORM (at the flush, and again once the transaction
commits, with a generation number so that settings read before the change are never kept),
as `network.members.kept` does for members. With one process that is all; with several
(`REDIS_URL`) a change made by one does not reach the others' memories, so each keeps them
only `SETTINGS_CACHE_SECONDS` (1 s; 0: the row is read by every request).
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Text, cast, event, select
from sqlalchemy.orm import object_session

from network.core.events import after_commit
from network.core.kept import Kept
from network.core.registries import SETTINGS
from network.extensions import db


@dataclass(frozen=True)
class Settings:
    name: str
    timezone: str
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key, SETTINGS[key].default)


def load_cooperative():
    """The cooperative row, created with defaults on first use."""
    from network.cooperative.models import Cooperative

    cooperative = db.session.get(Cooperative, 1)
    if cooperative is None:
        cooperative = Cooperative(id=1, name="Terreau", timezone="Europe/Paris", values={})
        db.session.add(cooperative)
        db.session.flush()
    return cooperative


def forget_settings() -> None:
    """Drop this request's cached settings (after a change)."""
    g.pop("terreau_settings", None)


def cooperative_today() -> date:
    """Today's date in the cooperative's time zone (not the server's)."""
    return datetime.now(ZoneInfo(current_settings().timezone)).date()


#: The row as last read (name, time zone, values as stored) and the settings made of it.
_last_read: tuple[Any, Settings] | None = None

KEY = "terreau_kept_settings"
ROW = 1  # the one row kept


def init_kept_settings(app: Flask) -> None:
    lifetime = app.config["SETTINGS_CACHE_SECONDS"] if app.config["REDIS_URL"] else None
    app.extensions[KEY] = Kept[int, Settings](lifetime) if lifetime != 0 else None


def forget_kept_settings() -> None:
    """Forget the settings kept in memory (the row changed)."""
    kept = current_app.extensions.get(KEY) if has_app_context() else None
    if kept is not None:
        kept.forget(ROW)


def current_settings() -> Settings:
    """The settings, read once per request (every socket event is one), or kept in memory
    between requests."""
    if "terreau_settings" not in g:
        kept: Kept[int, Settings] | None = current_app.extensions.get(KEY)
        found = kept.get(ROW) if kept is not None else None
        if found is None:
            generation = kept.generation(ROW) if kept is not None else 0
            found = _read_settings()
            if kept is not None:
                kept.keep(ROW, found, generation)
        g.terreau_settings = Settings(found.name, found.timezone, dict(found.values))
    return g.terreau_settings


def _read_settings() -> Settings:
    """The settings from their row: its stored text is compared with the last one read, and
    decoded again only when it changed."""
    global _last_read
    row = db.session.execute(_SETTINGS_ROW).first()
    key = tuple(row) if row else None
    if _last_read is None or _last_read[0] != key:
        _last_read = (
            key,
            Settings(
                name=row[0] if row else "Terreau",
                timezone=row[1] if row else "Europe/Paris",
                values=json.loads(row[2]) if row and row[2] else {},
            ),
        )
    return _last_read[1]


def _changed(_mapper: Any, _connection: Any, cooperative: Any) -> None:
    forget_kept_settings()
    session = object_session(cooperative)
    if session is not None:
        after_commit(session, forget_kept_settings)


def listen_for_changes() -> None:
    from network.cooperative.models import Cooperative

    for name in ("after_insert", "after_update", "after_delete"):
        if not event.contains(Cooperative, name, _changed):
            event.listen(Cooperative, name, _changed)


def _settings_row() -> Any:
    from network.cooperative.models import Cooperative

    table = Cooperative.__table__
    return select(table.c.name, table.c.timezone, cast(table.c["values"], Text)).where(
        table.c.id == 1
    )


_SETTINGS_ROW = _settings_row()
