"""Skills journeys in a real browser: the members directory filtered live (and without
JavaScript), and finding collaborators for a need."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LOCALE, TIMEOUT_MS

pytestmark = pytest.mark.browser


def _give_skills(client, token_for, member, *skills):
    """Set `member`'s skills through the API: (name, level, can_teach) tuples."""
    body = {
        "skills": [
            {"name": name, "level": level, "can_teach": can_teach}
            for name, level, can_teach in skills
        ]
    }
    response = client.put("/api/v1/me/skills", headers=token_for(member), json=body)
    assert response.status_code == 200, response.get_json()


def _open_to(client, token_for, member, *values):
    response = client.patch("/api/v1/me", headers=token_for(member), json={"open_to": values})
    assert response.status_code == 200, response.get_json()


def _cards(page):
    return page.locator("#directory-results li.member-card")


def _card(page, name):
    return _cards(page).filter(has=page.locator(".member-name", has_text=name))


def _query(url):
    return parse_qs(urlsplit(url).query)


def test_directory_filters_live_then_by_skill_facet_and_works_without_javascript(
    make_member,
    client,
    token_for,
    new_browser_page,
    chromium_browser,
    live_server,
    sign_in,
    console_errors,
):
    ana = make_member(display_name="Ana Graphiste", trade="Graphiste", city="Lyon")
    bob = make_member(display_name="Bob Menuisier", trade="Menuisier", city="Vienne")
    make_member(display_name="Cyr Graphiste", trade="Graphiste", city="Paris")
    make_member(email="zoe@example.org", display_name="Zoé Visiteuse")
    # The skill goes to one graphiste and to the menuisier: the facet narrows the graphistes.
    _give_skills(client, token_for, ana, ("Graphisme", "expert", True))
    _give_skills(client, token_for, bob, ("Graphisme", "practised", False))

    page = new_browser_page()
    sign_in(page, "zoe@example.org")
    page.goto("/members")
    expect(_cards(page)).to_have_count(4)
    page.evaluate("window.sameDocument = true")  # lost if the page were reloaded

    page.locator("#trade").press_sequentially("graphiste")
    # The results and the address change through fetch + history.replaceState, no page load.
    expect(page).to_have_url(re.compile(r"/members\?(.*&)?trade=graphiste(&|$)"))
    expect(_cards(page).locator(".member-name")).to_have_text(["Ana Graphiste", "Cyr Graphiste"])
    assert page.evaluate("window.sameDocument === true")
    expect(page.locator("#trade")).to_be_focused()

    facets = page.locator("#directory-results nav.facets")
    facets.get_by_role("link", name="Graphisme", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]skill=\d+"))
    assert _query(page.url)["trade"] == ["graphiste"]
    expect(_cards(page).locator(".member-name")).to_have_text(["Ana Graphiste"])
    expect(_card(page, "Ana Graphiste").locator(".member-why")).to_contain_text("Graphisme")
    expect(page.locator("#trade")).to_have_value("graphiste")
    chosen = facets.locator("a[aria-current=true]")  # chosen links now remove their filter
    expect(chosen).to_have_text(["Graphisme", "Graphiste"])  # the skill, and the typed trade

    # The same filters without JavaScript: the form submits, the facet is a plain link.
    context = chromium_browser.new_context(
        locale=LOCALE, base_url=live_server, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        plain = context.new_page()
        plain.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        plain.on("pageerror", lambda error: console_errors.append(str(error)))
        sign_in(plain, "zoe@example.org")
        plain.goto("/members")
        expect(_cards(plain)).to_have_count(4)
        plain.locator("#trade").fill("graphiste")
        plain.locator("form.directory-filters").get_by_role("button", name="Filtrer").click()
        expect(plain).to_have_url(re.compile(r"[?&]trade=graphiste(&|$)"))
        expect(_cards(plain).locator(".member-name")).to_have_text(
            ["Ana Graphiste", "Cyr Graphiste"]
        )
        plain.locator("nav.facets").get_by_role("link", name="Graphisme", exact=True).click()
        expect(plain).to_have_url(re.compile(r"[?&]skill=\d+"))
        expect(_cards(plain).locator(".member-name")).to_have_text(["Ana Graphiste"])
        expect(_card(plain, "Ana Graphiste").locator(".member-why")).to_contain_text("Graphisme")
    finally:
        context.close()

    assert console_errors == []


def test_asker_finds_the_nearby_expert_writes_to_her_and_opens_the_profile(
    make_member, client, token_for, browser_page, sign_in, console_errors, live_server
):
    # Names in the opposite order of the expected ranking: ties would break by name.
    zoe = make_member(display_name="Zoé Lyonnaise", city="Lyon", postcode="69003")
    lea = make_member(display_name="Léa Villeurbannaise", city="Villeurbanne", postcode="69100")
    ana = make_member(display_name="Ana Parisienne", city="Paris", postcode="75011")
    _give_skills(client, token_for, zoe, ("Graphisme", "expert", True))
    _give_skills(client, token_for, lea, ("Graphisme", "practised", False))
    _give_skills(client, token_for, ana, ("Graphisme", "notions", False))
    for member in (zoe, lea, ana):
        _open_to(client, token_for, member, "collaboration")
    make_member(email="max@example.org", display_name="Max Demandeur")

    page = browser_page
    sign_in(page, "max@example.org")
    page.goto("/skills")
    page.locator("main").get_by_role("link", name=re.compile("Trouver des collabor")).click()
    expect(page).to_have_url(f"{live_server}/collaborators")

    form = page.locator("main form[role=search]")
    form.locator("#text").fill("Je cherche du graphisme pour l'identité visuelle d'un projet")
    form.locator("#postcode").fill("69003")
    form.locator("button.primary").click()

    expect(page).to_have_url(re.compile(r"/collaborators\?.*postcode=69003"))
    results = page.locator("ol.collaborators > li")
    expect(results).to_have_count(3)
    expect(results.locator("h3 a")).to_have_text(
        ["Zoé Lyonnaise", "Léa Villeurbannaise", "Ana Parisienne"]
    )
    first = results.first.locator("ul.reasons li")
    expect(first.filter(has_text="Graphisme").first).to_contain_text("expert")
    expect(first.filter(has_text="même code postal")).to_have_text("Lyon, même code postal")
    expect(first.filter(has_text="collaboration")).to_have_count(1)
    second = results.nth(1).locator("ul.reasons li")
    expect(second.filter(has_text="Graphisme")).not_to_have_count(0)
    expect(second.filter(has_text="même département")).to_have_text(
        "Villeurbanne, même département"
    )

    results.first.get_by_role("button", name="Envoyer un message").click()
    expect(page).to_have_url(re.compile(rf"{live_server}/chat/\d+$"))
    expect(page.locator("h1")).to_have_text("Zoé Lyonnaise")  # a direct conversation with her
    page.go_back()
    page.locator("ol.collaborators > li").first.locator("h3 a").click()
    expect(page).to_have_url(f"{live_server}/members/{zoe.id}")
    expect(page.locator("h1")).to_have_text("Zoé Lyonnaise")
    skills = page.locator("section[aria-labelledby=skills-title]")
    expect(skills.locator("h2")).to_have_text("Compétences")
    expect(skills.get_by_role("link", name="Graphisme")).to_be_visible()

    assert console_errors == []
