"""The demo cooperative's service desk: a catalogue, requests in every state, and its pages
served to a member and to the support team with well-formed HTML."""

import pytest
from sqlalchemy import select

from network.extensions import db
from tests.conftest import form_post
from tests.core.test_html_pages import HTML_TIME, Page


@pytest.fixture
def demo(app, search_index):
    from network.demo import seed_demo

    with app.test_request_context():
        seed_demo()
        db.session.commit()


def _signed_in(app, email):
    from network.demo import DEMO_PASSWORD

    c = app.test_client()
    assert form_post(c, "/login", {"email": email, "password": DEMO_PASSWORD}).status_code == 302
    return c


def test_the_demo_has_requests_in_every_state_and_its_pages_render(app, demo):
    from network.services.desk.models import RequestState, Service, ServiceRequest

    with app.app_context():
        states = set(db.session.scalars(select(ServiceRequest.state)))
        names = [s.name_fr for s in db.session.scalars(select(Service))]
        member_email, request_id = db.session.execute(
            select(ServiceRequest.member_id, ServiceRequest.id).order_by(ServiceRequest.id)
        ).first()
        from network.members.models import Member

        member_email = db.session.get(Member, member_email).email
    assert states == set(RequestState)
    assert any(n.startswith("Comptabilité") for n in names) and len(names) >= 6
    team = _signed_in(app, "compta@terreau.coop")
    member = _signed_in(app, member_email)
    pages = [
        (team, "/services/desk"),
        (team, "/services/desk/dashboard"),
        (team, "/services/catalogue"),
        (team, "/services/closures"),
        (team, f"/services/requests/{request_id}"),
        (member, "/services/"),
        (member, "/services/requests"),
        (member, "/services/faq"),
        (member, f"/services/requests/{request_id}"),
        (member, "/services/1/ask"),
        (member, "/feed"),
    ]
    for c, path in pages:
        response = c.get(path)
        assert response.status_code == 200, path
        page = Page(response.get_data(as_text=True))
        ids = page.attribute("id")
        assert sorted(i for i in ids if ids.count(i) > 1) == [], path
        assert [t for t in page.attribute("datetime") if not HTML_TIME.match(t)] == [], path
        forms = [around for tag, _, around in page.elements if tag == "form"]
        assert [around for around in forms if "p" in around] == [], path
