"""Search journeys in a real browser: suggestions as you type in the header, chosen with
the keyboard."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_header_suggests_as_you_type_and_the_keyboard_picks(
    make_member, search_index, browser_page, sign_in, live_server, console_errors
):
    lamp = make_member(display_name="Lina Lampe", trade="Éclairagiste")
    make_member(email="zoe@example.org", display_name="Zoé Lectrice")
    page = browser_page
    sign_in(page, "zoe@example.org")
    field = page.locator("#header-q")
    field.click()
    field.press_sequentially("Lamp", delay=30)
    suggestions = page.locator("#header-suggestions")
    expect(suggestions).to_be_visible()
    option = suggestions.get_by_role("option").filter(has_text="Lina Lampe")
    expect(option.first).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    field.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    field.press("End")
    field.press("e")  # "Lampe": suggestions again
    expect(option.first).to_be_visible()
    field.press("ArrowDown")
    first = suggestions.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", "suggestion-1")
    field.press("Enter")
    expect(page).to_have_url(f"{live_server}/members/{lamp.id}")
    assert console_errors == []
