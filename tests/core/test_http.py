"""What every HTTP answer carries (security headers, a request id, HSTS over TLS) and how odd
requests are answered: JSON nested too deeply, ids beyond the database's range, wrong methods."""

import base64
import logging

from config import TestingConfig
from network import create_app

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 900 + "1" + "}" * 900
SECURITY = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")


def test_pages_api_and_socketio_polling_carry_the_security_headers(client):
    for path in ("/login", "/api/v1/me", "/socket.io/?EIO=4&transport=polling"):
        response = client.get(path)
        assert all(name in response.headers for name in SECURITY), path
        assert "base-uri 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Request-ID"]


def test_hsts_is_sent_over_tls_only(client, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    over_tls = client.get("/login", base_url="https://terreau.example")
    assert over_tls.headers["Strict-Transport-Security"].startswith("max-age=")
    proxied = create_app(
        TestingConfig,
        DATA_DIR=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite3'}",
        PROXY_COUNT=1,
    )
    behind = proxied.test_client().get("/api/v1/nowhere", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in behind.headers


def test_each_request_has_its_id_in_the_answer_the_problem_and_the_log(client, caplog):
    first, second = client.get("/api/v1/nowhere"), client.get("/api/v1/nowhere")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert first.get_json()["request_id"] == first.headers["X-Request-ID"]
    with caplog.at_level(logging.INFO, logger="terreau.audit"):  # `seed-demo` quiets it
        client.post("/api/v1/auth/token", json={"email": "x@example.org", "password": "nope"})
    audit_lines = [r for r in caplog.records if r.name == "terreau.audit"]
    assert audit_lines and all(len(r.request_id) == 32 for r in audit_lines)


def test_a_request_id_is_taken_from_the_proxy_only(client, tmp_path):
    sent = {"X-Request-ID": "proxy-abc-12345"}
    assert client.get("/login", headers=sent).headers["X-Request-ID"] != "proxy-abc-12345"
    proxied = create_app(
        TestingConfig,
        DATA_DIR=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite3'}",
        PROXY_COUNT=1,
    ).test_client()
    assert proxied.get("/api/v1/x", headers=sent).headers["X-Request-ID"] == "proxy-abc-12345"
    odd = {"X-Request-ID": "<script>" + "x" * 100}
    assert proxied.get("/api/v1/x", headers=odd).headers["X-Request-ID"] != odd["X-Request-ID"]


def test_json_nested_too_deeply_is_a_problem_on_every_json_endpoint(app, client, member_api):
    _member, headers = member_api()
    for body in (DEEP_ARRAY, DEEP_OBJECT, '{"a":' + "[" * 100 + "]" * 100 + "}"):
        token = client.post("/api/v1/auth/token", data=body, content_type="application/json")
        assert token.status_code == 422 and token.mimetype == "application/problem+json"
        me = client.patch("/api/v1/me", data=body, content_type="application/json", headers=headers)
        assert me.status_code == 422
    failures = []
    json_headers = {**headers, "Content-Type": "application/json"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", "1").replace(f"<{name}>", "x")
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            answer = client.open(url, method=method, data=DEEP_ARRAY, headers=json_headers)
            if answer.status_code >= 500:
                failures.append((method, url, answer.status_code))
    assert failures == []


def test_a_page_cursor_nested_too_deeply_is_refused(client, member_api):
    _member, headers = member_api()
    cursor = base64.urlsafe_b64encode(DEEP_ARRAY.encode()).decode().rstrip("=")
    for path in ("/api/v1/feed?before=", "/api/v1/notifications?cursor="):
        assert client.get(path + cursor, headers=headers).status_code == 422


def test_ids_beyond_the_database_range_are_refused_in_bodies(client, member_api):
    _member, headers = member_api()
    for ids in ([2**63], [2**31], [0], [-1]):
        answer = client.post("/api/v1/notifications/read", json={"ids": ids}, headers=headers)
        assert answer.status_code == 422, ids


def test_ids_beyond_the_database_range_in_urls_are_404_whatever_the_method(client, member_api):
    _member, headers = member_api()
    for big in ("2147483648", "9223372036854775808", "99999999999999999999"):
        for method in ("GET", "PATCH", "DELETE"):
            answer = client.open(f"/api/v1/posts/{big}", method=method, json={}, headers=headers)
            assert answer.status_code == 404, (method, big)
        comment = client.post(f"/api/v1/posts/{big}/comments", json={}, headers=headers)
        assert comment.status_code == 404


def test_wrong_methods_name_the_allowed_ones(client, member_api):
    _member, headers = member_api()
    answer = client.put("/api/v1/me", headers=headers)
    assert answer.status_code == 405
    assert {"GET", "PATCH"} <= {m.strip() for m in answer.headers["Allow"].split(",")}
    page = client.put("/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_a_socket_packet_nested_too_deeply_is_refused_and_the_server_goes_on(app, member_api):
    """A Socket.IO event whose data nests deeper than any of ours is dropped as a malformed
    packet (never a RecursionError in a handler); the server keeps serving that member."""
    from network.extensions import socketio

    _member, headers = member_api()
    token = headers["Authorization"].removeprefix("Bearer ")
    deep: object = 1
    for _ in range(100):
        deep = [deep]
    attacker = socketio.test_client(app, auth={"token": token})
    attacker.get_received()
    answer = attacker.emit("watch_space", {"space_id": deep}, callback=True)
    assert answer is None  # not handled: the packet was refused before any handler
    fresh = socketio.test_client(app, auth={"token": token})
    assert fresh.is_connected()
    assert fresh.emit("watch_space", {"space_id": 999999}, callback=True)["status"] == 404
    for connection in (attacker, fresh):
        if connection.is_connected():
            connection.disconnect()
