"""Posts through the API: publishing, Markdown sanitised, topics and mentions, editing with
history, deleting, reactions, official notices, pinning — and bad input."""

import io
import re

from PIL import Image


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_post_appears_in_the_feed_sanitised(member_api, publish, feed):
    alice, alice_headers = member_api(display_name="Alice Martin")
    _bob, bob = member_api()
    body = (
        "**Bonjour** <script>alert(1)</script><img src=x onerror=alert(1)>"
        " [lien](javascript:alert(1))"
    )
    post = publish(alice_headers, body)
    html = post["body_html"]
    assert "<strong>Bonjour</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    (item,) = feed(bob, "?kind=post")["items"]
    assert item["kind"] == "post" and item["actor"] == {"id": alice.id, "name": "Alice Martin"}
    assert item["data"]["id"] == post["id"]


def test_topics_and_mentions_become_links_and_filters(client, member_api, publish, feed):
    _alice, alice = member_api()
    bob, bob_headers = member_api(display_name="Bob Durand")
    post = publish(alice, "Atelier compta jeudi #Compta #entraide avec @Bob Durand et @Personne")
    assert f'href="/members/{bob.id}"' in post["body_html"]
    assert 'href="/topics/compta"' in post["body_html"]
    assert "@Personne" in post["body_html"]  # nobody of that name: plain text
    assert sorted(post["topics"]) == ["compta", "entraide"]
    publish(alice, "Autre chose")
    tagged = feed(bob_headers, "?topic=compta")["items"]
    assert [i["data"]["id"] for i in tagged] == [post["id"]]
    assert feed(bob_headers, "?topic=inconnu")["items"] == []
    page = client.get("/topics/compta", headers=bob_headers)
    assert page.status_code == 302  # pages need the login session, not a token
    notes = client.get("/api/v1/notifications", headers=bob_headers).get_json()
    assert notes["unread"] == 1 and "mentioned you" in notes["items"][0]["text"]


def test_script_payloads_in_topics_and_mentions_stay_text(member_api, publish):
    _alice, alice = member_api()
    post = publish(
        alice, '#<script>alert(1)</script> @<img src=x onerror="alert(1)"> #"onmouseover=x'
    )
    html = post["body_html"]
    assert "<script" not in html and "<img" not in html
    assert re.search(r"<[^>]*\son\w+=", html) is None  # no event attribute in any tag
    assert post["topics"] == []


def test_editing_keeps_history_and_only_the_author_may(client, member_api, publish):
    _alice, alice = member_api()
    _bob, bob = member_api()
    post = publish(alice, "Version une")
    url = f"/api/v1/posts/{post['id']}"
    assert client.patch(url, json={"body": "pirate"}, headers=bob).status_code == 403
    assert client.delete(url, headers=bob).status_code == 403
    edited = client.patch(url, json={"body": "Version deux"}, headers=alice)
    assert edited.status_code == 200 and edited.get_json()["edited_at"]
    assert client.patch(url, json={"body": ""}, headers=alice).status_code == 422
    assert client.patch(url, json={}, headers=alice).status_code == 422
    assert client.get(url, headers=bob).get_json()["body"] == "Version deux"


def test_deleting_a_post_removes_it_from_the_feed(client, member_api, publish, feed):
    _alice, alice = member_api()
    post = publish(alice, "Éphémère")
    assert client.delete(f"/api/v1/posts/{post['id']}", headers=alice).status_code == 204
    assert feed(alice, "?kind=post")["items"] == []
    assert client.get(f"/api/v1/posts/{post['id']}", headers=alice).status_code == 404


def test_bad_posts_are_refused_and_nothing_is_saved(client, member_api, feed):
    _alice, alice = member_api()
    for payload in ({"body": ""}, {"body": "   "}, {"body": "x" * 10_001}, {"body": 3}, {}):
        response = client.post("/api/v1/posts", json=payload, headers=alice)
        assert response.status_code == 422, payload
        assert "body" in response.get_json()["errors"]
    assert (
        client.post("/api/v1/posts", json={"body": "x", "notice": "oui"}, headers=alice).status_code
        == 422
    )
    assert feed(alice, "?kind=post")["items"] == []


