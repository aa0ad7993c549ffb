# ruff: noqa: E501  (assertions read better on one line)
"""Recurrence with preview and skip, cancelling series, quotas, open-booking limit, staff
booking for a member with an audited override, approval, waitlist, check-in and release."""

from datetime import timedelta

from sqlalchemy import select

from network.core.audit import AuditEvent
from network.extensions import db
from tests.workspaces.conftest import at, next_weekday


def _set(app, admin, **values):
    from network.cooperative.operations import update_settings
    from network.members.models import Member

    with app.test_request_context():
        update_settings(db.session.get(Member, admin.id), values=values)
        db.session.commit()


def test_weekly_recurrence_preview_conflicts_then_skip(member_api, make_space, book, client):
    _a, alice = member_api()
    _b, bob = member_api()
    space_id = make_space()
    monday = next_weekday(0)
    clash_day = monday + timedelta(days=9)  # the second week's Wednesday
    assert book(bob, space_id, at(clash_day, 10), at(clash_day, 11)).status_code == 201
    rule = {"freq": "weekly", "days": [0, 2], "count": 6}
    preview = book(alice, space_id, at(monday, 10), at(monday, 11), recurrence=rule, preview=True)
    assert preview.status_code == 200
    occurrences = preview.get_json()["occurrences"]
    assert len(occurrences) == 6
    assert [o["reason"] for o in occurrences].count("full") == 1
    refused = book(alice, space_id, at(monday, 10), at(monday, 11), recurrence=rule)
    assert refused.status_code == 409
    problem = refused.get_json()
    assert "1 of the 6 occurrences cannot be booked" in problem["detail"]
    assert problem["conflicts"][0]["start"].startswith(clash_day.isoformat())
    made = book(
        alice, space_id, at(monday, 10), at(monday, 11), recurrence=rule, on_conflict="skip"
    )
    assert made.status_code == 201
    body = made.get_json()
    assert len(body["bookings"]) == 5 and len(body["skipped"]) == 1
    assert len({b["series_id"] for b in body["bookings"]}) == 1


def test_daily_recurrence_until_and_cancel_future_and_range(member_api, make_space, book, client):
    _a, headers = member_api()
    space_id = make_space(opening_hours={str(d): [480, 1140] for d in range(7)})
    first = next_weekday(0)
    rule = {"freq": "daily", "until": (first + timedelta(days=9)).isoformat()}
    made = book(headers, space_id, at(first, 9), at(first, 10), recurrence=rule)
    assert made.status_code == 201, made.get_json()
    ids = [b["id"] for b in made.get_json()["bookings"]]
    assert len(ids) == 10
    holidays = client.delete(
        f"/api/v1/bookings/{ids[0]}?scope=range&from={(first + timedelta(2)).isoformat()}"
        f"&to={(first + timedelta(4)).isoformat()}",
        headers=headers,
    )
    assert holidays.get_json()["cancelled"] == ids[2:5]
    future = client.delete(f"/api/v1/bookings/{ids[7]}?scope=future", headers=headers)
    assert future.get_json()["cancelled"] == ids[7:]
    one = client.delete(f"/api/v1/bookings/{ids[0]}", headers=headers)
    assert one.get_json()["cancelled"] == [ids[0]]
    again = client.delete(f"/api/v1/bookings/{ids[0]}", headers=headers)
    assert again.status_code == 409
    bad_scope = client.delete(f"/api/v1/bookings/{ids[1]}?scope=tout", headers=headers)
    assert bad_scope.status_code == 422


def test_a_recurrence_of_ten_thousand_occurrences_is_refused(member_api, make_space, book):
    _a, headers = member_api()
    space_id = make_space()
    day = next_weekday(0)
    answer = book(
        headers, space_id, at(day, 9), at(day, 10), recurrence={"freq": "daily", "count": 10000}
    )
    assert answer.status_code == 422
    assert (
        "at most 100 occurrences: you asked for 10000"
        in answer.get_json()["errors"]["recurrence.count"]
    )
    far = book(
        headers,
        space_id,
        at(day, 9),
        at(day, 10),
        recurrence={"freq": "daily", "until": "2999-01-01"},
    )
    assert far.status_code == 422 and "at most 100" in far.get_json()["errors"]["recurrence.until"]
    for rule, field in (
        ({"freq": "hourly", "count": 2}, "recurrence.freq"),
        ({"freq": "weekly", "days": [9], "count": 2}, "recurrence.days"),
        ({"freq": "daily"}, "recurrence"),
        ({"freq": "daily", "until": "demain"}, "recurrence.until"),
    ):
        answer = book(headers, space_id, at(day, 9), at(day, 10), recurrence=rule)
        assert answer.status_code == 422 and field in answer.get_json()["errors"], rule


