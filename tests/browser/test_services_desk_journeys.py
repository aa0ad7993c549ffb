"""The service desk in a real browser: a member asks accounting a question with a file and
the support team answers it; the staff's pages pass axe-core and the Nu HTML Checker.

The desk's own words are found by the form's names, not their text: the French catalogue
does not have them yet."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages_quality import AXE, _axe_violations, _html, _vnu_errors

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def accounting(app, make_member):
    """(the id of the accounting service, a staff member of accounting)."""
    from network.extensions import db
    from network.members.models import Member
    from network.services.desk import operations

    staff = make_member(role="staff", display_name="Nathalie Roche")
    with app.test_request_context():
        service = operations.create_service(
            db.session.get(Member, staff.id),
            {
                "name_fr": "Comptabilité",
                "name_en": "Accounting",
                "team": "accounting",
                "response_days": 2,
                "fields": [
                    {
                        "key": "topic",
                        "kind": "choice",
                        "label_fr": "Sujet",
                        "choices": ["Facture", "TVA"],
                        "required": True,
                    },
                    {"key": "invoice", "kind": "file", "label_fr": "Facture"},
                ],
            },
        )
        db.session.commit()
        return service.id, staff


def test_a_member_asks_accounting_with_a_file_and_staff_answer(
    new_browser_page, sign_in, make_member, accounting, tmp_path, search_index, console_errors
):
    service_id, staff = accounting
    member = make_member(display_name="Camille Dupont")
    invoice = tmp_path / "facture-dupont.pdf"
    invoice.write_bytes(PDF)

    asker = new_browser_page()
    sign_in(asker, member.email)
    asker.goto("/services/")
    asker.get_by_role("link", name="Comptabilité", exact=True).click()
    expect(asker).to_have_url(re.compile(rf"/services/{service_id}/ask$"))
    asker.locator("#subject").fill("Ma facture Dupont n'apparaît pas")
    asker.locator("button[name=step][value=send]").click()  # the required choice is missing
    expect(asker).to_have_url(re.compile(rf"/services/{service_id}/ask$"))  # the browser refuses
    asker.get_by_label("Sujet").select_option("Facture")  # the service's own labels
    asker.get_by_label("Facture", exact=True).set_input_files(str(invoice))
    asker.locator("button[name=step][value=send]").click()
    expect(asker).to_have_url(re.compile(r"/services/requests/\d+$"))
    expect(asker.get_by_role("link", name="facture-dupont.pdf")).to_be_visible()
    request_url = asker.url

    team = new_browser_page()
    sign_in(team, staff.email)
    team.goto("/services/desk")
    team.get_by_role("link", name=re.compile("Ma facture Dupont")).click()
    with team.expect_download() as download:
        team.get_by_role("link", name="facture-dupont.pdf").click()
    assert download.value.suggested_filename == "facture-dupont.pdf"
    thread = team.locator("#thread form")
    thread.locator("#body").fill("Note : déjà vue en **novembre**")
    thread.locator("#internal").check()
    thread.locator("button[type=submit]").click()
    expect(team.locator(".desk-internal strong", has_text="novembre")).to_be_visible()
    thread = team.locator("#thread form")
    thread.locator("#body").fill("Elle est rapprochée : voyez votre compte.")
    thread.locator("button[type=submit]").click()
    expect(team.get_by_text("Elle est rapprochée")).to_be_visible()
    team.locator("button[name=state][value=resolved]").click()
    expect(team.locator("button[name=state][value=closed]")).to_be_visible()

    asker.goto(request_url)
    expect(asker.get_by_text("Elle est rapprochée : voyez votre compte.")).to_be_visible()
    expect(asker.get_by_text("déjà vue")).to_have_count(0)
    asker.get_by_label("4", exact=True).check()
    asker.locator("form:has(input[name=action][value=close]) button[type=submit]").click()
    expect(asker.locator("form:has(input[name=action][value=reopen])")).to_be_visible()
    expect(asker.locator("form:has(input[name=action][value=close])")).to_have_count(0)
    assert console_errors == []


def test_the_staff_pages_are_accessible_and_valid(new_browser_page, sign_in, accounting, tmp_path):
    service_id, staff = accounting
    page = new_browser_page()
    sign_in(page, staff.email)
    paths = [
        "/services/desk",
        "/services/desk/dashboard",
        "/services/catalogue",
        f"/services/catalogue/{service_id}",
        "/services/closures",
        "/services/faq",
    ]
    violations = []
    for path in paths:
        page.goto(path)
        if AXE.exists():
            violations += _axe_violations(page)
    assert not violations, "\n".join(violations)
    errors = _vnu_errors({path: _html(page, path) for path in paths}, tmp_path)
    assert not errors, "\n".join(errors)


def test_the_form_suggests_answers_from_the_subject_and_the_details(
    app, new_browser_page, sign_in, make_member, accounting, search_index, console_errors
):
    from network.extensions import db
    from network.members.models import Member
    from network.services.desk import operations
    from network.services.desk.models import Service

    service_id, staff = accounting
    with app.test_request_context():
        actor = db.session.get(Member, staff.id)
        service = db.session.get(Service, service_id)
        for key, question, answer in (
            ("faq-1", "Comment déclarer la TVA trimestrielle ?", "Sur le site des impôts."),
            ("faq-2", "Relancer un client qui paie en retard", "Envoyez une relance écrite."),
        ):
            req, _created = operations.open_request(actor, service, "x", {"topic": "TVA"}, key)
            operations.resolve_request(actor, req)
            operations.publish_faq(actor, req, question, answer)
        db.session.commit()
    member = make_member(display_name="Camille Dupont")
    page = new_browser_page()
    sign_in(page, member.email)
    page.goto(f"/services/{service_id}/ask")
    matches = page.locator("[data-faq-matches]")
    page.locator("#subject").fill("Une question")  # matches no answer
    page.locator("#body").fill("Mon client paie toujours en retard : comment le relancer ?")
    # the answer sharing the most words of the details first ("comment" alone: the other)
    expect(matches.get_by_role("link").first).to_have_text("Relancer un client qui paie en retard")
    title = matches.get_attribute("data-title")  # the page's words, in its language
    assert title
    expect(matches.get_by_role("heading")).to_have_text(title)
    page.locator("#subject").fill("déclarer la TVA")  # the whole subject ranks first
    expect(matches.get_by_role("link").first).to_have_text(
        "Comment déclarer la TVA trimestrielle ?"
    )
    expect(matches.get_by_role("link")).to_have_count(2)
    assert console_errors == []
