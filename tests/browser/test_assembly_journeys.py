"""A small general assembly in a real browser: the support team prepares and convenes it
through the API, the associates check in from the page, one gives their proxy from the page,
the chair opens and closes two resolutions (one secret) from the page, the associates vote
from the page (the proxy holder twice: their own vote and the one they hold), the quorum
meter, the turnout and the verdicts reach the other pages live, and the minutes, signed
from the page, show both verdicts. Without JavaScript the forms post and the page reloads."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_governance_journeys import _assert_accessible

pytestmark = pytest.mark.browser


def _convened(client, headers, **fields) -> dict:
    """An AGO about to begin (the chair may open its votes), prepared and convened."""
    body = {
        "kind": "ordinary",
        "title": "Assemblée générale annuelle",
        "starts_at": (datetime.now(UTC) + timedelta(minutes=30)).isoformat(),
        "place": "Salle du conseil, Lyon",
        "resolutions": [
            {"title": "Approbation des comptes", "text": "Les comptes sont joints."},
            {"title": "Élection de la gérance", "text": "Une candidate.", "secret": True},
        ],
        **fields,
    }
    made = client.post("/api/v1/assemblies", json=body, headers=headers)
    assert made.status_code == 201, made.get_json()
    convened = client.post(f"/api/v1/assemblies/{made.get_json()['id']}/convene", headers=headers)
    assert convened.status_code == 200, convened.get_json()
    assert convened.get_json()["warnings"]  # a short delay: warned, not refused
    return convened.get_json()["assembly"]


def _vote(page, resolution_id: int, voter_id: int, choice: str) -> None:
    """Vote from the page (the plain form: the page reloads with the answer)."""
    form = page.locator(f'#resolution-{resolution_id} form[data-voter="{voter_id}"]')
    form.locator(f'button[value="{choice}"]').click()
    expect(page.locator(".flash-success")).to_be_visible()
    cast = page.locator(f'#resolution-{resolution_id} .resolution-cast[data-voter="{voter_id}"]')
    expect(cast).to_be_visible()


def test_a_small_assembly_from_check_in_to_the_signed_minutes(
    client, make_member, token_for, new_browser_page, sign_in, console_errors
):
    chair = make_member(display_name="Sophie Garnier", role="staff")
    alice = make_member(display_name="Alice Martin", status="associate")
    bob = make_member(display_name="Bob Durand", status="associate")
    chloe = make_member(display_name="Chloé Petit", status="associate")
    david = make_member(display_name="David Roux", status="associate")
    assembly = _convened(client, token_for(chair))
    first, second = (r["id"] for r in assembly["resolutions"])
    url = f"/assemblies/{assembly['id']}"
    pages = {}
    for who in (chair, alice, bob, chloe, david):
        pages[who.id] = new_browser_page()
        sign_in(pages[who.id], who.email)
        pages[who.id].goto(url)
    watcher = pages[bob.id]  # Bob's page is never reloaded until he checks in
    expect(watcher.locator("#assembly")).to_have_attribute("data-live", "true")
    watcher.evaluate("window.notReloaded = true")
    expect(watcher.locator('[data-quorum="counted"]')).to_have_text("0")
    expect(watcher.locator('[data-quorum="register"]')).to_have_text("4")
    _assert_accessible(watcher)

    # Alice attends online: the meter moves on Bob's page.
    page = pages[alice.id]
    page.locator(".assembly-check-in form").first.locator("button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("[data-my-presence]")).to_have_text("Présent·e en ligne")
    expect(watcher.locator('[data-quorum="counted"]')).to_have_text("1")
    expect(watcher.locator('[data-quorum="online"]')).to_have_text("1")
    expect(watcher.locator("#quorum-meter")).to_have_js_property("value", 1)

    # David gives his proxy to Alice; the holder choice never offers himself, the cap shows.
    page = pages[david.id]
    holder = page.locator("#holder_id")
    expect(holder.locator(f'option[value="{david.id}"]')).to_have_count(0)
    expect(page.locator("#proxy-help")).to_contain_text("1")
    holder.select_option(str(alice.id))
    page.locator("form.assembly-proxy button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#participation")).to_contain_text("Alice Martin")
    expect(page.locator("form.assembly-proxy")).to_have_count(0)
    expect(watcher.locator('[data-quorum="counted"]')).to_have_text("2")
    expect(watcher.locator('[data-quorum="represented"]')).to_have_text("1")
    sheet_row = watcher.locator(f'#attendance tr[data-member="{david.id}"]')
    expect(sheet_row).to_have_attribute("data-attendance", "represented")  # the sheet, live
    expect(sheet_row).to_contain_text("Alice Martin")

    # Chloé is in the room; the chair ticks nobody: everyone checks themself in.
    page = pages[chloe.id]
    page.locator(".assembly-check-in form").nth(1).locator("button").click()
    expect(page.locator("[data-my-presence]")).to_have_text("Présent·e")
    expect(watcher.locator('[data-quorum="counted"]')).to_have_text("3")
    assert watcher.evaluate("window.notReloaded") is True
    watcher.locator(".assembly-check-in form").first.locator("button").click()  # Bob, online
    expect(watcher.locator('[data-quorum="counted"]')).to_have_text("4")
    expect(watcher.locator('[data-quorum-kind="ordinary"]')).to_be_visible()

    # Resolution 1: the chair opens it; the voters' agendas show their forms, live.
    chair_page = pages[chair.id]
    chair_page.reload()
    chair_page.locator(f"#resolution-{first} .resolution-chair button").click()
    expect(chair_page.locator(f"#resolution-{first}")).to_have_attribute("data-state", "open")
    alice_page = pages[alice.id]
    expect(alice_page.locator(f"#resolution-{first} form.resolution-vote")).to_have_count(2)
    legend = alice_page.locator(f'#resolution-{first} form[data-voter="{david.id}"] legend')
    expect(legend).to_contain_text("David Roux")  # the proxy held, by the giver's name
    _assert_accessible(alice_page)
    _vote(alice_page, first, alice.id, "for")
    _vote(alice_page, first, david.id, "for")  # the proxy held: a second vote
    expect(alice_page.locator(f"#resolution-{first} form.resolution-vote")).to_have_count(0)
    pages[bob.id].reload()
    _vote(pages[bob.id], first, bob.id, "against")
    _vote(pages[chloe.id], first, chloe.id, "for")
    expect(chair_page.locator(f'[data-turnout="{first}"]')).to_have_text("4")  # live turnout
    chair_page.locator(f"#resolution-{first} .resolution-chair button").click()
    verdict = chair_page.locator(f"#resolution-{first} .resolution-verdict")
    expect(verdict.locator(".badge-ok")).to_have_text("Adoptée")
    expect(verdict).to_contain_text("de tous les associé·es")  # the rule applied
    david_verdict = pages[david.id].locator(f"#resolution-{first} .resolution-verdict")
    expect(david_verdict).to_contain_text("Adoptée")  # live, on a page not reloaded

    # Resolution 2, a secret ballot.
    chair_page.locator(f"#resolution-{second} .resolution-chair button").click()
    expect(pages[bob.id].locator(f"#resolution-{second} .badge-secret")).to_be_visible()
    expect(pages[bob.id].locator(f"#resolution-{second} form.resolution-vote")).to_have_count(1)
    _vote(alice_page, second, alice.id, "for")
    _vote(alice_page, second, david.id, "against")
    _vote(pages[bob.id], second, bob.id, "against")
    _vote(pages[chloe.id], second, chloe.id, "abstain")
    chair_page.locator(f"#resolution-{second} .resolution-chair button").click()
    verdict = chair_page.locator(f"#resolution-{second} .resolution-verdict")
    expect(verdict.locator(".badge-danger")).to_have_text("Rejetée")
    expect(verdict).to_contain_text("de tous les associé·es")
    expect(pages[chloe.id].locator(f"#resolution-{second} .badge-danger")).to_have_text("Rejetée")

    # The chair closes the assembly and signs the minutes off, from the page.
    chair_page.locator(".assembly-chair button").click()
    expect(chair_page.locator("#assembly")).to_have_attribute("data-state", "closed")
    chair_page.locator(".assembly-chair button").click()
    expect(chair_page.locator(".assembly-state .badge-ok")).to_be_visible()
    expect(chair_page.locator(".assembly-chair")).to_have_count(0)
    _assert_accessible(chair_page)
    minutes = pages[bob.id]
    minutes.goto(f"{url}/minutes")
    expect(minutes.locator(".minutes-signed")).to_be_visible()
    resolutions = minutes.locator(".minutes-resolution")
    expect(resolutions).to_have_count(2)
    expect(resolutions.nth(0)).to_contain_text("Adoptée")
    expect(resolutions.nth(0)).to_contain_text(re.compile(r"Pour 3, contre 1"))
    expect(resolutions.nth(1)).to_contain_text("Rejetée")
    _assert_accessible(minutes)
    assert console_errors == []


def test_proxy_check_in_and_votes_work_without_javascript(
    client, make_member, token_for, chromium_browser, live_server, sign_in
):
    from tests.browser.conftest import LOCALE

    chair = make_member(role="staff")
    voter = make_member(status="associate")
    make_member(status="associate")
    assembly = _convened(client, token_for(chair))
    first = assembly["resolutions"][0]["id"]
    context = chromium_browser.new_context(
        locale=LOCALE, base_url=live_server, java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in(page, voter.email)
        page.goto(f"/assemblies/{assembly['id']}")
        page.locator("#holder_id").select_option("blank")  # a blank proxy, then revoked
        page.locator("form.assembly-proxy button[type=submit]").click()
        expect(page.locator('[data-quorum="represented"]')).to_have_text("1")
        page.locator("form[action$='/proxy/revoke'] button").click()
        expect(page.locator(".flash-success")).to_be_visible()
        expect(page.locator('[data-quorum="represented"]')).to_have_text("0")
        page.locator(".assembly-check-in form").first.locator("button").click()
        expect(page.locator('[data-quorum="counted"]')).to_have_text("1")
        opened = client.post(f"/api/v1/resolutions/{first}/open", headers=token_for(chair))
        assert opened.status_code == 200, opened.get_json()
        page.reload()
        _vote(page, first, voter.id, "for")
        expect(page.locator(f'[data-turnout="{first}"]')).to_have_text("1")
    finally:
        context.close()
