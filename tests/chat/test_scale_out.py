"""Real server processes: two of them share the Socket.IO message queue through Redis, and a
connection from another origin is refused."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
import socketio

from tests.servers import (
    ROOT,
    prepare_database,
    require_redis,
    running_servers,
    start_server,
    stop,
)

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


def _presence(client, channel_id):
    answer = client.call("join", {"channel_id": channel_id}, timeout=5)
    assert answer["ok"], answer
    return answer["presence"]


def _eventually(check, timeout=30):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)


@pytest.mark.redis
def test_presence_of_a_channel_follows_connections_on_other_processes(tmp_path):
    """Presence read on one process follows connections held by another: online right after
    the connection, away when its tab says so, offline once it closes, and offline once the
    process that held it dies (its lease lapses, nobody disconnects it)."""
    require_redis(REDIS_URL)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = _environment(tmp_path, REDIS_URL=REDIS_URL, TERREAU_SOCKET_LEASE_SECONDS="2")
    first_process, first = start_server(env)
    second_process, second = start_server(env)
    alice, bob = socketio.SimpleClient(), socketio.SimpleClient()
    try:
        alice_token, bob_token = (
            _token(second, "alice@example.org"),
            _token(first, "bob@example.org"),
        )
        bob_id = requests.get(
            f"{first}/api/v1/me", headers={"Authorization": f"Bearer {bob_token}"}, timeout=5
        ).json()["id"]
        channel = requests.post(
            f"{second}/api/v1/channels",
            json={"name": "Présences", "kind": "private", "member_ids": [bob_id]},
            headers={"Authorization": f"Bearer {alice_token}"},
            timeout=5,
        ).json()["id"]
        alice.connect(second, auth={"token": alice_token}, transports=["websocket"])
        assert str(bob_id) not in _presence(alice, channel)

        bob.connect(first, auth={"token": bob_token}, transports=["websocket"])
        assert _presence(alice, channel)[str(bob_id)] == "online"
        assert bob.call("presence", {"status": "away"}, timeout=5)["status"] == "away"
        assert _presence(alice, channel)[str(bob_id)] == "away"
        assert bob.call("presence", {"status": "online"}, timeout=5)["status"] == "online"
        assert _presence(alice, channel)[str(bob_id)] == "online"

        bob.disconnect()
        _eventually(lambda: str(bob_id) not in _presence(alice, channel))

        bob = socketio.SimpleClient()
        bob.connect(first, auth={"token": bob_token}, transports=["websocket"])
        assert _presence(alice, channel)[str(bob_id)] == "online"
        time.sleep(5)  # longer than the lease: the heartbeat of bob's process renews it
        assert _presence(alice, channel)[str(bob_id)] == "online"
        os.killpg(first_process.pid, signal.SIGKILL)  # a crash: no disconnection runs
        first_process.wait()
        _eventually(lambda: str(bob_id) not in _presence(alice, channel))
    finally:
        alice.disconnect()
        stop(first_process)
        stop(second_process)


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
