"""Live channels in a real browser: two members, two contexts, each sees the other's
presence, typing and messages without reloading."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_two_members_talk_live(
    client, make_member, token_for, new_browser_page, sign_in, console_errors
):
    alice = make_member(display_name="Alice Martin")
    bob = make_member(display_name="Bob Durand")
    response = client.post(
        "/api/v1/channels",
        json={"name": "Projet vitrine", "kind": "private", "member_ids": [bob.id]},
        headers=token_for(alice),
    )
    channel_id = response.get_json()["id"]
    alice_page, bob_page = new_browser_page(), new_browser_page()
    sign_in(bob_page, bob.email)
    bob_page.goto(f"/chat/{channel_id}")
    sign_in(alice_page, alice.email)
    alice_page.goto(f"/chat/{channel_id}")

    alice_in_bobs_list = bob_page.locator(f'[data-presence-member="{alice.id}"]')
    expect(alice_in_bobs_list).to_have_attribute("data-presence", "online")

    alice_page.locator("#chat-body").press_sequentially("Bonjour Bob", delay=20)
    expect(bob_page.locator(".chat-typing")).to_contain_text("Alice Martin")
    alice_page.locator("#chat-body").press("Enter")
    expect(bob_page.locator("#chat-history .chat-message").last).to_contain_text("Bonjour Bob")
    expect(alice_page.locator("#chat-history .chat-message").last).to_contain_text("Bonjour Bob")
    expect(alice_page.locator("#chat-history .chat-message.pending")).to_have_count(0)
    expect(bob_page.locator(".chat-typing")).to_have_text("")

    bob_page.locator("#chat-body").fill("Salut Alice, on se voit jeudi ?")
    bob_page.locator("#chat-composer button[type=submit]").click()
    expect(alice_page.locator("#chat-history .chat-message").last).to_contain_text("jeudi")

    bob_page.close()
    expect(alice_page.locator(f'[data-presence-member="{bob.id}"]')).to_have_attribute(
        "data-presence", "offline"
    )
    assert console_errors == []
