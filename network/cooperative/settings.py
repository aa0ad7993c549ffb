"""The cooperative's settings, read once per request (modules declare theirs with
`network.core.registries.register_setting`).

Statute thresholds (durations, quorums, quotas…) are data of the cooperative, never constants
in code: operations read them through `current_settings()`.
"""

import json
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g
from sqlalchemy import Text, cast, event, select
from sqlalchemy.orm import object_session

from network.core.events import after_commit
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
    """Drop this request's and this process's settings (after a change)."""
    g.pop("terreau_settings", None)
    _forget_shared()


def cooperative_today() -> date:
    """Today's date in the cooperative's time zone (not the server's)."""
    return datetime.now(ZoneInfo(current_settings().timezone)).date()


#: The row as last read (name, time zone, values as stored) and the settings made of it.
_last_read: tuple[Any, Settings] | None = None


def current_settings() -> Settings:
    """The settings, read once per request (every socket event is one), each request its own
    copy of the values."""
    if "terreau_settings" not in g:
        shared = _shared_settings()
        g.terreau_settings = Settings(shared.name, shared.timezone, dict(shared.values))
    return g.terreau_settings


#: When the row was read last: trusted `SETTINGS_CACHE_SECONDS` without reading it again. A
#: change written by this process is seen at once (see `_forget_on_write`), one written by
#: another process (a second server, the CLI) within that delay.
_read_at = 0.0


def _shared_settings() -> Settings:
    """The settings of this process: the row read again when they are no longer fresh, and
    its stored text decoded again only when it changed."""
    global _last_read, _read_at
    now = time.monotonic()
    if _last_read is not None and now - _read_at < current_app.config["SETTINGS_CACHE_SECONDS"]:
        return _last_read[1]
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
    _read_at = now
    return _last_read[1]


def _forget_shared() -> None:
    global _read_at
    _read_at = 0.0


def _forget_on_write(_mapper: Any, _connection: Any, cooperative: Any) -> None:
    """The row is being written: read it again at the next request, and again once the
    transaction commits (a request reading it before the commit saw the old one)."""
    _forget_shared()
    session = object_session(cooperative)
    if session is not None:
        after_commit(session, _forget_shared)


def _settings_row() -> Any:
    from network.cooperative.models import Cooperative

    table = Cooperative.__table__
    return select(table.c.name, table.c.timezone, cast(table.c["values"], Text)).where(
        table.c.id == 1
    )


_SETTINGS_ROW = _settings_row()


def _listen_for_writes() -> None:
    from network.cooperative.models import Cooperative

    for change in ("after_insert", "after_update", "after_delete"):
        event.listen(Cooperative, change, _forget_on_write)


_listen_for_writes()
