"""The service desk's API: a request's lifecycle, its private thread and internal notes,
working-day due dates, privacy between members, and bad input (4xx, never 500)."""

from datetime import date, datetime
from io import BytesIO

from network.extensions import db
from tests.services.desk.conftest import PDF


def _staff(member_api):
    return member_api(role="staff")


def test_the_catalogue_lists_visible_services_only(client, member_api, make_service):
    shown = make_service()
    hidden = make_service(name_fr="Caché", is_hidden=True)
    _member, headers = member_api()
    names = [s["id"] for s in client.get("/api/v1/services", headers=headers).get_json()["items"]]
    assert shown in names and hidden not in names
    assert client.get("/api/v1/services?all=1", headers=headers).status_code == 403
    _staff_member, staff_headers = _staff(member_api)
    every = client.get("/api/v1/services?all=1", headers=staff_headers).get_json()["items"]
    assert {shown, hidden} <= {s["id"] for s in every}
    assert client.get("/api/v1/services").status_code == 401


def test_a_request_goes_through_its_lifecycle(app, client, member_api, make_service, ask):
    service_id = make_service()
    member, headers = member_api()
    staff, staff_headers = _staff(member_api)
    made = ask(headers, service_id, answers={"amount": "1 200,50", "period": "T1"})
    assert made.status_code == 201, made.get_json()
    req = made.get_json()
    assert req["state"] == "new" and req["answers"] == {"amount": "1200.50", "period": "T1"}
    assert req["first_answer_at"] is None and not req["overdue"]
    due, opened = date.fromisoformat(req["due_on"]), datetime.fromisoformat(req["opened_at"])
    assert due.weekday() < 5 and 2 <= (due - opened.date()).days <= 4  # 2 working days
    rid = req["id"]

    assigned = client.post(
        f"/api/v1/requests/{rid}/assign", json={"assignee_id": staff.id}, headers=staff_headers
    )
    assert assigned.get_json()["assignee"]["id"] == staff.id
    answer = client.post(
        f"/api/v1/requests/{rid}/messages",
        json={"body": "Pouvez-vous envoyer **la facture** ?"},
        headers=staff_headers,
    )
    assert answer.status_code == 201
    assert "<strong>la facture</strong>" in answer.get_json()["body_html"]
    after = client.get(f"/api/v1/requests/{rid}", headers=headers).get_json()
    assert after["state"] == "in_progress" and after["first_answer_at"]

    waiting = client.patch(
        f"/api/v1/requests/{rid}", json={"state": "waiting_member"}, headers=staff_headers
    )
    assert waiting.get_json()["state"] == "waiting_member"
    reply = client.post(
        f"/api/v1/requests/{rid}/messages", json={"body": "La voici."}, headers=headers
    )
    assert reply.status_code == 201
    assert client.get(f"/api/v1/requests/{rid}", headers=headers).get_json()["state"] == (
        "in_progress"
    )
    resolved = client.post(f"/api/v1/requests/{rid}/resolve", headers=staff_headers)
    assert resolved.get_json()["state"] == "resolved" and resolved.get_json()["resolved_at"]
    assert client.post(f"/api/v1/requests/{rid}/resolve", headers=headers).status_code == 403

    reopened = client.post(f"/api/v1/requests/{rid}/reopen", headers=headers)
    assert reopened.get_json()["state"] == "in_progress"
    client.post(f"/api/v1/requests/{rid}/resolve", headers=staff_headers)
    closed = client.patch(
        f"/api/v1/requests/{rid}",
        json={"state": "closed", "satisfaction": 4, "comment": "Merci !"},
        headers=headers,
    )
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["state"] == "closed" and closed.get_json()["satisfaction"] == 4
    # writing in a closed request: reopen first
    late = client.post(f"/api/v1/requests/{rid}/messages", json={"body": "Et…"}, headers=headers)
    assert late.status_code == 409

    with app.app_context():
        from sqlalchemy import select

        from network.services.desk.models import RequestEvent

        moves = db.session.execute(
            select(RequestEvent.action, RequestEvent.to_state, RequestEvent.actor_id)
            .where(RequestEvent.request_id == rid)
            .order_by(RequestEvent.id)
        ).all()
    assert moves[0] == ("opened", "new", member.id)
    assert ("assigned", None, staff.id) in moves
    assert ("state", "waiting_member", staff.id) in moves
    assert ("state", "closed", member.id) in moves


