"""The real-time contract: join, leave, send, typing, read and presence, each acknowledged;
membership checked on every join and send; catching up after a reconnection."""

import re

import pytest

from network.extensions import socketio
from tests.chat.conftest import new_client_id


def received(connection, name):
    """The payloads of the `name` events the connection received since last asked."""
    found = [event["args"] for event in connection.get_received() if event["name"] == name]
    # The test client keeps the arguments of a "message" event unwrapped.
    return [args if isinstance(args, dict) else args[0] for args in found]


@pytest.fixture
def pair(member_api, make_channel, connect):
    """Alice and Bob in a private channel, both connected and listening to it."""
    alice, alice_headers = member_api(display_name="Alice Martin")
    bob, bob_headers = member_api(display_name="Bob Durand")
    channel = make_channel(alice_headers, "Projet", kind="private", member_ids=[bob.id])
    alice_socket, bob_socket = connect(alice_headers), connect(bob_headers)
    for connection in (alice_socket, bob_socket):
        assert connection.emit("join", {"channel_id": channel["id"]}, callback=True)["ok"]
        connection.get_received()
    return channel["id"], (alice, alice_headers, alice_socket), (bob, bob_headers, bob_socket)


def test_a_sent_message_reaches_everyone_listening(pair):
    channel_id, (alice, _h, alice_socket), (_bob, _bh, bob_socket) = pair
    ack = alice_socket.emit(
        "send", {"channel_id": channel_id, "body": "Salut *Bob*", "client_id": "s-1"}, callback=True
    )
    assert ack["ok"] and not ack["duplicate"]
    (message,) = received(bob_socket, "message")
    assert message["id"] == ack["message"]["id"] and message["client_id"] == "s-1"
    assert message["author"] == {"id": alice.id, "name": "Alice Martin"}
    assert "<em>Bob</em>" in message["body_html"] and message["thread_id"] is None


def test_a_replayed_client_id_is_acknowledged_but_not_delivered_twice(pair):
    channel_id, (_a, _h, alice_socket), (_b, _bh, bob_socket) = pair
    payload = {"channel_id": channel_id, "body": "une fois", "client_id": "replay-1"}
    first = alice_socket.emit("send", payload, callback=True)
    second = alice_socket.emit("send", payload, callback=True)
    assert second["ok"] and second["duplicate"]
    assert second["message"]["id"] == first["message"]["id"]
    assert len(received(bob_socket, "message")) == 1


def test_joining_a_channel_you_may_not_read_is_refused(pair, member_api, connect):
    channel_id, _alice, _bob = pair
    _eve, eve_headers = member_api()
    eve = connect(eve_headers)
    ack = eve.emit("join", {"channel_id": channel_id}, callback=True)
    assert ack == {"ok": False, "error": ack["error"], "status": 404}
    sent = eve.emit(
        "send", {"channel_id": channel_id, "body": "x", "client_id": "e1"}, callback=True
    )
    assert not sent["ok"] and sent["status"] == 404
    assert received(eve, "message") == []


def test_malformed_payloads_get_a_clear_refusal(pair):
    channel_id, (_a, _h, alice_socket), _bob = pair
    for event, payload in (
        ("join", "not an object"),
        ("join", {"channel_id": "1"}),
        ("join", {}),
        ("send", {"channel_id": channel_id, "body": "", "client_id": "m1"}),
        ("send", {"channel_id": channel_id, "body": "x" * 5000, "client_id": "m2"}),
        ("send", {"channel_id": channel_id, "body": "ok"}),
        ("read", {"channel_id": channel_id, "message_id": "last"}),
        ("presence", {"status": "busy"}),
        ("send", None),
    ):
        ack = alice_socket.emit(event, payload, callback=True)
        assert ack["ok"] is False and ack["status"] in (404, 422), (event, payload)
        assert ack["error"]


def test_typing_is_shown_to_the_others_only(pair):
    channel_id, (alice, _h, alice_socket), (_bob, _bh, bob_socket) = pair
    assert alice_socket.emit("typing", {"channel_id": channel_id}, callback=True)["ok"]
    (typing,) = received(bob_socket, "typing")
    assert typing["member"] == {"id": alice.id, "name": "Alice Martin"}
    assert received(alice_socket, "typing") == []


def test_reading_updates_the_members_other_tabs(pair, connect):
    channel_id, (_a, _h, alice_socket), (_bob, bob_headers, bob_socket) = pair
    other_tab = connect(bob_headers)
    for n in range(3):
        ack = alice_socket.emit(
            "send", {"channel_id": channel_id, "body": f"n{n}", "client_id": f"r{n}"}, callback=True
        )
    ack = bob_socket.emit(
        "read", {"channel_id": channel_id, "message_id": ack["message"]["id"]}, callback=True
    )
    assert ack["ok"]
    unread = received(other_tab, "unread")
    assert unread[-1]["channel_id"] == channel_id and unread[-1]["unread"] == 0


def test_a_removed_member_stops_hearing_the_channel_at_once(client, pair):
    channel_id, (_a, alice_headers, alice_socket), (bob, _bh, bob_socket) = pair
    response = client.delete(
        f"/api/v1/channels/{channel_id}/members/{bob.id}", headers=alice_headers
    )
    assert response.status_code == 204
    assert received(bob_socket, "channel_removed") == [{"channel_id": channel_id}]
    alice_socket.emit(
        "send", {"channel_id": channel_id, "body": "sans Bob", "client_id": "x1"}, callback=True
    )
    assert received(bob_socket, "message") == []
    rejoin = bob_socket.emit("join", {"channel_id": channel_id}, callback=True)
    assert not rejoin["ok"]


