import re

import pytest

from tests.conftest import PASSWORD, form_post, link_in

EN = {"Accept-Language": "en"}


def _flash_errors(response):
    return re.findall(r'class="flash flash-error">([^<]+)<', response.get_data(as_text=True))


def test_login_then_home_shows_the_member(client, make_member):
    member = make_member(display_name="Camille Martin")
    response = form_post(client, "/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "Camille Martin" in client.get("/").get_data(as_text=True)


def test_login_redirects_to_a_local_next_page_only(app, client, make_member):
    member = make_member()
    data = {"email": member.email, "password": PASSWORD}
    local = form_post(client, "/login?next=/members", data)
    assert local.headers["Location"].endswith("/members")
    for target in (
        "//evil.example/x",
        "/%09/evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/%5Cevil.example",
    ):
        foreign = form_post(app.test_client(), f"/login?next={target}", data)
        assert "evil.example" not in foreign.headers["Location"], target


def test_unknown_email_and_wrong_password_get_the_same_answer(client, make_member):
    member = make_member()
    wrong = form_post(
        client, "/login", {"email": member.email, "password": "nope-nope-nope"}, headers=EN
    )
    unknown = form_post(
        client, "/login", {"email": "ghost@example.org", "password": "x" * 12}, headers=EN
    )
    assert wrong.status_code == unknown.status_code == 401
    assert _flash_errors(wrong) == _flash_errors(unknown) == ["Unknown e-mail or wrong password."]


def test_failed_logins_are_audited(app, client, make_member, db):
    from network.core.audit import AuditEvent

    member = make_member()
    form_post(client, "/login", {"email": member.email, "password": "wrong-password!"})
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "login_failed" in actions


def test_anonymous_is_sent_to_login(client):
    response = client.get("/members")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_without_csrf_token_is_refused(client, make_member):
    member = make_member()
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_login_is_rate_limited(app, client, make_member):
    member = make_member()
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [
            form_post(
                client, "/login", {"email": member.email, "password": "bad-password!"}, headers=EN
            ).status_code
            for _ in range(4)
        ]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429


def test_logout_ends_the_session_even_for_a_copied_cookie(app, client, login, make_member):
    login(make_member())
    copied = client.get_cookie("session").value
    form_post(client, "/logout", page="/")
    assert client.get("/members").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/members").status_code == 302


def test_logins_are_also_limited_per_account(app, make_member):
    member = make_member()
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [
            form_post(
                app.test_client(),
                "/login",
                {"email": member.email.upper(), "password": "bad-password!"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
            ).status_code
            for i in range(3)
        ]
    finally:
        app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "1000 per minute"
    assert codes == [401, 401, 429]


def test_remember_me_sets_a_remember_cookie(client, make_member):
    member = make_member()
    form_post(client, "/login", {"email": member.email, "password": PASSWORD, "remember": "1"})
    assert client.get_cookie("remember_token") is not None


def test_change_password_ends_other_sessions(app, login, make_member):
    member = make_member()
    first, second = app.test_client(), app.test_client()
    login(member, c=first)
    login(member, c=second)
    response = form_post(
        first,
        "/me/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "new_password_confirm": "a brand new passphrase",
        },
        page="/me/settings",
    )
    assert response.status_code == 302
    assert first.get("/members").status_code == 200  # this session carries on
    assert second.get("/members").status_code == 302  # the other one is signed out
    assert (
        form_post(
            app.test_client(),
            "/login",
            {"email": member.email, "password": "a brand new passphrase"},
        ).status_code
        == 302
    )


def test_change_password_with_wrong_current_password_keeps_the_old_one(client, login, make_member):
    member = make_member()
    login(member)
    response = form_post(
        client,
        "/me/password",
        {
            "current_password": "not my password",
            "new_password": "a brand new passphrase",
            "new_password_confirm": "a brand new passphrase",
        },
        page="/me/settings",
        headers=EN,
    )
    assert response.status_code == 422
    assert "This is not your current password." in response.get_data(as_text=True)
    client.delete_cookie("session")
    assert (
        form_post(client, "/login", {"email": member.email, "password": PASSWORD}).status_code
        == 302
    )


def test_password_reset_by_link_works_once(app, client, make_member, outbox):
    from tests.conftest import link_in

    member = make_member()
    form_post(client, "/password/forgot", {"email": member.email.upper()})
    messages = outbox()
    assert len(messages) == 1 and messages[0]["To"] == member.email
    link = link_in(messages[0])
    path = link.split("localhost", 1)[1]
    new = {"password": "another long passphrase", "password_confirm": "another long passphrase"}
    assert form_post(client, path, new, page=path).status_code == 302
    assert (
        form_post(
            client, "/login", {"email": member.email, "password": new["password"]}
        ).status_code
        == 302
    )
    again = form_post(app.test_client(), path, new, page="/login", headers=EN)
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)


