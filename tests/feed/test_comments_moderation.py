"""Comments (one level of replies), reports and moderation: hidden content is kept but not
shown, and its author is told."""


def test_comments_and_one_level_of_replies(client, member_api, publish):
    alice, alice_headers = member_api(display_name="Alice Martin")
    _bob, bob = member_api(display_name="Bob Durand")
    _carol, carol = member_api(display_name="Carol Petit")
    post = publish(alice_headers, "Qui connaît un bon expert-comptable ?")
    url = f"/api/v1/posts/{post['id']}/comments"
    first = client.post(url, json={"body": "Moi !"}, headers=bob).get_json()
    reply = client.post(url, json={"body": "Moi aussi", "parent_id": first["id"]}, headers=carol)
    nested = client.post(
        url, json={"body": "Et moi", "parent_id": reply.get_json()["id"]}, headers=alice_headers
    ).get_json()
    assert nested["parent_id"] == first["id"]  # a reply to a reply stays one level deep
    detail = client.get(f"/api/v1/posts/{post['id']}", headers=bob).get_json()
    assert detail["comment_count"] == 3
    assert [c["body"] for c in detail["comments"]] == ["Moi !", "Moi aussi", "Et moi"]
    texts = [
        n["text"] for n in client.get("/api/v1/notifications", headers=bob).get_json()["items"]
    ]
    assert any("replied to your comment" in t for t in texts)
    alice_texts = [
        n["text"]
        for n in client.get("/api/v1/notifications", headers=alice_headers).get_json()["items"]
    ]
    assert sum("commented on your post" in t for t in alice_texts) == 2


def test_bad_comments_are_refused(client, member_api, publish):
    _alice, alice = member_api()
    post = publish(alice, "Un post")
    url = f"/api/v1/posts/{post['id']}/comments"
    assert client.post(url, json={"body": ""}, headers=alice).status_code == 422
    assert client.post(url, json={"body": "x" * 3001}, headers=alice).status_code == 422
    assert client.post(url, json={"body": "ok", "parent_id": 999}, headers=alice).status_code == 422
    assert (
        client.post("/api/v1/posts/999999/comments", json={"body": "ok"}, headers=alice).status_code
        == 404
    )


def test_only_authors_edit_and_authors_or_staff_delete_comments(client, member_api, publish):
    _alice, alice = member_api()
    _bob, bob = member_api()
    _staff, staff = member_api(role="staff")
    post = publish(alice, "Un post")
    comment = client.post(
        f"/api/v1/posts/{post['id']}/comments", json={"body": "Mon avis"}, headers=bob
    ).get_json()
    url = f"/api/v1/comments/{comment['id']}"
    assert client.patch(url, json={"body": "le sien"}, headers=alice).status_code == 403
    assert client.patch(url, json={"body": "Mon avis, précisé"}, headers=bob).status_code == 200
    assert client.delete(url, headers=alice).status_code == 403
    assert client.delete(url, headers=staff).status_code == 204


def test_a_reported_post_is_hidden_by_staff_and_its_author_told(client, member_api, publish, feed):
    _alice, alice = member_api()
    _bob, bob = member_api()
    _staff, staff = member_api(role="staff")
    post = publish(alice, "Contenu douteux")
    report = client.post(
        "/api/v1/reports", json={"post_id": post["id"], "reason": "Publicité"}, headers=bob
    )
    assert report.status_code == 201
    again = client.post(
        "/api/v1/reports", json={"post_id": post["id"], "reason": "Encore"}, headers=bob
    )
    assert again.get_json()["id"] == report.get_json()["id"]
    assert (
        client.post("/api/v1/reports", json={"post_id": post["id"]}, headers=bob).status_code == 422
    )
    assert (
        client.post(
            "/api/v1/reports", json={"post_id": 99999, "reason": "x"}, headers=bob
        ).status_code
        == 404
    )


def test_hidden_content_is_kept_but_not_shown(
    app, client, login, make_member, member_api, publish, feed
):
    from tests.conftest import form_post

    alice, alice_headers = member_api()
    _bob, bob = member_api()
    staff = make_member(role="staff")
    post = publish(alice_headers, "Contenu douteux")
    staff_client = login(staff, c=app.test_client())
    hidden = form_post(
        staff_client,
        "/staff/moderation/hide",
        {"post_id": str(post["id"]), "reason": "Hors charte"},
        page="/feed",
    )
    assert hidden.status_code == 302
    assert feed(bob, "?kind=post")["items"] == []
    assert client.get(f"/api/v1/posts/{post['id']}", headers=bob).status_code == 404
    assert client.get(f"/api/v1/posts/{post['id']}", headers=alice_headers).get_json()["hidden"]
    notes = client.get("/api/v1/notifications", headers=alice_headers).get_json()["items"]
    assert "Hors charte" in notes[0]["text"]
    member_client = login(make_member(), c=app.test_client())
    refused = form_post(
        member_client,
        "/staff/moderation/hide",
        {"post_id": str(post["id"]), "reason": "x"},
        page="/feed",
    )
    assert refused.status_code == 403
    form_post(staff_client, "/staff/moderation/restore", {"post_id": str(post["id"])}, page="/feed")
    assert [i["data"]["id"] for i in feed(bob, "?kind=post")["items"]] == [post["id"]]


def test_staff_see_and_settle_reports(app, client, login, make_member, member_api, publish):
    from tests.conftest import form_post

    _alice, alice = member_api()
    _bob, bob = member_api()
    post = publish(alice, "Bof")
    comment = client.post(
        f"/api/v1/posts/{post['id']}/comments", json={"body": "Propos déplacé"}, headers=alice
    ).get_json()
    client.post(
        "/api/v1/reports", json={"comment_id": comment["id"], "reason": "Insultant"}, headers=bob
    )
    staff_client = login(make_member(role="staff"), c=app.test_client())
    page = staff_client.get("/staff/reports").get_data(as_text=True)
    assert "Insultant" in page and "Propos déplacé" in page
    form_post(
        staff_client,
        "/staff/moderation/hide",
        {"comment_id": str(comment["id"]), "reason": "Insultant"},
        page="/staff/reports",
    )
    assert "Insultant" not in staff_client.get("/staff/reports").get_data(as_text=True)
    detail = client.get(f"/api/v1/posts/{post['id']}", headers=bob).get_json()
    assert detail["comments"] == []
    member_page = login(make_member(), c=app.test_client()).get("/staff/reports")
    assert member_page.status_code == 403
