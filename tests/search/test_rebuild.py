"""A rebuild reads big kinds (messages, posts, comments) in one pass, as plain columns: it
indexes the same documents as the per-object path every later change goes through, and what
it builds is searched with the same permissions."""

import uuid

import pytest

from network.core.registries import SEARCH_KINDS
from tests.search.conftest import api_search, found


def _message(client, headers, channel_id, body):
    payload = {"body": body, "client_id": uuid.uuid4().hex}
    response = client.post(f"/api/v1/channels/{channel_id}/messages", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _created(response):
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def everything(client, search_index, member_api, staff_viewer):
    """Content of every kind the rebuild reads in one pass, some of it gone or hidden:
    messages of a public channel, a private one and a direct conversation (one deleted, one
    in Markdown only), posts and comments (one of each deleted, a comment on a deleted post)."""
    alice, alice_headers = member_api(display_name="Alice Verrier")
    bob, bob_headers = member_api(display_name="Bob Tonnelier")
    public = _created(
        client.post(
            "/api/v1/channels", json={"name": "Entraide", "kind": "public"}, headers=alice_headers
        )
    )
    private = _created(
        client.post(
            "/api/v1/channels",
            json={"name": "Bureau", "kind": "private", "member_ids": [bob.id]},
            headers=alice_headers,
        )
    )
    direct = _created(
        client.post("/api/v1/direct", json={"member_ids": [bob.id]}, headers=alice_headers)
    )
    ids = {
        "public": _message(client, alice_headers, public, "Chantier de **charpente** lundi"),
        "private": _message(client, alice_headers, private, "Budget charpente confidentiel"),
        "direct": _message(client, bob_headers, direct, "Ta charpente avance ?"),
        "deleted": _message(client, alice_headers, public, "Charpente annulée"),
    }
    client.delete(f"/api/v1/messages/{ids['deleted']}", headers=alice_headers)
    post = _created(
        client.post("/api/v1/posts", json={"body": "Atelier charpente"}, headers=bob_headers)
    )
    gone = _created(
        client.post("/api/v1/posts", json={"body": "Charpente perdue"}, headers=bob_headers)
    )
    ids["comment"] = _created(
        client.post(
            f"/api/v1/posts/{post}/comments",
            json={"body": "J'y serai, charpente"},
            headers=alice_headers,
        )
    )
    orphan = _created(
        client.post(
            f"/api/v1/posts/{gone}/comments", json={"body": "Charpente ?"}, headers=alice_headers
        )
    )
    assert client.delete(f"/api/v1/posts/{gone}", headers=bob_headers).status_code == 204
    return {**ids, "post": post, "gone": gone, "orphan": orphan}, alice_headers, bob_headers


def test_the_bulk_path_yields_the_documents_of_the_per_object_path(app, everything):
    bulk = [kind for kind in SEARCH_KINDS.values() if kind.bulk_documents is not None]
    assert {kind.name for kind in bulk} >= {"message", "post", "comment"}
    with app.test_request_context():
        for kind in bulk:
            per_object = sorted(kind.documents(list(kind.all_ids())), key=repr)
            assert per_object, kind.name
            assert sorted(kind.bulk_documents(), key=repr) == per_object, kind.name


def test_a_rebuild_finds_what_each_member_may_read(client, cli, everything, member_api):
    ids, alice, bob = everything
    assert cli("search", "reindex").exit_code == 0
    _eve, eve = member_api(display_name="Ève Passante")
    expected = {("message", ids["public"]), ("post", ids["post"]), ("comment", ids["comment"])}
    assert found(client, "charpente", eve) == expected
    private = {("message", ids["private"]), ("message", ids["direct"])}
    assert found(client, "charpente", bob) == expected | private
    assert found(client, "charpente", alice) == expected | private
    hits = api_search(client, "charpente", bob, kind="message")["results"]
    titles = {hit["id"]: hit["title"] for hit in hits}
    assert titles[ids["public"]] == "Alice Verrier · Entraide"
    assert titles[ids["direct"]].startswith("Bob Tonnelier · ")


def _segment_files(folder) -> dict[str, bytes]:
    """The files of an index's only segment, by name without the segment's (random) id."""
    from network.search.backend import _storage

    ix = _storage(folder).open_index()
    (segment,) = ix._segments()
    files = segment.open_compound_file(_storage(folder))
    name_of = segment.segment_id()
    found = {name.replace(name_of, ""): files.open_file(name).read() for name in files.list()}
    ix.close()
    return found


@pytest.mark.whoosh
def test_a_rebuild_writes_the_segment_whoosh_would_write(tmp_path):
    """A rebuild adds each term's postings a block at a time and reads the lengths whole:
    the segment it writes is Whoosh's own, byte for byte (blocks, weights, lengths)."""
    import random

    from network.core.registries import MEMBERS, STAFF, Document
    from network.search.backend import SCHEMA, WhooshBackend, _storage, fields_of

    rng = random.Random(3)
    words = ["charpente", "atelier", "coopérative", "menuiserie", "lyon", "vidéo", "le", "de"]
    words += [f"mot{n}" for n in range(300)]
    docs = [
        Document(
            rng.choice(["post", "member", "message"]),
            number,
            rng.choice([MEMBERS, STAFF, f"channel:{number % 7}"]),
            " ".join(rng.choices(words, k=rng.randint(0, 6))),
            body=" ".join(rng.choices(words, k=rng.randint(0, 60))),
            keywords=" ".join(rng.choices(words, k=rng.randint(0, 3))),
            replaced_for=(STAFF,) if number % 5 == 0 else (),
        )
        for number in range(700)
    ]
    assert WhooshBackend(tmp_path / "ours").rebuild(docs) == len(docs)
    whoosh = _storage(tmp_path / "whoosh")
    (tmp_path / "whoosh").mkdir()
    writer = whoosh.create_index(SCHEMA).writer()
    for doc in docs:
        writer.add_document(**fields_of(doc))
    writer.commit()
    ours, theirs = _segment_files(tmp_path / "ours"), _segment_files(tmp_path / "whoosh")
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert ours[name] == theirs[name], name
