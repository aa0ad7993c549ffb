"""Mutual aid in a real browser: an offer posted, taken up, confirmed by both members and
followed by an endorsement that shows on the helper's profile."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_offer_taken_up_confirmed_by_both_and_endorsed(
    make_member, client, token_for, new_browser_page, sign_in, console_errors
):
    aline = make_member(display_name="Aline Web", email="aline@example.org")
    bruno = make_member(display_name="Bruno Client", email="bruno@example.org")
    body = {"skills": [{"name": "Site web", "level": "expert", "can_teach": False}]}
    assert client.put("/api/v1/me/skills", headers=token_for(aline), json=body).status_code == 200

    a, b = new_browser_page(), new_browser_page()
    sign_in(a, aline.email)
    sign_in(b, bruno.email)

    a.goto("/entraide/new?kind=offer")
    a.locator("#title").fill("Je peux aider à refaire un site vitrine")
    a.locator("input[name=skills]").first.check()
    a.locator("#place").select_option("remote")
    a.locator("#estimate").fill("2")
    a.locator("main form button[type=submit]").click()
    expect(a).to_have_url(re.compile(r"/entraide/\d+$"))
    offer_url = a.url

    b.goto("/entraide/")
    b.get_by_role("link", name="Je peux aider à refaire un site vitrine").click()
    b.locator("#message").fill("Volontiers, mon site date de 2012 !")
    b.locator("#respond-form button[type=submit]").click()
    expect(b.locator(".aid-response")).to_contain_text("Bruno Client")

    a.goto(offer_url)
    a.locator(".aid-response form button[type=submit]").click()
    expect(a.locator(".aid-exchange")).to_have_count(1)
    a.locator(".aid-exchange input[name=hours]").fill("2")
    a.locator(".aid-exchange button[type=submit]").click()
    expect(a.locator(".aid-exchange")).to_contain_text("2h")

    b.goto(offer_url)
    b.locator(".aid-exchange input[name=hours]").fill("2")
    b.locator(".aid-exchange button[type=submit]").click()
    endorse = b.locator(".aid-exchange a.button")
    expect(endorse).to_be_visible()
    endorse.click()
    b.locator("input[name=skills]").first.check()
    b.locator("#comment").fill("Rapide et clair")
    b.locator("main form button[type=submit]").click()
    expect(b).to_have_url(re.compile(rf"/members/{aline.id}$"))
    expect(b.locator("details.endorsements")).to_contain_text("1")
    b.locator("details.endorsements summary").click()
    expect(b.locator("details.endorsements")).to_contain_text("Rapide et clair")

    b.goto("/entraide/ledger")
    expect(b.locator("#balance")).to_have_text("-2h")
    a.goto("/entraide/ledger")
    expect(a.locator("#balance")).to_have_text("2h")
    assert console_errors == []
