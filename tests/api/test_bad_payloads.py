"""Malformed payloads on the chat and feed API (wrong types, odd JSON, huge numbers, odd
query strings) are answered with a 4xx, never a 500."""

import itertools

BAD = [None, True, -1, 0, 2**31, 2**63, 2**70, 1.5, "x", "", [], [1], ["a"], [2**63], [0]]
BAD += [{}, {"a": 1}, "x" * 5000]


def test_no_malformed_payload_gives_a_server_error(client, member_api):
    _a, h = member_api(role="staff")
    b, hb = member_api()
    ch = client.post(
        "/api/v1/channels", json={"name": "F", "member_ids": [b.id]}, headers=h
    ).get_json()
    post = client.post("/api/v1/posts", json={"body": "p"}, headers=h).get_json()
    msg = client.post(
        f"/api/v1/channels/{ch['id']}/messages", json={"body": "m", "client_id": "c1"}, headers=h
    ).get_json()
    com = client.post(
        f"/api/v1/posts/{post['id']}/comments", json={"body": "c"}, headers=h
    ).get_json()
    routes = [
        (
            "post",
            "/api/v1/channels",
            ["name", "kind", "topic", "description", "announcement", "member_ids"],
        ),
        ("patch", f"/api/v1/channels/{ch['id']}", ["name", "topic", "archived"]),
        ("post", f"/api/v1/channels/{ch['id']}/members", ["member_id"]),
        ("patch", f"/api/v1/channels/{ch['id']}/members/{b.id}", ["role"]),
        ("post", "/api/v1/direct", ["member_ids"]),
        ("post", f"/api/v1/channels/{ch['id']}/messages", ["body", "client_id", "thread_id"]),
        ("patch", f"/api/v1/messages/{msg['id']}", ["body"]),
        ("post", f"/api/v1/channels/{ch['id']}/read", ["message_id"]),
        ("post", "/api/v1/posts", ["body", "notice"]),
        ("patch", f"/api/v1/posts/{post['id']}", ["body", "pinned"]),
        ("post", f"/api/v1/posts/{post['id']}/comments", ["body", "parent_id"]),
        ("patch", f"/api/v1/comments/{com['id']}", ["body"]),
        ("post", "/api/v1/reports", ["post_id", "comment_id", "reason"]),
        ("post", "/api/v1/notifications/read", ["ids"]),
    ]
    bad = []
    for method, url, fields in routes:
        for field, value in itertools.product(fields, BAD):
            r = getattr(client, method)(url, json={field: value}, headers=h)
            if r.status_code >= 500:
                bad.append((method, url, field, repr(value)[:30], r.status_code))
        for raw in ("null", "[]", "3", "{", '"s"'):
            r = getattr(client, method)(url, data=raw, content_type="application/json", headers=h)
            if r.status_code >= 500:
                bad.append((method, url, "raw", raw, r.status_code))
    for q in ["?before=x", "?kind=zz", "?topic=" + "x" * 300, "?limit=a", "?limit=-3"]:
        for base in [
            "/api/v1/feed",
            f"/api/v1/channels/{ch['id']}/messages",
            "/api/v1/notifications",
        ]:
            r = client.get(
                base + q.replace("before", "cursor" if "notif" in base else "before"), headers=h
            )
            if r.status_code >= 500:
                bad.append(("get", base, q, "", r.status_code))
    for q in ["?thread=x", "?thread=99999999999999999999", "?around=x&before=y"]:
        r = client.get(f"/api/v1/channels/{ch['id']}/messages{q}", headers=h)
        if r.status_code >= 500:
            bad.append(("get", q, "", "", r.status_code))
    for e in ["%F0%9F%92%A9", "x" * 100, "%00"]:
        for u in [
            f"/api/v1/posts/{post['id']}/reactions/{e}",
            f"/api/v1/messages/{msg['id']}/reactions/{e}",
        ]:
            r = client.put(u, headers=h)
            if r.status_code >= 500:
                bad.append(("put", u, "", "", r.status_code))
    assert bad == []  # (method, url, field, value, status) of every 5xx
