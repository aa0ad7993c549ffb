"""Channels through the API: creating, browsing, joining, inviting, removing, archiving,
direct conversations — and what members outside a private channel never see."""


def test_a_member_creates_a_public_channel_and_owns_it(client, member_api, make_channel):
    _alice, headers = member_api()
    channel = make_channel(headers, "Entraide", topic="Coups de main")
    assert channel["kind"] == "public" and channel["role"] == "owner" and channel["can_manage"]
    mine = client.get("/api/v1/channels", headers=headers).get_json()["items"]
    assert [c["name"] for c in mine] == ["Entraide"]


def test_channel_names_are_unique_ignoring_case_and_accents(client, member_api, make_channel):
    _alice, headers = member_api()
    make_channel(headers, "Général")
    response = client.post("/api/v1/channels", json={"name": "  general "}, headers=headers)
    assert response.status_code == 409
    assert "Général" in response.get_json()["detail"]


def test_bad_channel_input_is_refused_with_field_errors(client, member_api):
    _alice, headers = member_api()
    for payload, field in (
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "Ok", "kind": "secret"}, "kind"),
        ({"name": "Ok", "topic": 12}, "topic"),
        ({"name": "Ok", "member_ids": [999999]}, "member_ids"),
    ):
        response = client.post("/api/v1/channels", json=payload, headers=headers)
        assert response.status_code == 422, payload
        assert field in response.get_json()["errors"], payload


def test_only_staff_create_announcement_channels(client, member_api, make_channel):
    _alice, headers = member_api()
    refused = client.post(
        "/api/v1/channels", json={"name": "Annonces", "announcement": True}, headers=headers
    )
    assert refused.status_code == 403
    _staff, staff_headers = member_api(role="staff")
    channel = make_channel(staff_headers, "Annonces", announcement=True)
    assert channel["announcement"] is True


def test_members_browse_and_join_public_channels(client, member_api, make_channel):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    channel = make_channel(alice, "Entraide")
    make_channel(alice, "Bureau", kind="private")
    browse = client.get("/api/v1/channels?public=1", headers=bob_headers).get_json()["items"]
    assert [(c["name"], c["member"]) for c in browse] == [("Entraide", False)]
    joined = client.post(
        f"/api/v1/channels/{channel['id']}/members", json={"member_id": bob.id}, headers=bob_headers
    )
    assert joined.status_code == 201
    detail = client.get(f"/api/v1/channels/{channel['id']}", headers=bob_headers).get_json()
    assert {m["id"] for m in detail["members"]} >= {bob.id} and detail["member"]


def test_a_private_channel_is_answered_as_missing_to_outsiders(
    client, member_api, make_channel, post
):
    _alice, alice = member_api()
    _eve, eve = member_api()
    channel = make_channel(alice, "Bureau", kind="private")
    assert post(alice, channel["id"], "secret").status_code == 201
    base = f"/api/v1/channels/{channel['id']}"
    assert client.get(base, headers=eve).status_code == 404
    assert client.get(f"{base}/messages", headers=eve).status_code == 404
    assert post(eve, channel["id"], "hello").status_code == 404
    assert client.get("/api/v1/channels/999999", headers=eve).status_code == 404
    missing = client.get(base, headers=eve).get_json()["detail"]
    unknown = client.get("/api/v1/channels/999999", headers=eve).get_json()["detail"]
    assert missing == unknown


def test_owners_invite_to_private_channels_and_others_cannot(client, member_api, make_channel):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    carol, _carol_headers = member_api()
    channel = make_channel(alice, "Bureau", kind="private", member_ids=[bob.id])
    url = f"/api/v1/channels/{channel['id']}/members"
    assert client.post(url, json={"member_id": carol.id}, headers=bob_headers).status_code == 403
    assert client.post(url, json={"member_id": carol.id}, headers=alice).status_code == 201
    assert client.post(url, json={"member_id": "x"}, headers=alice).status_code == 422


def test_removed_members_lose_the_private_channel(client, member_api, make_channel):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    channel = make_channel(alice, "Bureau", kind="private", member_ids=[bob.id])
    url = f"/api/v1/channels/{channel['id']}"
    assert client.get(url, headers=bob_headers).status_code == 200
    assert client.delete(f"{url}/members/{bob.id}", headers=alice).status_code == 204
    assert client.get(url, headers=bob_headers).status_code == 404
    assert client.delete(f"{url}/members/{bob.id}", headers=alice).status_code == 404


def test_anyone_leaves_but_only_owners_remove_others(client, member_api, make_channel):
    alice, alice_headers = member_api()
    bob, bob_headers = member_api()
    channel = make_channel(alice_headers, "Entraide")
    url = f"/api/v1/channels/{channel['id']}/members"
    client.post(url, json={"member_id": bob.id}, headers=bob_headers)
    assert client.delete(f"{url}/{alice.id}", headers=bob_headers).status_code == 403
    assert client.delete(f"{url}/{bob.id}", headers=bob_headers).status_code == 204


def test_archived_channels_are_read_only(client, member_api, make_channel, post):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    channel = make_channel(alice, "Projet fini", member_ids=[bob.id])
    url = f"/api/v1/channels/{channel['id']}"
    assert client.patch(url, json={"archived": True}, headers=bob_headers).status_code == 403
    archived = client.patch(url, json={"archived": True}, headers=alice)
    assert archived.status_code == 200 and archived.get_json()["archived"]
    refused = post(bob_headers, channel["id"], "encore ?")
    assert refused.status_code == 409 and "archived" in refused.get_json()["detail"]
    assert client.patch(url, json={"archived": "yes"}, headers=alice).status_code == 422


def test_direct_conversations_are_found_again_not_duplicated(client, member_api):
    alice, alice_headers = member_api()
    bob, bob_headers = member_api()
    first = client.post("/api/v1/direct", json={"member_ids": [bob.id]}, headers=alice_headers)
    assert first.status_code == 201 and first.get_json()["kind"] == "direct"
    again = client.post("/api/v1/direct", json={"member_ids": [alice.id]}, headers=bob_headers)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["title"] == alice.display_name


def test_bad_direct_conversations_are_refused(client, member_api, make_member):
    alice, headers = member_api()
    others = [make_member().id for _ in range(9)]
    for member_ids in ([], [alice.id], [999999], others, "3", [True]):
        response = client.post("/api/v1/direct", json={"member_ids": member_ids}, headers=headers)
        assert response.status_code == 422, member_ids
