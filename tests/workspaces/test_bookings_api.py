# ruff: noqa: E501  (assertions read better on one line)
"""Booking through the API: success, conflicts with suggestions, back-to-back, and every bad
input of the issue answered with a clear message and a 4xx."""

from datetime import timedelta

import pytest

from tests.conftest import paris_today
from tests.workspaces.conftest import at, next_weekday


def test_book_then_read_list_and_cancel(member_api, make_space, book, client, notes):
    member, headers = member_api()
    space_id = make_space(name="Salle Jaurès")
    day = next_weekday(1)
    response = book(headers, space_id, at(day, 10), at(day, 11), title="Point client")
    assert response.status_code == 201, response.get_json()
    booking = response.get_json()["bookings"][0]
    assert booking["status"] == "confirmed" and booking["title"] == "Point client"
    assert booking["start"].startswith(f"{day.isoformat()}T10:00:00+0")
    assert notes[-1]["kind"] == "booking_confirmed" and notes[-1]["member_id"] == member.id
    assert "Salle Jaurès" in notes[-1]["text"]
    mine = client.get(f"/api/v1/bookings?mine=1&from={day.isoformat()}", headers=headers)
    assert [b["id"] for b in mine.get_json()["items"]] == [booking["id"]]
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=headers).status_code == 200
    cancelled = client.delete(f"/api/v1/bookings/{booking['id']}", headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["cancelled"] == [booking["id"]]
    again = book(headers, space_id, at(day, 10), at(day, 11))
    assert again.status_code == 201


def test_a_clash_is_a_409_naming_it_with_the_nearest_free_slots(member_api, make_space, book):
    _m, alice = member_api()
    _b, bob = member_api()
    space_id = make_space(name="Salle Jaurès")
    day = next_weekday(2)
    assert book(alice, space_id, at(day, 10), at(day, 11)).status_code == 201
    clash = book(bob, space_id, at(day, 10, 30), at(day, 11, 30))
    assert clash.status_code == 409
    assert clash.mimetype == "application/problem+json"
    problem = clash.get_json()
    assert "Salle Jaurès is already booked on" in problem["detail"]
    assert "from 10:00 to 11:00" in problem["detail"]
    conflict = problem["conflicts"][0]
    assert conflict["reason"] == "full" and conflict["free_seats"] == 0
    assert conflict["busy"][0]["start"].startswith(f"{day.isoformat()}T10:00")
    starts = [s["start"][11:16] for s in problem["suggestions"]]
    assert starts == ["11:00", "11:30", "09:00"]  # nearest first, never overlapping the hold


def test_back_to_back_bookings_are_allowed(member_api, make_space, book):
    _m, alice = member_api()
    _b, bob = member_api()
    space_id = make_space()
    day = next_weekday(3)
    assert book(alice, space_id, at(day, 10), at(day, 11)).status_code == 201
    assert book(bob, space_id, at(day, 11), at(day, 12)).status_code == 201
    assert book(bob, space_id, at(day, 9), at(day, 10)).status_code == 201


def test_a_desk_area_takes_as_many_bookings_as_seats(member_api, make_space, book):
    space_id = make_space(kind="desk_area", capacity=3)
    day = next_weekday(1)
    for _ in range(3):
        _m, headers = member_api()
        assert book(headers, space_id, at(day, 9), at(day, 12)).status_code == 201
    _m, late = member_api()
    answer = book(late, space_id, at(day, 10), at(day, 11))
    assert answer.status_code == 409 and "0 of 3 seats free" in answer.get_json()["detail"]
    _m, two = member_api()
    assert book(two, space_id, at(day, 12), at(day, 13), seats=2).status_code == 201


def test_offsets_are_honoured_and_naive_times_are_paris_time(member_api, make_space, book):
    _m, headers = member_api()
    space_id = make_space()
    day = next_weekday(1)
    response = book(
        headers, space_id, f"{day.isoformat()}T09:00:00Z", f"{day.isoformat()}T10:00:00Z"
    )
    assert response.status_code == 201, response.get_json()
    start = response.get_json()["bookings"][0]["start"]
    assert start[11:16] in ("10:00", "11:00")  # 09:00 UTC is 10:00 or 11:00 in Paris


def _problem(response, status, field=None):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    if field:
        assert field in body["errors"], body
        return body["errors"][field]
    return body["detail"]


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        ((11, 0), (10, 0), "end", "The end comes before the start."),
        ((10, 0), (10, 0), "end", "no duration"),
        ((9, 0), (15, 0), "end", "lasts at most 4 h 00"),
        ((10, 15), (11, 15), "start", "slots of 30 minutes"),
        ((6, 0), (7, 0), "start", "is open from 08:00 to 19:00"),
        ((18, 30), (19, 30), "start", "is open from 08:00 to 19:00"),
    ],
)
def test_bad_times_are_refused(member_api, make_space, book, start, end, field, words):
    _m, headers = member_api()
    space_id = make_space(min_minutes=30)
    day = next_weekday(1)
    message = _problem(book(headers, space_id, at(day, *start), at(day, *end)), 422, field)
    assert words in message