def test_a_post_with_images_and_one_with_too_many(client, member_api, feed):
    _alice, alice = member_api()
    ok = client.post(
        "/api/v1/posts",
        data={
            "body": "Deux photos",
            "images": [(io.BytesIO(_png()), "a.png"), (io.BytesIO(_png()), "b.png")],
        },
        headers=alice,
        content_type="multipart/form-data",
    )
    assert ok.status_code == 201 and len(ok.get_json()["images"]) == 2
    image = client.get(ok.get_json()["images"][0], headers=alice)
    assert image.status_code in (200, 302)
    twenty = [(io.BytesIO(_png()), f"{n}.png") for n in range(20)]
    refused = client.post(
        "/api/v1/posts",
        data={"body": "Vingt photos", "images": twenty},
        headers=alice,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "images" in refused.get_json()["errors"]
    not_image = client.post(
        "/api/v1/posts",
        data={"body": "Pas une image", "images": [(io.BytesIO(b"<svg onload=alert(1)>"), "x.svg")]},
        headers=alice,
        content_type="multipart/form-data",
    )
    assert not_image.status_code == 422
    assert len(feed(alice, "?kind=post")["items"]) == 1


def test_reactions_come_from_a_small_set_and_are_idempotent(client, member_api, publish):
    alice, alice_headers = member_api()
    _bob, bob = member_api()
    post = publish(alice_headers, "Nouvelle cliente signée !")
    url = f"/api/v1/posts/{post['id']}/reactions"
    assert client.put(f"{url}/🎉", headers=bob).get_json()["count"] == 1
    assert client.put(f"{url}/🎉", headers=bob).get_json()["count"] == 1
    assert client.put(f"{url}/💡", headers=bob).get_json()["count"] == 1
    assert client.put(f"{url}/💩", headers=bob).status_code == 422
    reactions = client.get(f"/api/v1/posts/{post['id']}", headers=alice_headers).get_json()[
        "reactions"
    ]
    assert {r["emoji"]: r["count"] for r in reactions} == {"🎉": 1, "💡": 1}
    assert client.delete(f"{url}/🎉", headers=bob).get_json()["count"] == 0
    assert client.delete(f"{url}/🎉", headers=bob).get_json()["count"] == 0
    notes = client.get("/api/v1/notifications", headers=alice_headers).get_json()
    assert notes["unread"] == 2  # one per reaction added, not per repeat


def test_official_notices_are_acknowledged_and_counted_for_staff(client, member_api, publish, feed):
    _staff, staff = member_api(role="staff")
    _bob, bob = member_api()
    refused = client.post("/api/v1/posts", json={"body": "AG", "notice": True}, headers=bob)
    assert refused.status_code == 403
    notice = publish(staff, "L'AG aura lieu le 12 juin.", notice=True)
    assert notice["kind"] == "notice" and notice["acknowledgements"] == 0
    assert client.get("/api/v1/notifications", headers=bob).get_json()["unread"] == 1
    url = f"/api/v1/notices/{notice['id']}/acknowledge"
    assert client.post(url, headers=bob).status_code == 200
    assert client.post(url, headers=bob).status_code == 200  # idempotent
    seen_by_bob = feed(bob, "?kind=notice")["items"][0]["data"]
    assert seen_by_bob["acknowledged"] is True and "acknowledgements" not in seen_by_bob
    assert feed(staff, "?kind=notice")["items"][0]["data"]["acknowledgements"] == 1
    plain = publish(bob, "Pas une note")
    assert client.post(f"/api/v1/notices/{plain['id']}/acknowledge", headers=bob).status_code == 404


def test_staff_pin_posts(client, member_api, publish):
    _staff, staff = member_api(role="staff")
    _bob, bob = member_api()
    post = publish(bob, "À épingler")
    url = f"/api/v1/posts/{post['id']}"
    assert client.patch(url, json={"pinned": True}, headers=bob).status_code == 403
    assert client.patch(url, json={"pinned": True}, headers=staff).get_json()["pinned"] is True
    assert client.patch(url, json={"pinned": "yes"}, headers=staff).status_code == 422


def test_posting_is_rate_limited(client, member_api, publish):
    _alice, alice = member_api()
    for n in range(30):
        publish(alice, f"message {n}")
    response = client.post("/api/v1/posts", json={"body": "encore"}, headers=alice)
    assert response.status_code == 429 and "too fast" in response.get_json()["detail"]
