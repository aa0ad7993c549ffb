"""The staff home (/staff): associate deadlines, CAPE contracts ending and official notices
not read, each as CSV and in the API; the reminder of a notice (pages and /api/v1)."""

import csv
import io
from datetime import timedelta

import pytest

from tests.conftest import form_post, paris_today

EN = {"Accept-Language": "en"}


@pytest.fixture
def staff(app, make_member, login):
    member = make_member(role="staff", display_name="Équipe Appui", status="associate")
    return member, login(member, c=app.test_client())


@pytest.fixture
def journeys(make_member):
    """CESA members 10 days past, 20 days before and 2 years before their associate
    deadline; CAPE members whose term ends in 15 days and in 200 days."""
    today = paris_today()
    years_ago = lambda days: today.replace(year=today.year - 3) + timedelta(days=days)  # noqa: E731
    return {
        "late": make_member(display_name="Léa En Retard", joined_on=years_ago(-10)),
        "soon": make_member(display_name="Bruno Bientôt", joined_on=years_ago(20)),
        "fine": make_member(display_name="Zoé Tranquille", joined_on=today - timedelta(days=30)),
        "cape_soon": make_member(
            display_name="Camille Cape",
            status="support_contract",
            joined_on=today - timedelta(days=365 - 15),
        ),
        "cape_fine": make_member(
            display_name="Paul Cape",
            status="support_contract",
            joined_on=today - timedelta(days=100),
        ),
    }


def _csv(response):
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_members_are_refused_the_staff_home_its_csv_and_api(
    app, client, login, make_member, member_api
):
    login(make_member())
    assert client.get("/staff").status_code == 403
    assert client.get("/staff/lists/associate-deadlines.csv").status_code == 403
    _member, headers = member_api()
    assert client.get("/api/v1/staff/lists", headers=headers).status_code == 403
    assert client.get("/api/v1/staff/lists/cape-ending", headers=headers).status_code == 403
    assert app.test_client().get("/staff").status_code == 302  # signed out: to the login page


def test_the_staff_home_lists_deadlines_and_cape_contracts(staff, journeys):
    _member, client = staff
    page = client.get("/staff", headers=EN).get_data(as_text=True)
    deadlines = page.split('id="associate-deadlines"')[1].split("</section>")[0]
    assert deadlines.index("Léa En Retard") < deadlines.index("Bruno Bientôt")
    assert "10 days overdue" in deadlines and "20 days left" in deadlines
    assert "Zoé Tranquille" not in deadlines
    cape = page.split('id="cape-ending"')[1].split("</section>")[0]
    assert "Camille Cape" in cape and "15 days left" in cape and "Paul Cape" not in cape
    assert 'href="/staff/lists/cape-ending.csv"' in cape


def test_the_staff_home_in_french(staff, journeys):
    _member, client = staff
    page = client.get("/staff").get_data(as_text=True)
    assert "Échéances de sociétariat" in page
    assert "10 jours de retard" in page and "20 jours restants" in page


