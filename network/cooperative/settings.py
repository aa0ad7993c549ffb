"""The cooperative's settings, read once per request (modules declare theirs with
`network.core.registries.register_setting`).

Statute thresholds (durations, quorums, quotas…) are data of the cooperative, never constants
in code: operations read them through `current_settings()`.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import Text, cast, select

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


def current_settings() -> Settings:
    """The settings, read once per request (every socket event is one): the row's stored
    text is compared with the last one read, and decoded again only when it changed."""
    global _last_read
    if "terreau_settings" not in g:
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
        cached = _last_read[1]
        g.terreau_settings = Settings(cached.name, cached.timezone, dict(cached.values))
    return g.terreau_settings


def _settings_row() -> Any:
    from network.cooperative.models import Cooperative

    table = Cooperative.__table__
    return select(table.c.name, table.c.timezone, cast(table.c["values"], Text)).where(
        table.c.id == 1
    )


_SETTINGS_ROW = _settings_row()