def test_bad_state_moves_are_conflicts(client, member_api, make_service, ask):
    service_id = make_service()
    _member, headers = member_api()
    _staff_member, staff_headers = _staff(member_api)
    rid = ask(headers, service_id).get_json()["id"]
    close_new = client.patch(
        f"/api/v1/requests/{rid}", json={"state": "closed"}, headers=staff_headers
    )
    assert close_new.status_code == 409
    assert "cannot become" in close_new.get_json()["detail"]
    unknown = client.patch(f"/api/v1/requests/{rid}", json={"state": "done"}, headers=staff_headers)
    assert unknown.status_code == 422 and "state" in unknown.get_json()["errors"]
    assert client.post(f"/api/v1/requests/{rid}/reopen", headers=headers).status_code == 409
    member_moves = client.patch(
        f"/api/v1/requests/{rid}", json={"state": "resolved"}, headers=headers
    )
    assert member_moves.status_code == 403
    bad_mark = client.patch(
        f"/api/v1/requests/{rid}", json={"state": "closed", "satisfaction": 9}, headers=headers
    )
    assert bad_mark.status_code == 422 and "satisfaction" in bad_mark.get_json()["errors"]


def test_a_member_sees_only_their_requests_and_never_internal_notes(
    client, member_api, make_service, ask
):
    service_id = make_service()
    _owner, headers = member_api()
    _other, other_headers = member_api()
    _staff_member, staff_headers = _staff(member_api)
    rid = ask(headers, service_id).get_json()["id"]
    for path in (f"/api/v1/requests/{rid}", f"/api/v1/requests/{rid}/messages"):
        assert client.get(path, headers=other_headers).status_code == 404
    missing = client.get("/api/v1/requests/999999", headers=other_headers)
    theirs = client.get(f"/api/v1/requests/{rid}", headers=other_headers)
    assert missing.get_json()["detail"] == theirs.get_json()["detail"]
    assert (
        client.post(
            f"/api/v1/requests/{rid}/messages", json={"body": "hi"}, headers=other_headers
        ).status_code
        == 404
    )
    assert client.get("/api/v1/requests", headers=other_headers).get_json()["items"] == []
    note = client.post(
        f"/api/v1/requests/{rid}/messages",
        json={"body": "Membre déjà relancé en mars", "internal": True},
        headers=staff_headers,
    )
    assert note.status_code == 201 and note.get_json()["internal"]
    seen = client.get(f"/api/v1/requests/{rid}/messages", headers=headers).get_json()["items"]
    assert all("relancé" not in m["body"] for m in seen)
    staff_seen = client.get(f"/api/v1/requests/{rid}/messages", headers=staff_headers)
    assert any(m["internal"] for m in staff_seen.get_json()["items"])
    # an internal note is not the first answer
    assert (
        client.get(f"/api/v1/requests/{rid}", headers=headers).get_json()["first_answer_at"] is None
    )
    forged = client.post(
        f"/api/v1/requests/{rid}/messages", json={"body": "x", "internal": True}, headers=headers
    )
    assert forged.status_code == 403
    assign = client.post(
        f"/api/v1/requests/{rid}/assign", json={"assignee_id": None}, headers=headers
    )
    assert assign.status_code == 403


def test_the_form_is_validated_with_clear_messages(client, member_api, make_service, ask):
    service_id = make_service()
    _member, headers = member_api()
    missing = ask(headers, service_id, answers={})
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == {"answers.amount": "This field is required."}
    wrong = ask(
        headers,
        service_id,
        subject="",
        answers={"amount": "douze", "period": "T9", "since": "2026-02-30"},
    )
    errors = wrong.get_json()["errors"]
    assert wrong.status_code == 422
    assert set(errors) == {"subject", "answers.amount", "answers.period", "answers.since"}
    assert "is not a number" in errors["answers.amount"]
    assert "Choose one of: T1, T2" in errors["answers.period"]
    assert "is not a date" in errors["answers.since"]
    extra = ask(headers, service_id, answers={"amount": 3, "nope": "x"})
    assert extra.status_code == 422 and "answers.nope" in extra.get_json()["errors"]
    assert ask(headers, service_id, client_id="not valid!").status_code == 422
    assert ask(headers, 999999).status_code == 404
    assert client.get("/api/v1/requests", headers=headers).get_json()["items"] == []


def test_absurd_numbers_are_refused(client, member_api, make_service, ask):
    service_id = make_service()
    _member, headers = member_api()
    for absurd in ("1e309", "1e15", "-1e15", "0.0000001"):
        answer = ask(headers, service_id, answers={"amount": absurd})
        assert answer.status_code == 422, absurd
        assert "at most 15 digits" in answer.get_json()["errors"]["answers.amount"]
    assert ask(headers, service_id, answers={"amount": "999999999999999.5"}).status_code == 201


