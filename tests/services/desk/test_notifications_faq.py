"""What the service desk tells (notification centre and e-mail), the overdue digest and
automatic closing of `flask services tick`, and the FAQ found by search and in the feed."""

from datetime import timedelta

from sqlalchemy import select, update

from network.core.models import utcnow
from network.extensions import db


def _kinds(app, member_id):
    from network.feed.models import Notification

    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.kind)
                .where(Notification.member_id == member_id)
                .order_by(Notification.id)
            )
        )


def test_assigned_answered_waiting_and_resolved_are_told(
    app, client, member_api, make_service, ask, outbox
):
    service_id = make_service()
    member, headers = member_api()
    staff, staff_headers = member_api(role="staff")
    colleague, _h = member_api(role="staff")
    rid = ask(headers, service_id).get_json()["id"]
    client.post(
        f"/api/v1/requests/{rid}/assign", json={"assignee_id": colleague.id}, headers=staff_headers
    )
    client.post(f"/api/v1/requests/{rid}/messages", json={"body": "Bonjour"}, headers=staff_headers)
    client.patch(f"/api/v1/requests/{rid}", json={"state": "waiting_member"}, headers=staff_headers)
    client.post(f"/api/v1/requests/{rid}/messages", json={"body": "Voilà"}, headers=headers)
    client.post(f"/api/v1/requests/{rid}/resolve", headers=staff_headers)
    assert _kinds(app, colleague.id) == ["service_request_assigned", "service_request_reply"]
    assert _kinds(app, member.id) == [
        "service_request_answered",
        "service_request_waiting",
        "service_request_resolved",
    ]
    subjects = [m["Subject"] for m in outbox()]
    assert len(subjects) >= 5
    mailed = [m for m in outbox() if m["To"] == member.email]
    assert mailed and f"/services/requests/{rid}" in mailed[0].get_payload(decode=True).decode()


def test_internal_mentions_reach_the_team_only(app, client, member_api, make_service, ask):
    service_id = make_service()
    member, headers = member_api(display_name="Camille Membre")
    staff, staff_headers = member_api(role="staff", display_name="Alex Compta")
    writer, writer_headers = member_api(role="staff", display_name="Sam Paie")
    rid = ask(headers, service_id).get_json()["id"]
    note = client.post(
        f"/api/v1/requests/{rid}/messages",
        json={"body": "@Alex Compta et @Camille Membre : à voir", "internal": True},
        headers=writer_headers,
    ).get_json()
    assert f"/members/{staff.id}" in note["body_html"]
    assert f"/members/{member.id}" not in note["body_html"]
    assert _kinds(app, staff.id) == ["service_request_mention"]
    assert _kinds(app, member.id) == []


def test_the_tick_sends_the_overdue_digest_and_closes_resolved_requests(
    app, client, member_api, make_service, ask
):
    service_id = make_service()
    _member, headers = member_api()
    staff, staff_headers = member_api(role="staff")
    late = ask(headers, service_id).get_json()["id"]
    done = ask(headers, service_id).get_json()["id"]
    client.post(f"/api/v1/requests/{done}/resolve", headers=staff_headers)
    with app.app_context():
        from network.services.desk.models import ServiceRequest

        today = utcnow().date()
        db.session.execute(
            update(ServiceRequest)
            .where(ServiceRequest.id == late)
            .values(due_on=today - timedelta(days=3))
        )
        db.session.execute(
            update(ServiceRequest)
            .where(ServiceRequest.id == done)
            .values(resolved_at=utcnow() - timedelta(days=30))
        )
        db.session.commit()
    assert client.get(f"/api/v1/requests/{late}", headers=headers).get_json()["overdue"]
    overdue = client.get("/api/v1/requests?overdue=1", headers=staff_headers).get_json()
    assert [r["id"] for r in overdue["items"]] == [late]
    result = app.test_cli_runner().invoke(args=["services", "tick"])
    assert result.exit_code == 0, result.output
    assert "1 request(s) closed, 2 member(s)" in result.output  # with the catalogue's keeper
    assert _kinds(app, staff.id) == ["service_overdue_digest"]
    closed = client.get(f"/api/v1/requests/{done}", headers=headers).get_json()
    assert closed["state"] == "closed"
    # the member may no longer reopen it (resolved 30 days ago, 14 allowed)
    again = client.post(f"/api/v1/requests/{done}/reopen", headers=headers)
    assert again.status_code == 409 and "within 14 days" in again.get_json()["detail"]
    assert client.post(f"/api/v1/requests/{done}/reopen", headers=staff_headers).status_code == 200


def test_a_faq_entry_is_found_and_in_the_feed(
    app, client, member_api, make_service, ask, search_index
):
    service_id = make_service()
    _member, headers = member_api()
    _reader, reader_headers = member_api()
    staff, staff_headers = member_api(role="staff")
    rid = ask(headers, service_id).get_json()["id"]
    assert client.post(f"/api/v1/requests/{rid}/resolve", headers=staff_headers).status_code == 200
    with app.test_request_context():
        from network.members.models import Member
        from network.services.desk import operations
        from network.services.desk.models import ServiceRequest

        entry = operations.publish_faq(
            db.session.get(Member, staff.id),
            db.session.get(ServiceRequest, rid),
            "Quand déclarer la TVA ?",
            "Chaque trimestre, avant le 24.",
        )
        db.session.commit()
        faq_id = entry.id
    found = client.get("/api/v1/search?q=tva&kind=faq", headers=reader_headers).get_json()
    assert [hit["id"] for hit in found["results"]] == [faq_id]
    listed = client.get("/api/v1/faq", headers=reader_headers).get_json()["items"]
    assert listed[0]["question"] == "Quand déclarer la TVA ?"
    feed = client.get("/api/v1/feed", headers=reader_headers).get_json()
    assert any(item["kind"] == "faq" for item in feed["items"])
    with app.test_request_context():
        from network.services.desk.models import FaqEntry

        operations.withdraw_faq(db.session.get(Member, staff.id), db.session.get(FaqEntry, faq_id))
        db.session.commit()
    gone = client.get("/api/v1/search?q=tva&kind=faq", headers=reader_headers).get_json()
    assert gone["results"] == []
    assert client.get("/api/v1/faq", headers=reader_headers).get_json()["items"] == []
