"""State changes of the cooperative's settings (the boundary commits)."""

from typing import Any
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l

from network.cooperative.settings import forget_settings, load_cooperative
from network.core import audit, signals
from network.core.errors import Invalid
from network.core.permissions import require_admin
from network.core.registries import SETTINGS
from network.extensions import db


def _clean_value(key: str, raw: Any) -> int | bool | str:
    spec = SETTINGS[key]
    if isinstance(spec.default, bool):
        if isinstance(raw, bool):
            return raw
        return str(raw).lower() in {"1", "true", "on", "yes", "y"}
    if isinstance(spec.default, int):
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise Invalid(fields={key: _l("Must be a whole number.")}) from None
        if (spec.minimum is not None and value < spec.minimum) or (
            spec.maximum is not None and value > spec.maximum
        ):
            raise Invalid(
                fields={
                    key: _l(
                        "Must be between %(low)s and %(high)s.", low=spec.minimum, high=spec.maximum
                    )
                }
            )
        return value
    text = str(raw).strip()[:200]
    if spec.choices and text not in {value for value, _label in spec.choices}:
        allowed = ", ".join(str(label) for _value, label in spec.choices)
        raise Invalid(fields={key: _l("Choose one of: %(allowed)s.", allowed=allowed)})
    return text


def update_settings(
    actor,
    *,
    name: str | None = None,
    timezone: str | None = None,
    values: dict[str, Any] | None = None,
):
    """Admins only. Unknown keys are `Invalid`; every change is audited."""
    require_admin(actor)
    cooperative = load_cooperative()
    changes: dict[str, Any] = {}
    if name is not None:
        name = name.strip()
        if not 1 <= len(name) <= 120:
            raise Invalid(fields={"name": _l("Give a name of 1 to 120 characters.")})
        changes["name"] = name
        cooperative.name = name
    if timezone is not None:
        if timezone not in available_timezones():
            raise Invalid(fields={"timezone": _l("Unknown time zone.")})
        changes["timezone"] = timezone
        cooperative.timezone = timezone
    new_values = dict(cooperative.values)
    for key, raw in (values or {}).items():
        if key not in SETTINGS:
            raise Invalid(fields={key: _l("Unknown setting.")})
        new_values[key] = _clean_value(key, raw)
        changes[key] = new_values[key]
    cooperative.values = new_values
    audit.record(db.session, "settings_changed", actor_id=actor.id, **changes)
    forget_settings()
    signals.settings_changed.send(cooperative, actor=actor, changed=set(changes))
    return cooperative