def test_the_same_submit_at_the_same_moment_opens_one_request(
    client, member_api, make_service, ask, monkeypatch
):
    """The second of two simultaneous sends misses the first in its look-up: the database's
    unique client id stops it, and it answers the first request."""
    from network.services.desk import operations

    service_id = make_service()
    _member, headers = member_api()
    first = ask(headers, service_id, client_id="same-moment")
    real, calls = operations._previous_request, []

    def misses_the_first_time(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(operations, "_previous_request", misses_the_first_time)
    again = ask(headers, service_id, client_id="same-moment")
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert len(client.get("/api/v1/requests", headers=headers).get_json()["items"]) == 1


def test_a_double_submit_opens_one_request(client, member_api, make_service, ask):
    service_id = make_service()
    _member, headers = member_api()
    first = ask(headers, service_id, client_id="same-click")
    again = ask(headers, service_id, client_id="same-click")
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    assert len(client.get("/api/v1/requests", headers=headers).get_json()["items"]) == 1
    other = make_service(name_fr="Paie")
    assert ask(headers, other, client_id="same-click").status_code == 409


def test_files_are_checked_and_served_to_whom_may_read_them(
    app, client, member_api, make_service, login
):
    service_id = make_service()
    member, headers = member_api()
    other, _other_headers = member_api()
    staff, staff_headers = _staff(member_api)

    def send(name, data, client_id):
        return client.post(
            "/api/v1/requests",
            data={
                "service_id": str(service_id),
                "subject": "Facture",
                "client_id": client_id,
                "answers.amount": "12",
                "answers.invoice": (BytesIO(data), name),
            },
            headers=headers,
            content_type="multipart/form-data",
        )

    refused = send("virus.exe", b"MZ....", "f1")
    assert refused.status_code == 422
    assert "not accepted" in refused.get_json()["errors"]["answers.invoice"]
    lying = send("facture.pdf", b"<html>", "f2")
    assert "does not match" in lying.get_json()["errors"]["answers.invoice"]
    with app.app_context():
        from network.cooperative.settings import load_cooperative

        cooperative = load_cooperative()
        cooperative.values = {**cooperative.values, "services_max_file_kb": 100}
        db.session.commit()
    large = send("grosse.pdf", PDF + b"0" * 200_000, "f3")
    assert large.status_code == 422
    assert "too large" in large.get_json()["errors"]["answers.invoice"]
    good = send("facture.pdf", PDF, "f4")
    assert good.status_code == 201, good.get_json()
    rid = good.get_json()["id"]
    assert good.get_json()["answers"]["invoice"] == ["facture.pdf"]
    note = client.post(
        f"/api/v1/requests/{rid}/messages",
        data={"body": "copie interne", "internal": "1", "files": (BytesIO(PDF), "interne.pdf")},
        headers=staff_headers,
        content_type="multipart/form-data",
    )
    assert note.status_code == 201
    internal_url = note.get_json()["files"][0]["url"]
    with app.app_context():
        from sqlalchemy import select

        from network.services.desk.models import RequestFile

        form_file = db.session.scalar(
            select(RequestFile.id).where(RequestFile.field_key == "invoice")
        )
    url = f"/services/files/{form_file}"
    owner = login(member, c=app.test_client())
    download = owner.get(url)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert owner.get(internal_url).status_code == 404  # a file of an internal note
    assert login(other, c=app.test_client()).get(url).status_code == 404
    team = login(staff, c=app.test_client())
    assert team.get(url).status_code == 200 and team.get(internal_url).status_code == 200


def test_the_api_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/services",
        "/api/v1/requests",
        "/api/v1/requests/{request_id}",
        "/api/v1/requests/{request_id}/messages",
        "/api/v1/requests/{request_id}/assign",
        "/api/v1/requests/{request_id}/resolve",
        "/api/v1/requests/{request_id}/reopen",
        "/api/v1/faq",
    ):
        assert path in document["paths"], path


def test_the_queue_answers_what_a_request_answers(client, member_api, make_service, ask):
    service_id = make_service()
    _member, headers = member_api()
    staff, staff_headers = member_api(role="staff")
    rid = ask(headers, service_id, answers={"amount": "5", "period": "T2"}).get_json()["id"]
    client.post(
        f"/api/v1/requests/{rid}/assign", json={"assignee_id": staff.id}, headers=staff_headers
    )
    listed = client.get("/api/v1/requests", headers=staff_headers).get_json()["items"]
    assert listed == [client.get(f"/api/v1/requests/{rid}", headers=staff_headers).get_json()]
    mine = client.get("/api/v1/requests?mine=1", headers=staff_headers).get_json()["items"]
    assert mine == []
    pages = client.get("/api/v1/requests?limit=0", headers=staff_headers)
    assert pages.status_code == 422
    bad_cursor = client.get("/api/v1/requests?cursor=xyz", headers=staff_headers)
    assert bad_cursor.status_code == 422


