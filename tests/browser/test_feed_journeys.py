"""The feed in a real browser: a member posts and mentions another, who sees the live
"new items" banner and the notification badge without reloading."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_post_shows_a_live_banner_and_a_mention_notification(
    make_member, new_browser_page, sign_in, console_errors
):
    alice = make_member(display_name="Alice Martin")
    bob = make_member(display_name="Bob Durand")
    bob_page, alice_page = new_browser_page(), new_browser_page()
    sign_in(bob_page, bob.email)
    bob_page.goto("/feed")
    badge = bob_page.locator("#notification-link .notification-badge")
    expect(badge).to_be_hidden()
    expect(bob_page.locator(".feed-banner")).to_be_hidden()

    sign_in(alice_page, alice.email)
    alice_page.goto("/feed")
    alice_page.locator("#body").fill("Bienvenue @Bob Durand dans le groupe #entraide !")
    alice_page.locator(".feed-composer button[type=submit]").click()
    expect(alice_page.locator("article.post").first).to_contain_text("Bienvenue")

    banner = bob_page.locator(".feed-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("1")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("1")
    banner.locator("button").click()
    expect(bob_page.locator("article.post").first).to_contain_text("Bienvenue")
    mention = bob_page.locator("article.post").first.get_by_role("link", name="@Bob Durand")
    expect(mention).to_have_attribute("href", f"/members/{bob.id}")

    bob_page.locator("#notification-link").click()
    expect(bob_page.locator(".notification-list")).to_contain_text("Alice Martin")
    assert console_errors == []
