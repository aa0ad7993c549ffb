"""Chat fixtures: members with API tokens, channels made through the API, socket clients."""

import itertools

import pytest

from network.extensions import socketio

_client_ids = itertools.count(1)


def new_client_id() -> str:
    return f"c-{next(_client_ids)}"


@pytest.fixture
def make_channel(client):
    def make(headers, name="Entraide", kind="public", **fields):
        response = client.post(
            "/api/v1/channels", json={"name": name, "kind": kind, **fields}, headers=headers
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def post(client):
    """post(headers, channel_id, body, **fields) → the response of posting a message."""

    def send(headers, channel_id, body="Bonjour", **fields):
        payload = {"body": body, "client_id": fields.pop("client_id", new_client_id()), **fields}
        return client.post(f"/api/v1/channels/{channel_id}/messages", json=payload, headers=headers)

    return send


@pytest.fixture
def connect(app):
    """connect(headers) → a Socket.IO test client authenticated by the member's token."""
    opened = []

    def open_connection(headers):
        token = headers["Authorization"].removeprefix("Bearer ")
        connection = socketio.test_client(app, auth={"token": token})
        assert connection.is_connected()
        connection.get_received()  # drop the connection's own presence events
        opened.append(connection)
        return connection

    yield open_connection
    for connection in opened:
        if connection.is_connected():
            connection.disconnect()


def events(connection, name):
    return [e["args"][0] for e in connection.get_received() if e["name"] == name]
