"""A booking request sent again with its client id (a retry after a timeout, a double-clicked
button) books nothing more: the repeat answers the bookings the first one made."""

import re

from tests.conftest import form_post
from tests.workspaces.conftest import at, next_weekday


def _mine(client, headers):
    return client.get("/api/v1/bookings", headers=headers).get_json()["items"]


def test_a_booking_sent_twice_with_its_client_id_books_once(client, member_api, make_space, book):
    _member, headers = member_api()
    space_id = make_space(capacity=3)
    day = next_weekday(1)
    first = book(headers, space_id, at(day, 10), at(day, 11), client_id="b-1")
    again = book(headers, space_id, at(day, 10), at(day, 11), client_id="b-1")
    assert first.status_code == 201 and again.status_code == 200, again.get_json()
    assert again.get_json()["bookings"] == first.get_json()["bookings"]
    assert again.get_json()["skipped"] == []
    assert len(_mine(client, headers)) == 1
    other = book(headers, space_id, at(day, 10), at(day, 11), client_id="b-2")
    assert other.status_code == 201  # another submit: a second seat
    assert len(_mine(client, headers)) == 2


def test_a_recurring_booking_sent_again_returns_every_occurrence(
    client, member_api, make_space, book
):
    _member, headers = member_api()
    space_id = make_space()
    day = next_weekday(2)
    weekly = {"freq": "weekly", "count": 3}
    first = book(headers, space_id, at(day, 9), at(day, 10), recurrence=weekly, client_id="s1")
    again = book(headers, space_id, at(day, 9), at(day, 10), recurrence=weekly, client_id="s1")
    assert first.status_code == 201 and again.status_code == 200
    made = [b["id"] for b in first.get_json()["bookings"]]
    assert len(made) == 3 and [b["id"] for b in again.get_json()["bookings"]] == made
    assert len(_mine(client, headers)) == 3


def test_a_bad_client_id_is_refused_clearly(member_api, make_space, book):
    _member, headers = member_api()
    space_id = make_space()
    day = next_weekday(1)
    for bad in ("a b", "x" * 65, 7, {"a": 1}):
        answer = book(headers, space_id, at(day, 10), at(day, 11), client_id=bad)
        assert answer.status_code == 422, bad
        assert answer.get_json()["errors"]["client_id"] == (
            "Give a unique id of 1 to 64 letters or digits."
        )


def test_the_same_booking_at_the_same_moment_books_once(
    client, member_api, make_space, book, monkeypatch
):
    """Both look-ups of the second send miss the first booking: the database's unique index
    stops it, and it answers the first booking."""
    from network.workspaces import operations

    _member, headers = member_api()
    space_id = make_space(capacity=2)
    day = next_weekday(3)
    first = book(headers, space_id, at(day, 14), at(day, 15), client_id="same-moment")
    real, calls = operations._previous_bookings, []

    def misses_twice(*args):
        calls.append(args)
        return [] if len(calls) <= 2 else real(*args)

    monkeypatch.setattr(operations, "_previous_bookings", misses_twice)
    again = book(headers, space_id, at(day, 14), at(day, 15), client_id="same-moment")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["bookings"] == first.get_json()["bookings"]
    assert len(_mine(client, headers)) == 1


def test_a_double_clicked_book_button_books_once(client, member_api, make_space, login):
    member, headers = member_api()
    space_id = make_space()
    login(member)
    day = next_weekday(4)
    page = client.get(f"/workspaces/spaces/{space_id}/book").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', page).group(1)
    data = {"start": at(day, 10)[:16], "end": at(day, 11)[:16], "client_id": client_id}
    path = f"/workspaces/spaces/{space_id}/book"
    first = form_post(client, path, data, page="/workspaces/bookings")
    second = form_post(client, path, data, page="/workspaces/bookings")
    assert first.status_code == second.status_code == 302, second.get_data(as_text=True)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(_mine(client, headers)) == 1
