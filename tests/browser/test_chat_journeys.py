"""Live channels in a real browser: two members, two contexts, each sees the other's
presence, typing and messages without reloading."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS

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


def test_a_dropped_connection_catches_up_and_sends_once(
    client, make_member, token_for, new_browser_page, sign_in, console_errors
):
    alice = make_member(display_name="Alice Martin")
    bob = make_member(display_name="Bob Durand")
    bob_headers = token_for(bob)
    channel_id = client.post(
        "/api/v1/channels",
        json={"name": "Atelier", "kind": "private", "member_ids": [alice.id]},
        headers=bob_headers,
    ).get_json()["id"]
    page = new_browser_page()
    sign_in(page, alice.email)
    page.goto(f"/chat/{channel_id}")
    expect(page.locator(f'[data-presence-member="{alice.id}"]')).to_have_attribute(
        "data-presence", "online"
    )

    page.evaluate("window.terreauSocket.disconnect()")
    expect(page.locator(".chat-status")).to_be_visible()
    for n in range(2):
        response = client.post(
            f"/api/v1/channels/{channel_id}/messages",
            json={"body": f"Pendant ta coupure {n}", "client_id": f"offline-{n}"},
            headers=bob_headers,
        )
        assert response.status_code == 201
    page.locator("#chat-body").fill("Écrit hors connexion")
    page.locator("#chat-body").press("Enter")
    expect(page.locator("#chat-history .chat-message.pending")).to_have_count(1)

    page.evaluate("window.terreauSocket.connect()")
    history = page.locator("#chat-history .chat-message")
    caught_up = history.filter(has_text="Pendant ta coupure")
    expect(caught_up).to_have_count(2, timeout=TIMEOUT_MS)  # a reconnection on a busy machine
    expect(history.filter(has_text="Écrit hors connexion")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator("#chat-history .chat-message.pending")).to_have_count(0)
    sent = client.get(f"/api/v1/channels/{channel_id}/messages", headers=bob_headers).get_json()
    assert [m["body"] for m in sent["items"]].count("Écrit hors connexion") == 1
    assert console_errors == []


def test_live_messages_can_be_reacted_to_and_edited_in_place(
    client, make_member, token_for, new_browser_page, sign_in, console_errors
):
    alice = make_member(display_name="Alice Martin")
    bob = make_member(display_name="Bob Durand")
    channel_id = client.post(
        "/api/v1/channels",
        json={"name": "Coin café", "kind": "private", "member_ids": [bob.id]},
        headers=token_for(alice),
    ).get_json()["id"]
    alice_page, bob_page = new_browser_page(), new_browser_page()
    sign_in(bob_page, bob.email)
    bob_page.goto(f"/chat/{channel_id}")
    sign_in(alice_page, alice.email)
    alice_page.goto(f"/chat/{channel_id}")
    expect(bob_page.locator(f'[data-presence-member="{alice.id}"]')).to_have_attribute(
        "data-presence", "online"
    )

    # @mention suggestions: a listbox of the channel's members, chosen with the keyboard.
    composer = alice_page.locator("#chat-body")
    composer.press_sequentially("Salut @Bo", delay=30)
    option = alice_page.get_by_role("option", name="Bob Durand")
    expect(option).to_be_visible()
    expect(composer).to_have_attribute("aria-expanded", "true")
    composer.press("Enter")  # chooses the suggestion, does not send
    expect(composer).to_have_value("Salut @Bob Durand ")
    composer.press_sequentially("un café ?", delay=10)
    composer.press("Enter")

    received = bob_page.locator("#chat-history .chat-message").last
    expect(received).to_contain_text("un café ?")
    bob_page.evaluate("window.__stayed = true")
    # Bob reacts to the message he received live: both pages update without reloading.
    received.locator(".chat-actions summary").click()
    received.locator('button[name="reaction"][value="+👍"]').first.click()
    sent = alice_page.locator("#chat-history .chat-message").last
    expect(sent.locator('.reaction[data-emoji="👍"] .n')).to_have_text("1")
    mine = received.locator('.reaction[data-emoji="👍"]')
    expect(mine).to_have_attribute("aria-pressed", "true")

    # Alice edits it in place; Bob sees the new text, still on the same page.
    sent.locator(".chat-actions summary").click()
    sent.locator('[data-action="edit"]').click()
    editor = sent.locator(".chat-edit-inline textarea")
    expect(editor).to_have_value("Salut @Bob Durand un café ?")
    editor.fill("Salut @Bob Durand un thé ?")
    sent.locator(".chat-edit-inline button[type=submit]").click()
    expect(received.locator(".chat-body")).to_contain_text("un thé ?")
    expect(received.locator(".chat-edited")).to_be_visible()
    assert bob_page.evaluate("window.__stayed") is True  # the same page: no reload
    assert console_errors == []
