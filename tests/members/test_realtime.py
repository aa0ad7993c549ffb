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


def test_a_password_change_tells_the_members_tabs_their_session_ended(
    app, client, login, make_member
):
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
    events = [event["name"] for event in other_tab.get_received()]
    assert "session_ended" in events


def test_deactivation_ends_the_members_connections(app, client, login, make_member):
    member = make_member()
    tab = _connect(app, login(member))
    staff_client = login(make_member(role="staff"), c=app.test_client())
    form_post(staff_client, f"/staff/members/{member.id}/deactivate", page="/staff/members")
    assert "session_ended" in [event["name"] for event in tab.get_received()]
    assert not _connect(app, client).is_connected()
