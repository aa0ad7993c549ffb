# ruff: noqa: E501
"""Booking as a member meets it (issue 11), without JavaScript and through the API: the rules
before booking, a duration instead of an end, cancelling from "my bookings" after a
confirmation, the calendar feed's subscribe link, no .ics for a cancelled booking, check-in
offered only when it is allowed, and the day view as runs of free and full slots."""

import re
from datetime import timedelta

from tests.conftest import form_post
from tests.workspaces.conftest import EVERY_DAY, at, next_weekday

EN = {"Accept-Language": "en"}


def _page(client, path):
    response = client.get(path, headers=EN)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _row(page, space_id):
    """The day view's row of a space."""
    return re.search(rf'<li data-space-id="{space_id}">.*?</li>', page, re.S).group(0)


def test_the_rules_are_shown_before_booking(member_api, make_space, client, login, book):
    member, headers = member_api()
    desks = make_space(
        name="Open space",
        kind="desk_area",
        capacity=8,
        granularity="half_days",
        min_minutes=60,
        max_minutes=11 * 60,
        needs_approval=True,
        check_in_required=True,
    )
    room = make_space(name="Salle Jaurès", min_minutes=60, max_minutes=180)
    login(member)
    day = next_weekday(2)
    form = _page(client, f"/workspaces/spaces/{desks}/book?start={at(day, 8)}&end={at(day, 13)}")
    assert "Booking rules" in form
    assert "Booked by half days: the morning until 13:00 or the afternoon from 13:00" in form
    assert "Open from 08:00 to 19:00 on" in form and "Bookable up to 90 days ahead" in form
    assert "The support team approves each booking" in form and "Check in on arrival" in form
    assert "Booked by half days" in _page(client, f"/workspaces/spaces/{desks}")
    rules = client.get(f"/api/v1/spaces/{room}", headers=headers).get_json()["rules"]
    assert rules[0] == "Booked by slots of 30 minutes, from 1 h 00 to 3 h 00."
    assert not any("approves" in rule for rule in rules)


