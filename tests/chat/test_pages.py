"""Chat pages without JavaScript: the channel list, history, threads, and plain forms."""

import re

from tests.conftest import form_post


def _channel_id(response) -> int:
    return int(re.search(r"/chat/(\d+)", response.headers["Location"]).group(1))


def test_creating_a_channel_from_the_page(client, login, make_member):
    login(make_member())
    response = form_post(client, "/chat/new", {"name": "Entraide", "kind": "public"}, page="/chat")
    assert response.status_code == 302
    page = client.get(f"/chat/{_channel_id(response)}").get_data(as_text=True)
    assert "Entraide" in page and 'id="chat-composer"' in page


def test_a_bad_channel_form_keeps_what_was_typed(client, login, make_member):
    login(make_member())
    response = form_post(
        client,
        "/chat/new",
        {"name": "", "topic": "Un sujet important", "kind": "public"},
        page="/chat",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give the channel a name." in page and "Un sujet important" in page


def test_history_is_readable_and_writable_without_javascript(client, login, make_member, app):
    login(make_member(display_name="Alice Martin"))
    created = form_post(client, "/chat/new", {"name": "Entraide", "kind": "public"}, page="/chat")
    channel_id = _channel_id(created)
    bob = login(make_member(), c=app.test_client())
    form_post(bob, f"/chat/{channel_id}/join", page="/chat")
    for n in range(55):  # from two members: each stays under the rate limit
        sent = form_post(
            client if n % 2 else bob,
            f"/chat/{channel_id}/messages",
            {"body": f"Message **{n}**", "client_id": f"form-{n}"},
            page=f"/chat/{channel_id}",
        )
        assert sent.status_code == 302
    page = client.get(f"/chat/{channel_id}").get_data(as_text=True)
    assert "<strong>54</strong>" in page and "<strong>4</strong>" not in page
    older = re.search(r'href="\?before=(\d+)"', page)
    assert older, "no link to older messages"
    assert "<strong>4</strong>" in client.get(
        f"/chat/{channel_id}?before={older.group(1)}"
    ).get_data(as_text=True)


def test_a_message_link_opens_the_history_around_it(client, login, make_member, member_api, post):
    member = make_member()
    login(member)
    created = form_post(client, "/chat/new", {"name": "Liens", "kind": "public"}, page="/chat")
    channel_id = _channel_id(created)
    form_post(
        client, f"/chat/{channel_id}/messages", {"body": "premier", "client_id": "p1"}, page="/chat"
    )
    response = client.get(f"/api/v1/channels/{channel_id}/messages")
    first_id = response.get_json()["items"][0]["id"]
    redirect = client.get(f"/chat/messages/{first_id}")
    assert redirect.status_code == 302
    assert f"around={first_id}" in redirect.headers["Location"]
    assert f'id="m{first_id}"' in client.get(redirect.headers["Location"]).get_data(as_text=True)


def test_threads_edits_reactions_and_deletion_from_forms(client, login, make_member):
    login(make_member())
    channel_id = _channel_id(
        form_post(client, "/chat/new", {"name": "Fil", "kind": "public"}, page="/chat")
    )
    form_post(
        client, f"/chat/{channel_id}/messages", {"body": "Question", "client_id": "q"}, page="/chat"
    )
    root_id = client.get(f"/api/v1/channels/{channel_id}/messages").get_json()["items"][0]["id"]
    form_post(
        client,
        f"/chat/{channel_id}/messages",
        {"body": "Réponse", "client_id": "r", "thread_id": str(root_id)},
        page="/chat",
    )
    thread = client.get(f"/chat/{channel_id}/threads/{root_id}").get_data(as_text=True)
    assert "Question" in thread and "Réponse" in thread
    assert "Réponse" not in client.get(f"/chat/{channel_id}").get_data(as_text=True)

    form_post(client, f"/chat/messages/{root_id}/edit", {"body": "Question précisée"}, page="/chat")
    edits = client.get(f"/chat/messages/{root_id}/edits").get_data(as_text=True)
    assert "Question précisée" in edits and "Question\n" in edits or ">Question<" in edits
    bad = form_post(client, f"/chat/messages/{root_id}/edit", {"body": ""}, page="/chat")
    assert bad.status_code == 422

    form_post(client, f"/chat/messages/{root_id}/react", {"emoji": "🎉"}, page="/chat")
    assert '🎉 <span class="n">1</span>' in client.get(f"/chat/{channel_id}").get_data(as_text=True)
    refused = form_post(client, f"/chat/messages/{root_id}/react", {"emoji": "x"}, page="/chat")
    assert refused.status_code == 422

    form_post(client, f"/chat/messages/{root_id}/delete", page="/chat")
    page = client.get(f"/chat/{channel_id}").get_data(as_text=True)
    assert "Question précisée" not in page


def test_a_profile_starts_a_direct_conversation(client, login, make_member):
    alice = make_member()
    bob = make_member(display_name="Bob Durand")
    login(alice)
    profile = client.get(f"/members/{bob.id}").get_data(as_text=True)
    assert 'action="/chat/direct"' in profile
    response = form_post(client, "/chat/direct", {"member_ids": str(bob.id)}, page="/chat")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bob Durand" in page


def test_outsiders_get_a_missing_page_for_a_private_channel(client, login, make_member, app):
    login(make_member())
    created = form_post(client, "/chat/new", {"name": "Bureau", "kind": "private"}, page="/chat")
    channel_id = _channel_id(created)
    outsider = login(make_member(), c=app.test_client())
    assert outsider.get(f"/chat/{channel_id}").status_code == 404
    assert "Bureau" not in outsider.get("/chat").get_data(as_text=True)
    posted = form_post(
        outsider, f"/chat/{channel_id}/messages", {"body": "x", "client_id": "o"}, page="/chat"
    )
    assert posted.status_code == 404


def test_joining_and_leaving_a_public_channel(client, login, make_member, app):
    login(make_member())
    channel_id = _channel_id(
        form_post(client, "/chat/new", {"name": "Café", "kind": "public"}, page="/chat")
    )
    other = login(make_member(), c=app.test_client())
    assert "Join this channel" in other.get(
        f"/chat/{channel_id}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    form_post(other, f"/chat/{channel_id}/join", page="/chat")
    assert 'id="chat-composer"' in other.get(f"/chat/{channel_id}").get_data(as_text=True)
    form_post(other, f"/chat/{channel_id}/leave", page="/chat")
    assert 'id="chat-composer"' not in other.get(f"/chat/{channel_id}").get_data(as_text=True)


def test_the_chat_pages_need_a_login(client):
    assert client.get("/chat").status_code == 302


def test_the_demo_cooperative_has_channels_with_history(app, client, login):
    from network.demo import DEMO_PASSWORD

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    member = type("Login", (), {"email": "admin@terreau.coop"})
    login(member, password=DEMO_PASSWORD)
    channels = client.get("/api/v1/channels").get_json()["items"]
    names = {c["name"] for c in channels}
    assert {"Général", "Entraide", "Annonces", "Comité de pilotage"} <= names
    general = next(c for c in channels if c["name"] == "Général")
    page = client.get(f"/chat/{general['id']}").get_data(as_text=True)
    assert "déjeuner partagé" in page


def test_find_collaborators_results_start_a_group_conversation(client, login, make_member):
    login(make_member())
    bob, carol = make_member(display_name="Bob Durand"), make_member(display_name="Carol Petit")
    response = form_post(
        client, "/chat/direct", {"member_ids": [str(bob.id), str(carol.id)]}, page="/chat"
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bob Durand, Carol Petit" in page
    single = form_post(
        client,
        "/chat/direct",
        {"member_ids": [str(bob.id)], "only": str(carol.id)},
        page="/chat",
    )
    assert single.headers["Location"] != response.headers["Location"]
    empty = form_post(client, "/chat/direct", {}, page="/chat", headers={"Accept-Language": "en"})
    assert empty.status_code == 302
    assert "Choose at least one other member." in client.get(
        "/chat", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)


def test_a_large_channel_lists_its_first_members_and_counts_the_rest(
    client, login, make_member, monkeypatch
):
    from network.chat import views

    monkeypatch.setattr(views, "MEMBERS_SHOWN", 2)
    owner = make_member()
    login(owner)
    created = form_post(
        client, "/chat/new", {"name": "Tout le monde", "kind": "public"}, page="/chat"
    )
    channel_id = _channel_id(created)
    for _ in range(3):
        form_post(
            client,
            f"/chat/{channel_id}/members",
            {"member_id": str(make_member().id)},
            page="/chat",
        )
    page = client.get(f"/chat/{channel_id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "4 members" in page and "and 2 more" in page
    assert page.count("data-presence-member=") == 2


def test_the_history_page_shows_reply_counts_roles_and_the_channel_list(
    client, login, make_member, app
):
    owner = make_member(display_name="Alice Martin")
    login(owner)
    channel_id = _channel_id(
        form_post(client, "/chat/new", {"name": "Fils", "kind": "public"}, page="/chat")
    )
    other_id = _channel_id(
        form_post(client, "/chat/new", {"name": "Autre", "kind": "public"}, page="/chat")
    )
    for body in ("Un", "Deux"):
        form_post(
            client,
            f"/chat/{channel_id}/messages",
            {"body": body, "client_id": body},
            page="/chat",
        )
    one, two = (
        m["id"] for m in client.get(f"/api/v1/channels/{channel_id}/messages").json["items"]
    )
    for n, root in enumerate((one, two, two)):
        form_post(
            client,
            f"/chat/{channel_id}/messages",
            {"body": f"Réponse {n}", "client_id": f"r{n}", "thread_id": str(root)},
            page="/chat",
        )
    bob = login(make_member(display_name="Bob Durand"), c=app.test_client())
    form_post(bob, f"/chat/{channel_id}/join", page="/chat")
    form_post(bob, f"/chat/{other_id}/join", page="/chat")
    form_post(bob, f"/chat/{other_id}/messages", {"body": "Coucou", "client_id": "b"}, page="/chat")

    english = client.get(f"/chat/{channel_id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert f'<a href="/chat/{channel_id}/threads/{one}">1 reply</a>' in english
    assert f'<a href="/chat/{channel_id}/threads/{two}">2 replies</a>' in english
    assert f'class="chat-time" href="/chat/messages/{one}"' in english  # its own link
    assert '<span class="badge">owner</span>' in english  # Alice's role; Bob is a member
    assert english.count('<span class="badge">owner</span>') == 1
    assert "make owner" in english  # the owner manages Bob
    # the channel list: both channels, the other one with Bob's unread message
    assert f'<li><a href="/chat/{channel_id}" data-channel-id="{channel_id}"' in english
    other = re.search(
        rf'<li><a href="/chat/{other_id}" data-channel-id="{other_id}".*?</li>', english, re.S
    )
    assert other and 'data-unread="1"' in other.group(0)
    assert '<span class="visually-hidden">Unread: </span>' in other.group(0)

    french = client.get(f"/chat/{channel_id}", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )
    assert ">2 réponses</a>" in french and ">1 réponse</a>" in french
    assert '<span class="badge">responsable</span>' in french and "Non lus :" in french
    assert ">Bob Durand</a>" in bob.get(f"/chat/{channel_id}").get_data(as_text=True)


def test_the_start_up_warm_up_changes_nothing(app, client, login, make_member):
    from network.chat.models import Channel
    from network.core.registries import WARM_UPS, warm_up
    from network.extensions import db

    assert "chat" in WARM_UPS
    with app.app_context():
        before = db.session.query(Channel).count()
        warm_up()
        assert db.session.query(Channel).count() == before
    login(make_member())
    assert client.get("/chat").status_code == 200
