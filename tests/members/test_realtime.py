"""Socket.IO connections: only signed-in members (session or API token) get in."""

from network.extensions import socketio
from tests.conftest import form_post


def _connect(app, client=None, auth=None):
    return socketio.test_client(app, flask_test_client=client, auth=auth)


def test_anonymous_connections_are_refused(app, client):
    assert not _connect(app, client).is_connected()
    assert not _connect(app, auth={"token": "trr_forged"}).is_connected()


def test_a_signed_in_browser_connects_with_its_session(app, client, login, make_member):
    login(make_member())
    connection = _connect(app, client)
    assert connection.is_connected()
    connection.disconnect()


def test_an_api_client_connects_with_its_token(app, client, make_member, token_for):
    token = token_for(make_member())["Authorization"].removeprefix("Bearer ")
    connection = _connect(app, auth={"token": token})
    assert connection.is_connected()
    connection.disconnect()


def test_a_password_change_ends_the_members_other_connections(app, client, login, make_member):
    member = make_member()
    login(member)
    other_tab = _connect(app, login(member, c=app.test_client()))
    assert other_tab.is_connected()
    form_post(
        client,
        "/me/password",
        {
            "current_password": "correct horse battery",
            "new_password": "a brand new passphrase",
            "new_password_confirm": "a brand new passphrase",
        },
        page="/me/settings",
    )
    assert not other_tab.is_connected()


def test_logout_ends_browser_connections_but_not_api_ones(
    app, client, login, make_member, token_for
):
    member = make_member()
    token = token_for(member)["Authorization"].removeprefix("Bearer ")
    api_connection = _connect(app, auth={"token": token})
    tab = _connect(app, login(member))
    form_post(client, "/logout", page="/")
    assert not tab.is_connected()
    assert api_connection.is_connected()
    assert not _connect(app, client).is_connected()


def test_revoking_a_token_ends_its_connections(app, client, make_member, token_for):
    headers = token_for(make_member())
    connection = _connect(app, auth={"token": headers["Authorization"].removeprefix("Bearer ")})
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert not connection.is_connected()


def test_deactivation_ends_the_members_connections(app, client, login, make_member, token_for):
    member = make_member()
    token = token_for(member)["Authorization"].removeprefix("Bearer ")
    api_connection = _connect(app, auth={"token": token})
    tab = _connect(app, login(member))
    staff_client = login(make_member(role="staff"), c=app.test_client())
    form_post(staff_client, f"/staff/members/{member.id}/deactivate", page="/staff/members")
    assert not tab.is_connected() and not api_connection.is_connected()
    assert not _connect(app, client).is_connected()
