"""Members' journeys in a real browser: filling one's profile, being invited and joining."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import link_in

pytestmark = pytest.mark.browser


def _png(path, size=(200, 160)):
    image = Image.new("RGB", size, (46, 125, 50))
    for x in range(size[0] // 2):
        image.putpixel((x, x % size[1]), (255, 200, 0))
    image.save(path, "PNG")
    return path


def _card(page, name):
    return page.locator("li.member-card").filter(has=page.locator(".member-name", has_text=name))


def test_member_fills_profile_with_avatar_and_appears_in_directory(
    make_member, browser_page, sign_in, console_errors, live_server, tmp_path
):
    page = browser_page
    make_member(email="ana@example.org", display_name="Ana Lefèvre")
    sign_in(page, "ana@example.org")

    page.goto("/me/profile")
    form = page.locator("form.profile-form")
    form.locator("input[name=headline]").fill("Identités visuelles pour artisans")
    form.locator("input[name=trade]").fill("Graphiste")
    form.locator("input[name=city]").fill("Lyon")
    form.locator("#avatar").set_input_files(_png(tmp_path / "avatar.png"))
    expect(form.locator("#avatar-preview")).to_be_visible()  # the script's local preview
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"{re.escape(live_server)}/members/\d+$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Ana Lefèvre")
    expect(page.locator(".profile-header .lead")).to_have_text("Identités visuelles pour artisans")
    expect(page.locator(".profile")).to_contain_text("Graphiste")
    large = page.locator(".profile-header img.avatar-large")
    expect(large).to_be_visible()
    expect(large).not_to_have_js_property("naturalWidth", 0)

    page.goto("/members")
    card = _card(page, "Ana Lefèvre")
    expect(card).to_have_count(1)
    expect(card.locator(".member-trade")).to_have_text("Graphiste")
    expect(card.locator(".member-city")).to_have_text("Lyon")
    avatar = card.locator("img.avatar")
    expect(avatar).to_be_visible()
    expect(avatar).to_have_js_property("naturalWidth", 128)  # the "thumb" size, decoded
    response = page.request.get(avatar.get_attribute("src"))
    assert response.status == 200
    assert response.headers["content-type"] == "image/webp"
    header_icon = page.locator("header .account-link img.avatar")
    expect(header_icon).not_to_have_js_property("naturalWidth", 0)

    assert console_errors == []


def test_staff_invites_a_person_who_joins_and_appears_in_directory(
    make_member, new_browser_page, sign_in, console_errors, outbox, live_server
):
    make_member(email="staff@example.org", display_name="Sam Accompagnant", role="staff")
    staff_page = new_browser_page()
    sign_in(staff_page, "staff@example.org")

    staff_page.goto("/staff/members")
    invite = staff_page.locator("form[action$='/staff/invitations']")
    invite.locator("input[name=email]").fill("lea@example.org")
    invite.locator("input[name=display_name]").fill("Léa")
    invite.locator("select[name=status]").select_option("support_contract")
    invite.locator("button[type=submit]").click()

    expect(staff_page).to_have_url(f"{live_server}/staff/members")
    expect(staff_page.locator(".flash-success")).to_contain_text("lea@example.org")
    expect(
        staff_page.locator("section[aria-labelledby=invitations-title] tbody tr").filter(
            has_text="lea@example.org"
        )
    ).to_have_count(1)

    messages = outbox()
    assert [m["To"] for m in messages] == ["lea@example.org"]
    link = link_in(messages[-1])
    assert link.startswith(f"{live_server}/join/"), link

    newcomer = new_browser_page()  # another context: not signed in
    newcomer.goto(link)
    expect(newcomer.locator("main")).to_contain_text("lea@example.org")
    name = newcomer.locator("input[name=display_name]")
    expect(name).to_have_value("Léa")  # prefilled from the invitation
    name.fill("Léa Martin")
    newcomer.locator("input[name=password]").fill("un mot de passe solide")
    newcomer.locator("input[name=password_confirm]").fill("un mot de passe solide")
    newcomer.locator("main form button[type=submit]").click()

    expect(newcomer).to_have_url(f"{live_server}/welcome/profile")  # the guided first run
    expect(newcomer.locator(".welcome-progress")).to_be_visible()
    expect(newcomer.locator(".flash-success")).to_contain_text("Léa Martin")
    expect(newcomer.locator("header .account-link")).to_contain_text("Léa Martin")

    newcomer.goto("/members")
    expect(_card(newcomer, "Léa Martin")).to_have_count(1)
    expect(_card(newcomer, "Léa Martin").locator(".badge.status-support_contract")).to_be_visible()
    staff_page.goto("/members")
    expect(_card(staff_page, "Léa Martin")).to_have_count(1)

    assert console_errors == []

    # The link works once: a second visit gets an error page (which chromium logs as a
    # failed load, hence after the console check).
    newcomer.context.clear_cookies()
    response = newcomer.goto(link)
    assert response.status == 410
    expect(newcomer.locator("input[name=password]")).to_have_count(0)
