"""Asking for money: exact amounts, the schedule, bad input through the API and the form,
idempotent submits, and who sees a request."""

import pytest

from network.core.money import Money
from network.extensions import db
from tests.conftest import form_post


def test_a_member_asks_and_the_schedule_repays_every_cent(member_api, ask):
    _member, headers = member_api()
    response = ask(headers, amount="1 000,00", months=3, kind="advance")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "under_review"
    assert body["amount"] == {"cents": 100000, "text": "€1,000.00"}
    cents = [i["amount"]["cents"] for i in body["proposed_schedule"]]
    assert cents == [33334, 33333, 33333] and sum(cents) == 100000
    days = [i["due_on"] for i in body["proposed_schedule"]]
    assert len(set(d[:7] for d in days)) == 3  # one a month
    assert body["opinions"] is None  # the requester never sees opinions


def test_amounts_are_shown_in_french(member_api, ask, client):
    _member, headers = member_api()
    made = ask(headers, amount="1234,56", months=2).get_json()
    french = client.get(
        f"/api/v1/money-requests/{made['id']}", headers={**headers, "Accept-Language": "fr"}
    ).get_json()
    assert french["amount"]["text"] == "1\u202f234,56\xa0€"


def test_own_schedule_amounts_must_add_up(member_api, ask):
    _member, headers = member_api()
    good = ask(headers, amount="100", amounts=["60", "40,00"], months=None)
    assert good.status_code == 201, good.get_json()
    assert [i["amount"]["cents"] for i in good.get_json()["proposed_schedule"]] == [6000, 4000]
    bad = ask(headers, amount="100", amounts=["60", "39,99"])
    assert bad.status_code == 422
    assert "add up to" in bad.get_json()["errors"]["amounts"]


BAD_AMOUNTS = [
    (-1, "negative"),
    ("-1", "negative"),
    (0, "more than zero"),
    ("0", "more than zero"),
    ("0.001", "Write an amount"),
    ("1e309", "Write an amount"),
    ("NaN", "Write an amount"),
    ("1e3", "Write an amount"),
    (10**15, "too large"),
    (str(10**15), "too large"),
    ("mille euros", "Write an amount"),
    (12.5, "as text"),
    (None, "required"),
    ("", "required"),
    ({"cents": 1.5}, "whole cents"),
    ("60000", "At most"),
]


@pytest.mark.parametrize("amount,message", BAD_AMOUNTS)
def test_bad_amounts_are_refused_clearly_through_the_api(app, member_api, ask, amount, message):
    from network.services.money.models import MoneyRequest

    _member, headers = member_api()
    response = ask(headers, amount=amount)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert message in response.get_json()["errors"]["amount"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(MoneyRequest)) == 0


def test_json_infinity_and_nan_numbers_are_refused(member_api, client):
    _member, headers = member_api()
    for raw in ("1e309", "NaN", "-Infinity"):
        response = client.post(
            "/api/v1/money-requests",
            data=f'{{"kind":"loan","amount":{raw},"purpose":"x","months":2,"client_id":"a{len(raw)}"}}',
            headers={**headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, (raw, response.get_data(as_text=True))


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"purpose": ...}, "purpose"),
        ({"purpose": "   "}, "purpose"),
        ({"kind": "gift"}, "kind"),
        ({"months": ...}, "months"),
        ({"months": 0}, "months"),
        ({"months": 400}, "months"),
        ({"months": "trois"}, "months"),
        ({"first_due_on": "2020-01-01"}, "first_due_on"),
        ({"first_due_on": "demain"}, "first_due_on"),
        ({"amounts": "500"}, "amounts"),
        ({"client_id": ...}, "client_id"),
        ({"client_id": "x" * 64 + "\n"}, "client_id"),
    ],
)
def test_missing_or_bad_fields_name_the_field(member_api, ask, fields, field):
    _member, headers = member_api()
    response = ask(headers, **fields)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


def test_the_same_submit_twice_makes_one_request(app, member_api, ask):
    from network.services.money.models import MoneyRequest

    _member, headers = member_api()
    first = ask(headers, client_id="double-click")
    second = ask(headers, client_id="double-click")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(MoneyRequest)) == 1