def test_a_duration_is_picked_instead_of_an_end(member_api, make_space, client, login):
    member, headers = member_api()
    space_id = make_space(max_minutes=180)
    login(member)
    day = next_weekday(1)
    form = _page(
        client, f"/workspaces/spaces/{space_id}/book?start={at(day, 10)}&end={at(day, 11)}"
    )
    assert re.search(r'<option value="60"\s+selected>1 h 00</option>', form)
    assert '<option value="180"' in form and '<option value="210"' not in form
    assert 'name="end" type="datetime-local" value=""' in form
    done = form_post(
        client,
        f"/workspaces/spaces/{space_id}/book",
        {"start": at(day, 10)[:16], "duration": "90", "end": ""},
        page="/workspaces/bookings",
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    made = client.get("/api/v1/bookings", headers=headers).get_json()["items"][0]
    assert made["start"][11:16] == "10:00" and made["end"][11:16] == "11:30"
    # an end given wins over the duration
    done = form_post(
        client,
        f"/workspaces/spaces/{space_id}/book",
        {"start": at(day, 14)[:16], "duration": "90", "end": at(day, 14, 30)[:16]},
        page="/workspaces/bookings",
    )
    assert done.status_code == 302
    ends = [
        b["end"][11:16] for b in client.get("/api/v1/bookings", headers=headers).get_json()["items"]
    ]
    assert ends == ["11:30", "14:30"]


def test_a_bad_duration_is_a_clear_error(member_api, make_space, client, login):
    member, _h = member_api()
    space_id = make_space()
    login(member)
    day = next_weekday(1)
    for duration in ("abc", "", "-30", "99999999"):
        bad = form_post(
            client,
            f"/workspaces/spaces/{space_id}/book",
            {"start": at(day, 10)[:16], "duration": duration},
            page="/workspaces/bookings",
            headers=EN,
        )
        assert bad.status_code == 422, duration
        assert "Give a date and time" in bad.get_data(as_text=True)
    too_long = form_post(
        client,
        f"/workspaces/spaces/{space_id}/book",
        {"start": at(day, 10)[:16], "duration": "600"},
        page="/workspaces/bookings",
        headers=EN,
    )
    assert too_long.status_code == 422 and "lasts at most 4 h 00" in too_long.get_data(as_text=True)


def test_cancel_from_my_bookings_after_a_confirmation(member_api, make_space, client, login, book):
    member, headers = member_api()
    _other, other_headers = member_api()
    space_id = make_space(name="Salle Jaurès")
    day = next_weekday(3)
    booking_id = book(headers, space_id, at(day, 9), at(day, 10)).get_json()["bookings"][0]["id"]
    theirs = book(other_headers, space_id, at(day, 11), at(day, 12)).get_json()["bookings"][0]
    login(member)
    mine = _page(client, "/workspaces/bookings")
    assert f'href="/workspaces/bookings/{booking_id}/cancel"' in mine
    assert f'data-cancel="/workspaces/bookings/{booking_id}/cancel"' in mine  # the JS dialog
    confirm = _page(client, f"/workspaces/bookings/{booking_id}/cancel")
    assert "Cancel this booking?" in confirm and "Salle Jaurès" in confirm
    assert 'name="next" value="bookings"' in confirm and "Keep it" in confirm
    assert client.get(f"/workspaces/bookings/{theirs['id']}/cancel").status_code == 404
    done = form_post(
        client,
        f"/workspaces/bookings/{booking_id}/cancel",
        {"scope": "one", "next": "bookings"},
        page="/workspaces/bookings",
        headers=EN,
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/workspaces/bookings")
    after = _page(client, "/workspaces/bookings")
    assert "1 booking(s) cancelled." in after and "Salle Jaurès" not in after
    again = client.get(f"/workspaces/bookings/{booking_id}/cancel", headers=EN)
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/{booking_id}")
    assert client.get(f"/workspaces/bookings/{booking_id}", headers=EN).status_code == 200


def test_the_calendar_feed_has_a_subscribe_link_and_a_copy_button(member_api, client, login):
    member, _h = member_api()
    login(member)
    page = _page(client, "/workspaces/bookings")
    feed = re.search(r'id="ws-feed" type="text" readonly value="http://([^"]+\.ics)"', page).group(
        1
    )
    assert f'href="webcal://{feed}"' in page
    assert 'data-copy="ws-feed"' in page and "Copy the address" in page
    assert client.get(f"http://{feed}").status_code == 200


def test_a_cancelled_booking_has_no_ics(member_api, make_space, client, login, book):
    member, headers = member_api()
    space_id = make_space()
    day = next_weekday(1)
    made = book(headers, space_id, at(day, 9), at(day, 10)).get_json()["bookings"][0]
    login(member)
    assert f"/workspaces/bookings/{made['id']}.ics" in _page(
        client, f"/workspaces/bookings/{made['id']}"
    )
    assert made["ics_url"] and made["can_cancel"] is True
    assert client.delete(f"/api/v1/bookings/{made['id']}", headers=headers).status_code == 200
    page = _page(client, f"/workspaces/bookings/{made['id']}")
    assert "Cancelled" in page and ".ics" not in page and "Cancel the booking" not in page
    assert client.get(f"/workspaces/bookings/{made['id']}.ics").status_code == 404
    data = client.get(f"/api/v1/bookings/{made['id']}", headers=headers).get_json()
    assert data["ics_url"] is None and data["can_cancel"] is False


def test_check_in_is_offered_only_when_allowed(app, member_api, make_space, client, login, book):
    member, headers = member_api()
    space_id = make_space(opening_hours=EVERY_DAY, check_in_required=True)
    later = book(headers, space_id, at(next_weekday(1), 9), at(next_weekday(1), 10))
    later = later.get_json()["bookings"][0]
    login(member)
    assert "I'm here: check in" not in _page(client, f"/workspaces/bookings/{later['id']}")
    assert "I'm here: check in" not in _page(client, "/workspaces/bookings")
    assert later["can_check_in"] is False
    from network.cooperative.times import to_local
    from network.core.models import utcnow

    with app.test_request_context():
        now_local = to_local(utcnow())
    slot = (now_local.hour * 60 + now_local.minute) // 30 * 30 + 30
    if slot + 30 >= 24 * 60:
        return  # too close to midnight for a booking starting soon today
    today = now_local.date().isoformat()
    soon = book(
        headers,
        space_id,
        f"{today}T{slot // 60:02d}:{slot % 60:02d}",
        f"{today}T{(slot + 30) // 60:02d}:{(slot + 30) % 60:02d}",
    ).get_json()["bookings"][0]
    assert soon["can_check_in"] is True
    assert "I'm here: check in" in _page(client, f"/workspaces/bookings/{soon['id']}")
    mine = _page(client, "/workspaces/bookings")
    assert mine.count("I'm here: check in") == 1
    done = form_post(
        client,
        f"/workspaces/bookings/{soon['id']}/check-in",
        {"next": "bookings"},
        page="/workspaces/bookings",
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/workspaces/bookings")
    assert "I'm here: check in" not in _page(client, "/workspaces/bookings")
    again = client.get(f"/api/v1/bookings/{soon['id']}", headers=headers).get_json()
    assert again["can_check_in"] is False and again["checked_in_at"]


def test_the_day_view_shows_runs_of_free_and_full_slots(
    app, member_api, make_space, client, login, book, staff
):
    member, headers = member_api()
    room = make_space(name="Salle Jaurès", site_name="Lyon")
    desks = make_space(name="Open space", kind="desk_area", capacity=3, site_name="Nantes")
    closed = make_space(name="Atelier", site_name="Lyon")
    day = next_weekday(4)
    from network.extensions import db
    from network.members.models import Member
    from network.workspaces import operations

    with app.test_request_context():
        space = operations.get_space(closed)
        operations.add_closure(db.session.get(Member, staff[0].id), space, day, day, "travaux")
        operations.add_closure(
            db.session.get(Member, staff[0].id), space, day + timedelta(1), day + timedelta(2), ""
        )
        db.session.commit()
    assert book(headers, room, at(day, 10), at(day, 11)).status_code == 201
    assert book(headers, desks, at(day, 9), at(day, 10), seats=2).status_code == 201
    login(member)
    page = _page(client, f"/workspaces?date={day.isoformat()}")
    row = _row(page, room)
    free = re.findall(r'<a href="([^"]+)">([^<]+)</a>', row.split("ws-free-runs")[1])
    assert [text for _href, text in free] == ["08:00–10:00", "11:00–19:00"]
    assert free[0][0] == f"/workspaces/spaces/{room}/book?start={day.isoformat()}T08:00"
    assert re.search(r'<span class="ws-full-runs">Full: <span>10:00–11:00</span></span>', row)
    desk_row = _row(page, desks)
    assert "08:00–19:00 · 1 seat free" in desk_row and "ws-full" not in desk_row
    assert "<small>3 seats</small>" in desk_row
    lyon, nantes = page.index('<h2 class="ws-site">Lyon</h2>'), page.index('"ws-site">Nantes<')
    assert lyon < page.index("<h3>Meeting room") < page.index("Salle Jaurès") < nantes
    assert nantes < page.index("<h3>Desk area") < page.index("Open space")
    assert "Closed (travaux)" in _row(page, closed) and "ws-free-runs" not in _row(page, closed)
    before = _page(client, f"/workspaces?date={(day - timedelta(1)).isoformat()}")
    assert "ws-free-runs" in _row(before, closed) and "Closed" not in _row(before, closed)
    after = _page(client, f"/workspaces?date={(day + timedelta(2)).isoformat()}")
    assert "Closed</span>" in _row(after, closed)
    one_site = _page(client, f"/workspaces?date={day.isoformat()}&site=999999")
    assert "Salle Jaurès" not in one_site
    fragment = _page(client, f"/workspaces/spaces/{room}/day?date={day.isoformat()}")
    assert fragment.strip().startswith(f'<li data-space-id="{room}">')
    assert "10:00–11:00" in fragment
    assert client.get(f"/workspaces/spaces/{room}/day?date=lundi").status_code == 404
    assert client.get(f"/workspaces/spaces/999999/day?date={day}").status_code == 404
    past = _page(client, f"/workspaces?date={(day - timedelta(days=400)).isoformat()}")
    assert "This day is over" in past and "ws-free-runs" not in past
    assert "Nothing left to book this day" in past


def test_a_day_view_link_opens_the_form_on_its_unit(member_api, make_space, client, login):
    member, _h = member_api()
    desks = make_space(kind="desk_area", capacity=4, granularity="half_days", max_minutes=660)
    room = make_space()
    login(member)
    day = next_weekday(2).isoformat()
    form = _page(client, f"/workspaces/spaces/{desks}/book?start={day}T13:00")
    assert f'name="end" type="datetime-local" value="{day}T19:00"' in form  # the afternoon
    form = _page(client, f"/workspaces/spaces/{room}/book?start={day}T13:00")
    assert re.search(r'<option value="30"\s*>30 min</option>', form)  # the shortest first


def test_many_spaces_count_only_their_own_bookings(member_api, make_space, client, login, book):
    """Above queries.MANY_SPACES the bookings query names no space: others' are skipped."""
    member, headers = member_api()
    lyon = [make_space(name=f"Lyon {i:02d}", site_name="Lyon") for i in range(22)]
    nantes = make_space(name="Nantes 1", site_name="Nantes")
    day = next_weekday(2)
    assert book(headers, nantes, at(day, 10), at(day, 11)).status_code == 201
    assert book(headers, lyon[21], at(day, 14), at(day, 15)).status_code == 201
    login(member)
    page = _page(client, f"/workspaces?date={day.isoformat()}")
    site_id = re.search(r'<option value="(\d+)" >Lyon</option>', page).group(1)
    only_lyon = _page(client, f"/workspaces?date={day.isoformat()}&site={site_id}")
    assert "Nantes 1" not in only_lyon
    assert all("ws-full-runs" not in _row(only_lyon, space) for space in lyon[:21])
    assert "<span>14:00–15:00</span>" in _row(only_lyon, lyon[21])
    assert "<span>10:00–11:00</span>" in _row(page, nantes)
