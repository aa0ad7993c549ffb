"""The feed as a whole: items contributed by other modules through the registry, a bounded
number of queries per page whatever the mix, cursor pagination, filters, pages without
JavaScript and the live `feed_item` event."""

import re

from network.extensions import socketio
from tests.conftest import form_post


def _mixed_feed(client, member_api, publish, make_member, rounds):
    """Posts, notices, new members, skills, channels and open-to items, `rounds` times."""
    _staff, staff = member_api(role="staff")
    for n in range(rounds):
        member, headers = member_api(display_name=f"Membre {n}")
        publish(headers, f"Bonjour #projet{n % 3}")
        publish(staff, f"Note officielle {n}", notice=True)
        client.put(
            "/api/v1/me/skills",
            json={"skills": [{"name": f"Compétence {n}", "level": "expert"}]},
            headers=headers,
        )
        client.patch("/api/v1/me", json={"open_to": ["collaboration"]}, headers=headers)
        client.post("/api/v1/channels", json={"name": f"Canal {n}"}, headers=headers)
    return staff


def test_other_modules_contribute_their_items(client, member_api, publish, make_member, feed):
    staff = _mixed_feed(client, member_api, publish, make_member, rounds=1)
    kinds = {item["kind"] for item in feed(staff, "?limit=50")["items"]}
    assert kinds == {
        "post",
        "notice",
        "member_joined",
        "skills_added",
        "open_to",
        "channel_created",
    }
    by_kind = {item["kind"]: item["data"] for item in feed(staff, "?limit=50")["items"]}
    assert by_kind["skills_added"]["skills"] == ["Compétence 0"]
    assert by_kind["channel_created"]["channel"]["name"] == "Canal 0"
    assert by_kind["open_to"]["open_to"] == ["Collaboration"]


def test_a_feed_page_costs_a_bounded_number_of_queries(
    app, client, login, member_api, publish, make_member, queries_of
):
    _mixed_feed(client, member_api, publish, make_member, rounds=2)
    viewer = make_member()
    login(viewer)
    few, _page = queries_of("/feed")
    many_first, _ = queries_of("/api/v1/feed?limit=50")
    _mixed_feed(client, member_api, publish, make_member, rounds=8)
    assert queries_of("/feed")[0] == few
    assert queries_of("/api/v1/feed?limit=50")[0] == many_first
    assert many_first <= 20  # one per kind, plus the page, the actors and the login


def test_pagination_filters_and_bad_input(client, member_api, publish, feed):
    _alice, alice = member_api()
    ids = [publish(alice, f"post {n}")["id"] for n in range(7)]
    first = feed(alice, "?kind=post&limit=4")
    assert [i["data"]["id"] for i in first["items"]] == ids[::-1][:4]
    second = feed(alice, f"?kind=post&limit=4&before={first['next']}")
    assert [i["data"]["id"] for i in second["items"]] == ids[::-1][4:]
    assert second["next"] is None
    for query in ("?kind=unknown", "?before=garbage", "?limit=0", "?limit=51"):
        assert client.get(f"/api/v1/feed{query}", headers=alice).status_code == 422, query


def test_a_new_item_is_announced_live_to_other_tabs(app, member_api, publish):
    _alice, alice = member_api(display_name="Alice Martin")
    _bob, bob = member_api()
    tab = socketio.test_client(app, auth={"token": bob["Authorization"].removeprefix("Bearer ")})
    tab.get_received()
    post = publish(alice, "Quelqu'un pour un café ?")
    events = [e for e in tab.get_received() if e["name"] == "feed_item"]
    assert len(events) == 1
    payload = events[0]["args"][0]
    assert payload["kind"] == "post" and payload["actor"]["name"] == "Alice Martin"
    assert isinstance(payload["id"], int) and post["id"]
    tab.disconnect()


def test_the_feed_page_works_without_javascript(app, client, login, make_member):
    member = make_member(display_name="Alice Martin")
    login(member)
    posted = form_post(
        client, "/feed/posts", {"body": "Premier post **gras** #accueil"}, page="/feed"
    )
    assert posted.status_code == 302
    page = client.get("/feed").get_data(as_text=True)
    assert "<strong>gras</strong>" in page and 'href="/topics/accueil"' in page
    topic = client.get("/topics/accueil").get_data(as_text=True)
    assert "Premier post" in topic
    assert client.get("/topics/inconnu").status_code == 404
    post_id = int(re.search(r"/feed/posts/(\d+)", posted.headers["Location"]).group(1))
    form_post(client, f"/feed/posts/{post_id}/comments", {"body": "Un commentaire"}, page="/feed")
    form_post(client, f"/feed/posts/{post_id}/react", {"emoji": "🎉"}, page="/feed")
    detail = client.get(f"/feed/posts/{post_id}").get_data(as_text=True)
    assert "Un commentaire" in detail and '🎉 <span class="n">1</span>' in detail
    edit = form_post(
        client, f"/feed/posts/{post_id}/edit", {"body": "Version corrigée"}, page="/feed"
    )
    assert edit.status_code == 302
    history = client.get(f"/feed/posts/{post_id}/edits").get_data(as_text=True)
    assert "Premier post **gras** #accueil" in history and "Version corrigée" in history


def test_an_empty_post_from_the_page_keeps_nothing_and_says_why(client, login, make_member):
    login(make_member())
    response = form_post(
        client, "/feed/posts", {"body": "  "}, page="/feed", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert "Write something first." in response.get_data(as_text=True)


def test_staff_see_who_acknowledged_a_notice(app, client, login, make_member, member_api, publish):
    staff = make_member(role="staff", display_name="Sophie Appui")
    bob, bob_headers = member_api(display_name="Bob Durand")
    login(staff)
    posted = form_post(
        client, "/feed/posts", {"body": "AG le 12 juin", "notice": "1"}, page="/feed"
    )
    post_id = int(re.search(r"/feed/posts/(\d+)", posted.headers["Location"]).group(1))
    client_bob = login(bob, c=app.test_client())
    form_post(client_bob, f"/feed/posts/{post_id}/acknowledge", page="/feed")
    page = client.get(f"/feed/posts/{post_id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Acknowledged by 1 of" in page and "Bob Durand" in page
    bob_page = client_bob.get(f"/feed/posts/{post_id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Acknowledged by" not in bob_page


def test_the_topics_panel_is_counted_again_when_the_tags_change(
    app, client, login, make_member, member_api, publish, monkeypatch
):
    """Outside the tests the side panel's counts are kept (counting every tag is a scan),
    checked against the tags' version at most every TAGS_CHECKED_EVERY seconds."""
    from network.feed import queries

    def jardin_count() -> str:
        page = client.get("/feed").get_data(as_text=True)
        return re.search(r'href="/topics/jardin">#jardin</a> <span class="count">(\d+)', page)[1]

    _alice, alice = member_api()
    login(make_member())
    monkeypatch.setitem(app.config, "FACETS_CACHE_SECONDS", 60)
    monkeypatch.setattr(queries, "_topics_cache", {})
    monkeypatch.setattr(queries, "TAGS_CHECKED_EVERY", 3600)
    publish(alice, "Semis #jardin")
    assert jardin_count() == "1"
    publish(alice, "Récolte #jardin")
    assert jardin_count() == "1"  # kept: not checked again yet
    monkeypatch.setattr(queries, "TAGS_CHECKED_EVERY", 0)
    assert jardin_count() == "2"  # checked: the tags changed, counted again
