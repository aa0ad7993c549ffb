"""Redis stopped and started again while members chat across two server processes: pages,
the API, sign-in and writes keep answering; the live updates say they are interrupted (an event
to the open tabs, a notice in the pages) and come back by themselves once Redis is back."""

import re
import time

import pytest
import requests
import socketio

from tests.faults.conftest import api_headers, make_env, signed_in

pytestmark = pytest.mark.redis
NOTICE = re.compile(r'<p id="live-notice"[^>]*>')
TEXT = "Live updates are interrupted: reconnecting…"


def next_event(client, name, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        event, *args = client.receive(timeout=max(0.1, deadline - time.monotonic()))
        if event == name:
            return args[0]


def live_status(client):
    return client.call("live_status", {}, timeout=10)


def notice_shown(session, url):
    page = session.get(f"{url}/feed", timeout=10)
    assert page.status_code == 200
    tag = NOTICE.search(page.text).group(0)
    assert TEXT in page.text
    return "hidden" not in tag


def eventually(check, timeout=20):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_redis_stopped_and_restarted_while_members_chat(tmp_path, redis_server, servers):
    env, seed = make_env(tmp_path, redis_url=redis_server.url, TERREAU_LIVE_CHECK_SECONDS="0.5")
    (_one, first), (_two, second) = servers.start(env), servers.start(env)
    alice_email, bob_email = seed["emails"]
    alice = api_headers(first, alice_email)
    bob_token = api_headers(second, bob_email)["Authorization"].removeprefix("Bearer ")
    bob_id = requests.get(
        f"{second}/api/v1/me", headers={"Authorization": f"Bearer {bob_token}"}, timeout=10
    ).json()["id"]
    channel = requests.post(
        f"{first}/api/v1/channels",
        json={"name": "Atelier", "kind": "private", "member_ids": [bob_id]},
        headers=alice,
        timeout=10,
    ).json()["id"]

    def say(body):
        sent = requests.post(
            f"{first}/api/v1/channels/{channel}/messages",
            json={"body": body, "client_id": f"c{len(body)}{abs(hash(body))}"},
            headers=alice,
            timeout=10,
        )
        assert sent.status_code == 201, sent.text
        return sent.json()["id"]

    bob = socketio.SimpleClient()
    bob.connect(second, auth={"token": bob_token}, transports=["websocket"])
    try:
        assert bob.call("join", {"channel_id": channel}, timeout=10)["ok"]
        before = say("avant la panne")
        assert next_event(bob, "message")["id"] == before  # across the two processes

        redis_server.stop()
        assert eventually(lambda: live_status(bob) == {"ok": False})
        assert next_event(bob, "live_status") == {"ok": False}  # the tab was told
        browser = signed_in(first, alice_email)  # sign-in works (its limits count in memory)
        assert eventually(lambda: notice_shown(browser, first))
        during = say("pendant la panne")  # writes work
        late = socketio.SimpleClient()  # a tab opened now connects
        late.connect(first, auth={"token": bob_token}, transports=["websocket"])
        assert live_status(late) == {"ok": False}
        late.disconnect()

        redis_server.start()
        assert eventually(lambda: live_status(bob) == {"ok": True})
        assert next_event(bob, "live_status") == {"ok": True}  # told again
        caught_up = bob.call("join", {"channel_id": channel, "after": before}, timeout=10)
        assert [m["id"] for m in caught_up["messages"]] == [during]  # what the queue missed
        after = say("après la panne")
        assert next_event(bob, "message")["id"] == after  # live again, by itself
        assert eventually(lambda: not notice_shown(browser, first))
    finally:
        bob.disconnect()
