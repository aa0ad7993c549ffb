"""What keeps a channel page live without reloading: thread reply counts, the member list,
and the actions of messages received live (the page carries their template)."""

import pytest

from tests.chat.conftest import new_client_id


def events(connection, name):
    found = [e["args"] for e in connection.get_received() if e["name"] == name]
    return [args if isinstance(args, dict) else args[0] for args in found]


@pytest.fixture
def listening(member_api, make_channel, connect):
    """Alice's public channel with Bob; both connected and listening."""
    alice_member, alice = member_api(display_name="Alice Martin")
    bob, bob_headers = member_api(display_name="Bob Durand")
    channel = make_channel(alice, "Entraide", member_ids=[bob.id])
    sockets = connect(alice), connect(bob_headers)
    for tab in sockets:
        assert tab.emit("join", {"channel_id": channel["id"]}, callback=True)["ok"]
        tab.get_received()
    return channel["id"], alice, bob_headers, sockets, alice_member


def _send(tab, channel_id, body, thread_id=None):
    ack = tab.emit(
        "send",
        {
            "channel_id": channel_id,
            "body": body,
            "client_id": new_client_id(),
            "thread_id": thread_id,
        },
        callback=True,
    )
    assert ack["ok"], ack
    return ack["message"]


def test_a_reply_carries_its_threads_new_count(client, listening, login):
    channel_id, alice, _bob_headers, (alice_tab, bob_tab), _a = listening
    root = _send(alice_tab, channel_id, "Qui vient jeudi ?")
    bob_tab.get_received()
    _send(alice_tab, channel_id, "Moi", thread_id=root["id"])
    reply = _send(alice_tab, channel_id, "Moi aussi", thread_id=root["id"])
    counts = [m.get("root_reply_count") for m in events(bob_tab, "message")]
    assert counts == [1, 2]
    # A reply to a reply counts in its root's thread.
    _send(alice_tab, channel_id, "Et moi", thread_id=reply["id"])
    assert [m["root_reply_count"] for m in events(bob_tab, "message")] == [3]
    history = client.get(f"/api/v1/channels/{channel_id}/messages", headers=alice).get_json()
    assert [(m["id"], m["reply_count"]) for m in history["items"]] == [(root["id"], 3)]
    assert _send(alice_tab, channel_id, "Hors fil").get("root_reply_count") is None
    # A deleted reply no longer counts.
    bob_tab.get_received()
    gone = client.delete(f"/api/v1/messages/{reply['id']}", headers=alice)
    assert gone.status_code in (200, 204)
    assert [m["root_reply_count"] for m in events(bob_tab, "message_deleted")] == [2]
    history = client.get(f"/api/v1/channels/{channel_id}/messages", headers=alice).get_json()
    assert [(m["id"], m["reply_count"]) for m in history["items"]][0] == (root["id"], 2)


def test_the_member_list_follows_joins_and_departures(client, listening, member_api):
    channel_id, alice, bob_headers, (alice_tab, _bob_tab), _a = listening
    carol, carol_headers = member_api(display_name="Carol Petit")
    url = f"/api/v1/channels/{channel_id}/members"
    assert client.post(url, json={"member_id": carol.id}, headers=carol_headers).status_code in (
        200,
        201,
    )
    (joined,) = events(alice_tab, "members_changed")
    assert joined == {
        "channel_id": channel_id,
        "member": {"id": carol.id, "name": "Carol Petit"},
        "joined": True,
    }
    assert client.delete(f"{url}/{carol.id}", headers=alice).status_code == 204
    (left,) = events(alice_tab, "members_changed")
    assert left == {"channel_id": channel_id, "member": {"id": carol.id}, "joined": False}


def test_reactions_edits_and_deletions_reach_the_others_in_place(client, listening):
    channel_id, alice, bob_headers, (alice_tab, bob_tab), _a = listening
    message = _send(alice_tab, channel_id, "Bonjour")
    bob_tab.get_received()
    url = f"/api/v1/messages/{message['id']}"
    assert client.put(f"{url}/reactions/👍", headers=bob_headers).status_code == 200
    (reaction,) = events(alice_tab, "reaction")
    assert (reaction["emoji"], reaction["count"], reaction["added"]) == ("👍", 1, True)
    assert client.patch(url, json={"body": "Bonjour à tous"}, headers=alice).status_code == 200
    (edited,) = events(bob_tab, "message_edited")
    assert "Bonjour à tous" in edited["body_html"] and edited["edited_at"]
    assert client.delete(url, headers=alice).status_code == 204
    assert [d["id"] for d in events(bob_tab, "message_deleted")] == [message["id"]]


def test_the_page_carries_the_actions_of_live_messages(client, listening, login):
    channel_id, _alice, _bob_headers, (alice_tab, _bob_tab), alice = listening
    mine = _send(alice_tab, channel_id, "**Mon** message")
    login(alice)
    page = client.get(f"/chat/{channel_id}").get_data(as_text=True)
    assert '<template id="chat-actions-template">' in page
    assert '/chat/messages/__ID__/react"' in page
    for action in ("reply", "edit", "delete"):
        assert f'data-action="{action}"' in page
    assert f'id="m{mine["id"]}"' in page
    assert 'data-body="**Mon** message"' in page  # what the inline editor starts from
    assert 'data-text-replies-other="{n} réponses"' in page


def test_mention_choices_are_the_channels_members_by_name(client, listening, member_api):
    channel_id, alice, bob_headers, _tabs, _a = listening
    _outsider, _h = member_api(display_name="Bobette Hors")
    url = f"/api/v1/channels/{channel_id}/mentions"
    found = client.get(url, query_string={"q": "@bo"}, headers=alice).get_json()["items"]
    assert [(m["name"], m["mention"]) for m in found] == [("Bob Durand", "@Bob Durand")]
    by_last_name = client.get(url, query_string={"q": "dur"}, headers=alice).get_json()
    assert [m["name"] for m in by_last_name["items"]] == ["Bob Durand"]
    everyone = client.get(url, headers=alice).get_json()["items"]
    assert [m["name"] for m in everyone] == ["Alice Martin", "Bob Durand"]
    assert client.get(url, query_string={"q": "%"}, headers=alice).get_json()["items"] == []
    too_long = client.get(url, query_string={"q": "x" * 81}, headers=alice)
    assert too_long.status_code == 422
    assert too_long.headers["Content-Type"].startswith("application/problem+json")


def test_mention_choices_of_a_channel_one_may_not_see_answer_404(client, member_api, make_channel):
    _alice, alice = member_api()
    private = make_channel(alice, "Secret", kind="private")
    _eve, eve = member_api()
    answer = client.get(f"/api/v1/channels/{private['id']}/mentions?q=a", headers=eve)
    assert answer.status_code == 404