def test_weekly_quota_per_status_and_open_bookings_limit(
    app, make_member, member_api, make_space, book
):
    admin = make_member(role="admin")
    _set(app, admin, workspaces_weekly_hours_support_contract=3, workspaces_max_open_bookings=3)
    _cape, cape = member_api(status="support_contract")
    space_id = make_space()
    day = next_weekday(1)
    assert book(cape, space_id, at(day, 9), at(day, 11)).status_code == 201
    over = book(cape, space_id, at(day, 14), at(day, 16))
    assert over.status_code == 409
    assert "weekly quota of 3 hours" in over.get_json()["detail"]
    assert book(cape, space_id, at(day, 14), at(day, 15)).status_code == 201
    _cesa, cesa = member_api()
    for hour in (9, 11, 13):
        assert (
            book(
                cesa, space_id, at(day + timedelta(1), hour), at(day + timedelta(1), hour + 1)
            ).status_code
            == 201
        )
    limit = book(cesa, space_id, at(day + timedelta(1), 16), at(day + timedelta(1), 17))
    assert limit.status_code == 409 and "3 at most" in limit.get_json()["detail"]


def test_staff_book_for_a_member_and_override_rules_audited(
    app, member_api, make_space, book, staff, client, notes
):
    member, headers = member_api()
    space_id = make_space(max_minutes=60)
    day = next_weekday(1)
    long = book(headers, space_id, at(day, 9), at(day, 12))
    assert long.status_code == 422
    assert book(headers, space_id, at(day, 9), at(day, 12), override=True).status_code == 403
    assert (
        book(headers, space_id, at(day, 9), at(day, 10), member_id=staff[0].id).status_code == 403
    )
    made = book(staff[1], space_id, at(day, 9), at(day, 12), member_id=member.id, override=True)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["bookings"][0]["member_id"] == member.id
    assert notes[-1]["member_id"] == member.id and notes[-1]["actor_id"] == staff[0].id
    # capacity still holds for staff
    assert book(staff[1], space_id, at(day, 10), at(day, 11), override=True).status_code == 409
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "booking_override")
        ).all()
        assert [(e.actor_id, e.subject_id) for e in events] == [(staff[0].id, member.id)]
    mine = client.get("/api/v1/bookings", headers=headers).get_json()["items"]
    assert len(mine) == 1


def test_approval_flow_notifies(member_api, make_space, book, staff, client, notes):
    member, headers = member_api()
    space_id = make_space(needs_approval=True)
    day = next_weekday(1)
    first = book(headers, space_id, at(day, 9), at(day, 10)).get_json()["bookings"][0]
    second = book(headers, space_id, at(day, 10), at(day, 11)).get_json()["bookings"][0]
    assert first["status"] == "pending" and notes[-1]["kind"] == "booking_pending"
    assert (
        client.post(f"/api/v1/bookings/{first['id']}/approve", headers=headers).status_code == 403
    )
    approved = client.post(f"/api/v1/bookings/{first['id']}/approve", headers=staff[1])
    assert approved.get_json()["status"] == "confirmed"
    assert notes[-1]["kind"] == "booking_approved" and notes[-1]["member_id"] == member.id
    declined = client.post(f"/api/v1/bookings/{second['id']}/decline", headers=staff[1])
    assert declined.get_json()["status"] == "declined" and notes[-1]["kind"] == "booking_declined"
    assert (
        client.post(f"/api/v1/bookings/{second['id']}/approve", headers=staff[1]).status_code == 409
    )


def test_waitlist_offer_confirm_and_no_double_assignment(
    app, member_api, make_space, book, client, notes
):
    _a, alice = member_api()
    bob, bob_h = member_api()
    carol, carol_h = member_api()
    space_id = make_space()
    day = next_weekday(1)
    booking = book(alice, space_id, at(day, 10), at(day, 11)).get_json()["bookings"][0]
    slot = {"start": at(day, 10), "end": at(day, 11)}
    free_slot = {"start": at(day, 14), "end": at(day, 15)}
    assert (
        client.post(
            f"/api/v1/spaces/{space_id}/waitlist", json=free_slot, headers=bob_h
        ).status_code
        == 409
    )
    assert (
        client.post(f"/api/v1/spaces/{space_id}/waitlist", json=slot, headers=bob_h).status_code
        == 201
    )
    assert (
        client.post(f"/api/v1/spaces/{space_id}/waitlist", json=slot, headers=carol_h).status_code
        == 201
    )
    client.delete(f"/api/v1/bookings/{booking['id']}", headers=alice)
    offers = [n for n in notes if n["kind"] == "waitlist_offer"]
    assert [n["member_id"] for n in offers] == [bob.id]  # first come, only one offer
    bobs = client.get("/api/v1/bookings", headers=bob_h).get_json()["items"]
    assert bobs[0]["status"] == "offered" and bobs[0]["holding"]
    # the offered seat is held: nobody else can take it meanwhile
    assert book(alice, space_id, at(day, 10), at(day, 11)).status_code == 409
    assert (
        client.post(f"/api/v1/bookings/{bobs[0]['id']}/confirm", headers=carol_h).status_code == 404
    )
    confirmed = client.post(f"/api/v1/bookings/{bobs[0]['id']}/confirm", headers=bob_h)
    assert confirmed.get_json()["status"] == "confirmed"
    assert client.get("/api/v1/bookings", headers=carol_h).get_json()["items"] == []


