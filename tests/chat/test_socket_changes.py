"""An open connection follows its member's changes: each socket event is checked against the
member and the channel as they are now, though the server keeps the member in memory
between events (`network.members.kept`)."""

from network.extensions import socketio
from tests.chat.conftest import new_client_id
from tests.conftest import form_post


def _send(connection, channel_id, body="Bonjour"):
    payload = {"channel_id": channel_id, "body": body, "client_id": new_client_id()}
    return connection.emit("send", payload, callback=True)


def test_a_member_removed_from_a_channel_can_no_longer_send_on_an_open_connection(
    client, member_api, make_channel, connect
):
    _alice, alice_headers = member_api()
    bob, bob_headers = member_api()
    channel = make_channel(alice_headers, "Projet", kind="private", member_ids=[bob.id])
    bob_socket = connect(bob_headers)
    assert _send(bob_socket, channel["id"])["ok"]
    url = f"/api/v1/channels/{channel['id']}/members/{bob.id}"
    assert client.delete(url, headers=alice_headers).status_code == 204
    refused = _send(bob_socket, channel["id"], "encore là ?")
    assert refused["ok"] is False and refused["status"] == 404


def test_a_poster_made_plain_member_can_no_longer_post_in_an_announcement_channel(
    client, member_api, make_channel, connect
):
    _staff, staff = member_api(role="staff")
    bob, bob_headers = member_api()
    channel = make_channel(staff, "Annonces", announcement=True, member_ids=[bob.id])
    url = f"/api/v1/channels/{channel['id']}/members/{bob.id}"
    bob_socket = connect(bob_headers)
    assert client.patch(url, json={"role": "poster"}, headers=staff).status_code == 200
    assert _send(bob_socket, channel["id"])["ok"]
    assert client.patch(url, json={"role": "member"}, headers=staff).status_code == 200
    refused = _send(bob_socket, channel["id"])
    assert refused["ok"] is False and refused["status"] == 403


def test_a_staff_member_made_plain_member_can_no_longer_post_in_an_announcement_channel(
    app, member_api, make_member, make_channel, connect, login
):
    staff, staff_headers = member_api(role="staff")
    _founder, founder_headers = member_api(role="staff")
    channel = make_channel(founder_headers, "Annonces", announcement=True, member_ids=[staff.id])
    staff_socket = connect(staff_headers)
    assert _send(staff_socket, channel["id"])["ok"]  # staff post in announcement channels
    admin_client = login(make_member(role="admin"), c=app.test_client())
    form_post(admin_client, f"/staff/members/{staff.id}/role", {"role": "member"}, page="/")
    refused = _send(staff_socket, channel["id"])
    assert refused["ok"] is False and refused["status"] == 403


def test_a_renamed_member_sends_under_the_new_name_on_an_open_connection(
    client, member_api, make_channel, connect
):
    alice, alice_headers = member_api(display_name="Alice Martin")
    channel = make_channel(alice_headers, "Entraide")
    alice_socket = connect(alice_headers)
    assert _send(alice_socket, channel["id"])["message"]["author"]["name"] == "Alice Martin"
    changed = client.patch(
        "/api/v1/me", json={"display_name": "Alice Moreau"}, headers=alice_headers
    )
    assert changed.status_code == 200, changed.get_json()
    ack = _send(alice_socket, channel["id"])
    assert ack["message"]["author"] == {"id": alice.id, "name": "Alice Moreau"}


def test_a_deactivated_member_can_no_longer_send(
    app, member_api, make_member, make_channel, connect, login
):
    bob, bob_headers = member_api()
    channel = make_channel(bob_headers, "Entraide")
    bob_socket = connect(bob_headers)
    assert _send(bob_socket, channel["id"])["ok"]
    staff_client = login(make_member(role="staff"), c=app.test_client())
    form_post(staff_client, f"/staff/members/{bob.id}/deactivate", page="/staff/members")
    assert not bob_socket.is_connected()
    token = bob_headers["Authorization"].removeprefix("Bearer ")
    assert not socketio.test_client(app, auth={"token": token}).is_connected()


def test_a_lower_message_rate_set_by_an_admin_holds_from_the_next_send(
    app, member_api, make_member, make_channel, connect, login
):
    """The settings are kept in memory between events (one process): a change is seen."""
    _bob, bob_headers = member_api()
    channel = make_channel(bob_headers, "Entraide")
    bob_socket = connect(bob_headers)
    assert _send(bob_socket, channel["id"])["ok"]  # the settings read, and kept
    admin_client = login(make_member(role="admin"), c=app.test_client())
    chosen = {"name": "Terreau", "timezone": "Europe/Paris", "chat_messages_per_minute": "1"}
    saved = form_post(admin_client, "/admin/settings", chosen, page="/admin/settings")
    assert saved.status_code == 302
    assert _send(bob_socket, channel["id"])["ok"]  # a limit counts from its change
    refused = _send(bob_socket, channel["id"])
    assert refused["ok"] is False and refused["status"] == 429
    chosen["chat_messages_per_minute"] = "600"
    form_post(admin_client, "/admin/settings", chosen, page="/admin/settings")
    assert _send(bob_socket, channel["id"])["ok"]
