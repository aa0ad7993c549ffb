"""Feed fixtures: publishing through the API."""

import pytest


@pytest.fixture
def publish(client):
    """publish(headers, body, **fields) → the JSON of a new post (asserting a 201)."""

    def send(headers, body="Bonjour la coopérative", **fields):
        response = client.post("/api/v1/posts", json={"body": body, **fields}, headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return send


@pytest.fixture
def feed(client):
    """feed(headers, query="") → the API's feed answer (asserting a 200)."""

    def read(headers, query=""):
        response = client.get(f"/api/v1/feed{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return read