def test_a_booking_in_the_past_is_refused(member_api, make_space, book):
    _m, headers = member_api()
    space_id = make_space()
    day = paris_today() - timedelta(days=7)
    message = _problem(book(headers, space_id, at(day, 10), at(day, 11)), 422, "start")
    assert message == "This time is in the past."


def test_too_far_ahead_is_refused(member_api, make_space, book):
    _m, headers = member_api()
    space_id = make_space(max_days_ahead=14)
    day = next_weekday(2, weeks=4)
    message = _problem(book(headers, space_id, at(day, 10), at(day, 11)), 422, "start")
    assert "can be booked 14 days ahead at most" in message


def test_a_closure_is_refused(app, member_api, make_space, book, staff, client):
    _m, headers = member_api()
    space_id = make_space()
    day = next_weekday(1)
    from network.extensions import db
    from network.members.models import Member
    from network.workspaces import operations

    with app.test_request_context():
        space = operations.get_space(space_id)
        operations.add_closure(db.session.get(Member, staff[0].id), space, day, day, "travaux")
        db.session.commit()
    message = _problem(book(headers, space_id, at(day, 10), at(day, 11)), 422, "start")
    assert "is closed from" in message and "travaux" in message
    sunday = next_weekday(6)
    closed_sunday = make_space(opening_hours={"0": [480, 1140]})
    message = _problem(book(headers, closed_sunday, at(sunday, 10), at(sunday, 11)), 422, "start")
    assert "is closed on" in message


def test_more_seats_than_the_capacity(member_api, make_space, book):
    _m, headers = member_api()
    space_id = make_space(capacity=4, kind="desk_area")
    day = next_weekday(1)
    message = _problem(book(headers, space_id, at(day, 10), at(day, 11), seats=5), 422, "seats")
    assert "has 4 seats: you asked for 5" in message
    assert _problem(book(headers, space_id, at(day, 10), at(day, 11), seats=0), 422, "seats")
    assert _problem(book(headers, space_id, at(day, 10), at(day, 11), seats="x"), 422, "seats")


def test_an_unknown_space(member_api, book, client):
    _m, headers = member_api()
    day = next_weekday(1)
    assert "does not exist" in _problem(book(headers, 999999, at(day, 10), at(day, 11)), 404)
    assert _problem(book(headers, "salle", at(day, 10), at(day, 11)), 422, "space_id")
    assert client.get("/api/v1/spaces/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/spaces/999999/availability", headers=headers).status_code == 404


@pytest.mark.parametrize(
    "start", ["demain 10h", "2026-13-45T10:00", "", 12, "2026-03-12T25:00", "x" * 100]
)
def test_malformed_dates(member_api, make_space, book, start):
    _m, headers = member_api()
    space_id = make_space()
    message = _problem(book(headers, space_id, start, "2026-03-12T11:00"), 422, "start")
    assert "ISO 8601" in message


