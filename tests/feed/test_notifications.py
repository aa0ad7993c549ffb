"""The notification centre: stored, live in the member's `user:<id>` room, read markers, and
e-mail as each member chooses (at once, daily digest, never)."""

from email.header import decode_header, make_header

from network.extensions import socketio
from tests.conftest import form_post
from tests.search.conftest import eventually


def _notifications(client, headers):
    response = client.get("/api/v1/notifications", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def test_a_mention_is_stored_delivered_live_and_mailed_at_once(
    app, client, member_api, publish, outbox
):
    _alice, alice = member_api(display_name="Alice Martin")
    bob, bob_headers = member_api(display_name="Bob Durand")
    tab = socketio.test_client(
        app, auth={"token": bob_headers["Authorization"].removeprefix("Bearer ")}
    )
    tab.get_received()
    publish(alice, "Merci @Bob Durand pour le coup de main")
    assert [e["name"] for e in tab.get_received()].count("notification") == 1
    answer = _notifications(client, bob_headers)
    assert answer["unread"] == 1
    assert answer["items"][0]["text"] == "Alice Martin mentioned you in a post"
    (mail,) = [m for m in outbox() if m["To"] == bob.email]
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "Terreau — Alice Martin vous mentionne dans une publication"  # Bob's language
    tab.disconnect()


def test_marking_read_one_or_all(client, member_api, publish):
    _alice, alice = member_api()
    _bob, bob = member_api(display_name="Bob Durand")
    for n in range(3):
        publish(alice, f"@Bob Durand numéro {n}")
    items = _notifications(client, bob)["items"]
    one = client.post("/api/v1/notifications/read", json={"ids": [items[0]["id"]]}, headers=bob)
    assert one.get_json() == {"marked": 1, "unread": 2}
    everything = client.post("/api/v1/notifications/read", headers=bob)
    assert everything.get_json() == {"marked": 2, "unread": 0}
    bad = client.post("/api/v1/notifications/read", json={"ids": "all"}, headers=bob)
    assert bad.status_code == 422
    others = client.post(
        "/api/v1/notifications/read", json={"ids": [items[1]["id"]]}, headers=alice
    )
    assert others.get_json()["marked"] == 0  # nobody marks someone else's


def test_daily_digests_gather_pending_notifications(app, client, member_api, publish, outbox):
    _alice, alice = member_api(display_name="Alice Martin")
    bob, bob_headers = member_api(display_name="Bob Durand")
    post = publish(bob_headers, "Mon post")
    for body in ("Super", "Bravo"):
        client.post(f"/api/v1/posts/{post['id']}/comments", json={"body": body}, headers=alice)
    assert [m for m in outbox() if m["To"] == bob.email] == []  # replies: daily by default
    result = app.test_cli_runner().invoke(args=["notifications", "send-digests"])
    assert result.exit_code == 0 and "1 digest(s) sent." in result.output
    (digest,) = [m for m in outbox() if m["To"] == bob.email]
    body = digest.get_payload(decode=True).decode()
    assert body.count("Alice Martin a commenté votre publication") == 2  # in Bob's language
    again = app.test_cli_runner().invoke(args=["notifications", "send-digests"])
    assert "0 digest(s) sent." in again.output


def test_members_choose_what_comes_by_e_mail(
    app, client, login, make_member, member_api, publish, outbox
):
    _alice, alice = member_api(display_name="Alice Martin")
    bob = make_member(display_name="Bob Durand")
    bob_client = login(bob, c=app.test_client())
    page = bob_client.get("/notifications/settings").get_data(as_text=True)
    assert 'name="mention"' in page
    saved = form_post(
        bob_client,
        "/notifications/settings",
        {
            "mention": "never",
            "reply": "daily",
            "reaction": "never",
            "notice": "immediately",
            "moderation": "immediately",
            "other": "daily",
        },
        page="/notifications/settings",
    )
    assert saved.status_code == 302
    publish(alice, "Coucou @Bob Durand")
    assert [m for m in outbox() if m["To"] == bob.email] == []
    bad = form_post(
        bob_client,
        "/notifications/settings",
        {"mention": "sometimes"},
        page="/notifications/settings",
    )
    assert bad.status_code == 422


def test_the_notification_centre_page(app, client, login, member_api, publish):
    _alice, alice = member_api(display_name="Alice Martin")
    bob, bob_headers = member_api(display_name="Bob Durand")
    post = publish(alice, "Salut @Bob Durand")
    bob_client = login(bob, c=app.test_client())
    home = bob_client.get("/feed").get_data(as_text=True)
    assert 'data-unread="1"' in home
    page = bob_client.get("/notifications", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Alice Martin mentioned you in a post" in page
    (note,) = _notifications(client, bob_headers)["items"]
    opened = form_post(
        bob_client,
        "/notifications/read",
        {"id": str(note["id"]), "url": f"/feed/posts/{post['id']}"},
        page="/notifications",
    )
    assert opened.headers["Location"] == f"/feed/posts/{post['id']}"
    assert _notifications(client, bob_headers)["unread"] == 0
    escape = form_post(
        bob_client,
        "/notifications/read",
        {"id": str(note["id"]), "url": "//evil.example/x"},
        page="/notifications",
    )
    assert "evil.example" not in escape.headers["Location"]


def test_other_modules_notify_through_the_signal(app, make_member, client, token_for):
    from flask_babel import lazy_gettext as _l

    from network.core import signals
    from network.extensions import db

    bob = make_member(display_name="Bob Durand")
    with app.test_request_context():
        signals.notification_requested.send(
            bob.id,
            kind="booking_confirmed",
            text=_l("Your booking of %(space)s is confirmed", space="Salle A"),
            url="/x",
            actor=None,
        )
        db.session.commit()
    headers = {**token_for(bob), "Accept-Language": "fr"}
    (item,) = _notifications(client, headers)["items"]
    assert item["kind"] == "booking_confirmed" and "Salle A" in item["text"]


def test_a_notice_to_many_members_is_stored_mailed_and_told_in_bulk(
    app, client, member_api, make_member, publish, outbox, token_for
):
    from network.feed.notifications import BULK

    _staff, staff = member_api(role="staff", display_name="Sophie Appui")
    members = [make_member(display_name=f"Membre {n}") for n in range(BULK + 5)]
    quiet = members[0]
    quiet_headers = token_for(quiet)
    client.post("/api/v1/notifications/read", headers=quiet_headers)  # nothing yet
    with app.app_context():
        from network.core.registries import Delivery
        from network.extensions import db
        from network.feed.models import NotificationPreference

        db.session.add(
            NotificationPreference(member_id=quiet.id, kind="notice", delivery=Delivery.NEVER)
        )
        db.session.commit()
    tab = socketio.test_client(
        app, auth={"token": quiet_headers["Authorization"].removeprefix("Bearer ")}
    )
    tab.get_received()
    publish(staff, "Assemblée générale le 12 juin", notice=True)
    last = _notifications(client, token_for(members[-1]))
    assert last["unread"] == 1 and "Sophie Appui" in last["items"][0]["text"]
    mailed = {m["To"] for m in outbox()}
    assert members[-1].email in mailed and quiet.email not in mailed
    body = next(m for m in outbox() if m["To"] == members[-1].email).get_payload(decode=True)
    assert f"Membre {BULK + 4}" in body.decode()  # each greeting is the member's own
    assert _notifications(client, quiet_headers)["unread"] == 1
    assert eventually(lambda: "notification" in [e["name"] for e in tab.get_received()])
    tab.disconnect()


def test_opening_a_notification_redirects_to_local_paths_only(client, login, member_api, publish):
    _alice, alice = member_api()
    bob, bob_headers = member_api(display_name="Bob Durand")
    publish(alice, "@Bob Durand regarde")
    (item,) = _notifications(client, bob_headers)["items"]
    login(bob)
    for target in ("https://evil.example/x", "//evil.example", "/\\evil.example", "/%09/x"):
        answer = form_post(
            client, "/notifications/read", {"id": item["id"], "url": target}, page="/notifications"
        )
        assert answer.status_code == 302
        assert "evil.example" not in answer.headers["Location"], target
    local = form_post(
        client, "/notifications/read", {"id": item["id"], "url": "/feed"}, page="/notifications"
    )
    assert local.headers["Location"].endswith("/feed")


def test_a_daily_digest_carries_an_official_notices_text(app, client, member_api, outbox):
    from network.feed import notifications
    from network.members.models import Member

    staff, staff_headers = member_api(role="staff")
    bob, _bob_headers = member_api(display_name="Bob Durand")
    with app.test_request_context():
        notifications.set_preferences(bob.id, {"notice": "daily"})
        from network.extensions import db

        db.session.commit()
        assert db.session.get(Member, bob.id) is not None
    published = client.post(
        "/api/v1/posts",
        json={"body": "**AG le 12 juin** : l'ordre du jour est en ligne.", "notice": True},
        headers=staff_headers,
    )
    assert published.status_code == 201
    assert [m for m in outbox() if m["To"] == bob.email] == []  # daily, as Bob chose
    app.test_cli_runner().invoke(args=["notifications", "send-digests"])
    (digest,) = [m for m in outbox() if m["To"] == bob.email]
    body = digest.get_payload(decode=True).decode()
    assert "AG le 12 juin : l'ordre du jour est en ligne." in body