def test_the_dashboard_medians(app, member_api, make_service, ask, client):
    from sqlalchemy import update

    from network.services.desk.models import ServiceRequest

    service_id = make_service()
    _member, headers = member_api()
    ids = [ask(headers, service_id).get_json()["id"] for _ in range(4)]
    with app.app_context():
        for rid, minutes in zip(ids, (60, 120, 600, None), strict=True):
            db.session.execute(
                update(ServiceRequest)
                .where(ServiceRequest.id == rid)
                .values(first_answer_minutes=minutes, resolution_minutes=minutes and minutes * 2)
            )
        db.session.commit()
    from network.services.desk.queries import dashboard

    def figures():
        with app.test_request_context():
            found = next(f for f in dashboard(12).services if f.service_id == service_id)
            return found.opened, found.first_answer_hours, found.resolution_hours

    assert figures() == (4, 2.0, 4.0)
    with app.app_context():
        db.session.execute(
            update(ServiceRequest)
            .where(ServiceRequest.id == ids[2])
            .values(first_answer_minutes=None)
        )
        db.session.commit()
    assert figures()[1] == 1.5  # the mean of the two middle values


def test_a_member_writing_too_fast_is_slowed_down(client, member_api, make_service, ask):
    service_id = make_service()
    _member, headers = member_api()
    rid = ask(headers, service_id).get_json()["id"]
    answers = [
        client.post(f"/api/v1/requests/{rid}/messages", json={"body": "?"}, headers=headers)
        for _ in range(20)
    ]
    assert [a.status_code for a in answers].count(429) == 1
    assert answers[-1].headers["Retry-After"] == "60"


def test_the_dashboard_is_computed_at_most_once_a_while(app, member_api, make_service, ask):
    from network.services.desk.queries import _DASHBOARDS, dashboard

    service_id = make_service()
    _member, headers = member_api()
    ask(headers, service_id)

    def opened():
        with app.test_request_context():
            return next(f.opened for f in dashboard(12).services if f.service_id == service_id)

    app.config["DESK_DASHBOARD_CACHE_SECONDS"] = 60
    try:
        assert opened() == 1
        ask(headers, service_id)
        assert opened() == 1  # the same figures for a minute
    finally:
        app.config["DESK_DASHBOARD_CACHE_SECONDS"] = 0
        _DASHBOARDS.clear()
    assert opened() == 2


def test_a_declared_cocontract_opens_a_request_to_accounting(client, member_api, make_service):
    """The kernel's service-request hook: a co-contract (mutual aid) lands in the desk, to
    the accounting team's first service that asks nothing required."""
    make_service(name_fr="Paie", team="payroll", fields=[])
    service_id = make_service(name_fr="Transferts internes", fields=[])
    lead, lead_headers = member_api(display_name="Aline")
    partner, partner_headers = member_api(display_name="Bruno")
    declared = client.post(
        "/api/v1/cocontracts",
        json={
            "kind": "co_contracting",
            "client": "Mairie de Lyon",
            "lead_id": lead.id,
            "total": {"cents": 100_000},
            "parts": [
                {"member_id": lead.id, "amount": {"cents": 60_000}},
                {"member_id": partner.id, "amount": {"cents": 40_000}},
            ],
            "starts_on": "2027-01-04",
            "ends_on": "2027-03-31",
        },
        headers=lead_headers,
    )
    assert declared.status_code == 201, declared.get_json()
    assert client.get("/api/v1/requests", headers=lead_headers).get_json()["items"] == []
    confirmed = client.post(
        f"/api/v1/cocontracts/{declared.get_json()['id']}/confirm", headers=partner_headers
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    (request,) = client.get("/api/v1/requests", headers=lead_headers).get_json()["items"]
    assert request["service"]["id"] == service_id and "Mairie de Lyon" in request["subject"]
    assert confirmed.get_json()["service_request_url"] == f"/services/requests/{request['id']}"
    thread = client.get(f"/api/v1/requests/{request['id']}/messages", headers=lead_headers)
    assert "Bruno" in thread.get_json()["items"][0]["body"]
