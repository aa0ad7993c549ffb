"""The demo cooperative's money requests (every state, a committee), the pages of each role
with unique ids, the navigation entry, and the routes in the OpenAPI document."""

from collections import Counter

from sqlalchemy import select

from network.extensions import db
from tests.conftest import form_post
from tests.core.test_html_pages import Page


def _seed(app):
    from network.demo import seed_demo

    with app.test_request_context():
        seed_demo()
        db.session.commit()


def _login(client, email):
    from network.demo import DEMO_PASSWORD

    response = form_post(client, "/login", {"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302


def _unique_ids(text: str) -> None:
    ids = Counter(Page(text).attribute("id"))
    assert [i for i, n in ids.items() if n > 1] == []


def test_the_demo_has_requests_in_every_state_and_a_committee(app, client):
    from network.services.money.models import CommitteeMember, MoneyRequest, RequestState

    _seed(app)
    with app.app_context():
        states = set(db.session.scalars(select(MoneyRequest.state)))
        assert states == set(RequestState)
        assert len(db.session.scalars(select(CommitteeMember)).all()) == 3
        ids = list(db.session.scalars(select(MoneyRequest.id).order_by(MoneyRequest.id)))
    _login(client, "olivier.moreau@exemple.fr")  # an associate on the committee
    index = client.get("/money/").get_data(as_text=True)
    assert 'href="/money/review"' in index
    review = client.get("/money/review")
    assert review.status_code == 200
    _unique_ids(review.get_data(as_text=True))
    for request_id in ids:
        page = client.get(f"/money/{request_id}")
        assert page.status_code == 200, request_id
        _unique_ids(page.get_data(as_text=True))
    assert client.get("/money/overview").status_code == 403


def test_staff_overview_and_member_pages_of_the_demo(app, client):
    _seed(app)
    _login(client, "equipe@terreau.coop")
    overview = client.get("/money/overview")
    assert overview.status_code == 200
    text = overview.get_data(as_text=True)
    _unique_ids(text)
    assert "€" in text and "<svg" in text
    client.post("/logout", data={})
    other = client.application.test_client()
    _login(other, "lucie.simon@exemple.fr")  # CESA: her loan is being repaid
    mine = other.get("/money/").get_data(as_text=True)
    assert "/money/" in mine
    assert other.get("/money/review").status_code == 403
    new = other.get("/money/new")
    assert new.status_code == 200
    _unique_ids(new.get_data(as_text=True))
    nav = other.get("/money/").get_data(as_text=True)
    assert 'href="/money/" aria-current="page"' in nav


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/money-requests"]) >= {"get", "post"}
    for path in (
        "/api/v1/money-requests/{request_id}/opinions",
        "/api/v1/money-requests/{request_id}/decision",
    ):
        assert "post" in paths[path]
    assert "409" in paths["/api/v1/money-requests/{request_id}/decision"]["post"]["responses"]
    assert "get" in paths["/api/v1/money-requests/{request_id}"]
    assert "post" in paths["/api/v1/money-requests/{request_id}/repayments"]


def test_list_pages_cost_the_same_queries_for_few_or_many_requests(
    app, client, member_api, ask, committee, login, queries_of
):
    (reviewer, _h), _b, _c = committee
    _member, headers = member_api()
    _staff, staff_headers = member_api(role="staff")

    def add(count):
        for _ in range(count):
            made = ask(headers, amount="300", months=3).get_json()
            client.post(
                f"/api/v1/money-requests/{made['id']}/decision",
                json={"approved": True},
                headers=committee[0][1],
            )

    add(2)
    login(reviewer)
    few = [queries_of(path)[0] for path in ("/money/review", "/money/")]
    add(10)
    many = [queries_of(path)[0] for path in ("/money/review", "/money/")]
    assert few == many
    staff_client = client.application.test_client()
    login(_staff, c=staff_client)
    before = queries_of("/money/overview", staff_client)[0]
    add(5)
    assert queries_of("/money/overview", staff_client)[0] == before
