"""Searching the channels: a private channel's or a conversation's messages are only ever
found by its members — not in results, snippets or counts."""

from tests.search.conftest import api_search, eventually, found


def test_public_messages_are_found_by_every_member(
    client, search_index, member_api, make_channel, post
):
    _alice, alice = member_api()
    _zoe, zoe = member_api()
    channel = make_channel(alice, "Entraide")
    message = post(alice, channel["id"], "Je cherche une menuisière pour un chantier").get_json()
    assert eventually(lambda: ("message", message["id"]) in found(client, "menuisiere", zoe))
    hit = api_search(client, "menuisière", zoe, kind="message")["results"][0]
    assert hit["url"] == f"/chat/messages/{message['id']}"


def test_private_messages_are_only_found_by_the_channels_members(
    client, search_index, member_api, make_channel, post
):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    _eve, eve = member_api()
    channel = make_channel(alice, "Bureau", kind="private", member_ids=[bob.id])
    message = post(alice, channel["id"], "Budget zythologique confidentiel").get_json()
    assert eventually(
        lambda: ("message", message["id"]) in found(client, "zythologique", bob_headers)
    )
    answer = api_search(client, "zythologique", eve)
    assert answer["results"] == [] and answer["counts"] == {}
    assert "zythologique" not in client.get(
        "/api/v1/search", query_string={"q": "confidentiel"}, headers=eve
    ).get_data(as_text=True)


def test_a_removed_member_no_longer_finds_the_channels_messages(
    client, search_index, member_api, make_channel, post
):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    channel = make_channel(alice, "Bureau", kind="private", member_ids=[bob.id])
    message = post(alice, channel["id"], "Tarifs xylophoniques").get_json()
    assert eventually(
        lambda: ("message", message["id"]) in found(client, "xylophoniques", bob_headers)
    )
    client.delete(f"/api/v1/channels/{channel['id']}/members/{bob.id}", headers=alice)
    assert found(client, "xylophoniques", bob_headers) == set()


def test_deleted_and_edited_messages_follow_in_the_index(
    client, search_index, member_api, make_channel, post
):
    _alice, alice = member_api()
    channel = make_channel(alice, "Entraide")
    message = post(alice, channel["id"], "Ancienne formulation quinoa").get_json()
    url = f"/api/v1/messages/{message['id']}"
    client.patch(url, json={"body": "Nouvelle formulation boulgour"}, headers=alice)
    assert eventually(lambda: ("message", message["id"]) in found(client, "boulgour", alice))
    assert found(client, "quinoa", alice) == set()
    client.delete(url, headers=alice)
    assert eventually(lambda: found(client, "boulgour", alice) == set())


def test_a_burst_of_messages_is_indexed_together_in_order(
    app, client, search_index, member_api, make_channel, post
):
    """The writer process (on outside the tests) gathers a burst into one index write."""
    from network.search.writer import ProcessWriter

    writer = ProcessWriter(search_index.folder, delay=0.05)
    app.extensions["terreau_index_writer"] = writer
    try:
        _alice, alice = member_api()
        channel = make_channel(alice, "Entraide")
        ids = [
            post(alice, channel["id"], f"Rafale numéro {n} escargot").get_json()["id"]
            for n in range(8)
        ]
        client.patch(f"/api/v1/messages/{ids[0]}", json={"body": "Corrigé limace"}, headers=alice)
        assert writer.flush()
        assert found(client, "escargot", alice) == {("message", i) for i in ids[1:]}
        assert found(client, "limace", alice) == {("message", ids[0])}

        writer._process.kill()  # a writer that died is started again, nothing is lost after
        writer._process.wait()
        late = post(alice, channel["id"], "Après la panne hérisson").get_json()["id"]
        assert writer.flush()
        assert found(client, "hérisson", alice) == {("message", late)}
    finally:
        del app.extensions["terreau_index_writer"]
        writer.close()