def test_messages_posted_through_the_api_are_delivered_live(client, pair, post):
    channel_id, (_a, alice_headers, _alice_socket), (_b, _bh, bob_socket) = pair
    message = post(alice_headers, channel_id, "par l'API").get_json()
    assert [m["id"] for m in received(bob_socket, "message")] == [message["id"]]
    client.patch(
        f"/api/v1/messages/{message['id']}", json={"body": "modifié"}, headers=alice_headers
    )
    client.put(f"/api/v1/messages/{message['id']}/reactions/👍", headers=alice_headers)
    client.delete(f"/api/v1/messages/{message['id']}", headers=alice_headers)
    names = [event["name"] for event in bob_socket.get_received()]
    assert names == ["message_edited", "reaction", "message_deleted"]


def test_a_reconnecting_client_catches_up_on_what_it_missed(pair, post, connect):
    channel_id, (_a, alice_headers, _s), (_bob, bob_headers, bob_socket) = pair
    seen = post(alice_headers, channel_id, "vu").get_json()["id"]
    bob_socket.disconnect()
    missed = [post(alice_headers, channel_id, f"manqué {n}").get_json()["id"] for n in range(3)]
    back = connect(bob_headers)
    ack = back.emit("join", {"channel_id": channel_id, "after": seen}, callback=True)
    assert [m["id"] for m in ack["messages"]] == missed and ack["more"] is False


def test_presence_follows_connections_and_idle_tabs(pair, connect):
    channel_id, (alice, alice_headers, alice_socket), (_bob, _bh, bob_socket) = pair
    assert bob_socket.emit("presence", {"status": "away"}, callback=True)["status"] == "away"
    alice_socket.get_received()
    second_tab = connect(alice_headers)
    second_tab.emit("join", {"channel_id": channel_id}, callback=True)
    ack = alice_socket.emit("join", {"channel_id": channel_id}, callback=True)
    assert ack["presence"][str(alice.id)] == "online"
    second_tab.disconnect()
    alice_socket.disconnect()
    assert {"member_id": alice.id, "status": "offline"} in received(bob_socket, "presence")


def test_sending_through_the_socket_is_rate_limited(pair):
    channel_id, (_a, _h, alice_socket), _bob = pair
    answers = [
        alice_socket.emit(
            "send",
            {"channel_id": channel_id, "body": f"n{n}", "client_id": new_client_id()},
            callback=True,
        )
        for n in range(31)
    ]
    assert all(a["ok"] for a in answers[:30])
    assert answers[30]["status"] == 429 and answers[30]["error"]


def test_events_that_come_fast_go_out_together_in_order(app, client, pair, post):
    """Outside the tests, live events that follow one another within a window are held and
    sent together: none is lost, none is sent twice, the order stays."""
    from network.core.bursts import Bursts

    channel_id, (_a, alice_headers, _alice_socket), (_b, _bh, bob_socket) = pair
    app.extensions["terreau_bursts"] = Bursts(window=0.05)
    try:
        first = post(alice_headers, channel_id, "un").get_json()["id"]
        later = [post(alice_headers, channel_id, f"suite {n}").get_json()["id"] for n in range(4)]
        client.delete(f"/api/v1/messages/{first}", headers=alice_headers)
        names_and_ids = []
        for _attempt in range(100):  # the held ones come with the burst
            names_and_ids += [
                (
                    event["name"],
                    (event["args"][0] if isinstance(event["args"], list) else event["args"])["id"],
                )
                for event in bob_socket.get_received()
            ]
            if len(names_and_ids) >= 6:
                break
            socketio.sleep(0.02)
    finally:
        app.extensions["terreau_bursts"] = Bursts(window=0)
    assert names_and_ids == [("message", first)] + [("message", i) for i in later] + [
        ("message_deleted", first)
    ]


def test_the_live_status_and_the_pages_notice_follow_the_message_queue(
    member_api, connect, client, login, monkeypatch
):
    """A tab asks `live_status` on each connection; pages show the notice while this process's
    message queue is down (the outage itself: tests/faults/test_redis.py)."""
    member, headers = member_api()
    connection = connect(headers)
    login(member)
    notice = re.compile(r'<p id="live-notice"[^>]*>')
    assert connection.emit("live_status", {}, callback=True) == {"ok": True}
    assert "hidden" in notice.search(client.get("/feed").get_data(as_text=True)).group(0)
    monkeypatch.setattr("network.core.livequeue._live_ok", False)
    assert connection.emit("live_status", {}, callback=True) == {"ok": False}
    page = client.get("/feed", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "hidden" not in notice.search(page).group(0)
    assert "Live updates are interrupted: reconnecting…" in page


def test_a_connection_the_server_ends_is_announced_offline(client, pair):
    """The server ends a connection inside the commit that revoked its token (an after-commit
    side effect): its disconnection still reads the member's channels, on a session of its own."""
    _channel_id, (alice, alice_headers, _alice_socket), (_bob, _bh, bob_socket) = pair
    assert client.delete("/api/v1/auth/token", headers=alice_headers).status_code == 204
    assert {"member_id": alice.id, "status": "offline"} in received(bob_socket, "presence")
