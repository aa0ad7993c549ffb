from datetime import timedelta

from network.core.models import utcnow
from tests.conftest import form_post, link_in

EN = {"Accept-Language": "en"}
JOIN = {
    "display_name": "Inès Benali",
    "password": "a long enough secret",
    "password_confirm": "a long enough secret",
}


def _invite(client, **fields):
    data = {"email": "ines@example.org", "status": "support_contract", **fields}
    return form_post(client, "/staff/invitations", data, page="/staff/members", headers=EN)


def _join_path(outbox):
    return link_in(outbox()[-1]).split("localhost", 1)[1]


def test_staff_invite_then_the_person_joins_with_the_link(app, client, login, make_member, outbox):
    login(make_member(role="staff"))
    response = _invite(client)
    assert response.status_code == 302
    message = outbox()[-1]
    assert message["To"] == "ines@example.org"
    path = _join_path(outbox)
    newcomer = app.test_client()
    page = newcomer.get(path, headers=EN).get_data(as_text=True)
    assert "Porteur de projet (CAPE)" in page
    joined = form_post(newcomer, path, JOIN, page=path)
    assert joined.status_code == 302 and joined.headers["Location"].endswith("/welcome")
    me = newcomer.get("/api/v1/me").get_json()
    assert me["display_name"] == "Inès Benali"
    assert me["status"] == "support_contract" and me["role"] == "member"


def test_an_invitation_link_works_only_once(app, client, login, make_member, outbox):
    login(make_member(role="staff"))
    _invite(client)
    path = _join_path(outbox)
    assert form_post(app.test_client(), path, JOIN, page=path).status_code == 302
    reused = app.test_client().get(path, headers=EN)
    assert reused.status_code == 410
    assert "already used" in reused.get_data(as_text=True)


def test_an_expired_invitation_is_refused(app, client, login, make_member, outbox, db):
    from network.members.models import Invitation

    login(make_member(role="staff"))
    _invite(client)
    with app.app_context():
        db.session.execute(db.update(Invitation).values(expires_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    response = app.test_client().get(_join_path(outbox), headers=EN)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_a_new_invitation_replaces_the_pending_one(app, client, login, make_member, outbox):
    login(make_member(role="staff"))
    _invite(client)
    first = _join_path(outbox)
    _invite(client)
    second = _join_path(outbox)
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200


def test_revoked_invitation_is_refused(app, client, login, make_member, outbox, db):
    from network.members.models import Invitation

    login(make_member(role="staff"))
    _invite(client)
    with app.app_context():
        invitation_id = db.session.scalar(db.select(Invitation.id))
    form_post(client, f"/staff/invitations/{invitation_id}/revoke", page="/staff/members")
    assert app.test_client().get(_join_path(outbox)).status_code == 410


def test_joining_with_bad_fields_keeps_the_invitation_and_the_name(
    app, client, login, make_member, outbox
):
    login(make_member(role="staff"))
    _invite(client)
    path = _join_path(outbox)
    newcomer = app.test_client()
    bad = form_post(
        newcomer,
        path,
        {**JOIN, "password_confirm": "something else entirely"},
        page=path,
        headers=EN,
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "The two passwords differ." in page and 'value="Inès Benali"' in page
    short = form_post(
        newcomer,
        path,
        {**JOIN, "password": "short", "password_confirm": "short"},
        page=path,
        headers=EN,
    )
    assert short.status_code == 422
    assert form_post(newcomer, path, JOIN, page=path).status_code == 302


def test_inviting_an_existing_member_or_a_bad_address_is_a_clear_error(client, login, make_member):
    staff = make_member(role="staff")
    login(staff)
    taken = _invite(client, email=staff.email)
    assert taken.status_code == 409
    assert "Already a member." in taken.get_data(as_text=True)
    bad = _invite(client, email="not-an-address")
    assert bad.status_code == 422
    assert "Enter a valid e-mail address." in bad.get_data(as_text=True)
    unknown_status = _invite(client, status="emperor")
    assert unknown_status.status_code == 422


def test_members_cannot_invite(client, login, make_member):
    login(make_member())
    assert client.get("/staff/members").status_code == 403
    assert _invite(client).status_code == 403


def test_only_admins_invite_staff(client, login, make_member):
    login(make_member(role="staff"))
    assert _invite(client, role="staff").status_code == 403