def test_a_time_skipped_by_the_clock_change_is_refused(member_api, make_space, book):
    _m, headers = member_api()
    space_id = make_space(opening_hours={str(d): [0, 1440] for d in range(7)})
    message = _problem(
        book(headers, space_id, "2027-03-28T02:30", "2027-03-28T03:30"), 422, "start"
    )
    assert "does not exist" in message


def test_another_members_booking_is_answered_like_a_missing_one(
    member_api, make_space, book, client
):
    _m, alice = member_api()
    _b, bob = member_api()
    space_id = make_space()
    day = next_weekday(1)
    booking_id = book(alice, space_id, at(day, 10), at(day, 11)).get_json()["bookings"][0]["id"]
    missing = client.get("/api/v1/bookings/999999", headers=bob)
    for response in (
        client.get(f"/api/v1/bookings/{booking_id}", headers=bob),
        client.delete(f"/api/v1/bookings/{booking_id}", headers=bob),
        client.post(f"/api/v1/bookings/{booking_id}/check-in", headers=bob),
    ):
        assert response.status_code == 404
        assert response.get_json()["detail"] == missing.get_json()["detail"]
    assert client.get(f"/workspaces/bookings/{booking_id}.ics", headers=bob).status_code in (
        302,
        401,
        404,
    )


def test_anonymous_and_malformed_bodies(client, member_api):
    assert client.get("/api/v1/spaces").status_code == 401
    assert client.post("/api/v1/bookings", json={}).status_code == 401
    _m, headers = member_api()
    response = client.post(
        "/api/v1/bookings", data="{nope", headers=headers, content_type="application/json"
    )
    assert response.status_code == 422
    assert client.post("/api/v1/bookings", json=[1], headers=headers).status_code == 422


def test_availability_shows_free_seats_per_slot(member_api, make_space, book, client):
    _m, headers = member_api()
    space_id = make_space(kind="desk_area", capacity=2)
    day = next_weekday(1)
    book(headers, space_id, at(day, 10), at(day, 11))
    answer = client.get(
        f"/api/v1/spaces/{space_id}/availability?from={day.isoformat()}&to={(day + timedelta(1)).isoformat()}",
        headers=headers,
    )
    assert answer.status_code == 200
    slots = {s["start"][11:16]: s["free"] for s in answer.get_json()["slots"]}
    assert (
        slots["09:30"] == 2 and slots["10:00"] == 1 and slots["10:30"] == 1 and slots["11:00"] == 2
    )
    assert len(slots) == 22  # 08:00–19:00 in half hours
    too_long = client.get(
        f"/api/v1/spaces/{space_id}/availability?from=2027-01-01&to=2027-03-01", headers=headers
    )
    assert too_long.status_code == 422
    bad = client.get(f"/api/v1/spaces/{space_id}/availability?from=hier", headers=headers)
    assert bad.status_code == 422


def test_spaces_list_and_staff_only_creation(member_api, make_space, client, staff):
    _m, headers = member_api()
    make_space(name="Salle A")
    items = client.get("/api/v1/spaces", headers=headers).get_json()["items"]
    assert [s["name"] for s in items] == ["Salle A"]
    site_id = items[0]["site"]["id"]
    body = {"name": "Atelier", "kind": "workshop_room", "site_id": site_id, "capacity": 1}
    assert client.post("/api/v1/spaces", json=body, headers=headers).status_code == 403
    created = client.post("/api/v1/spaces", json=body, headers=staff[1])
    assert created.status_code == 201, created.get_json()
    bad = client.post(
        "/api/v1/spaces", json={**body, "capacity": 0, "slot_minutes": 7}, headers=staff[1]
    )
    assert bad.status_code == 422 and {"capacity", "slot_minutes"} <= set(bad.get_json()["errors"])
