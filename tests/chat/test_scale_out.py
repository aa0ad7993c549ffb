"""Real server processes: two of them share the Socket.IO message queue through Redis, and a
connection from another origin is refused."""

import os
import subprocess
import sys
import time

import pytest
import requests
import socketio

from tests.servers import ROOT, prepare_database, require_redis, running_servers

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"


def _create_member(env, email, name):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "network:create_app",
            "members",
            "create",
            email,
            "--name",
            name,
            "--status",
            "employee_entrepreneur",
            "--password-stdin",
        ],
        env=env,
        cwd=ROOT,
        input=PASSWORD,
        text=True,
        check=True,
        capture_output=True,
    )


def _token(url, email):
    response = requests.post(
        f"{url}/api/v1/auth/token", json={"email": email, "password": PASSWORD}, timeout=5
    )
    assert response.status_code == 201, response.text
    return response.json()["token"]


def _environment(tmp_path, **extra):
    env = {**os.environ, "TERREAU_DATA_DIR": str(tmp_path), "SECRET_KEY": "chat-scale-out", **extra}
    env.pop("DATABASE_URL", None)
    prepare_database(env)
    _create_member(env, "alice@example.org", "Alice Martin")
    _create_member(env, "bob@example.org", "Bob Durand")
    return env


@pytest.mark.redis
def test_a_message_sent_through_one_process_reaches_a_member_on_the_other(tmp_path):
    require_redis(REDIS_URL)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = _environment(tmp_path, REDIS_URL=REDIS_URL)
    with running_servers(2, env) as (first, second):
        alice, bob = _token(second, "alice@example.org"), _token(first, "bob@example.org")
        headers = {"Authorization": f"Bearer {alice}"}
        bob_id = requests.get(
            f"{first}/api/v1/me", headers={"Authorization": f"Bearer {bob}"}, timeout=5
        ).json()["id"]
        channel = requests.post(
            f"{second}/api/v1/channels",
            json={"name": "Projet", "kind": "private", "member_ids": [bob_id]},
            headers=headers,
            timeout=5,
        ).json()
        listener = socketio.SimpleClient()
        listener.connect(first, auth={"token": bob}, transports=["websocket"])
        try:
            assert listener.call("join", {"channel_id": channel["id"]}, timeout=5)["ok"]
            sent = requests.post(
                f"{second}/api/v1/channels/{channel['id']}/messages",
                json={"body": "Depuis l'autre processus", "client_id": "x-1"},
                headers=headers,
                timeout=5,
            )
            assert sent.status_code == 201
            event = _next_event(listener, "message")
            assert event["id"] == sent.json()["id"] and event["channel_id"] == channel["id"]
            removed = requests.delete(
                f"{second}/api/v1/channels/{channel['id']}/members/{bob_id}",
                headers=headers,
                timeout=5,
            )
            assert removed.status_code == 204
            assert _next_event(listener, "channel_removed") == {"channel_id": channel["id"]}
            requests.post(
                f"{second}/api/v1/channels/{channel['id']}/messages",
                json={"body": "Bob n'entend plus", "client_id": "x-2"},
                headers=headers,
                timeout=5,
            )
            with pytest.raises(socketio.exceptions.TimeoutError):
                _next_event(listener, "message", timeout=1)
        finally:
            listener.disconnect()


def _next_event(client, name, timeout=5):
    while True:
        event, *args = client.receive(timeout=timeout)
        if event == name:
            return args[0]


def test_a_connection_from_another_origin_is_refused(tmp_path):
    env = _environment(tmp_path)
    with running_servers(1, env) as (url,):
        token = _token(url, "alice@example.org")
        handshake = f"{url}/socket.io/?EIO=4&transport=polling"
        foreign = requests.get(handshake, headers={"Origin": "https://evil.example"}, timeout=5)
        assert foreign.status_code == 400 and "origin" in foreign.text
        assert requests.get(handshake, headers={"Origin": url}, timeout=5).status_code == 200
        same = socketio.SimpleClient()
        same.connect(
            url, auth={"token": token}, transports=["websocket"]
        )  # no Origin: not a browser
        assert same.connected
        same.disconnect()


BURST = 25


def test_a_burst_of_live_events_arrives_whole_and_in_order(tmp_path):
    """Under gevent, the frames queued for a connection are written together: a burst of
    messages reaches a WebSocket listener complete, each once, in order."""
    env = _environment(tmp_path)
    with running_servers(1, env) as (url,):
        alice, bob = _token(url, "alice@example.org"), _token(url, "bob@example.org")
        headers = {"Authorization": f"Bearer {alice}"}
        bob_id = requests.get(
            f"{url}/api/v1/me", headers={"Authorization": f"Bearer {bob}"}, timeout=5
        ).json()["id"]
        channel = requests.post(
            f"{url}/api/v1/channels",
            json={"name": "Rafale", "kind": "private", "member_ids": [bob_id]},
            headers=headers,
            timeout=5,
        ).json()
        sender, listener = socketio.SimpleClient(), socketio.SimpleClient()
        listener.connect(url, auth={"token": bob}, transports=["websocket"])
        sender.connect(url, auth={"token": alice}, transports=["websocket"])
        try:
            assert listener.call("join", {"channel_id": channel["id"]}, timeout=5)["ok"]
            answers = []
            for n in range(BURST):  # within the per-minute limit
                sender.client.emit(
                    "send",
                    {"channel_id": channel["id"], "body": f"n° {n}", "client_id": f"b-{n}"},
                    callback=answers.append,
                )
            received = [_next_event(listener, "message")["id"] for _ in range(BURST)]
            assert received == sorted(received) and len(set(received)) == BURST
            for _attempt in range(100):  # the acknowledgements travel on the other connection
                if len(answers) == BURST:
                    break
                time.sleep(0.05)
            assert all(answer["ok"] for answer in answers)
            assert sorted(answer["message"]["id"] for answer in answers) == received
        finally:
            sender.disconnect()
            listener.disconnect()
