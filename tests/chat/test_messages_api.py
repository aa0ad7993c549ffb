"""Messages through the API: posting (idempotent), history pages, edits with their history,
tombstones, threads, reactions, mentions, unread counts and bad input."""

import pytest

from tests.chat.conftest import new_client_id


@pytest.fixture
def room(member_api, make_channel):
    """A public channel of Alice (owner) and Bob: (channel id, alice, bob headers, bob)."""
    _alice, alice = member_api(display_name="Alice Martin")
    bob, bob_headers = member_api(display_name="Bob Durand")
    channel = make_channel(alice, "Entraide", member_ids=[bob.id])
    return channel["id"], alice, bob_headers, bob


def _messages(client, headers, channel_id, query=""):
    response = client.get(f"/api/v1/channels/{channel_id}/messages{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_message_is_rendered_from_markdown_and_sanitised(client, room, post):
    channel_id, alice, _bob, _b = room
    body = (
        "**Salut** <script>alert(1)</script> [lien](javascript:alert(1))"
        " <img src=x onerror=alert(1)>"
    )
    response = post(alice, channel_id, body)
    assert response.status_code == 201
    html = response.get_json()["body_html"]
    assert "<strong>Salut</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_sending_twice_with_the_same_client_id_keeps_one_message(client, room, post):
    channel_id, alice, _bob, _b = room
    first = post(alice, channel_id, "Une seule fois", client_id="abc-1")
    again = post(alice, channel_id, "Une seule fois", client_id="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    assert len(_messages(client, alice, channel_id)["items"]) == 1


def test_bad_messages_are_refused_and_nothing_is_saved(client, room, post):
    channel_id, alice, _bob, _b = room
    cases = (
        ({"body": ""}, 422),
        ({"body": "   "}, 422),
        ({"body": "x" * 4001}, 422),
        ({"body": 12}, 422),
        ({"body": "ok", "client_id": ""}, 422),
        ({"body": "ok", "client_id": "bad id with spaces"}, 422),
        ({"body": "ok", "client_id": "x" * 64 + "\n"}, 422),  # `$` alone let a newline by
        ({"body": "ok", "thread_id": 999999}, 422),
    )
    for fields, status in cases:
        response = post(alice, channel_id, **fields)
        assert response.status_code == status, fields
        assert response.get_json()["errors"], fields
    assert post(alice, 999999, "ok").status_code == 404
    response = client.post(
        f"/api/v1/channels/{channel_id}/messages", data="not json", headers=alice
    )
    assert response.status_code == 422
    assert _messages(client, alice, channel_id)["items"] == []


def test_a_non_member_cannot_post_in_a_public_channel(client, room, post, member_api):
    channel_id, _alice, _bob, _b = room
    _carol, carol = member_api()
    response = post(carol, channel_id, "hello")
    assert response.status_code == 403 and "Join" in response.get_json()["detail"]
    assert client.get(f"/api/v1/channels/{channel_id}/messages", headers=carol).status_code == 200


def test_announcement_channels_only_take_posts_from_owners(client, member_api, make_channel, post):
    _staff, staff = member_api(role="staff")
    bob, bob_headers = member_api()
    channel = make_channel(staff, "Annonces", announcement=True, member_ids=[bob.id])
    assert post(bob_headers, channel["id"], "moi aussi").status_code == 403
    assert post(staff, channel["id"], "AG le 12 juin").status_code == 201


def test_a_flood_of_messages_is_rate_limited_with_a_clear_error(client, room, post):
    channel_id, alice, _bob, _b = room
    codes = [post(alice, channel_id, f"message {n}").status_code for n in range(31)]
    assert codes[:30] == [201] * 30
    assert codes[30] == 429
    assert "too fast" in post(alice, channel_id, "encore").get_json()["detail"]


def test_history_pages_move_backwards_and_forwards_by_cursor(client, room, post):
    channel_id, alice, bob, _b = room
    ids = [post(alice if n % 2 else bob, channel_id, f"n{n}").get_json()["id"] for n in range(25)]
    latest = _messages(client, alice, channel_id, "?limit=10")
    assert [m["id"] for m in latest["items"]] == ids[-10:] and latest["after"] is None
    older = _messages(client, alice, channel_id, f"?limit=10&before={latest['before']}")
    assert [m["id"] for m in older["items"]] == ids[5:15]
    newer = _messages(client, alice, channel_id, f"?limit=10&after={older['items'][-1]['id']}")
    assert [m["id"] for m in newer["items"]] == ids[15:25]
    around = _messages(client, alice, channel_id, f"?limit=4&around={ids[12]}")
    assert [m["id"] for m in around["items"]] == ids[10:14]
    for query in ("?before=abc", "?after=-1", "?limit=0", "?limit=500", "?around=1e9"):
        response = client.get(f"/api/v1/channels/{channel_id}/messages{query}", headers=alice)
        assert response.status_code == 422, query


def test_editing_keeps_the_earlier_version(client, room, post):
    channel_id, alice, bob, _b = room
    message = post(alice, channel_id, "Rendez-vous à 10h").get_json()
    url = f"/api/v1/messages/{message['id']}"
    assert client.patch(url, json={"body": "pas moi"}, headers=bob).status_code == 403
    edited = client.patch(url, json={"body": "Rendez-vous à 11h"}, headers=alice)
    assert edited.status_code == 200 and edited.get_json()["edited_at"]
    versions = client.get(f"{url}/edits", headers=bob).get_json()["items"]
    assert [v["body"] for v in versions] == ["Rendez-vous à 10h"]
    assert client.patch(url, json={"body": ""}, headers=alice).status_code == 422
    assert client.patch(url, json={"body": "ok"}, headers={}).status_code == 401


def test_deleting_leaves_a_tombstone(client, room, post):
    channel_id, alice, bob, _b = room
    message = post(alice, channel_id, "Oups").get_json()
    url = f"/api/v1/messages/{message['id']}"
    assert client.delete(url, headers=bob).status_code == 403
    assert client.delete(url, headers=alice).status_code == 204
    (tombstone,) = _messages(client, bob, channel_id)["items"]
    assert tombstone["deleted"] and tombstone["body"] == "" and tombstone["body_html"] == ""
    assert client.patch(url, json={"body": "revenu"}, headers=alice).status_code == 410
    assert client.delete(url, headers=alice).status_code == 410


def test_channel_owners_delete_others_messages(client, room, post):
    channel_id, alice, bob, _b = room
    message = post(bob, channel_id, "hors sujet").get_json()
    assert client.delete(f"/api/v1/messages/{message['id']}", headers=alice).status_code == 204


def test_threads_keep_replies_out_of_the_channel_history(client, room, post):
    channel_id, alice, bob, _b = room
    question = post(alice, channel_id, "Qui connaît un comptable ?").get_json()
    reply = post(bob, channel_id, "Moi", thread_id=question["id"]).get_json()
    nested = post(alice, channel_id, "Merci", thread_id=reply["id"]).get_json()
    assert nested["thread_id"] == question["id"]  # a reply to a reply joins the thread
    history = _messages(client, alice, channel_id)["items"]
    assert [m["id"] for m in history] == [question["id"]]
    assert history[0]["reply_count"] == 2
    thread = _messages(client, alice, channel_id, f"?thread={question['id']}")["items"]
    assert [m["id"] for m in thread] == [reply["id"], nested["id"]]


def test_reactions_are_idempotent_and_from_the_allowed_set(client, room, post):
    channel_id, alice, bob, _b = room
    message = post(alice, channel_id, "Bravo à toutes et tous").get_json()
    url = f"/api/v1/messages/{message['id']}/reactions"
    assert client.put(f"{url}/🎉", headers=bob).get_json()["count"] == 1
    assert client.put(f"{url}/🎉", headers=bob).get_json()["count"] == 1
    assert client.put(f"{url}/🎉", headers=alice).get_json()["count"] == 2
    assert client.put(f"{url}/💩", headers=bob).status_code == 422
    assert client.put(f"{url}/<script>", headers=bob).status_code == 422
    (item,) = _messages(client, bob, channel_id)["items"]
    assert item["reactions"] == [{"emoji": "🎉", "count": 2, "mine": True}]
    assert client.delete(f"{url}/🎉", headers=bob).get_json()["count"] == 1


def test_unread_and_mention_counts_follow_the_read_marker(client, room, post):
    channel_id, alice, bob, bob_member = room
    post(alice, channel_id, "Bonjour")
    last = post(alice, channel_id, "@Bob Durand tu peux regarder ?").get_json()
    assert f'<a href="/members/{bob_member.id}"' in last["body_html"]  # the mention is a link
    (summary,) = client.get("/api/v1/channels", headers=bob).get_json()["items"]
    assert (summary["unread"], summary["mentions"]) == (2, 1)
    read = client.post(
        f"/api/v1/channels/{channel_id}/read", json={"message_id": last["id"]}, headers=bob
    )
    assert (read.get_json()["unread"], read.get_json()["mentions"]) == (0, 0)
    mine = client.get("/api/v1/channels", headers=alice).get_json()["items"][0]
    assert mine["unread"] == 0  # your own messages are read
    bad = client.post(f"/api/v1/channels/{channel_id}/read", json={"message_id": "x"}, headers=bob)
    assert bad.status_code == 422


def test_unread_counts_stop_at_a_hundred(app, client, room, login):
    """A long unread history is never counted whole: the count stops at 100, shown "99+"."""
    from network.chat.models import Message
    from network.extensions import db

    channel_id, alice, bob, bob_member = room
    alice_id = client.get("/api/v1/me", headers=alice).get_json()["id"]
    with app.app_context():
        db.session.add_all(
            Message(
                channel_id=channel_id,
                author_id=alice_id,
                client_id=f"many-{n}",
                body="x",
                body_html="<p>x</p>",
            )
            for n in range(105)
        )
        db.session.commit()
    (summary,) = client.get("/api/v1/channels", headers=bob).get_json()["items"]
    assert summary["unread"] == 100
    login(bob_member)
    assert '<span class="n">99+</span>' in client.get(f"/chat/{channel_id}").get_data(as_text=True)


def test_only_owners_and_staff_may_notify_the_whole_channel(client, room, post):
    channel_id, alice, bob, _b = room
    refused = post(bob, channel_id, "@channel réunion !")
    assert refused.status_code == 403 and "@channel" in refused.get_json()["detail"]
    assert post(alice, channel_id, "@channel réunion demain").status_code == 201
    (summary,) = client.get("/api/v1/channels", headers=bob).get_json()["items"]
    assert summary["mentions"] == 1


def test_private_messages_stay_private_through_the_api(client, member_api, make_channel, post):
    _alice, alice = member_api()
    _eve, eve = member_api()
    channel = make_channel(alice, "Bureau", kind="private")
    message = post(alice, channel["id"], "confidentiel", client_id=new_client_id()).get_json()
    assert client.get(f"/api/v1/messages/{message['id']}/edits", headers=eve).status_code == 404
    assert (
        client.put(f"/api/v1/messages/{message['id']}/reactions/👍", headers=eve).status_code == 404
    )
    assert client.delete(f"/api/v1/messages/{message['id']}", headers=eve).status_code == 404


def test_owners_let_chosen_members_post_in_an_announcement_channel(
    client, member_api, make_channel, post
):
    _staff, staff = member_api(role="staff")
    bob, bob_headers = member_api()
    channel = make_channel(staff, "Annonces", announcement=True, member_ids=[bob.id])
    url = f"/api/v1/channels/{channel['id']}/members/{bob.id}"
    assert client.patch(url, json={"role": "owner"}, headers=bob_headers).status_code == 403
    assert client.patch(url, json={"role": "boss"}, headers=staff).status_code == 422
    assert client.patch(url, json={"role": "poster"}, headers=staff).get_json()["role"] == "poster"
    assert post(bob_headers, channel["id"], "Permanence comptable mardi").status_code == 201
    missing = f"/api/v1/channels/{channel['id']}/members/999999"
    assert client.patch(missing, json={"role": "poster"}, headers=staff).status_code == 404