def test_another_members_request_is_not_found(member_api, ask, client):
    _owner, headers = member_api()
    made = ask(headers).get_json()
    _other, other_headers = member_api()
    assert (
        client.get(f"/api/v1/money-requests/{made['id']}", headers=other_headers).status_code == 404
    )
    assert client.get("/api/v1/money-requests/999999", headers=other_headers).status_code == 404
    listed = client.get("/api/v1/money-requests", headers=other_headers).get_json()
    assert listed["items"] == []
    for path in ("opinions", "decision", "repayments"):
        answer = client.post(
            f"/api/v1/money-requests/{made['id']}/{path}", json={}, headers=other_headers
        )
        assert answer.status_code == 404, path


def test_candidates_and_anonymous_cannot_ask(member_api, ask, client):
    _candidate, headers = member_api(status="candidate")
    assert ask(headers).status_code == 403
    assert client.get("/api/v1/money-requests").status_code == 401


# --- the form --------------------------------------------------------------------------


def _form(client, **fields):
    data = {
        "kind": "advance",
        "amount": "1 500",
        "purpose": "Un client paie à 60 jours",
        "months": "3",
        "first_due_on": "",
        "amounts": "",
        "client_id": "form-1",
        **fields,
    }
    return form_post(client, "/money/new", data, page="/money/new")


@pytest.mark.parametrize(
    "amount", ["-1", "0", "0.001", "1e309", "NaN", "1e3", str(10**15), "beaucoup"]
)
def test_bad_amounts_in_the_form_keep_what_was_typed(app, make_member, login, client, amount):
    from network.services.money.models import MoneyRequest

    login(make_member())
    response = _form(client, amount=amount, purpose="Mon texte soigneusement écrit")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page
    assert "Mon texte soigneusement écrit" in page  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(MoneyRequest)) == 0


def test_the_form_explains_a_schedule_that_does_not_add_up_in_french(make_member, login, client):
    member = make_member(locale="fr")
    login(member)
    response = _form(client, amount="100", amounts="60\n30")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "100,00" in page and "90,00" in page


def test_the_form_makes_one_request_from_a_double_click(app, make_member, login, client):
    from network.services.money.models import MoneyRequest

    login(make_member())
    page = client.get("/money/new").get_data(as_text=True)
    assert 'name="client_id" value="' in page
    first = _form(client, client_id="same-form")
    second = _form(client, client_id="same-form")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        found = db.session.scalars(db.select(MoneyRequest)).all()
        assert len(found) == 1 and found[0].amount == Money(150000)
    assert client.get(first.headers["Location"]).status_code == 200


def test_schedule_allocation_never_loses_a_cent():
    from network.core.money import Money

    for cents, months in [(100000, 3), (1, 1), (99999, 7), (123456, 36), (5, 5)]:
        parts = Money(cents).allocate(months)
        assert sum(p.cents for p in parts) == cents
        assert max(p.cents for p in parts) - min(p.cents for p in parts) <= 1
        assert parts == sorted(parts, reverse=True)  # the first ones carry the extra cents


def test_instalments_of_zero_are_refused(member_api, ask):
    _member, headers = member_api()
    response = ask(headers, amount="0,02", months=3)
    assert response.status_code == 422 and "months" in response.get_json()["errors"]


def test_month_ends_stay_in_their_month():
    from datetime import date

    from network.services.money.operations import add_months

    assert [add_months(date(2027, 1, 31), n) for n in range(4)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    assert add_months(date(2027, 12, 5), 1) == date(2028, 1, 5)


def test_a_required_field_missing_in_the_form_keeps_the_rest(make_member, login, client):
    login(make_member())
    response = _form(client, purpose="", amount="2 500,50")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="purpose-error"' in page and 'value="2 500,50"' in page


def test_another_members_request_page_is_not_found(member_api, ask, make_member, login, client):
    _owner, headers = member_api()
    made = ask(headers).get_json()
    login(make_member())
    assert client.get(f"/money/{made['id']}").status_code == 404
    page = f"/money/{made['id']}"
    answer = form_post(client, f"{page}/opinion", {"stance": "favourable", "reason": "x"})
    assert answer.status_code == 404
