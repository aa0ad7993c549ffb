from datetime import UTC, datetime, timedelta

import pytest

from network.extensions import socketio


def later(**delta) -> str:
    return (datetime.now(UTC) + (timedelta(**delta) if delta else timedelta(days=2))).isoformat()


@pytest.fixture
def draft(client):
    """draft(headers, **fields) → the JSON of a new draft decision (a proposal to every
    member by default), asserting 201."""

    def make(headers, **fields):
        body = {
            "kind": "proposal",
            "title": "Adopt the new charter",
            "closes_at": later(),
            **fields,
        }
        response = client.post("/api/v1/decisions", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def opened(client, draft):
    """opened(headers, **fields) → the JSON of a decision drafted and opened."""

    def make(headers, **fields):
        made = draft(headers, **fields)
        response = client.post(f"/api/v1/decisions/{made['id']}/open", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def vote(client):
    def send(headers, decision_id, **body):
        return client.put(f"/api/v1/decisions/{decision_id}/vote", json=body, headers=headers)

    return send


def option_id(decision, code_or_label):
    return next(o["id"] for o in decision["options"] if code_or_label in (o["code"], o["label"]))


@pytest.fixture
def connect(app):
    opened_connections = []

    def open_connection(headers):
        token = headers["Authorization"].removeprefix("Bearer ")
        connection = socketio.test_client(app, auth={"token": token})
        assert connection.is_connected()
        connection.get_received()
        opened_connections.append(connection)
        return connection

    yield open_connection
    for connection in opened_connections:
        if connection.is_connected():
            connection.disconnect()
