"""Posts and comments are found (only what the feed shows the viewer), and snippets of every
kind show plain text, not Markdown."""

import pytest
from sqlalchemy import text

from network.extensions import db
from tests.conftest import form_post
from tests.search.conftest import api_search, found


@pytest.fixture
def author(member_api):
    return member_api(display_name="Alice Martin")


@pytest.fixture
def reader(member_api):
    return member_api(display_name="Bruno Lecteur")[1]


def publish(client, headers, body):
    response = client.post("/api/v1/posts", json={"body": body}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def comment(client, headers, post_id, body):
    response = client.post(
        f"/api/v1/posts/{post_id}/comments", json={"body": body}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def moderate(app, login, make_member, action, **target):
    staff_client = login(make_member(role="staff"), c=app.test_client())
    data = {key: str(value) for key, value in target.items()} | {"reason": "Hors charte"}
    response = form_post(staff_client, f"/staff/moderation/{action}", data, page="/feed")
    assert response.status_code == 302


def test_a_post_is_found_with_a_plain_text_snippet(client, search_index, author, reader):
    post_id = publish(
        client, author[1], "# Atelier\n\nUn **atelier de menuiserie** [ici](https://example.org)"
    )
    answer = api_search(client, "menuiserie", reader)
    assert [(r["kind"], r["id"]) for r in answer["results"]] == [("post", post_id)]
    hit = answer["results"][0]
    assert hit["url"] == f"/feed/posts/{post_id}"
    assert "**" not in hit["snippet"] and "#" not in hit["snippet"]
    assert "https://example.org" not in hit["snippet"] and "](" not in hit["snippet"]
    assert '<mark class="hit term0">menuiserie</mark>' in hit["snippet"]
    assert "**" not in hit["title"]
    assert answer["counts"] == {"post": 1}


def test_the_search_page_lists_posts_and_comments(
    client, login, search_index, author, reader, make_member
):
    post_id = publish(client, author[1], "Vente de *confitures* samedi")
    comment_id = comment(client, author[1], post_id, "Les confitures de _figues_ aussi")
    login(make_member())
    page = client.get("/search?q=confitures", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'href="/feed/posts/{post_id}"' in html
    assert f'href="/feed/posts/{post_id}#c{comment_id}"' in html
    assert "Posts" in html and "Comments" in html
    assert "*confitures*" not in html and "_figues_" not in html


def test_an_edited_post_is_found_by_its_new_words_only(client, search_index, author, reader):
    post_id = publish(client, author[1], "Réunion sur la poterie")
    edited = client.patch(
        f"/api/v1/posts/{post_id}", json={"body": "Réunion sur la vannerie"}, headers=author[1]
    )
    assert edited.status_code == 200
    assert found(client, "poterie", reader) == set()
    assert found(client, "vannerie", reader) == {("post", post_id)}


def test_a_deleted_post_and_its_comments_are_not_found(client, search_index, author, reader):
    post_id = publish(client, author[1], "Covoiturage vers Lyon")
    comment(client, reader, post_id, "Covoiturage possible mardi")
    assert client.delete(f"/api/v1/posts/{post_id}", headers=author[1]).status_code == 204
    answer = api_search(client, "covoiturage", reader)
    assert answer["results"] == [] and answer["counts"] == {}


def test_a_hidden_post_and_its_comments_are_not_found_until_restored(
    app, client, login, make_member, search_index, author, reader
):
    post_id = publish(client, author[1], "Promotion sur les tabourets")
    comment_id = comment(client, reader, post_id, "Tabourets superbes")
    moderate(app, login, make_member, "hide", post_id=post_id)
    assert api_search(client, "tabourets", reader)["counts"] == {}
    moderate(app, login, make_member, "restore", post_id=post_id)
    assert found(client, "tabourets", reader) == {("post", post_id), ("comment", comment_id)}


def test_edited_deleted_and_hidden_comments(
    app, client, login, make_member, search_index, author, reader
):
    post_id = publish(client, author[1], "Qui a une perceuse ?")
    first = comment(client, reader, post_id, "Moi, une perceuse à percussion")
    second = comment(client, author[1], post_id, "Merci, et une ponceuse ?")
    assert found(client, "percussion", reader) == {("comment", first)}
    edited = client.patch(
        f"/api/v1/comments/{first}", json={"body": "Une visseuse"}, headers=reader
    )
    assert edited.status_code == 200
    assert found(client, "percussion", reader) == set()
    assert found(client, "visseuse", reader) == {("comment", first)}
    assert client.delete(f"/api/v1/comments/{first}", headers=reader).status_code == 204
    assert found(client, "visseuse", reader) == set()
    moderate(app, login, make_member, "hide", comment_id=second)
    assert found(client, "ponceuse", reader) == set()


def test_a_post_hidden_in_the_database_only_is_never_shown(
    app, client, search_index, author, reader
):
    """The index is a cache: each hit is checked against the feed's rules."""
    post_id = publish(client, author[1], "Annonce de déménagement")
    comment(client, reader, post_id, "Déménagement réussi")
    with app.app_context():
        db.session.execute(
            text("UPDATE posts SET hidden_at = created_at WHERE id = :id"), {"id": post_id}
        )
        db.session.commit()
    answer = api_search(client, "déménagement", reader)
    assert answer["results"] == [] and answer["counts"] == {}


def test_posts_and_comments_are_rebuilt_from_the_database(
    client, cli, search_index, author, reader
):
    post_id = publish(client, author[1], "Formation à la comptabilité")
    comment_id = comment(client, reader, post_id, "Comptabilité analytique ?")
    assert cli("search", "reindex").exit_code == 0
    assert found(client, "comptabilité", reader) == {("post", post_id), ("comment", comment_id)}


def test_a_chat_message_snippet_has_no_markdown(client, search_index, author, reader):
    channel = client.post("/api/v1/channels", json={"name": "Atelier"}, headers=author[1])
    assert channel.status_code == 201
    message = client.post(
        f"/api/v1/channels/{channel.get_json()['id']}/messages",
        json={
            "body": "**Livraison** de `planches` [demain](https://example.org)",
            "client_id": "a",
        },
        headers=author[1],
    )
    assert message.status_code == 201
    snippet = api_search(client, "livraison", reader)["results"][0]["snippet"]
    assert "**" not in snippet and "`" not in snippet and "ex.org" not in snippet
    assert "planches" in snippet and "demain" in snippet


def test_a_member_bio_snippet_has_no_markdown(client, search_index, member_api, reader):
    member, headers = member_api(display_name="Chloé Vitrail")
    edit = client.patch(
        "/api/v1/me", json={"bio": "Je fais des **vitraux** _sur mesure_"}, headers=headers
    )
    assert edit.status_code == 200, edit.get_json()
    snippet = api_search(client, "vitraux", reader)["results"][0]["snippet"]
    assert "**" not in snippet and "_sur" not in snippet and "sur mesure" in snippet
