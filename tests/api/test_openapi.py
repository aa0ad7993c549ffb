"""The OpenAPI document is valid and describes every route of the API, as the routes type
their parameters."""

from openapi_spec_validator import validate

from network.api.openapi import _openapi_path


def _document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi(client):
    validate(_document(client))


def test_every_api_route_is_documented_and_nothing_else(app, client):
    routes = {
        (_openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method)
        for path, operations in _document(client)["paths"].items()
        for method in operations
    }
    assert routes == documented


def _operation(document, path, method="get"):
    return document["paths"][path][method]


def _parameter(operation, name):
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_path_parameters_are_typed_as_the_routes_type_them(client):
    document = _document(client)
    reaction = _operation(document, "/api/v1/posts/{post_id}/reactions/{emoji}", "put")
    assert _parameter(reaction, "post_id")["schema"]["type"] == "integer"
    emoji = _parameter(reaction, "emoji")
    assert emoji["schema"]["type"] == "string" and "👍" in emoji["schema"]["enum"]
    message = _operation(document, "/api/v1/messages/{message_id}/reactions/{emoji}", "delete")
    assert _parameter(message, "emoji")["schema"]["type"] == "string"


def test_every_filter_of_the_members_list_is_a_typed_parameter(client):
    members = _operation(_document(client), "/api/v1/members")
    names = {p["name"] for p in members["parameters"]}
    assert {"q", "status", "trade", "sector", "city", "postcode", "language"} <= names
    assert {"open_to", "sort", "skill", "cursor", "limit"} <= names
    assert _parameter(members, "skill")["schema"]["items"]["type"] == "integer"
    assert _parameter(members, "open_to")["schema"]["items"]["enum"]
    assert _parameter(members, "limit")["schema"] | {"default": None} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": None,
    }


def test_the_replay_of_an_idempotent_call_is_documented(client):
    document = _document(client)
    post = _operation(document, "/api/v1/channels/{channel_id}/messages", "post")
    assert {"200", "201", "422"} <= set(post["responses"])
    direct = _operation(document, "/api/v1/direct", "post")
    assert {"200", "201"} <= set(direct["responses"])


def test_every_operation_documents_the_422_of_a_control_character_in_the_query(client):
    document = _document(client)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" in operation["responses"], (method, path)
    answer = client.get("/api/v1/openapi.json?x=%01")
    assert answer.status_code == 422
