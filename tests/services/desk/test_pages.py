"""The service desk's pages: the catalogue, the request form (validated on the server,
nothing typed lost, a "check the FAQ" step), a request with its thread, and the support
team's queue, dashboard, catalogue upkeep and closed days."""

import re
from io import BytesIO

from sqlalchemy import func, select

from network.extensions import db
from tests.conftest import csrf_token
from tests.services.desk.conftest import PDF

EN = {"Accept-Language": "en"}


def _form(c, path, data, page="/services/", **kwargs):
    return c.post(path, data={"csrf_token": csrf_token(c, page), **data}, headers=EN, **kwargs)


def _request_count(app):
    from network.services.desk.models import ServiceRequest

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ServiceRequest))


def test_a_member_asks_a_service_from_the_pages(app, make_member, make_service, login):
    service_id = make_service()
    member = make_member()
    c = login(member, c=app.test_client())
    catalogue = c.get("/services/", headers=EN).get_data(as_text=True)
    assert "Accounting" in catalogue and "First answer within 2 working days" in catalogue
    form = c.get(f"/services/{service_id}/ask", headers=EN).get_data(as_text=True)
    assert 'name="answers.amount"' in form and 'type="file"' in form
    client_id = re.search(r'name="client_id" value="([^"]+)"', form).group(1)
    bad = _form(
        c,
        f"/services/{service_id}/ask",
        {
            "subject": "Ma TVA",
            "body": "Texte long gardé",
            "answers.amount": "",
            "client_id": client_id,
        },
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "This field is required." in page and "Texte long gardé" in page
    assert f'value="{client_id}"' in page  # the same submit id: a retry is the same request
    assert _request_count(app) == 0
    data = {
        "subject": "Ma TVA",
        "body": "Bonjour",
        "answers.amount": "300",
        "answers.period": "T2",
        "client_id": client_id,
        "step": "send",
    }
    sent = _form(
        c,
        f"/services/{service_id}/ask",
        {**data, "answers.invoice": (BytesIO(PDF), "facture.pdf")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    again = _form(c, f"/services/{service_id}/ask", data)  # the double click
    assert again.headers["Location"] == sent.headers["Location"]
    assert _request_count(app) == 1
    shown = c.get(sent.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Ma TVA" in shown and "facture.pdf" in shown and "Bonjour" in shown
    assert "Support team" not in shown  # no staff controls for a member
    mine = c.get("/services/requests", headers=EN).get_data(as_text=True)
    assert "Ma TVA" in mine


def test_the_form_checks_the_faq_without_javascript(app, make_member, make_service, login):
    service_id = make_service()
    staff = make_member(role="staff")
    with app.test_request_context():
        from network.members.models import Member
        from network.services.desk import operations
        from network.services.desk.models import Service

        actor = db.session.get(Member, staff.id)
        req, _created = operations.open_request(
            actor, db.session.get(Service, service_id), "x", {"amount": "1"}, "k1"
        )
        operations.resolve_request(actor, req)
        operations.publish_faq(
            actor, req, "Comment déclarer la TVA trimestrielle ?", "Sur **impots.gouv.fr**."
        )
        db.session.commit()
    c = login(make_member(), c=app.test_client())
    checked = _form(
        c,
        f"/services/{service_id}/ask",
        {"subject": "déclarer ma TVA", "client_id": "zz1", "step": "check"},
    )
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Comment déclarer la TVA trimestrielle ?" in page
    assert 'value="déclarer ma TVA"' in page and _request_count(app) == 1
    faq = c.get("/services/faq", headers=EN).get_data(as_text=True)
    assert "Comment déclarer la TVA trimestrielle ?" in faq


def test_another_members_request_page_is_missing(
    app, member_api, make_service, ask, make_member, login
):
    service_id = make_service()
    owner, headers = member_api()
    rid = ask(headers, service_id).get_json()["id"]
    c = login(make_member(), c=app.test_client())
    assert c.get(f"/services/requests/{rid}").status_code == 404
    assert _form(c, f"/services/requests/{rid}/messages", {"body": "x"}).status_code == 404
    assert _form(c, f"/services/requests/{rid}/act", {"action": "reopen"}).status_code == 404
    assert c.get("/services/desk").status_code == 403
    assert c.get("/services/desk/dashboard").status_code == 403
    assert c.get("/services/catalogue").status_code == 403


def test_staff_work_a_request_from_its_page(app, client, member_api, make_service, ask, login):
    service_id = make_service()
    member, headers = member_api()
    staff, _staff_headers = member_api(role="staff")
    rid = ask(headers, service_id).get_json()["id"]
    team = login(staff, c=app.test_client())
    page = f"/services/requests/{rid}"
    note = _form(
        team,
        f"{page}/messages",
        {"body": "Vu avec @" + staff.display_name, "internal": "1"},
        page=page,
    )
    assert note.status_code == 303
    answer = _form(team, f"{page}/messages", {"body": "Réponse publique"}, page=page)
    assert answer.status_code == 303
    moved = _form(team, f"{page}/act", {"action": "state", "state": "closed"}, page=page)
    assert moved.status_code == 409  # in progress → closed is not a move
    assert (
        _form(
            team, f"{page}/act", {"action": "assign", "assignee_id": str(staff.id)}, page=page
        ).status_code
        == 303
    )
    assert (
        _form(team, f"{page}/act", {"action": "state", "state": "resolved"}, page=page).status_code
        == 303
    )
    shown = team.get(page, headers=EN).get_data(as_text=True)
    assert (
        "Internal note" in shown and "History" in shown and "Publish an answer in the FAQ" in shown
    )
    owner = login(member, c=app.test_client())
    seen = owner.get(page, headers=EN).get_data(as_text=True)
    assert "Réponse publique" in seen and "Vu avec" not in seen and "History" not in seen
    closed = _form(
        owner, f"{page}/act", {"action": "close", "satisfaction": "5", "comment": "Top"}, page=page
    )
    assert closed.status_code == 303
    bad = _form(owner, f"{page}/act", {"action": "close", "satisfaction": "4"}, page=page)
    assert bad.status_code == 409  # already closed
    faq = _form(team, f"{page}/act", {"action": "faq", "question": "", "answer": "x"}, page=page)
    assert faq.status_code == 422 and "This field is required." in faq.get_data(as_text=True)


def test_the_queue_filters_assigns_in_bulk_and_costs_the_same_for_more(
    app, member_api, make_service, ask, login, queries_of
):
    accounting = make_service()
    payroll = make_service(name_fr="Paie", name_en="Payroll", team="payroll")
    _member, headers = member_api()
    staff, _h = member_api(role="staff")
    ids = [ask(headers, accounting).get_json()["id"] for _ in range(3)]
    ask(headers, payroll)
    team = login(staff, c=app.test_client())
    count_few, page = queries_of("/services/desk", c=team)
    assert page.count('name="request_ids"') == 4
    for _ in range(6):
        ask(headers, payroll)
    count_more, page = queries_of("/services/desk", c=team)
    assert page.count('name="request_ids"') == 10 and count_more == count_few
    only = team.get(f"/services/desk?service={accounting}", headers=EN).get_data(as_text=True)
    assert only.count('name="request_ids"') == 3
    assigned = _form(
        team,
        "/services/desk/assign",
        {"request_ids": [str(i) for i in ids[:2]], "assignee_id": str(staff.id)},
        page="/services/desk",
    )
    assert assigned.status_code == 303
    mine = team.get("/services/desk?assignee=me", headers=EN).get_data(as_text=True)
    assert mine.count('name="request_ids"') == 2
    assert team.get("/services/desk?overdue=1", headers=EN).status_code == 200
    assert team.get("/services/desk?state=bogus", headers=EN).status_code == 302
    api = team.get(f"/api/v1/requests?service={payroll}&assignee=none", headers=EN).get_json()
    assert len(api["items"]) == 7


def test_the_dashboard_draws_accessible_charts(app, member_api, make_service, ask, login, client):
    service_id = make_service()
    _member, headers = member_api()
    staff, staff_headers = member_api(role="staff")
    rid = ask(headers, service_id).get_json()["id"]
    client.post(f"/api/v1/requests/{rid}/resolve", headers=staff_headers)
    client.patch(
        f"/api/v1/requests/{rid}",
        json={"state": "closed", "satisfaction": 3, "comment": "Un peu lent <b>mais</b> clair"},
        headers=headers,
    )
    team = login(staff, c=app.test_client())
    for weeks in (12, 104):
        page = team.get(f"/services/desk/dashboard?weeks={weeks}", headers=EN).get_data(
            as_text=True
        )
        assert '<svg class="desk-chart"' in page and "<title id=" in page and "<table" in page
        assert "3.0 (1 mark)" in page
        assert "Un peu lent &lt;b&gt;mais&lt;/b&gt; clair" in page


def test_the_dashboard_charts_the_mean_satisfaction_per_service(
    app, member_api, make_service, ask, login, client
):
    marked = make_service(name_fr="Paie", name_en="Payroll")
    make_service(name_fr="Juridique", name_en="Legal")  # no mark yet
    _member, headers = member_api()
    staff, staff_headers = member_api(role="staff")
    for mark in (4, 5):
        rid = ask(headers, marked).get_json()["id"]
        client.post(f"/api/v1/requests/{rid}/resolve", headers=staff_headers)
        client.patch(
            f"/api/v1/requests/{rid}",
            json={"state": "closed", "satisfaction": mark},
            headers=headers,
        )
    team = login(staff, c=app.test_client())
    page = team.get("/services/desk/dashboard", headers=EN).get_data(as_text=True)
    start = page.index('aria-labelledby="mark-svg-title mark-svg-desc"')
    chart = page[start : page.index("</svg>", start)]
    assert '<title id="mark-svg-title">Mean satisfaction per service, out of 5</title>' in chart
    assert '<desc id="mark-svg-desc">' in chart
    bars = re.findall(r'<rect [^>]*width="([\d.]+)"[^>]*><title>([^<]*)</title>', chart)
    assert bars == [("270.0", "Payroll: 4.5 out of 5, 2 marks")]
    assert "4.5 (2 marks)" in chart and "Legal" in chart and "no mark" in chart
    table = page[page.index("<table", start) :]
    assert "4.5 (2 marks)" in table[: table.index("</table>")]
    french = team.get("/services/desk/dashboard", headers={"Accept-Language": "fr"})
    assert "4,5 (2" in french.get_data(as_text=True)


def test_staff_keep_the_catalogue(app, make_member, make_service, login, ask, member_api):
    staff = make_member(role="staff")
    team = login(staff, c=app.test_client())
    bad = _form(
        team,
        "/services/catalogue/new",
        {
            "name_fr": "",
            "team": "legal",
            "response_days": "0",
            "field-0-label_fr": "Type",
            "field-0-kind": "choice",
        },
        page="/services/catalogue",
    )
    assert bad.status_code == 422
    made = _form(
        team,
        "/services/catalogue/new",
        {
            "name_fr": "Juridique",
            "name_en": "Legal",
            "team": "legal",
            "response_days": "5",
            "field-0-label_fr": "Type de contrat",
            "field-0-kind": "choice",
            "field-0-choices": "CDD; CDI",
            "field-0-required": "1",
        },
        page="/services/catalogue",
    )
    assert made.status_code == 303
    listing = team.get("/services/catalogue", headers=EN).get_data(as_text=True)
    service_id = int(re.search(r"/services/catalogue/(\d+)\"", listing).group(1))
    edit = team.get(f"/services/catalogue/{service_id}", headers=EN).get_data(as_text=True)
    assert 'value="CDD; CDI"' in edit
    _member, headers = member_api()
    rid = ask(headers, service_id, answers={"f1": "CDI"}).get_json()["id"]
    assert (
        _form(
            team,
            f"/services/catalogue/{service_id}/act",
            {"action": "hide"},
            page="/services/catalogue",
        ).status_code
        == 303
    )
    assert ask(headers, service_id, answers={"f1": "CDI"}).status_code == 404
    assert (
        _form(
            team,
            f"/services/catalogue/{service_id}/act",
            {"action": "retire"},
            page="/services/catalogue",
        ).status_code
        == 303
    )
    from tests.conftest import PASSWORD  # noqa: F401

    member_page = login(_member, c=app.test_client()).get(f"/services/requests/{rid}")
    assert member_page.status_code == 200  # a retired service keeps its past requests
    assert login(_member, c=app.test_client()).get(f"/services/{service_id}/ask").status_code == 404


def test_staff_keep_the_closed_days(app, make_member, login):
    team = login(make_member(role="staff"), c=app.test_client())
    added = _form(
        team,
        "/services/closures",
        {"day": "2026-12-24", "label": "Réveillon"},
        page="/services/closures",
    )
    assert added.status_code == 303
    twice = _form(team, "/services/closures", {"day": "2026-12-24"}, page="/services/closures")
    assert twice.status_code == 409
    wrong = _form(team, "/services/closures", {"day": "24/12"}, page="/services/closures")
    assert wrong.status_code == 422
    assert "Réveillon" in team.get("/services/closures", headers=EN).get_data(as_text=True)
    removed = _form(team, "/services/closures/2026-12-24/remove", {}, page="/services/closures")
    assert removed.status_code == 303


def test_a_request_page_costs_the_same_for_a_longer_thread(
    app, client, member_api, make_service, ask, login, queries_of
):
    service_id = make_service()
    member, headers = member_api()
    staff, staff_headers = member_api(role="staff")
    rid = ask(headers, service_id).get_json()["id"]

    def write(n):
        for i in range(n):
            client.post(
                f"/api/v1/requests/{rid}/messages",
                json={"body": f"Message {i}", "internal": i % 2 == 0},
                headers=staff_headers,
            )
            client.post(f"/api/v1/requests/{rid}/messages", json={"body": "ok"}, headers=headers)

    write(2)
    team = login(staff, c=app.test_client())
    owner = login(member, c=app.test_client())
    few_staff, _page = queries_of(f"/services/requests/{rid}", c=team)
    few_member, _page = queries_of(f"/services/requests/{rid}", c=owner)
    write(6)
    more_staff, page = queries_of(f"/services/requests/{rid}", c=team)
    more_member, member_page = queries_of(f"/services/requests/{rid}", c=owner)
    assert page.count("Message 5") == 1 and "Message 4" not in member_page
    assert (more_staff, more_member) == (few_staff, few_member)
    few_list, _ = queries_of("/services/requests", c=owner)
    ask(headers, make_service(name_fr="Paie"))
    more_list, _ = queries_of("/services/requests", c=owner)
    assert more_list == few_list
