"""Decisions in a real browser: two members vote inline from the feed and each sees the
other's vote in the live tally; a member drafts a secret ballot through the form, opens it,
votes and keeps the receipt code; the chart is drawn without JavaScript."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from network.cooperative.times import to_local
from tests.browser.test_pages_quality import AXE, _axe_violations

pytestmark = pytest.mark.browser


def _open_decision(client, headers, **fields) -> dict:
    """A decision drafted and opened through the API; its JSON."""
    body = {
        "kind": "single_choice",
        "title": "Où tenir l'assemblée ?",
        "options": ["Lyon", "Paris"],
        "closes_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        "electorate": "members",
        "results": "always",
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not None}
    made = client.post("/api/v1/decisions", json=body, headers=headers)
    assert made.status_code == 201, made.get_json()
    opened = client.post(f"/api/v1/decisions/{made.get_json()['id']}/open", headers=headers)
    assert opened.status_code == 200, opened.get_json()
    return opened.get_json()


def _option(decision: dict, label: str) -> int:
    return next(o["id"] for o in decision["options"] if o["label"] == label)


def _assert_accessible(page) -> None:
    """No axe-core violation on the page as it is now (cards swapped in included)."""
    if AXE.exists():  # test_pages_quality requires it in CI
        violations = _axe_violations(page)
        assert not violations, "\n".join(violations)


def _relative_luminance(css_color: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"\d+(?:\.\d+)?", css_color)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def _contrast(one: str, other: str) -> float:
    light, dark = sorted((_relative_luminance(one), _relative_luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


BAR_COLOURS = """() => Array.from(document.querySelectorAll('.tally-bar rect')).map((rect) => {
  const svg = rect.ownerSVGElement;
  let box = svg.parentElement;
  const clear = (node) => getComputedStyle(node).backgroundColor === 'rgba(0, 0, 0, 0)';
  while (box && clear(box)) box = box.parentElement;
  return [getComputedStyle(rect).fill, getComputedStyle(svg).backgroundColor,
          box ? getComputedStyle(box).backgroundColor : 'rgb(255, 255, 255)'];
})"""


def test_two_members_vote_inline_from_the_feed_and_see_the_live_tally(
    client, make_member, token_for, new_browser_page, sign_in, console_errors
):
    author = make_member(display_name="Claire Petit", status="associate")
    alice = make_member(display_name="Alice Martin")
    bob = make_member(display_name="Bob Durand")
    decision = _open_decision(client, token_for(author))
    lyon, paris = _option(decision, "Lyon"), _option(decision, "Paris")
    alice_page, bob_page = new_browser_page(), new_browser_page()
    sign_in(alice_page, alice.email)
    sign_in(bob_page, bob.email)
    cards = {}
    for page in (alice_page, bob_page):
        page.goto("/feed")
        cards[page] = page.locator(f"#decision-{decision['id']}")
        expect(cards[page]).to_have_attribute("data-live", "results")  # watching the tally
        expect(cards[page].locator("[data-voted]")).to_have_text("0")
        expect(cards[page].locator("time[data-countdown]")).to_have_text(re.compile(r"dans \d"))

    alice_card = cards[alice_page]
    alice_card.get_by_role("radio", name="Lyon").check()
    alice_card.locator("form[data-vote-form] button[type=submit]").click()
    expect(alice_card.locator(".decision-vote .badge-ok")).to_be_visible()  # the card updated
    expect(alice_card.get_by_role("radio", name="Lyon")).to_be_checked()
    expect(alice_card.locator(f'[data-option-id="{lyon}"] [data-count]')).to_have_text(
        re.compile(r"^1 \(100")
    )
    assert alice_page.url.endswith("/feed")  # no page change

    bob_card = cards[bob_page]  # Alice's vote, live on Bob's page
    expect(bob_card.locator("[data-voted]")).to_have_text("1")
    expect(bob_card.locator(f'[data-option-id="{lyon}"] [data-count]')).to_have_text(
        re.compile(r"^1 \(100")
    )
    expect(bob_card.locator(".tally li.winner")).to_have_attribute("data-option-id", str(lyon))

    bob_card.get_by_role("radio", name="Paris").check()
    bob_card.locator("textarea[name=reason]").fill("Plus simple en train.")
    bob_card.locator("form[data-vote-form] button[type=submit]").click()
    expect(bob_card.locator(".decision-vote .badge-ok")).to_be_visible()
    expect(bob_card.locator(f'[data-option-id="{paris}"] [data-count]')).to_have_text(
        re.compile(r"^1 \(50")
    )
    assert bob_page.url.endswith("/feed")

    # Bob's vote, live on Alice's page: the turnout and both bars.
    expect(alice_card.locator("[data-voted]")).to_have_text("2")
    expect(alice_card.locator(f'[data-option-id="{paris}"] [data-count]')).to_have_text(
        re.compile(r"^1 \(50")
    )
    expect(alice_card.locator(f'[data-option-id="{lyon}"] [data-count]')).to_have_text(
        re.compile(r"^1 \(50")
    )
    expect(alice_card.locator(".tally-bar rect")).to_have_count(2)
    _assert_accessible(alice_page)
    for fill, track, card in alice_page.evaluate(BAR_COLOURS):
        assert _contrast(fill, track) >= 3, (fill, track)  # non-text contrast of the bars
        assert _contrast(fill, card) >= 3, (fill, card)
    assert console_errors == []


def test_a_refused_vote_keeps_what_the_member_chose(
    client, make_member, token_for, browser_page, sign_in, console_errors
):
    author = make_member(status="associate")
    voter = make_member()
    decision = _open_decision(
        client, token_for(author), kind="proposal", title="Adopter la charte", options=None
    )
    sign_in(browser_page, voter.email)
    browser_page.goto(f"/decisions/{decision['id']}")
    card = browser_page.locator(f"#decision-{decision['id']}")
    block = card.locator("form[data-vote-form] input[type=radio]").nth(3)  # block, no reason
    block.check()
    card.locator("form[data-vote-form] button[type=submit]").click()
    expect(card.locator("[role=alert]")).to_be_visible()
    expect(card.locator("[role=alert]")).to_be_focused()
    expect(card.locator("form[data-vote-form] input[type=radio]").nth(3)).to_be_checked()
    expect(card.locator("[data-voted]")).to_have_text("0")
    _assert_accessible(browser_page)
    assert re.search(rf"/decisions/{decision['id']}$", browser_page.url)
    # the browser itself logs the refused answer (422); nothing else may be logged
    console_errors[:] = [e for e in console_errors if "status of 422" not in e]
    assert console_errors == []


def test_a_member_drafts_a_secret_ballot_opens_it_votes_and_checks_the_receipt(
    app, make_member, browser_page, sign_in, console_errors
):
    author = make_member(display_name="Alice Martin", status="associate")
    page = browser_page
    sign_in(page, author.email)
    page.goto("/decisions")
    page.locator(".page-head a.button").click()
    expect(page).to_have_url(re.compile(r"/decisions/new$"))
    with app.app_context():  # the cooperative's time zone
        closes = to_local(datetime.now(UTC) + timedelta(days=3, minutes=30))
    page.locator("#kind").select_option("single_choice")
    page.locator("#title").fill("Élire la trésorière")
    page.locator("#context").fill("Deux candidates se présentent.")
    page.locator("#options").fill("Inès Laurent\nMaya Roche")
    page.locator("#closes_at").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    page.locator("input[name=electorate][value=associates]").check()
    page.locator("input[name=secret]").check()
    page.locator("#results").select_option("after_vote")
    page.locator(".decision-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/decisions/\d+$"))
    expect(page.locator("h1")).to_have_text("Élire la trésorière")
    decision_id = int(page.url.rsplit("/", 1)[1])
    card = page.locator(f"#decision-{decision_id}")
    expect(card.locator("form[data-vote-form]")).to_have_count(0)  # a draft: no vote yet
    expect(card.locator(".decision-draft-options li")).to_have_text(["Inès Laurent", "Maya Roche"])

    page.locator(".decision-manage form[action$='/open'] button").click()
    expect(card.locator("form[data-vote-form]")).to_be_visible()
    expect(card.locator(".badge-secret")).to_be_visible()
    countdown = card.locator("time[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^dans 3 jours$"))
    expect(countdown).to_have_attribute("title", re.compile(r"\d\d:\d\d"))  # the date itself
    expect(card).to_have_attribute("data-live", "turnout")  # results after voting

    url = page.url
    card.get_by_role("radio", name="Maya Roche").check()
    card.locator("form[data-vote-form] button[type=submit]").click()
    receipt = card.locator(".decision-receipt code.receipt-code")
    expect(receipt).to_have_text(re.compile(r"^\S{6,}$"))
    expect(card.locator(".decision-receipt")).to_be_focused()
    code = receipt.inner_text()
    assert page.url == url
    expect(card.locator("[data-voted]")).to_have_text("1")
    # A secret ballot's tally stays hidden until the close, even to those who voted.
    expect(card.locator(".tally li")).to_have_count(0)
    expect(card.locator("[data-results]")).to_contain_text("clôture")
    expect(card).to_have_attribute("data-live", "turnout")
    expect(card.get_by_role("radio", name="Maya Roche")).not_to_be_checked()  # secret: not kept
    _assert_accessible(page)

    page.locator(".decision-manage form[action$='/close'] button").click()
    expect(card.locator("form[data-vote-form]")).to_have_count(0)
    expect(card.locator(".tally li")).to_have_count(2)  # results at the close
    page.locator(f"a[href='/decisions/{decision_id}/receipts']").click()
    row = page.locator("table.receipts tbody tr", has_text=code)
    expect(row).to_contain_text("Maya Roche")
    _assert_accessible(page)
    assert console_errors == []


def test_the_chart_shows_and_the_vote_works_without_javascript(
    client, make_member, token_for, chromium_browser, live_server, sign_in
):
    from tests.browser.conftest import LOCALE

    author = make_member(status="associate")
    voter = make_member()
    headers = token_for(author)
    decision = _open_decision(client, headers)
    lyon, paris = _option(decision, "Lyon"), _option(decision, "Paris")
    voted = client.put(
        f"/api/v1/decisions/{decision['id']}/vote", json={"choice": lyon}, headers=headers
    )
    assert voted.status_code == 200, voted.get_json()
    context = chromium_browser.new_context(
        locale=LOCALE, base_url=live_server, java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in(page, voter.email)
        page.goto(f"/decisions/{decision['id']}")
        card = page.locator(f"#decision-{decision['id']}")
        lyon_bar = card.locator(f'[data-option-id="{lyon}"] .tally-bar rect')
        expect(lyon_bar).to_have_attribute("width", "100.0")
        expect(card.locator(f'[data-option-id="{paris}"] .tally-bar rect')).to_have_attribute(
            "width", "0.0"
        )
        box = card.locator(f'[data-option-id="{lyon}"] .tally-bar').bounding_box()
        assert box and box["width"] > 100 and box["height"] > 5  # drawn, by CSS alone
        bar = lyon_bar.bounding_box()
        assert bar and bar["width"] == pytest.approx(box["width"], abs=1)
        expect(card.locator("time[data-countdown]")).to_have_attribute(
            "datetime", re.compile(r"^\d{4}-")
        )

        card.get_by_role("radio", name="Paris").check()  # the plain form posts
        card.locator("form[data-vote-form] button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/decisions/{decision['id']}$"))
        expect(page.locator(".flash-success")).to_be_visible()
        expect(card.locator("[data-voted]")).to_have_text("2")
        paris_bar = card.locator(f'[data-option-id="{paris}"] .tally-bar rect')
        expect(paris_bar).to_have_attribute("width", "50.0")
    finally:
        context.close()
