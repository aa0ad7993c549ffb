"""Consents: dated, revocable, and honoured by the digests, "who's here today" and the
convocations (see also tests/governance/test_assemblies.py)."""

from datetime import timedelta

from tests.conftest import form_post
from tests.workspaces.conftest import EVERY_DAY


def test_consents_are_dated_and_revocable_on_my_data_page(client, make_member, login):
    member = make_member()
    login(member)
    page = client.get("/me/data", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Receive the convocations to general assemblies by e-mail" in page
    form_post(
        client, "/me/data/consents", {"e_convocation": "1", "email_digest": "1"}, page="/me/data"
    )
    form_post(client, "/me/data/consents", {"email_digest": "1"}, page="/me/data")
    answer = client.get("/api/v1/me/consents")
    assert answer.get_json() == {"e_convocation": False, "email_digest": True, "presence": False}
    page = client.get("/me/data", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert page.count("Receive the convocations to general assemblies by e-mail : ") == 2


def test_bad_consents_answer_422(client, member_api):
    _member, headers = member_api()
    unknown = client.patch("/api/v1/me/consents", json={"telepathy": True}, headers=headers)
    assert unknown.status_code == 422 and "purpose" in unknown.get_json()["errors"]
    wrong = client.patch("/api/v1/me/consents", json={"presence": "yes"}, headers=headers)
    assert wrong.status_code == 422 and "granted" in wrong.get_json()["errors"]
    assert client.patch("/api/v1/me/consents", json={"presence": False}).status_code == 401


def test_a_revoked_digest_consent_sends_no_digest(app, client, member_api, outbox):
    _alice, alice = member_api(display_name="Alice Martin")
    bob, bob_headers = member_api(display_name="Bob Durand")
    post = client.post("/api/v1/posts", json={"body": "Mon post"}, headers=bob_headers)
    client.post(
        f"/api/v1/posts/{post.get_json()['id']}/comments", json={"body": "Super"}, headers=alice
    )
    client.patch("/api/v1/me/consents", json={"email_digest": False}, headers=bob_headers)
    result = app.test_cli_runner().invoke(args=["notifications", "send-digests"])
    assert "0 digest(s) sent." in result.output
    assert [m for m in outbox() if m["To"] == bob.email] == []


def test_a_revoked_presence_consent_hides_the_member(
    app, member_api, make_space, book, client, login
):
    from network.cooperative.times import to_local
    from network.core.models import utcnow

    alice, alice_h = member_api(display_name="Alice Martin")
    bob, _bob_h = member_api(display_name="Bob Durand")
    space_id = make_space(name="Open space", kind="desk_area", capacity=4, opening_hours=EVERY_DAY)
    with app.test_request_context():
        now_local = to_local(utcnow())
    slot = (now_local.hour * 60 + now_local.minute) // 30 * 30 + 30
    if slot + 30 > 24 * 60:  # too late in the day to book today
        return
    today = now_local.date()
    start = f"{today.isoformat()}T{slot // 60:02d}:{slot % 60:02d}"
    end_at = slot + 30
    end = (
        f"{today.isoformat()}T{end_at // 60:02d}:{end_at % 60:02d}"
        if end_at < 1440
        else f"{(today + timedelta(1)).isoformat()}T00:00"
    )
    assert book(alice_h, space_id, start, end).status_code == 201
    alice_client = app.test_client()
    login(alice, c=alice_client)
    form_post(
        alice_client,
        "/workspaces/preferences",
        {"action": "presence", "show_presence": "1"},
        page="/workspaces/bookings",
    )
    login(bob)
    assert "Alice Martin" in client.get("/workspaces").get_data(as_text=True)
    form_post(alice_client, "/me/data/consents", {"email_digest": "1"}, page="/me/data")
    assert "Alice Martin" not in client.get("/workspaces").get_data(as_text=True)
