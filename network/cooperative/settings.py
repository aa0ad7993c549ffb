"""The cooperative's settings, read once per request (modules declare theirs with
`network.core.registries.register_setting`).

Statute thresholds (durations, quorums, quotas…) are data of the cooperative, never constants
in code: operations read them through `current_settings()`.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import g

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


def current_settings() -> Settings:
    """The settings, read once per request."""
    if "terreau_settings" not in g:
        from network.cooperative.models import Cooperative

        row = db.session.get(Cooperative, 1)
        g.terreau_settings = Settings(
            name=row.name if row else "Terreau",
            timezone=row.timezone if row else "Europe/Paris",
            values=dict(row.values) if row else {},
        )
    return g.terreau_settings
