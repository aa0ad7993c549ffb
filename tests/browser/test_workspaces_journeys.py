"""Workspaces in a real browser: a member books a room in two clicks from the week grid and
sees it in "my bookings"; another member's grid updates live; a member drags over free slots
to book a range, picks a duration and sees the end, and cancels from "my bookings" after a
confirmation dialog."""

import pytest
from playwright.sync_api import expect

from tests.workspaces.conftest import OFFICE_HOURS, next_weekday

pytestmark = pytest.mark.browser


def _room(app, staff) -> int:
    """A meeting room (slots of 30 minutes, up to 4 hours) on a new site: its id."""
    from network.extensions import db
    from network.members.models import Member
    from network.workspaces import operations

    with app.test_request_context():
        actor = db.session.get(Member, staff.id)
        site = operations.create_site(actor, "Lyon")
        space = operations.create_space(
            actor,
            {
                "name": "Salle Jaurès",
                "kind": "meeting_room",
                "site_id": site.id,
                "capacity": 1,
                "opening_hours": OFFICE_HOURS,
                "max_days_ahead": 90,
            },
        )
        db.session.commit()
        return space.id


def test_book_a_room_and_see_it_in_my_bookings(
    app, make_member, new_browser_page, sign_in, console_errors
):
    staff = make_member(role="staff")
    alice = make_member(display_name="Alice Martin")
    bob = make_member(display_name="Bob Durand")
    space_id = _room(app, staff)
    day = next_weekday(1)
    week = f"/workspaces/spaces/{space_id}?week={day.isoformat()}"
    bob_page = new_browser_page()
    sign_in(bob_page, bob.email)
    bob_page.goto(week)
    page = new_browser_page()
    sign_in(page, alice.email)
    page.goto(week)
    slot = f'a.ws-free[data-start="{day.isoformat()}T10:00"]'
    page.locator(slot).click()  # first click: the slot
    expect(page.locator("input[name=start]")).to_have_value(f"{day.isoformat()}T10:00")
    page.locator("main form.panel button[type=submit]").click()  # second click: book
    expect(page).to_have_url(f"{page.url.split('/workspaces')[0]}/workspaces/bookings")
    expect(page.locator(".ws-bookings")).to_contain_text("Salle Jaurès")
    # Bob's grid, opened before, is told at once that the slot is taken
    expect(bob_page.locator(f'[data-start="{day.isoformat()}T10:00"]')).to_have_class(
        "ws-slot ws-taken"
    )
    assert console_errors == []


def test_drag_a_range_then_pick_a_duration(app, make_member, browser_page, sign_in, console_errors):
    staff = make_member(role="staff")
    alice = make_member(display_name="Alice Martin")
    space_id = _room(app, staff)
    day = next_weekday(2).isoformat()
    page = browser_page
    sign_in(page, alice.email)
    page.goto(f"/workspaces/spaces/{space_id}?week={day}")
    expect(page.locator(".ws-rules")).to_contain_text("30 minutes")
    page.locator(f'a.ws-free[data-start="{day}T09:00"]').hover()
    page.mouse.down()
    page.locator(f'a.ws-free[data-start="{day}T09:30"]').hover()
    page.locator(f'a.ws-free[data-start="{day}T10:30"]').hover()
    expect(page.locator("a.ws-picked")).to_have_count(4)  # 09:00, 09:30, 10:00, 10:30
    page.mouse.up()
    expect(page.locator("input[name=start]")).to_have_value(f"{day}T09:00")
    expect(page.locator("select[name=duration]")).to_have_value("120")  # 09:00–11:00
    expect(page.locator(".ws-ends")).to_contain_text("11:00")  # the page is in French
    page.locator("select[name=duration]").select_option("90")
    expect(page.locator(".ws-ends")).to_contain_text("10:30")
    page.locator("main form.ws-book button[type=submit]").click()
    expect(page.locator(".ws-bookings")).to_contain_text("09:00–10:30")
    assert console_errors == []


def test_cancel_from_my_bookings_after_confirming(
    app, make_member, browser_page, sign_in, console_errors
):
    staff = make_member(role="staff")
    alice = make_member(display_name="Alice Martin")
    space_id = _room(app, staff)
    day = next_weekday(3).isoformat()
    page = browser_page
    sign_in(page, alice.email)
    page.goto(f"/workspaces/spaces/{space_id}/book?start={day}T14:00&end={day}T15:00")
    page.locator("main form.ws-book button[type=submit]").click()
    booking = page.locator(".ws-bookings li.ws-booking")
    expect(booking).to_contain_text("Salle Jaurès")
    page.wait_for_load_state()  # the deferred script has attached the confirmation
    booking.locator("a[data-cancel]").click()
    dialog = page.locator("dialog.ws-cancel-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Salle Jaurès")
    dialog.locator("button[data-close]").click()  # changed my mind: nothing happens
    expect(dialog).to_be_hidden()
    expect(booking).to_have_count(1)
    booking.locator("a[data-cancel]").click()
    dialog.locator("button[type=submit]").click()
    expect(page.locator(".flashes")).to_contain_text("1")
    expect(page.locator(".ws-bookings li.ws-booking")).to_have_count(0)
    assert page.url.endswith("/workspaces/bookings")
    assert console_errors == []


def test_the_day_view_updates_a_space_live(
    app, make_member, new_browser_page, sign_in, console_errors
):
    staff = make_member(role="staff")
    alice = make_member(display_name="Alice Martin")
    bob = make_member(display_name="Bob Durand")
    space_id = _room(app, staff)
    day = next_weekday(4).isoformat()
    bob_page = new_browser_page()
    sign_in(bob_page, bob.email)
    bob_page.goto(f"/workspaces?date={day}")
    row = bob_page.locator(f'li[data-space-id="{space_id}"]')
    expect(row.locator(".ws-free-runs a")).to_have_text(["08:00–19:00"])
    page = new_browser_page()
    sign_in(page, alice.email)
    page.goto(f"/workspaces/spaces/{space_id}/book?start={day}T10:00&end={day}T11:00")
    page.locator("main form.ws-book button[type=submit]").click()
    expect(page.locator(".ws-bookings")).to_contain_text("Salle Jaurès")
    # Bob's day view, opened before, shows the room's free and full runs at once
    expect(row.locator(".ws-free-runs a")).to_have_text(["08:00–10:00", "11:00–19:00"])
    expect(row.locator(".ws-full-runs span")).to_have_text(["10:00–11:00"])
    assert console_errors == []
