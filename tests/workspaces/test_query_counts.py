"""List pages and API lists issue the same number of queries however many rows they show."""

from sqlalchemy import event

from network.extensions import db
from tests.workspaces.conftest import EVERY_DAY, at, next_weekday


def test_lists_do_not_query_per_booking_or_space(app, client, member_api, make_space, login):
    member, headers = member_api()
    counter = iter(range(100))

    def add_spaces(n):
        for _ in range(n):
            i = next(counter)
            sid = make_space(capacity=5, opening_hours=EVERY_DAY, site_name=f"Site {i}")
            for weeks in (1, 2):
                day = next_weekday(i % 7, weeks)
                body = {"space_id": sid, "start": at(day, 10), "end": at(day, 11)}
                assert (
                    client.post("/api/v1/bookings", json=body, headers=headers).status_code == 201
                )

    def count(url, **kwargs):
        statements = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(url, **kwargs).status_code == 200, url
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    urls = {"/api/v1/bookings": headers, "/api/v1/spaces": headers, "/workspaces/bookings": {}}
    add_spaces(2)
    login(member)
    few = {url: count(url, headers=h) for url, h in urls.items()}
    add_spaces(3)
    many = {url: count(url, headers=h) for url, h in urls.items()}
    assert many == few
