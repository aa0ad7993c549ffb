"""Sends that arrive together are written together (one transaction, `acknowledged_together`):
each is still checked on its own, acknowledged once stored, stored once, and told live.

The sends of a batch are emitted from threads while the test holds the batch's turn, so
that the first to get it finds them all queued."""

import threading
import time

import pytest

from network.chat import operations
from network.core import realtime
from tests.chat.conftest import new_client_id
from tests.chat.test_socket import received


def _payload(channel_id, body="Bonjour", client_id=None, **fields):
    return {"channel_id": channel_id, "body": body, "client_id": client_id or new_client_id()}


def _together(sends):
    """Emit each (connection, payload) from its own thread, all queued before any is
    written; their acknowledgements, in order."""
    answers = [None] * len(sends)

    def send(number, connection, payload):
        answers[number] = connection.emit("send", payload, callback=True)

    threads = [
        threading.Thread(target=send, args=(n, connection, payload))
        for n, (connection, payload) in enumerate(sends)
    ]
    with realtime.held_together("send"):
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while realtime.waiting_together("send") < len(sends):
            assert time.monotonic() < deadline, "the sends were not all queued"
            time.sleep(0.005)
    for thread in threads:
        thread.join(30)
    return answers


def _history(client, headers, channel_id):
    response = client.get(f"/api/v1/channels/{channel_id}/messages?limit=100", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


@pytest.fixture
def room(member_api, make_channel, connect):
    """A public channel of Alice with Bob and Carol, each connected; Dan connected, not in it."""
    alice, alice_headers = member_api(display_name="Alice Martin")
    bob, bob_headers = member_api(display_name="Bob Durand")
    carol, carol_headers = member_api(display_name="Carol Petit")
    _dan, dan_headers = member_api(display_name="Dan Roux")
    channel = make_channel(alice_headers, "Entraide", member_ids=[bob.id, carol.id])
    sockets = {
        name: connect(h)
        for name, h in [
            ("alice", alice_headers),
            ("bob", bob_headers),
            ("carol", carol_headers),
            ("dan", dan_headers),
        ]
    }
    listener = connect(carol_headers)
    listener.emit("join", {"channel_id": channel["id"]}, callback=True)
    listener.get_received()
    headers = {"alice": alice_headers, "bob": bob_headers, "carol": carol_headers}
    return channel["id"], sockets, headers, listener, {"bob": bob, "carol": carol}


def test_many_sends_at_once_are_each_acknowledged_stored_once_and_told_live(client, room):
    channel_id, sockets, headers, listener, _members = room
    sends = [
        (sockets[name], _payload(channel_id, f"Message {n} de {name}"))
        for n in range(4)
        for name in ("alice", "bob", "carol")
    ]
    answers = _together(sends)
    assert all(a["ok"] and a["duplicate"] is False for a in answers), answers
    ids = [a["message"]["id"] for a in answers]
    assert len(set(ids)) == len(sends)
    for (_connection, payload), answer in zip(sends, answers, strict=True):
        assert answer["message"]["body"] == payload["body"]
        assert answer["message"]["client_id"] == payload["client_id"]
    stored = _history(client, headers["alice"], channel_id)
    assert sorted(m["id"] for m in stored) == sorted(ids)
    live = received(listener, "message")
    assert sorted(m["id"] for m in live) == sorted(ids)  # each once
    (summary,) = client.get("/api/v1/channels", headers=headers["bob"]).get_json()["items"]
    bobs_last = max(
        a["message"]["id"] for a in answers if a["message"]["author"]["name"] == "Bob Durand"
    )
    assert summary["unread"] == len([i for i in ids if i > bobs_last])  # sending reads the rest
    assert summary["last_message_id"] == max(ids)


def test_a_client_id_sent_twice_in_one_batch_gives_one_message(client, room):
    channel_id, sockets, headers, _listener, _members = room
    stored_before = sockets["alice"].emit("send", _payload(channel_id, "Déjà là"), callback=True)
    twice = new_client_id()
    answers = _together(
        [
            (sockets["bob"], _payload(channel_id, "Une fois", client_id=twice)),
            (sockets["bob"], _payload(channel_id, "Une fois", client_id=twice)),
            (sockets["carol"], _payload(channel_id, "Même id, autre auteur", client_id=twice)),
            (
                sockets["alice"],
                _payload(channel_id, client_id=stored_before["message"]["client_id"]),
            ),
        ]
    )
    first, second, carol, again = answers
    assert first["ok"] and second["ok"] and first["message"]["id"] == second["message"]["id"]
    assert [first["duplicate"], second["duplicate"]] == [False, True]
    assert (
        carol["ok"] and not carol["duplicate"] and carol["message"]["id"] != first["message"]["id"]
    )
    assert again["ok"] and again["duplicate"] and again["message"] == stored_before["message"]
    stored = _history(client, headers["alice"], channel_id)
    assert len(stored) == 3


def test_a_refused_send_in_a_batch_does_not_affect_the_others(client, room, make_channel):
    channel_id, sockets, headers, _listener, _members = room
    private = make_channel(headers["alice"], "Bureau", kind="private")
    answers = _together(
        [
            (sockets["alice"], _payload(channel_id, "Premier")),
            (sockets["dan"], _payload(channel_id, "Je ne suis pas membre")),
            (sockets["bob"], _payload(private["id"], "Canal privé")),
            (sockets["bob"], _payload(channel_id, "   ")),
            (sockets["carol"], _payload(channel_id, "Bad id", client_id="pas d'espaces !")),
            (sockets["carol"], {"channel_id": "x", "body": "Où ?", "client_id": new_client_id()}),
            (sockets["bob"], _payload(channel_id, "Dernier")),
        ]
    )
    statuses = [a["ok"] or a["status"] for a in answers]
    assert statuses == [True, 403, 404, 422, 422, 404, True]
    assert answers[1]["error"] == "Rejoignez le canal pour y écrire."
    stored = _history(client, headers["alice"], channel_id)
    assert sorted(m["body"] for m in stored) == ["Dernier", "Premier"]


def test_a_member_removed_between_sends_is_refused_in_the_next_batch(client, room):
    channel_id, sockets, headers, _listener, members = room
    bob = members["bob"]
    assert sockets["bob"].emit("send", _payload(channel_id), callback=True)["ok"]
    url = f"/api/v1/channels/{channel_id}/members/{bob.id}"
    assert client.delete(url, headers=headers["alice"]).status_code == 204
    answers = _together(
        [
            (sockets["bob"], _payload(channel_id, "Encore là ?")),
            (sockets["carol"], _payload(channel_id, "Bonjour à tous")),
        ]
    )
    assert answers[0]["ok"] is False and answers[0]["status"] == 403
    assert answers[1]["ok"]


def test_mentions_in_a_batch_are_recorded(client, room):
    channel_id, sockets, headers, _listener, _members = room
    answers = _together(
        [
            (sockets["alice"], _payload(channel_id, "@Bob Durand tu peux regarder ?")),
            (sockets["carol"], _payload(channel_id, "Moi aussi @Bob Durand")),
        ]
    )
    assert all(a["ok"] for a in answers)
    (summary,) = client.get("/api/v1/channels", headers=headers["bob"]).get_json()["items"]
    assert (summary["unread"], summary["mentions"]) == (2, 2)


def test_a_batch_the_database_refuses_is_written_one_send_at_a_time(client, room, monkeypatch):
    """A client id stored by another process after the batch looked (a race the unique
    constraint catches): the batch is rolled back and each send written alone."""
    channel_id, sockets, headers, _listener, _members = room
    stored = sockets["bob"].emit("send", _payload(channel_id, "Déjà envoyé"), callback=True)
    monkeypatch.setattr(operations, "_previous_many", lambda sends: {})  # did not see it
    answers = _together(
        [
            (sockets["alice"], _payload(channel_id, "Premier")),
            (sockets["bob"], _payload(channel_id, client_id=stored["message"]["client_id"])),
            (sockets["carol"], _payload(channel_id, "Troisième")),
        ]
    )
    assert [a["ok"] for a in answers] == [True, True, True]
    assert answers[1]["duplicate"] and answers[1]["message"]["id"] == stored["message"]["id"]
    bodies = sorted(m["body"] for m in _history(client, headers["alice"], channel_id))
    assert bodies == ["Déjà envoyé", "Premier", "Troisième"]
