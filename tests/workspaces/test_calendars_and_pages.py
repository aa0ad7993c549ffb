# ruff: noqa: E501
"""iCalendar feeds (RFC 5545, checked with the icalendar library, right across DST), the pages
without JavaScript, and the live availability event."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from network.extensions import socketio
from tests.conftest import form_post
from tests.workspaces.conftest import EVERY_DAY, at, next_weekday

PARIS = ZoneInfo("Europe/Paris")


def _calendar(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert calendar["VERSION"] == "2.0" and calendar.get("PRODID")
    zones = [c for c in calendar.walk("VTIMEZONE")]
    assert [str(z["TZID"]) for z in zones] == ["Europe/Paris"]
    return calendar


def test_a_booking_across_the_clock_change_downloads_as_valid_ics(
    app, member_api, make_space, book, client, login
):
    member, headers = member_api()
    space_id = make_space(opening_hours=EVERY_DAY, max_days_ahead=730, max_minutes=600)
    # the night clocks go forward in 2027: 01:00 → 04:00 Paris lasts two real hours
    with app.test_request_context():
        pass
    from unittest import mock

    fake_now = datetime(2027, 3, 20, 12, tzinfo=UTC)
    with mock.patch("network.workspaces.operations.utcnow", return_value=fake_now):
        made = book(headers, space_id, "2027-03-28T01:00", "2027-03-28T04:00")
        weekly = book(
            headers,
            space_id,
            "2027-03-21T10:00",
            "2027-03-21T11:00",
            recurrence={"freq": "weekly", "count": 3},
        )
    assert made.status_code == 201, made.get_json()
    booking = made.get_json()["bookings"][0]
    assert (
        booking["start"] == "2027-03-28T01:00:00+01:00"
        and booking["end"] == "2027-03-28T04:00:00+02:00"
    )
    assert [b["start"][11:] for b in weekly.get_json()["bookings"]] == [
        "10:00:00+01:00",
        "10:00:00+02:00",
        "10:00:00+02:00",
    ]
    login(member)
    calendar = _calendar(client.get(f"/workspaces/bookings/{booking['id']}.ics"))
    (event,) = calendar.walk("VEVENT")
    start, end = event["DTSTART"].dt, event["DTEND"].dt
    assert str(start.tzinfo) == "Europe/Paris" and start.hour == 1 and end.hour == 4
    assert end - start == timedelta(hours=3) - timedelta(hours=1) or (
        end.astimezone(UTC) - start.astimezone(UTC)
    ) == timedelta(hours=2)
    assert event.to_ical().decode().count("TZID=Europe/Paris") == 2
    assert event["UID"] and event["DTSTAMP"] and str(event["STATUS"]) == "CONFIRMED"


def test_member_feed_is_private_regenerable_and_valid(member_api, make_space, book, client, login):
    member, headers = member_api()
    space_id = make_space(name="Salle Jaurès")
    day = next_weekday(1)
    book(headers, space_id, at(day, 10), at(day, 11))
    login(member)
    page = client.get("/workspaces/bookings").get_data(as_text=True)
    feed = re.search(r'value="(http://[^"]+/workspaces/calendar/[^"]+\.ics)"', page).group(1)
    path = feed.split("localhost", 1)[-1]
    anonymous = client.application.test_client()
    calendar = _calendar(anonymous.get(path))
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Salle Jaurès"
    assert event["DTSTART"].dt == datetime.combine(
        day, datetime.min.time().replace(hour=10), tzinfo=PARIS
    )
    assert anonymous.get(path.replace(".ics", "x.ics")).status_code == 404
    form_post(
        client, "/workspaces/preferences", {"action": "regenerate"}, page="/workspaces/bookings"
    )
    assert anonymous.get(path).status_code == 404
    assert client.get(f"/workspaces/spaces/{space_id}/calendar.ics").status_code == 403


def test_staff_space_feed(member_api, make_space, book, client, login, staff):
    _m, headers = member_api()
    space_id = make_space()
    day = next_weekday(1)
    book(headers, space_id, at(day, 10), at(day, 11))
    book(headers, space_id, at(day, 14), at(day, 15))
    login(staff[0])
    calendar = _calendar(client.get(f"/workspaces/spaces/{space_id}/calendar.ics"))
    assert len(calendar.walk("VEVENT")) == 2


def test_book_in_two_clicks_without_javascript(member_api, make_space, client, login):
    member, _headers = member_api()
    space_id = make_space(name="Salle Jaurès")
    login(member)
    day = next_weekday(1)
    week = client.get(
        f"/workspaces/spaces/{space_id}?week={day.isoformat()}", headers={"Accept-Language": "en"}
    )
    assert week.status_code == 200
    page = week.get_data(as_text=True)
    link = re.search(
        rf'href="(/workspaces/spaces/{space_id}/book\?start={day.isoformat()}T10:00[^"]*)"', page
    ).group(1)
    form = client.get(link.replace("&amp;", "&"))  # first click: the prefilled form
    assert form.status_code == 200 and f'value="{day.isoformat()}T10:00"' in form.get_data(
        as_text=True
    )
    done = form_post(  # second click: book
        client,
        f"/workspaces/spaces/{space_id}/book",
        {"start": f"{day.isoformat()}T10:00", "end": f"{day.isoformat()}T10:30", "seats": "1"},
        page=link.replace("&amp;", "&"),
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/workspaces/bookings")
    mine = client.get("/workspaces/bookings", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Salle Jaurès" in mine and "Confirmed" in mine
    clash = form_post(
        client,
        f"/workspaces/spaces/{space_id}/book",
        {"start": f"{day.isoformat()}T10:00", "end": f"{day.isoformat()}T10:30"},
        page="/workspaces/bookings",
        headers={"Accept-Language": "en"},
    )
    assert clash.status_code == 409
    text = clash.get_data(as_text=True)
    assert (
        "already booked" in text
        and "The nearest free slots" in text
        and "Join the waitlist" in text
    )
    bad = form_post(
        client,
        f"/workspaces/spaces/{space_id}/book",
        {"start": "demain", "end": ""},
        page="/workspaces/bookings",
        headers={"Accept-Language": "en"},
    )
    assert bad.status_code == 422 and "ISO 8601" in bad.get_data(as_text=True)


def test_recurrence_preview_page_then_skip(member_api, make_space, book, client, login):
    member, _h = member_api()
    _o, other = member_api()
    space_id = make_space()
    monday = next_weekday(0)
    book(other, space_id, at(monday + timedelta(7), 9), at(monday + timedelta(7), 10))
    login(member)
    fields = {
        "start": at(monday, 9)[:16],
        "end": at(monday, 10)[:16],
        "repeat": "weekly",
        "count": "3",
    }
    preview = form_post(
        client,
        f"/workspaces/spaces/{space_id}/book",
        fields,
        page="/workspaces/bookings",
        headers={"Accept-Language": "en"},
    )
    text = preview.get_data(as_text=True)
    assert (
        preview.status_code == 200
        and "2 of 3 occurrences are free" in text
        and "skip the conflicts" in text
    )
    done = form_post(
        client,
        f"/workspaces/spaces/{space_id}/book",
        {**fields, "confirm": "1", "on_conflict": "skip"},
        page="/workspaces/bookings",
    )
    assert done.status_code == 302


def test_day_view_and_whos_here(app, member_api, make_space, book, client, login):
    alice, alice_h = member_api(display_name="Alice Martin")
    bob, _bob_h = member_api(display_name="Bob Durand")
    space_id = make_space(name="Open space", kind="desk_area", capacity=4, opening_hours=EVERY_DAY)
    from network.cooperative.times import to_local
    from network.core.models import utcnow

    with app.test_request_context():
        now_local = to_local(utcnow())
    today = now_local.date()
    slot = (now_local.hour * 60 + now_local.minute) // 30 * 30 + 30
    if slot + 30 <= 24 * 60:
        start = f"{today.isoformat()}T{slot // 60:02d}:{slot % 60:02d}"
        end_minutes = slot + 30
        end = (
            f"{today.isoformat()}T{end_minutes // 60:02d}:{end_minutes % 60:02d}"
            if end_minutes < 1440
            else f"{(today + timedelta(1)).isoformat()}T00:00"
        )
        assert book(alice_h, space_id, start, end).status_code == 201
        login(alice)
        form_post(
            client,
            "/workspaces/preferences",
            {"action": "presence", "show_presence": "1"},
            page="/workspaces/bookings",
        )
        login(bob)
        page = client.get("/workspaces", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Open space" in page and "Alice Martin" in page
        assert "3 seats free" in page


def test_pages_need_a_login_and_staff_pages_need_staff(
    member_api, make_space, client, login, staff
):
    assert client.get("/workspaces").status_code == 302
    member, _h = member_api()
    login(member)
    assert client.get("/workspaces/manage").status_code == 403
    assert client.get("/workspaces/spaces/999999").status_code == 404
    staff_client = client.application.test_client()
    login(staff[0], c=staff_client)
    assert staff_client.get("/workspaces/manage").status_code == 200
    created = form_post(
        staff_client,
        "/workspaces/manage/spaces/new",
        {"name": "", "kind": "meeting_room", "capacity": "0", "hours_0": "19:00-08:00"},
        page="/workspaces/manage",
        headers={"Accept-Language": "en"},
    )
    assert created.status_code == 422
    assert "Give the space a name" in created.get_data(as_text=True)


def test_watchers_hear_availability_changes(app, member_api, make_space, book):
    member, headers = member_api()
    space_id = make_space()
    token = headers["Authorization"].removeprefix("Bearer ")
    connection = socketio.test_client(app, auth={"token": token})
    try:
        assert connection.emit("watch_space", {"space_id": space_id}, callback=True) == {
            "ok": True,
            "space_id": space_id,
        }
        assert connection.emit("watch_space", {"space_id": 999999}, callback=True)["status"] == 404
        connection.get_received()
        day = next_weekday(1)
        book(headers, space_id, at(day, 10), at(day, 11))
        events = [
            e["args"][0] for e in connection.get_received() if e["name"] == "availability_changed"
        ]
        assert events == [
            {
                "space_id": space_id,
                "start": f"{day.isoformat()}T10:00:00+01:00"
                if events and "+01:00" in events[0]["start"]
                else events[0]["start"],
                "end": events[0]["end"],
            }
        ]
        assert events[0]["start"].startswith(f"{day.isoformat()}T10:00")
    finally:
        connection.disconnect()
