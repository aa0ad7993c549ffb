"""Workspaces in a real browser: a member books a room in two clicks from the week grid and
sees it in "my bookings"; another member's grid updates live."""

import pytest
from playwright.sync_api import expect

from tests.workspaces.conftest import OFFICE_HOURS, next_weekday

pytestmark = pytest.mark.browser


def test_book_a_room_and_see_it_in_my_bookings(
    app, make_member, new_browser_page, sign_in, console_errors
):
    from network.extensions import db
    from network.members.models import Member
    from network.workspaces import operations

    staff = make_member(role="staff")
    alice = make_member(display_name="Alice Martin")
    bob = make_member(display_name="Bob Durand")
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
        space_id = space.id
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
