"""Times from the outside world and the cooperative's local time.

Times are ISO 8601; a time without an offset is local to the cooperative's time zone. A
local time that does not exist (the hour skipped when clocks go forward) is refused rather
than silently moved.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from network.cooperative import current_settings
from network.core.errors import Invalid

#: Years accepted from the outside world: far enough for any booking, close enough that
#: a day more or less (time zones, ranges, week starts) never leaves datetime's range.
YEARS = range(1900, 3000)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_settings().timezone)


def parse_time(value: Any, field: str) -> datetime:
    """An aware UTC datetime from ISO 8601 text, or `Invalid` naming `field`."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        raise Invalid(
            fields={field: _l("Give a date and time such as 2026-03-12T09:30 (ISO 8601).")}
        )
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed.year not in YEARS:
        raise Invalid(
            fields={field: _l("“%(value)s” is not a date and time (ISO 8601).", value=value[:40])}
        )
    if parsed.tzinfo is None:
        return local_to_utc(parsed.date(), parsed.time(), field)
    return parsed.astimezone(UTC)


def local_to_utc(day: date, at: time, field: str = "start") -> datetime:
    zone = local_zone()
    candidate = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    back = candidate.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != candidate.replace(tzinfo=None):
        raise Invalid(
            fields={
                field: _l(
                    "%(time)s does not exist on %(day)s: the clocks change that night.",
                    time=at.strftime("%H:%M"),
                    day=day.isoformat(),
                )
            }
        )
    return candidate.astimezone(UTC)


def at_minutes(day: date, minutes: int, zone: ZoneInfo | None = None) -> datetime:
    """The UTC instant `minutes` after local midnight of `day` (24:00 is the next midnight).

    Wall-clock minutes: on the day clocks go forward, 03:00 is 180 minutes after midnight."""
    zone = zone or local_zone()
    if minutes >= 24 * 60:
        day, minutes = day + timedelta(days=1), minutes - 24 * 60
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


def parse_date(value: Any, field: str) -> date:
    if not isinstance(value, str) or len(value) > 20:
        raise Invalid(fields={field: _l("Give a date such as 2026-03-12.")})
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed.year not in YEARS:
        raise Invalid(
            fields={field: _l("“%(value)s” is not a date (YYYY-MM-DD).", value=value[:20])}
        )
    return parsed


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def minutes_of(local: datetime) -> int:
    """Wall-clock minutes after local midnight."""
    return local.hour * 60 + local.minute


def iso(moment: datetime) -> str:
    """ISO 8601 with the cooperative's offset, as the API answers."""
    return to_local(moment).isoformat()


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