def test_an_expired_offer_goes_to_the_next_waiting_member(
    app, member_api, make_space, book, client, notes
):
    _a, alice = member_api()
    bob, bob_h = member_api()
    carol, carol_h = member_api()
    space_id = make_space()
    day = next_weekday(1)
    booking = book(alice, space_id, at(day, 10), at(day, 11)).get_json()["bookings"][0]
    slot = {"start": at(day, 10), "end": at(day, 11)}
    client.post(f"/api/v1/spaces/{space_id}/waitlist", json=slot, headers=bob_h)
    client.post(f"/api/v1/spaces/{space_id}/waitlist", json=slot, headers=carol_h)
    client.delete(f"/api/v1/bookings/{booking['id']}", headers=alice)
    offer_id = client.get("/api/v1/bookings", headers=bob_h).get_json()["items"][0]["id"]
    from network.workspaces.models import Booking

    with app.app_context():
        offer = db.session.get(Booking, offer_id)
        offer.lapses_at = offer.lapses_at - timedelta(days=1)
        db.session.commit()
    late = client.post(f"/api/v1/bookings/{offer_id}/confirm", headers=bob_h)
    assert late.status_code == 409 and "expired" in late.get_json()["detail"]
    with app.app_context():
        runner = app.test_cli_runner()
        result = runner.invoke(args=["workspaces", "release-unclaimed"])
    assert "1 booking(s) released" in result.output
    assert [n["member_id"] for n in notes if n["kind"] == "waitlist_offer"] == [bob.id, carol.id]
    carols = client.get("/api/v1/bookings", headers=carol_h).get_json()["items"]
    assert carols[0]["status"] == "offered"


def test_check_in_and_release_of_unclaimed_desks(app, member_api, make_space, book, client):
    from network.workspaces.models import Booking

    _a, alice = member_api()
    _b, bob = member_api()
    space_id = make_space(kind="desk_area", capacity=1, check_in_required=True)
    day = next_weekday(1)
    early = book(alice, space_id, at(day, 9), at(day, 11)).get_json()["bookings"][0]
    assert early["lapses_at"] is not None
    too_soon = client.post(f"/api/v1/bookings/{early['id']}/check-in", headers=alice)
    assert too_soon.status_code == 409 and "opens an hour before" in too_soon.get_json()["detail"]
    other = book(bob, space_id, at(day, 14), at(day, 16)).get_json()["bookings"][0]
    with app.app_context():  # move both bookings to now: one claimed, one not
        from network.core.models import utcnow

        now = utcnow()
        for booking_id, start in (
            (early["id"], now - timedelta(minutes=10)),
            (other["id"], now - timedelta(hours=1)),
        ):
            row = db.session.get(Booking, booking_id)
            row.start_at, row.end_at = start, start + timedelta(hours=3)
            row.lapses_at = start + timedelta(minutes=30)
        db.session.commit()
    checked = client.post(f"/api/v1/bookings/{early['id']}/check-in", headers=alice)
    assert (
        checked.status_code == 200
        and checked.get_json()["checked_in_at"]
        and checked.get_json()["lapses_at"] is None
    )
    late = client.post(f"/api/v1/bookings/{other['id']}/check-in", headers=bob)
    assert late.status_code == 409 and "released" in late.get_json()["detail"]
    # lapsed already counts as free before the command runs (reads never write)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["workspaces", "release-unclaimed"])
    assert "1 booking(s) released" in result.output
    assert (
        client.get(f"/api/v1/bookings/{other['id']}", headers=bob).get_json()["status"]
        == "released"
    )


def test_reminders_are_sent_once(app, member_api, make_space, book, notes):
    from network.core.models import utcnow
    from network.workspaces.models import Booking

    member, headers = member_api()
    space_id = make_space()
    day = next_weekday(1)
    made = book(headers, space_id, at(day, 9), at(day, 10)).get_json()["bookings"][0]
    with app.app_context():
        row = db.session.get(Booking, made["id"])
        row.start_at = utcnow() + timedelta(minutes=30)
        row.end_at = row.start_at + timedelta(hours=1)
        db.session.commit()
    runner = app.test_cli_runner()
    assert "1 reminder(s) sent" in runner.invoke(args=["workspaces", "send-reminders"]).output
    assert "0 reminder(s) sent" in runner.invoke(args=["workspaces", "send-reminders"]).output
    assert notes[-1]["kind"] == "booking_reminder" and notes[-1]["member_id"] == member.id


def test_members_own_bookings_and_cancellations_are_audited(
    app, client, member_api, make_space, book
):
    member, headers = member_api()
    space_id = make_space()
    day = next_weekday(2)
    made = book(headers, space_id, at(day, 9), at(day, 10))
    assert made.status_code == 201, made.get_json()
    booking_id = made.get_json()["bookings"][0]["id"]
    assert client.delete(f"/api/v1/bookings/{booking_id}", headers=headers).status_code == 200
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(("booking_created", "booking_cancelled")))
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.actor_id, e.details["booking_ids"]) for e in events] == [
            ("booking_created", member.id, [booking_id]),
            ("booking_cancelled", member.id, [booking_id]),
        ]
