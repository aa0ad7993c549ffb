"""The guided first run in a real browser, on a 390 px phone: invited with a personal note,
the newcomer joins, goes through the steps with their progress, and lands at home."""

import pytest
from playwright.sync_api import expect

from tests.conftest import link_in

pytestmark = pytest.mark.browser


def _fits_the_screen(page) -> None:
    """Nothing wider than the phone: no sideways scrolling of the whole page."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_invited_person_is_guided_through_the_first_run(
    client, make_member, token_for, new_browser_page, sign_in, console_errors, outbox, live_server
):
    staff = make_member(email="staff@example.org", display_name="Sam Accompagnant", role="staff")
    for name in ("entraide", "lyon"):
        response = client.post("/api/v1/channels", json={"name": name}, headers=token_for(staff))
        assert response.status_code == 201
    staff_page = new_browser_page()
    sign_in(staff_page, "staff@example.org")
    staff_page.goto("/staff/members")
    invite = staff_page.locator("form[action$='/staff/invitations']")
    invite.locator("input[name=email]").fill("lea@example.org")
    invite.locator("input[name=display_name]").fill("Léa")
    invite.locator("textarea[name=note]").fill("Ravie de t'accueillir, à jeudi !")
    invite.locator("select[name=status]").select_option("support_contract")
    invite.locator("button[type=submit]").click()
    expect(staff_page.locator(".flash-success")).to_contain_text("lea@example.org")
    message = outbox()[-1]
    assert "> Ravie de t'accueillir, à jeudi !" in message.get_payload(decode=True).decode()

    newcomer = new_browser_page()
    newcomer.set_viewport_size({"width": 390, "height": 844})
    newcomer.goto(link_in(message))
    newcomer.locator("input[name=display_name]").fill("Léa Martin")
    newcomer.locator("input[name=password]").fill("un mot de passe solide")
    newcomer.locator("input[name=password_confirm]").fill("un mot de passe solide")
    newcomer.locator("main form button[type=submit]").click()

    expect(newcomer).to_have_url(f"{live_server}/welcome/profile")
    progress = newcomer.locator(".welcome-progress")
    expect(progress).to_contain_text("Étape 1 sur 4")
    expect(progress.locator("[aria-current=step]")).to_have_text("Votre profil")
    _fits_the_screen(newcomer)
    newcomer.locator("input[name=headline]").fill("Graphiste pour artisans")
    newcomer.locator("input[name=city]").fill("Lyon")
    newcomer.get_by_role("button", name="Enregistrer et continuer").click()

    expect(newcomer).to_have_url(f"{live_server}/welcome/skills")
    expect(progress).to_contain_text("Étape 2 sur 4")
    newcomer.locator("input[name=skills]").fill("Graphisme")
    newcomer.get_by_role("button", name="Enregistrer et continuer").click()

    expect(newcomer).to_have_url(f"{live_server}/welcome/channels")
    _fits_the_screen(newcomer)
    newcomer.get_by_label("#lyon").check()
    newcomer.get_by_role("button", name="Enregistrer et continuer").click()

    expect(newcomer).to_have_url(f"{live_server}/welcome/journey")
    expect(progress).to_contain_text("Étape 4 sur 4")
    step = newcomer.locator(".welcome-step")
    expect(step).to_contain_text("Porteur de projet (CAPE)")
    expect(step).to_contain_text("Votre CAPE en cours se termine le")
    _fits_the_screen(newcomer)
    newcomer.get_by_role("button", name="Terminer").click()

    expect(newcomer).to_have_url(f"{live_server}/")
    expect(newcomer.locator(".flash-success")).to_contain_text("Bienvenue dans la coopérative")
    expect(newcomer.locator(".welcome-resume")).to_have_count(0)
    newcomer.goto("/chat")
    expect(newcomer.locator("main")).to_contain_text("lyon")
    assert console_errors == []


def test_a_member_skips_a_step_and_resumes_later(
    make_member, new_browser_page, sign_in, console_errors, live_server
):
    make_member(email="bob@example.org", display_name="Bob")
    page = new_browser_page()
    sign_in(page, "bob@example.org")
    expect(page).to_have_url(f"{live_server}/welcome/profile")
    page.get_by_role("button", name="Passer cette étape").click()
    expect(page).to_have_url(f"{live_server}/welcome/skills")
    page.goto("/")
    page.locator(".welcome-resume a").click()
    expect(page).to_have_url(f"{live_server}/welcome/skills")
    page.get_by_role("button", name="Passer l'introduction").click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator(".welcome-resume")).to_have_count(0)
    assert console_errors == []


def test_the_staff_home_on_a_phone(make_member, new_browser_page, sign_in, console_errors):
    from datetime import timedelta

    from tests.conftest import paris_today

    today = paris_today()
    make_member(email="staff@example.org", display_name="Sam", role="staff")
    make_member(
        display_name="Léa En Retard",
        joined_on=today.replace(year=today.year - 3) - timedelta(days=10),
    )
    page = new_browser_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "staff@example.org")
    page.goto("/staff")
    deadlines = page.locator("#associate-deadlines")
    expect(deadlines).to_contain_text("Léa En Retard")
    expect(deadlines.locator(".badge-overdue")).to_have_text("10 jours de retard")
    _fits_the_screen(page)
    with page.expect_download() as download:
        deadlines.get_by_role("link", name="Exporter en CSV (Excel)").click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    assert content.splitlines()[1].startswith("Léa En Retard;")
    assert console_errors == []