def test_each_list_exports_as_csv_for_excel(staff, journeys):
    _member, client = staff
    response = client.get("/staff/lists/associate-deadlines.csv", headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["Member", "E-mail", "Deadline", "Days left (negative: overdue)"]
    assert [(r[0], r[3]) for r in rows[1:]] == [("Léa En Retard", "-10"), ("Bruno Bientôt", "20")]
    assert rows[1][2] == (paris_today() - timedelta(days=10)).isoformat()
    french = _csv(client.get("/staff/lists/cape-ending.csv"))
    assert french[0][0] == "Membre" and french[1][0] == "Camille Cape"


def test_a_formula_in_a_name_is_not_run_by_the_spreadsheet(staff, make_member):
    today = paris_today()
    make_member(display_name="=HYPERLINK(1)", joined_on=today.replace(year=today.year - 3))
    _member, client = staff
    rows = _csv(client.get("/staff/lists/associate-deadlines.csv"))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_an_unknown_list_is_a_404(staff):
    _member, client = staff
    assert client.get("/staff/lists/nothing.csv").status_code == 404
    assert client.get("/api/v1/staff/lists/nothing").status_code == 404


def test_the_api_serves_the_lists(staff, journeys):
    _member, client = staff
    names = [x["name"] for x in client.get("/api/v1/staff/lists").get_json()["items"]]
    assert names == ["associate-deadlines", "cape-ending", "unread-notices"]
    found = client.get("/api/v1/staff/lists/associate-deadlines", headers=EN).get_json()
    assert found["title"] == "Associate deadlines"
    late = found["items"][0]
    assert late["member"] == "Léa En Retard" and late["days_left"] == -10
    assert late["member_id"] == journeys["late"].id
    assert late["deadline"] == (paris_today() - timedelta(days=10)).isoformat()
    assert not any(key.startswith("_") for key in late)
    cape = client.get("/api/v1/staff/lists/cape-ending").get_json()["items"]
    assert [(r["member"], r["days_left"], r["renewals_left"]) for r in cape] == [
        ("Camille Cape", 15, 2)
    ]


# --- official notices not read, and the reminder ----------------------------------------------


@pytest.fixture
def notice(client, staff, make_member, token_for):
    """A notice by staff; Ana has read it, Bob and Chloé have not."""
    author, _client = staff
    readers = {
        name: make_member(display_name=name) for name in ("Ana Lue", "Bob Pas Lu", "Chloé Pas Lue")
    }
    response = client.post(
        "/api/v1/posts",
        json={"body": "# AG du 12 juin\n\nMerci de **confirmer** votre présence.", "notice": True},
        headers=token_for(author),
    )
    assert response.status_code == 201
    post_id = response.get_json()["id"]
    ack = client.post(
        f"/api/v1/notices/{post_id}/acknowledge", headers=token_for(readers["Ana Lue"])
    )
    assert ack.status_code == 200
    return post_id, readers


def test_the_notice_email_carries_its_text(app, outbox, client, staff, make_member, token_for):
    author, _client = staff
    make_member(display_name="Ana")
    client.post(
        "/api/v1/posts",
        json={
            "body": "L'AG aura lieu le **12 juin** à [la Maison](https://example.org).",
            "notice": True,
        },
        headers=token_for(author),
    )
    body = outbox()[-1].get_payload(decode=True).decode()
    assert "L'AG aura lieu le 12 juin à la Maison (https://example.org)." in body
    assert "**" not in body


def test_the_staff_home_says_who_has_not_read_a_notice(staff, notice):
    _member, client = staff
    page = client.get("/staff", headers=EN).get_data(as_text=True)
    section = page.split('id="unread-notices"')[1].split("</section>")[0]
    assert "AG du 12 juin" in section
    assert "Bob Pas Lu, Chloé Pas Lue" in section and "Ana Lue" not in section
    assert "Send a reminder" in section
    rows = _csv(client.get("/staff/lists/unread-notices.csv", headers=EN))
    assert rows[0] == ["Notice", "Published", "Read", "Not read", "Not read by"]
    assert rows[1][0] == "AG du 12 juin"
    assert rows[1][2:] == ["1", "2", "Bob Pas Lu, Chloé Pas Lue"]


def test_a_reminder_notifies_those_who_have_not_read_once_a_day(
    app, staff, notice, outbox, token_for, client
):
    from network.core.audit import AuditEvent
    from network.extensions import db
    from network.feed.models import Post

    author, staff_client = staff
    post_id, readers = notice
    before = len(outbox())
    response = form_post(
        staff_client, f"/feed/notices/{post_id}/remind", {}, page="/staff", headers=EN
    )
    assert response.status_code == 302
    page = staff_client.get(response.location, headers=EN).get_data(as_text=True)
    assert "2 members were reminded." in page
    sent = outbox()[before:]
    assert sorted(m["To"] for m in sent) == sorted(
        readers[n].email for n in ("Bob Pas Lu", "Chloé Pas Lue")
    )
    assert "Merci de confirmer votre présence." in sent[0].get_payload(decode=True).decode()
    bob = token_for(readers["Bob Pas Lu"])
    texts = [
        n["text"]
        for n in client.get("/api/v1/notifications", headers={**bob, **EN}).get_json()["items"]
    ]
    assert "Reminder: please read the official notice from Équipe Appui" in texts
    # a second reminder the same day is refused, on the page and in the API
    again = form_post(
        staff_client, f"/feed/notices/{post_id}/remind", {}, page="/staff", headers=EN
    )
    assert "already sent in the last 24 hours" in staff_client.get(
        again.location, headers=EN
    ).get_data(as_text=True)
    api = client.post(f"/api/v1/notices/{post_id}/remind", headers={**token_for(author), **EN})
    assert api.status_code == 409
    assert api.mimetype == "application/problem+json"
    assert len(outbox()) == before + 2
    with app.app_context():
        events = db.session.query(AuditEvent).filter_by(action="notice_reminder_sent").all()
        assert [(e.actor_id, e.details["recipients"]) for e in events] == [(author.id, 2)]
        # a day later, another reminder may go
        db.session.get(Post, post_id).reminded_at -= timedelta(hours=25)
        db.session.commit()
    later = client.post(f"/api/v1/notices/{post_id}/remind", headers=token_for(author))
    assert later.status_code == 200 and later.get_json()["reminded"] == 2


def test_members_cannot_remind_and_a_post_is_no_notice(
    client, notice, member_api, token_for, staff
):
    post_id, readers = notice
    _m, headers = member_api()
    assert client.post(f"/api/v1/notices/{post_id}/remind", headers=headers).status_code == 403
    author, _c = staff
    plain = client.post("/api/v1/posts", json={"body": "Bonjour"}, headers=token_for(author))
    missing = client.post(
        f"/api/v1/notices/{plain.get_json()['id']}/remind", headers=token_for(author)
    )
    assert missing.status_code == 404
    assert (
        client.post("/api/v1/notices/999999/remind", headers=token_for(author)).status_code == 404
    )


def test_the_staff_home_reads_as_many_rows_in_the_same_statements(staff, make_member, queries_of):
    """No query per member: twice as many members late or ending their CAPE, same SQL."""
    _member, client = staff
    today = paris_today()

    def add(n):
        for _ in range(n):
            make_member(joined_on=today.replace(year=today.year - 3))
            make_member(status="support_contract", joined_on=today - timedelta(days=360))

    add(2)
    few, page = queries_of("/staff", c=client)
    assert page.count("days left") + page.count("today") >= 4
    add(4)
    many, _page = queries_of("/staff", c=client)
    assert many == few


def test_the_notice_page_offers_staff_the_reminder(staff, notice, client, login, make_member):
    post_id, _readers = notice
    _member, staff_client = staff
    page = staff_client.get(f"/feed/posts/{post_id}", headers=EN).get_data(as_text=True)
    assert f'action="/feed/notices/{post_id}/remind"' in page
    response = form_post(
        staff_client,
        f"/feed/notices/{post_id}/remind",
        {"next": f"/feed/posts/{post_id}"},
        page=f"/feed/posts/{post_id}",
    )
    assert response.headers["Location"] == f"/feed/posts/{post_id}"
    login(make_member())
    assert "/remind" not in client.get(f"/feed/posts/{post_id}").get_data(as_text=True)
    denied = form_post(client, f"/feed/notices/{post_id}/remind", {}, page="/feed")
    assert denied.status_code == 403
