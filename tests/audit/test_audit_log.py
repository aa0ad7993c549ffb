"""The support team reads the audit log: a page with filters, pages, the chain head and its
verification, and GET /api/v1/admin/audit; members may not, and no one edits it."""

from sqlalchemy import select

from network.core import audit
from network.core.audit import AuditEvent
from network.extensions import db

EN = {"Accept-Language": "en"}


def _events(app, count, action="test_event", actor_id=None, subject_id=None, **details):
    with app.app_context():
        for n in range(count):
            audit.record(
                db.session, action, actor_id=actor_id, subject_id=subject_id, n=n, **details
            )
        db.session.commit()


def test_staff_read_filter_and_page_the_log(app, make_member, login):
    staff = make_member(role="staff")
    other = make_member()
    _events(app, 3, action="test_other", actor_id=other.id)
    _events(app, 60, action="test_event", actor_id=staff.id, subject_id=other.id)
    client = login(staff)
    page = client.get("/admin/audit", headers=EN).get_data(as_text=True)
    assert "Chain head" in page and 'id="head-hash"' in page
    assert page.count("<tr>") == 1 + 50  # the header and a page of 50
    assert 'rel="next"' in page
    filtered = client.get(f"/admin/audit?action=test_other&actor={other.id}", headers=EN)
    text = filtered.get_data(as_text=True)
    assert filtered.status_code == 200 and text.count("<code>test_other</code>") == 3
    assert "<code>test_event</code>" not in text
    by_subject = client.get(f"/admin/audit?subject={other.id}", headers=EN).get_data(as_text=True)
    assert "<code>test_other</code>" not in by_subject


def test_the_next_page_keeps_the_filters(app, make_member, login):
    staff = make_member(role="staff")
    _events(app, 55, action="test_event")
    _events(app, 5, action="test_noise")
    client = login(staff)
    page = client.get("/admin/audit?action=test_event", headers=EN).get_data(as_text=True)
    import re

    link = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert "action=test_event" in link
    second = client.get(link, headers=EN).get_data(as_text=True)
    assert second.count("<code>test_event</code>") == 5
    assert "test_noise</code>" not in second


def test_the_page_verifies_the_chain_on_demand(app, make_member, login):
    staff = make_member(role="staff")
    _events(app, 3)
    client = login(staff)
    page = client.get("/admin/audit?verify=1", headers=EN).get_data(as_text=True)
    assert "The chain is intact" in page
    with app.app_context(), db.engine.begin() as conn:
        from sqlalchemy import text

        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("UPDATE audit_events SET details = '{}' WHERE seq = 2"))
    page = client.get("/admin/audit?verify=1", headers=EN).get_data(as_text=True)
    assert "The chain is broken at entry #2" in page


def test_bad_filters_answer_422_with_the_field_named(make_member, login):
    client = login(make_member(role="staff"))
    for query, field in (
        ("actor=abc", "actor"),
        ("subject=-1", "subject"),
        ("from=2026-13-45", "from"),
        ("from=2026-05-02&to=2026-05-01", "to"),
        ("action=DROP%20TABLE", "action"),
        ("before=garbage", None),
    ):
        response = client.get(f"/admin/audit?{query}", headers=EN)
        assert response.status_code == 422, query
        if field:
            assert f'id="{field}-error"' in response.get_data(as_text=True), query


def test_members_may_not_read_the_log(client, make_member, login):
    assert client.get("/admin/audit").status_code == 302  # to the sign-in page
    member_client = login(make_member())
    assert member_client.get("/admin/audit", headers=EN).status_code == 403


def test_no_one_edits_the_log_from_the_app(make_member, login):
    client = login(make_member(role="admin"))
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/admin/audit").status_code in (400, 405)
        assert getattr(client, method)("/api/v1/admin/audit").status_code in (400, 405)


def test_the_api_lists_filters_and_pages(app, make_member, member_api):
    staff, headers = member_api(role="staff")
    other = make_member()
    _events(app, 4, action="test_event", subject_id=other.id)
    _events(app, 2, action="test_other")
    client = app.test_client()
    answer = client.get("/api/v1/admin/audit?limit=3&action=test_event", headers=headers)
    body = answer.get_json()
    assert answer.status_code == 200
    assert [e["details"]["n"] for e in body["items"]] == [3, 2, 1]
    assert body["head"]["seq"] >= 6 and len(body["head"]["hash"]) == 64
    rest = client.get(
        f"/api/v1/admin/audit?limit=3&action=test_event&before={body['next']}", headers=headers
    ).get_json()
    assert [e["details"]["n"] for e in rest["items"]] == [0] and rest["next"] is None
    about = client.get(f"/api/v1/admin/audit?subject={other.id}", headers=headers).get_json()
    assert {e["action"] for e in about["items"]} == {"test_event", "member_created"}
    first = about["items"][-1]
    assert first["seq"] and first["prev_hash"] and first["hash"]


def test_the_api_days_filter_uses_the_cooperatives_days(app, member_api):
    _staff, headers = member_api(role="staff")
    _events(app, 2)
    client = app.test_client()
    answer = client.get("/api/v1/admin/audit?from=2000-01-01&to=2000-12-31", headers=headers)
    assert answer.get_json()["items"] == []
    today = client.get("/api/v1/admin/audit?from=2000-01-01&action=test_event", headers=headers)
    assert len(today.get_json()["items"]) == 2


def test_the_api_refuses_members_and_bad_input(app, member_api, client):
    _member, headers = member_api()
    answer = client.get("/api/v1/admin/audit", headers=headers)
    assert answer.status_code == 403 and answer.mimetype == "application/problem+json"
    assert client.get("/api/v1/admin/audit").status_code == 401
    _staff, staff_headers = member_api(role="staff")
    bad = client.get("/api/v1/admin/audit?actor=x&limit=0", headers=staff_headers)
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) >= {"actor"}
    assert client.get("/api/v1/admin/audit?before=xyz", headers=staff_headers).status_code == 422


def test_the_openapi_document_describes_the_route(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/admin/audit"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"action", "actor", "subject", "from", "to", "before", "limit"} <= names
    assert {"200", "403", "422"} <= set(operation["responses"])


def test_a_denied_read_is_itself_audited(app, member_api, client):
    member, headers = member_api()
    client.get("/api/v1/admin/audit", headers=headers)
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "permission_denied")
        ).one()
        assert denied.actor_id == member.id and denied.details["path"] == "/api/v1/admin/audit"
