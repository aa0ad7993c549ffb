"""A post or a comment sent again with its client id (a retry after a timeout, a
double-clicked button) is there once: the repeat answers the first one."""

import re

import pytest

from tests.conftest import form_post

BAD_ID = "Give a unique id of 1 to 64 letters or digits."


def _send(client, headers, path, **body):
    return client.post(path, json=body, headers=headers)


def _posts_by(client, headers, author_id):
    items = client.get("/api/v1/feed?limit=50", headers=headers).get_json()["items"]
    return [i for i in items if i["kind"] == "post" and i["actor"]["id"] == author_id]


def test_a_post_sent_twice_with_its_client_id_is_published_once(client, member_api):
    member, headers = member_api()
    first = _send(client, headers, "/api/v1/posts", body="Bonjour", client_id="tab1:post-7")
    again = _send(client, headers, "/api/v1/posts", body="Bonjour", client_id="tab1:post-7")
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(_posts_by(client, headers, member.id)) == 1
    other = _send(client, headers, "/api/v1/posts", body="Encore", client_id="tab1:post-8")
    assert other.status_code == 201
    without = [_send(client, headers, "/api/v1/posts", body="Sans id") for _ in range(2)]
    assert [a.status_code for a in without] == [201, 201]  # no id: no idempotence asked
    assert len(_posts_by(client, headers, member.id)) == 4


def test_client_ids_are_per_author(client, member_api):
    _ann, ann_headers = member_api()
    _bob, bob_headers = member_api()
    ann = _send(client, ann_headers, "/api/v1/posts", body="Ann", client_id="same")
    bob = _send(client, bob_headers, "/api/v1/posts", body="Bob", client_id="same")
    assert ann.status_code == bob.status_code == 201
    assert ann.get_json()["id"] != bob.get_json()["id"]


@pytest.mark.parametrize("client_id", ["has space", "x" * 65, 12, ["a"], "é"])
def test_a_bad_client_id_is_refused_clearly(client, member_api, publish, client_id):
    _member, headers = member_api()
    post = _send(client, headers, "/api/v1/posts", body="Bonjour", client_id=client_id)
    assert post.status_code == 422
    assert post.get_json()["errors"]["client_id"] == BAD_ID
    target = publish(headers)["id"]
    comment = _send(
        client, headers, f"/api/v1/posts/{target}/comments", body="Oui", client_id=client_id
    )
    assert comment.status_code == 422
    assert comment.get_json()["errors"]["client_id"] == BAD_ID


def test_a_deleted_post_sent_again_is_not_found(client, member_api):
    _member, headers = member_api()
    made = _send(client, headers, "/api/v1/posts", body="Bonjour", client_id="gone").get_json()
    assert client.delete(f"/api/v1/posts/{made['id']}", headers=headers).status_code == 204
    again = _send(client, headers, "/api/v1/posts", body="Bonjour", client_id="gone")
    assert again.status_code == 404


def test_the_same_post_at_the_same_moment_is_published_once(client, member_api, monkeypatch):
    """The second of two simultaneous sends misses the first in its look-up: the database's
    unique index stops it, and it answers the first post."""
    from network.feed import operations

    member, headers = member_api()
    first = _send(client, headers, "/api/v1/posts", body="Bonjour", client_id="same-moment")
    real, calls = operations._previous_post, []

    def misses_the_first_time(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(operations, "_previous_post", misses_the_first_time)
    again = _send(client, headers, "/api/v1/posts", body="Bonjour", client_id="same-moment")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(_posts_by(client, headers, member.id)) == 1
    after = _send(client, headers, "/api/v1/posts", body="Et ensuite", client_id="next")
    assert after.status_code == 201  # the session is sound after the refused insert


def test_a_comment_sent_twice_is_there_once(client, member_api, publish, monkeypatch):
    from network.feed import operations

    _member, headers = member_api()
    post_id = publish(headers)["id"]
    path = f"/api/v1/posts/{post_id}/comments"
    first = _send(client, headers, path, body="Bravo", client_id="c-1")
    again = _send(client, headers, path, body="Bravo", client_id="c-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    real, calls = operations._previous_comment, []

    def misses_the_first_time(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(operations, "_previous_comment", misses_the_first_time)
    raced = _send(client, headers, path, body="Bravo", client_id="c-1")
    assert raced.status_code == 200 and raced.get_json()["id"] == first.get_json()["id"]
    post = client.get(f"/api/v1/posts/{post_id}", headers=headers).get_json()
    assert len(post["comments"]) == 1 and post["comment_count"] == 1


def _hidden_client_id(page: str) -> str:
    return re.search(r'name="client_id" value="([^"]+)"', page).group(1)


def test_a_double_clicked_publish_button_makes_one_post(client, member_api, login):
    member, headers = member_api()
    login(member)
    page = client.get("/feed").get_data(as_text=True)
    client_id = _hidden_client_id(page)
    assert _hidden_client_id(client.get("/feed").get_data(as_text=True)) != client_id
    data = {"body": "Double clic", "client_id": client_id}
    first = form_post(client, "/feed/posts", data, page="/feed")
    second = form_post(client, "/feed/posts", data, page="/feed")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(_posts_by(client, headers, member.id)) == 1


def test_a_form_with_a_bad_client_id_says_why(client, member_api, login):
    member, _headers = member_api()
    login(member)
    data = {"body": "Bonjour", "client_id": "pas valide !"}
    answer = form_post(client, "/feed/posts", data, page="/feed", headers={"Accept-Language": "en"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert BAD_ID in page and "Bonjour" in page  # nothing lost
    assert re.fullmatch(r"[0-9a-f]{32}", _hidden_client_id(page))  # a fresh, valid id


def test_a_double_clicked_comment_button_makes_one_comment(client, member_api, login, publish):
    member, headers = member_api()
    post_id = publish(headers)["id"]
    login(member)
    page = client.get(f"/feed/posts/{post_id}").get_data(as_text=True)
    data = {"body": "Merci", "client_id": _hidden_client_id(page)}
    first = form_post(client, f"/feed/posts/{post_id}/comments", data, page="/feed")
    second = form_post(client, f"/feed/posts/{post_id}/comments", data, page="/feed")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    post = client.get(f"/api/v1/posts/{post_id}", headers=headers).get_json()
    assert len(post["comments"]) == 1