def test_password_reset_for_unknown_address_answers_the_same(client, outbox, make_member):
    make_member()
    response = form_post(client, "/password/forgot", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert outbox() == []


def test_password_reset_with_a_forged_token_is_refused(client):
    response = form_post(
        client,
        "/password/reset/forged",
        {"password": "another long passphrase", "password_confirm": "another long passphrase"},
        headers=EN,
    )
    assert response.status_code == 410
    assert "not valid" in response.get_data(as_text=True)


def test_password_reset_link_expires(app, client, make_member, outbox):
    from tests.conftest import link_in

    member = make_member()
    form_post(client, "/password/forgot", {"email": member.email})
    path = link_in(outbox()[0]).split("localhost", 1)[1]
    app.config["PASSWORD_RESET_TTL_MINUTES"] = -1
    try:
        response = form_post(
            client,
            path,
            {"password": "another long passphrase", "password_confirm": "another long passphrase"},
            headers=EN,
        )
    finally:
        app.config["PASSWORD_RESET_TTL_MINUTES"] = 60
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_deactivated_member_is_signed_out_and_cannot_sign_in(app, client, login, make_member):
    member = make_member()
    staff = make_member(role="staff")
    login(member)
    staff_client = login(staff, c=app.test_client())
    response = form_post(
        staff_client, f"/staff/members/{member.id}/deactivate", page="/staff/members"
    )
    assert response.status_code == 302
    assert client.get("/members").status_code == 302
    again = form_post(client, "/login", {"email": member.email, "password": PASSWORD})
    assert again.status_code == 401


def test_password_reset_requests_are_rate_limited(app, client):
    app.config["RESET_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [
            form_post(client, "/password/forgot", {"email": "a@example.org"}).status_code
            for _ in range(3)
        ]
    finally:
        app.config["RESET_RATE_LIMIT"] = "1000 per minute"
    assert codes == [302, 302, 429]


@pytest.fixture
def limits(app):
    """limits(NAME="2 per minute", …) sets sign-in limits for the test."""
    names = ("LOGIN_RATE_LIMIT", "LOGIN_PAIR_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT")
    saved = {name: app.config.get(name) for name in names}
    yield app.config.update
    app.config.update(saved)


def _from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _form(app, address, email, password):
    return form_post(_from(app, address), "/login", {"email": email, "password": password})


def _api(app, address, email, password):
    return _from(app, address).post(
        "/api/v1/auth/token", json={"email": email, "password": password}
    )


def test_an_attacker_from_many_addresses_does_not_lock_the_member_out(
    app, make_member, limits, outbox
):
    member = make_member()
    assert _form(app, "10.1.0.1", member.email, PASSWORD).status_code == 302  # home
    limits(LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")
    guesses = [
        _form(app, f"10.9.0.{n}", member.email, f"guess number {n}").status_code for n in range(5)
    ]
    assert guesses == [401, 401, 401, 429, 429]
    assert _form(app, "10.1.0.1", member.email, PASSWORD).status_code == 302
    assert _api(app, "10.1.0.1", member.email, PASSWORD).status_code == 201
    # From an address never used, the reset link works, and then signing in from there.
    cafe = _from(app, "10.2.0.1")
    assert _form(app, "10.2.0.1", member.email, PASSWORD).status_code == 429
    form_post(cafe, "/password/forgot", {"email": member.email})
    path = link_in(outbox()[-1]).split("localhost", 1)[1]
    new = {"password": "another long passphrase", "password_confirm": "another long passphrase"}
    assert form_post(cafe, path, new, page=path).status_code == 302
    assert _form(app, "10.2.0.1", member.email, new["password"]).status_code == 302


def test_guesses_from_one_address_are_still_throttled(app, make_member, limits):
    member, other = make_member(), make_member()
    limits(LOGIN_PAIR_RATE_LIMIT="2 per minute", LOGIN_RATE_LIMIT="3 per minute")
    guesses = [_form(app, "10.3.0.1", member.email, "a wrong guess").status_code for _ in range(3)]
    assert guesses == [401, 401, 429]
    assert _form(app, "10.3.0.1", member.email, PASSWORD).status_code == 429
    assert _form(app, "10.4.0.1", member.email, PASSWORD).status_code == 302  # elsewhere
    assert _form(app, "10.3.0.1", other.email, "a wrong guess").status_code == 401
    assert _form(app, "10.3.0.1", other.email, PASSWORD).status_code == 429  # the address


def test_the_form_and_the_api_share_the_sign_in_counts(app, make_member, limits):
    member = make_member()
    limits(LOGIN_RATE_LIMIT="2 per minute")
    assert _form(app, "10.5.0.1", member.email, "a wrong guess").status_code == 401
    assert _api(app, "10.5.0.1", member.email, "a wrong guess").status_code == 401
    assert _form(app, "10.5.0.1", member.email, PASSWORD).status_code == 429
    refused = _api(app, "10.5.0.1", member.email, PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"]


def test_the_members_own_typos_are_forgiven_once_signed_in(app, make_member, limits):
    member = make_member()
    limits(LOGIN_PAIR_RATE_LIMIT="3 per minute")
    for _round in range(2):
        assert _form(app, "10.6.0.1", member.email, "a typo").status_code == 401
        assert _form(app, "10.6.0.1", member.email, "a typo").status_code == 401
        assert _form(app, "10.6.0.1", member.email, PASSWORD).status_code == 302


def test_throttled_sign_ins_are_audited(app, db, make_member, limits):
    from network.core.audit import AuditEvent

    member = make_member()
    limits(LOGIN_RATE_LIMIT="1 per minute")
    _api(app, "10.7.0.1", member.email, "a wrong guess")
    assert _api(app, "10.7.0.1", member.email, PASSWORD).status_code == 429
    with app.app_context():
        event = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "login_throttled")
        ).one()
    assert (event.subject_id, event.ip, event.details) == (member.id, "10.7.0.1", {"by": "address"})


def test_the_start_up_warm_up_leaves_sessions_and_tokens_working(app, client, login, make_member):
    """Start-up runs who-is-asking for no one: nothing is saved, and a member signed in by
    session or by token before it is still recognised after it."""
    from network.core.registries import WARM_UPS, warm_up
    from network.extensions import db
    from network.members.models import ApiToken

    member = make_member()
    token = client.post(
        "/api/v1/auth/token", json={"email": member.email, "password": PASSWORD}
    ).get_json()["token"]
    login(member)
    assert "members" in WARM_UPS
    with app.app_context():
        tokens = db.session.query(ApiToken).count()
        warm_up()
        assert db.session.query(ApiToken).count() == tokens
    assert client.get("/").status_code == 200 and member.display_name in client.get("/").text
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["id"] == member.id
