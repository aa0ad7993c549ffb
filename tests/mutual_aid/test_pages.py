"""The pages, with plain forms: post, respond, accept, confirm by both, endorse; the time bank,
co-contracts, the staff's figures; bad input re-renders the form with its values."""

import re

from tests.conftest import form_post

EN = {"Accept-Language": "en"}


def _offer_id(response) -> int:
    return int(re.search(r"/entraide/(\d+)$", response.headers["Location"]).group(1))


def test_an_offer_taken_up_confirmed_and_endorsed_through_the_pages(
    app, make_member, make_skill, hold, login
):
    site = make_skill("Site web", "Website")
    aline = make_member(display_name="Aline")
    bruno = make_member(display_name="Bruno")
    hold(aline, site)
    a, b = app.test_client(), app.test_client()
    login(aline, c=a)
    login(bruno, c=b)
    made = form_post(
        a,
        "/entraide/new",
        {
            "kind": "offer",
            "title": "Refaire un site",
            "place": "city",
            "city": "Lyon",
            "estimate": "2",
            "skills": str(site),
        },
        page="/entraide/new",
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    offer_id = _offer_id(made)
    listing = b.get("/entraide/?place=city&city=lyon", headers=EN).get_data(as_text=True)
    assert "Refaire un site" in listing
    assert "Refaire un site" in b.get("/feed", headers=EN).get_data(as_text=True)
    page = f"/entraide/{offer_id}"
    assert form_post(b, f"{page}/respond", {"message": "Volontiers"}, page=page).status_code == 302
    html = a.get(page, headers=EN).get_data(as_text=True)
    response_id = re.search(r"/entraide/responses/(\d+)/accept", html).group(1)
    accepted = form_post(a, f"/entraide/responses/{response_id}/accept", page=page)
    assert accepted.status_code == 302
    html = a.get(page, headers=EN).get_data(as_text=True)
    assert "Private conversation" in html
    exchange_id = re.search(r"/entraide/exchanges/(\d+)/confirm", html).group(1)
    form_post(a, f"/entraide/exchanges/{exchange_id}/confirm", {"hours": "1h30"}, page=page)
    html = b.get(page, headers=EN).get_data(as_text=True)
    assert "Helper: 1h30" in html
    done = form_post(
        b, f"/entraide/exchanges/{exchange_id}/confirm", {"hours": "1,5"}, page=page, headers=EN
    )
    assert "recorded" in b.get(done.headers["Location"], headers=EN).get_data(as_text=True)
    ledger = b.get("/entraide/ledger", headers=EN).get_data(as_text=True)
    assert "-1h30" in ledger
    endorse = f"/entraide/members/{aline.id}/endorse"
    assert "Website" in b.get(endorse, headers=EN).get_data(as_text=True)
    sent = form_post(b, endorse, {"skills": str(site), "comment": "Top"}, page=endorse)
    assert sent.status_code == 302
    profile = b.get(f"/members/{aline.id}", headers=EN).get_data(as_text=True)
    assert "1 endorsement" in profile and "Top" in profile


def test_bad_forms_keep_what_was_typed(app, make_member, login, client):
    login(make_member())
    bad = form_post(
        client,
        "/entraide/new",
        {"kind": "offer", "title": "Mon titre gardé", "place": "remote", "estimate": "0,001"},
        page="/entraide/new",
    )
    assert bad.status_code == 422
    assert "Mon titre gardé" in bad.get_data(as_text=True)
    assert client.get("/entraide/?place=moon").status_code == 302


def test_no_endorsement_form_without_collaboration(app, make_member, login, client):
    other = make_member()
    login(make_member())
    page = client.get(f"/entraide/members/{other.id}/endorse", headers=EN).get_data(as_text=True)
    assert "only after a recorded exchange" in page


def _declare_through_the_page(client, lead, partner, **more):
    data = {
        "kind": "subcontracting",
        "client": "Musée",
        "total": "1 000,00",
        "starts_on": "2027-01-01",
        "ends_on": "2027-02-01",
        "lead_id": str(lead.id),
        "part_member": [str(lead.id), str(partner.id)],
        "part_amount": ["700", "300"],
        **more,
    }
    return form_post(client, "/entraide/cocontracts", data, page="/entraide/cocontracts")


def test_cocontract_form_and_confirmation(app, make_member, make_skill, hold, login, client):
    site = make_skill("Site web", "Website")
    lead, partner = make_member(display_name="Aline"), make_member(display_name="Bruno")
    hold(partner, site)
    login(lead)
    bad = _declare_through_the_page(client, lead, partner, part_amount=["700", "200"])
    assert bad.status_code == 422 and "Musée" in bad.get_data(as_text=True)
    good = _declare_through_the_page(client, lead, partner)
    assert good.status_code == 302
    page = good.headers["Location"]
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "Musée" in html and "Waiting for every party to confirm" in html
    assert "Confirm my part" not in html  # the declarer's part is confirmed already
    endorse = f"/entraide/members/{partner.id}/endorse"
    assert "only after a recorded exchange" in client.get(endorse, headers=EN).get_data(
        as_text=True
    )
    theirs = login(partner, c=app.test_client())
    html = theirs.get(page, headers=EN).get_data(as_text=True)
    assert "Confirm my part" in html and "/decline" in html
    confirmed = form_post(theirs, f"{page}/confirm", page=page, headers=EN)
    assert confirmed.status_code == 302
    html = theirs.get(page, headers=EN).get_data(as_text=True)
    assert "Your part is confirmed." in html and "Confirm my part" not in html
    # no accounting service in this cooperative: say so rather than promise a transfer
    assert "No accounting service could receive this declaration" in html
    assert "the accounting team will make" not in html
    assert "Website" in client.get(endorse, headers=EN).get_data(as_text=True)


def test_a_partner_declines_through_the_page(app, make_member, login, client):
    lead, partner = make_member(display_name="Aline"), make_member(display_name="Bruno")
    login(lead)
    page = _declare_through_the_page(client, lead, partner).headers["Location"]
    theirs = login(partner, c=app.test_client())
    declined = form_post(theirs, f"{page}/decline", page=page, headers=EN)
    assert declined.status_code == 302
    html = theirs.get(page, headers=EN).get_data(as_text=True)
    assert "You declined this co-contract." in html and "A party declined" in html
    again = form_post(theirs, f"{page}/confirm", page=page, headers=EN)
    assert again.status_code == 302
    assert "A party declined" in theirs.get(page, headers=EN).get_data(as_text=True)
    endorse = f"/entraide/members/{partner.id}/endorse"
    assert "only after a recorded exchange" in client.get(endorse, headers=EN).get_data(
        as_text=True
    )


def test_staff_figures_page(app, make_member, make_skill, member_api, taken_up, confirm, login):
    from datetime import UTC, datetime

    site = make_skill("Site web", "Website")
    helper, helper_h = member_api(display_name="Aline Figures")
    _helped, helped_h = member_api(display_name="Bruno")
    before = datetime.now(UTC).strftime("%Y-%m")
    _offer, exchange = taken_up(helper_h, helped_h, skills=[site])
    assert confirm(helper_h, exchange["id"], "1h30").status_code == 200
    assert confirm(helped_h, exchange["id"], "1h30").status_code == 200
    after = datetime.now(UTC).strftime("%Y-%m")
    member = app.test_client()
    login(make_member(), c=member)
    assert member.get("/entraide/staff").status_code == 403
    staff = app.test_client()
    login(make_member(role="staff"), c=staff)
    html = staff.get("/entraide/staff", headers=EN).get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "Mutual aid: figures" in title
    assert "The time bank balances." in html
    month = re.search(r"<tr><td>(\d{4}-\d{2})</td><td>(\d+)</td><td>.*?</td></tr>", html, re.S)
    assert month.group(1) in (before, after) and month.group(2) == "1"
    assert "1h30" in month.group(0)
    helpers = html.split("Most active helpers", 1)[1].split("</ol>", 1)[0]
    assert "Aline Figures" in helpers and "1 · 1h30" in helpers
    skills = html.split("Skills most exchanged", 1)[1].split("</ol>", 1)[0]
    assert "Website — 1" in skills
    assert html.count('action="/entraide/staff/correct"') == 1


def test_pages_need_a_login(client):
    for url in ("/entraide/", "/entraide/ledger", "/entraide/cocontracts", "/entraide/new"):
        assert client.get(url).status_code == 302


def test_staff_correct_the_ledger_with_new_entries(app, make_member, login):
    a, b = make_member(display_name="Aline"), make_member(display_name="Bruno")
    staff = app.test_client()
    login(make_member(role="staff"), c=staff)
    page = "/entraide/staff"
    bad = form_post(
        staff,
        "/entraide/staff/correct",
        {"payer_id": str(a.id), "payee_id": str(b.id), "hours": "-1", "note": "x"},
        page=page,
    )
    assert bad.status_code == 422
    done = form_post(
        staff,
        "/entraide/staff/correct",
        {"payer_id": str(a.id), "payee_id": str(b.id), "hours": "1h", "note": "Oubli"},
        page=page,
    )
    assert done.status_code == 302
    member = app.test_client()
    login(b, c=member)
    assert "Oubli" in member.get("/entraide/ledger").get_data(as_text=True)
    assert (
        form_post(
            member, "/entraide/staff/correct", {"payer_id": str(a.id)}, page="/entraide/ledger"
        ).status_code
        == 403
    )
