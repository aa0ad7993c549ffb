"""iCalendar (RFC 5545) documents of bookings, with the cooperative's VTIMEZONE.

Events are written in local time with a TZID, so calendar applications show the hours the
member booked on both sides of a daylight-saving change.
"""

from collections.abc import Iterable

from flask import current_app
from icalendar import Calendar, Event, vText

from network.cooperative.times import local_zone
from network.core.models import utcnow
from network.workspaces.models import Booking, BookingStatus

STATUS = {
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.OFFERED: "TENTATIVE",
}


def calendar_of(bookings: Iterable[Booking], name: str) -> bytes:
    """A VCALENDAR of the holding bookings among `bookings` (the others as CANCELLED)."""
    zone = local_zone()
    calendar = Calendar()
    calendar.add("prodid", "-//Terreau//Workspaces//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(zone))
    host = current_app.config.get("SERVER_NAME") or "terreau.local"
    stamp = utcnow()
    for booking in bookings:
        event = Event()
        event.add("uid", f"booking-{booking.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", booking.start_at.astimezone(zone))
        event.add("dtend", booking.end_at.astimezone(zone))
        summary = booking.title or booking.space.name
        event.add("summary", summary)
        event.add("location", vText(f"{booking.space.name}, {booking.space.site.name}"))
        event.add("status", STATUS.get(booking.status, "CANCELLED"))
        event.add("last-modified", booking.updated_at)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
