"""Direct and group messages notify the others: once per conversation until they read it,
by e-mail only when they are not connected, per their preferences; the header counts the
conversations with unread messages."""

from network.core.registries import NOTIFICATION_KINDS as KINDS
from tests.chat.conftest import events
from tests.conftest import form_post


def _direct(client, headers, *others):
    response = client.post(
        "/api/v1/direct", json={"member_ids": [o.id for o in others]}, headers=headers
    )
    assert response.status_code in (200, 201)
    return response.get_json()["id"]


def _notes(client, headers):
    return client.get("/api/v1/notifications", headers=headers).get_json()


def test_a_direct_message_notifies_once_until_read_and_mails_the_offline(
    client, member_api, post, outbox
):
    _alice, alice = member_api(display_name="Alice Martin")
    bob, bob_headers = member_api(display_name="Bob Durand")
    channel_id = _direct(client, alice, bob)
    for body in ("Bonjour", "Tu es là ?", "Réponds vite"):
        assert post(alice, channel_id, body).status_code == 201
    answer = _notes(client, bob_headers)
    assert answer["unread"] == 1  # not one per message of the conversation
    assert answer["items"][0]["text"] == "Alice Martin sent you a message"
    assert answer["items"][0]["url"] == f"/chat/{channel_id}"
    assert len([m for m in outbox() if m["To"] == bob.email]) == 1
    last = post(alice, channel_id, "Encore").get_json()["id"]
    read = client.post(
        f"/api/v1/channels/{channel_id}/read", json={"message_id": last}, headers=bob_headers
    )
    assert read.status_code == 200
    post(alice, channel_id, "Après lecture")
    # Bob read the conversation but not the notification: a lively talk is told once.
    assert _notes(client, bob_headers)["unread"] == 1
    client.post("/api/v1/notifications/read", headers=bob_headers)
    last = post(alice, channel_id, "Et maintenant ?").get_json()["id"]
    assert _notes(client, bob_headers)["unread"] == 0  # the conversation is unread: not again
    client.post(
        f"/api/v1/channels/{channel_id}/read", json={"message_id": last}, headers=bob_headers
    )
    post(alice, channel_id, "Bonne soirée")
    assert _notes(client, bob_headers)["unread"] == 1  # both read, then a new one: told again
    assert _notes(client, alice)["unread"] == 0  # never for one's own messages


def test_a_connected_member_is_told_live_but_not_mailed(
    app, client, member_api, post, outbox, connect
):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    carol, _carol_headers = member_api()
    channel_id = _direct(client, alice, bob, carol)  # a group conversation
    tab = connect(bob_headers)
    post(alice, channel_id, "Réunion demain")
    (told,) = events(tab, "notification")
    assert told["kind"] == "direct_message"
    assert _notes(client, bob_headers)["unread"] == 1
    assert [m for m in outbox() if m["To"] == bob.email] == []  # connected: no e-mail
    assert len([m for m in outbox() if m["To"] == carol.email]) == 1  # offline: e-mailed


def test_the_preference_never_stops_the_mail_and_the_page_lists_the_kind(
    client, member_api, post, outbox, login
):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    login(bob)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Messages directs et de groupe qui vous sont adressés" in page
    chosen = {name: "daily" for name in KINDS} | {"direct_message": "never"}
    saved = form_post(client, "/notifications/settings", chosen, page="/notifications/settings")
    assert saved.status_code == 302
    channel_id = _direct(client, alice, bob)
    post(alice, channel_id, "Bonjour")
    assert _notes(client, bob_headers)["unread"] == 1
    assert [m for m in outbox() if m["To"] == bob.email] == []


def test_public_channel_messages_do_not_notify(client, member_api, post, make_channel):
    _alice, alice = member_api()
    _bob, bob_headers = member_api()
    channel = make_channel(alice, "Atelier")
    client.post(
        f"/api/v1/channels/{channel['id']}/members",
        json={"member_id": _bob.id},
        headers=bob_headers,
    )
    post(alice, channel["id"], "Bonjour à tous")
    assert _notes(client, bob_headers)["unread"] == 0


def test_reading_tells_the_tabs_the_new_number_of_unread_conversations(
    client, member_api, post, connect
):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    first = _direct(client, alice, bob)
    last = post(alice, first, "Un").get_json()["id"]
    tab = connect(bob_headers)
    client.post(f"/api/v1/channels/{first}/read", json={"message_id": last}, headers=bob_headers)
    (told,) = events(tab, "unread")
    assert (told["channel_id"], told["unread"], told["conversations"]) == (first, 0, 0)


def test_the_header_counts_unread_conversations(client, member_api, post, login):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    carol, _ = member_api()
    first = _direct(client, alice, bob)
    second = _direct(client, alice, bob, carol)
    post(alice, first, "Un")
    post(alice, first, "Deux")
    last = post(alice, second, "Trois").get_json()["id"]
    login(bob)
    page = client.get("/feed").get_data(as_text=True)
    assert 'id="conversation-link" data-unread="2"' in page
    client.post(f"/api/v1/channels/{second}/read", json={"message_id": last}, headers=bob_headers)
    page = client.get("/feed").get_data(as_text=True)
    assert 'id="conversation-link" data-unread="1"' in page
