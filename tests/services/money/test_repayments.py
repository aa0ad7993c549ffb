"""Repayments recorded by the support team: the balance, the next due dates, the totals
outstanding per month (chart and table), and what members may not do."""

from datetime import timedelta

from sqlalchemy import select

from network.core.audit import AuditEvent
from network.core.money import Money
from network.extensions import db
from tests.conftest import form_post, paris_today


def _approved(client, ask, headers, committee, **fields):
    made = ask(headers, **fields).get_json()
    _a, a_headers = committee[0]
    decided = client.post(
        f"/api/v1/money-requests/{made['id']}/decision", json={"approved": True}, headers=a_headers
    )
    assert decided.get_json()["state"] == "approved", decided.get_json()
    return decided.get_json()


def _repay(client, headers, request_id, **body):
    return client.post(
        f"/api/v1/money-requests/{request_id}/repayments", json=body, headers=headers
    )


def test_repayments_lower_the_balance_to_the_cent_then_close_the_request(
    app, client, member_api, ask, committee
):
    _member, headers = member_api()
    made = _approved(client, ask, headers, committee, amount="100", months=3)
    _staff, staff = member_api(role="staff")
    first = _repay(client, staff, made["id"], amount="33,34", note="virement")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["balance"]["cents"] == 6666 and body["repaid"]["cents"] == 3334
    assert [i["outstanding"]["cents"] for i in body["schedule"]] == [0, 3333, 3333]
    assert [i["number"] for i in body["next_due"]] == [2, 3]
    partial = _repay(client, staff, made["id"], amount={"cents": 5000}).get_json()
    assert [i["outstanding"]["cents"] for i in partial["schedule"]] == [0, 0, 1666]
    too_much = _repay(client, staff, made["id"], amount="16,67")
    assert (
        too_much.status_code == 422 and "left to repay" in too_much.get_json()["errors"]["amount"]
    )
    last = _repay(client, staff, made["id"], amount="16,66").get_json()
    assert last["state"] == "repaid" and last["balance"]["cents"] == 0 and last["next_due"] == []
    assert _repay(client, staff, made["id"], amount="1").status_code == 409
    with app.app_context():
        recorded = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "money_repayment_recorded")
        ).all()
        assert [e.details["balance_cents"] for e in recorded] == [6666, 1666, 0]


def test_bad_repayments(client, member_api, ask, committee):
    member, headers = member_api()
    made = _approved(client, ask, headers, committee, amount="100", months=2)
    _staff, staff = member_api(role="staff")
    for amount in (-1, 0, "0.001", "NaN", "1e3", 10**15, "rien"):
        assert _repay(client, staff, made["id"], amount=amount).status_code == 422, amount
    future = (paris_today() + timedelta(days=3)).isoformat()
    assert _repay(client, staff, made["id"], amount="1", paid_on=future).status_code == 422
    assert _repay(client, headers, made["id"], amount="1").status_code == 403  # not staff
    waiting = ask(headers).get_json()
    assert _repay(client, staff, waiting["id"], amount="1").status_code == 409


def test_outstanding_per_month_sums_every_request(app, client, member_api, ask, committee):
    from network.services.money import queries

    _m1, h1 = member_api()
    _m2, h2 = member_api()
    first = (paris_today() + timedelta(days=40)).replace(day=10)
    a = _approved(
        client, ask, h1, committee, amount="100", months=2, first_due_on=first.isoformat()
    )
    _approved(client, ask, h2, committee, amount="50", months=1, first_due_on=first.isoformat())
    _staff, staff = member_api(role="staff")
    _repay(client, staff, a["id"], amount="60")
    with app.test_request_context():
        months = queries.outstanding_by_month()
        assert [(m.due.cents, m.outstanding.cents) for m in months] == [(10000, 5000), (5000, 4000)]
        assert queries.total_outstanding() == Money(9000)


def test_the_overview_page_draws_the_chart_with_a_table(
    client, member_api, ask, committee, login, make_member
):
    _member, headers = member_api()
    made = _approved(client, ask, headers, committee, amount="1 234,56", months=2)
    staff = make_member(role="staff", locale="fr")
    login(staff)
    page = client.get("/money/overview").get_data(as_text=True)
    assert '<svg role="img"' in page and "<table" in page
    assert "1\u202f234,56\xa0€" in page  # the French total outstanding
    response = form_post(
        client, f"/money/{made['id']}/repayments", {"amount": "abc"}, f"/money/{made['id']}"
    )
    assert response.status_code == 422 and "abc" in response.get_data(as_text=True)
    done = form_post(
        client, f"/money/{made['id']}/repayments", {"amount": "234,56"}, f"/money/{made['id']}"
    )
    assert done.status_code == 302
    detail = client.get(f"/money/{made['id']}").get_data(as_text=True)
    assert "1\u202f000,00\xa0€" in detail


def test_the_overview_is_for_the_support_team(client, make_member, login):
    login(make_member())
    assert client.get("/money/overview").status_code == 403


def test_staff_name_the_committee(app, client, make_member, login):
    from network.services.money.models import CommitteeMember

    staff = make_member(role="staff")
    someone = make_member(display_name="Camille Martin")
    login(staff)
    added = form_post(client, "/money/committee", {"member_id": someone.id}, "/money/overview")
    assert added.status_code == 302
    assert "Camille Martin" in client.get("/money/overview").get_data(as_text=True)
    bad = form_post(client, "/money/committee", {"member_id": "nobody"}, "/money/overview")
    assert bad.status_code == 422
    removed = form_post(client, f"/money/committee/{someone.id}/remove", {}, "/money/overview")
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(CommitteeMember)).all() == []
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "money_committee_added" in actions and "money_committee_removed" in actions


def test_a_member_sees_the_balance_and_next_due_dates(client, member_api, ask, committee, login):
    member, headers = member_api(locale="fr")
    made = _approved(client, ask, headers, committee, amount="300", months=3)
    login(member)
    page = client.get(f"/money/{made['id']}").get_data(as_text=True)
    assert "300,00\xa0€" in page and "100,00\xa0€" in page
    listing = client.get("/money/").get_data(as_text=True)
    assert f"/money/{made['id']}" in listing
