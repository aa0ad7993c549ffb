"""The main pages of the demo cooperative, checked in a real browser: no accessibility
violation found by axe-core, valid HTML for the Nu HTML Checker (vnu), and no horizontal
overflow on a 390 px phone, where a menu button opens the navigation."""

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import IN_CI, LOCALE, TIMEOUT_MS
from tests.conftest import paris_today

pytestmark = pytest.mark.browser

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _require(path: Path, what: str) -> None:
    if path.exists():
        return
    message = f"{path} is missing ({what}): run `make setup`"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def demo(app, search_index):
    """The demo cooperative; returns (the e-mail of a member, the main pages' paths)."""
    from sqlalchemy import select

    from network.chat.models import Channel
    from network.demo import seed_demo
    from network.extensions import db
    from network.members.models import Member
    from network.workspaces.models import Space

    with app.test_request_context():
        seed_demo()
        db.session.commit()
        member = db.session.scalars(
            select(Member).where(Member.email == "olivier.moreau@exemple.fr")
        ).one()
        other = db.session.scalars(
            select(Member).where(Member.id != member.id).order_by(Member.id)
        ).first()
        channel = db.session.scalars(
            select(Channel).where(Channel.kind == "public").order_by(Channel.id)
        ).first()
        space = db.session.scalars(select(Space).order_by(Space.id)).first()
        yesterday = (paris_today() - timedelta(days=1)).isoformat()
        pages = [
            "/",
            "/feed",
            "/members",
            f"/members/{other.id}",
            "/skills",
            "/collaborators?q=graphisme",
            f"/chat/{channel.id}",
            f"/workspaces?date={yesterday}",  # every slot is past
            f"/workspaces/spaces/{space.id}",
            "/search?q=atelier",
            "/notifications",
        ]
        return member.email, pages


def _open(chromium_browser, live_server, contexts, **options):
    context = chromium_browser.new_context(locale=LOCALE, base_url=live_server, **options)
    context.set_default_timeout(TIMEOUT_MS)
    contexts.append(context)
    return context.new_page()


@pytest.fixture
def open_page(chromium_browser, live_server):
    contexts: list = []
    yield lambda **options: _open(chromium_browser, live_server, contexts, **options)
    for context in contexts:
        context.close()


def _from_demo(page, sign_in, email):
    """Sign in as a demo member, on a desktop width (sign_in waits for the account link)."""
    from network.demo import DEMO_PASSWORD

    size = page.viewport_size
    page.set_viewport_size(DESKTOP)
    sign_in(page, email, DEMO_PASSWORD)
    page.set_viewport_size(size)


def _axe_violations(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated by the driver: CSP allows it
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url}: [{v['impact']}] {v['id']}: {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in result["violations"]
    ]


def test_main_pages_have_no_axe_violation(demo, open_page, sign_in, console_errors):
    _require(AXE, "npm's axe-core")
    email, pages = demo
    page = open_page()
    page.goto("/login")
    violations = _axe_violations(page)
    _from_demo(page, sign_in, email)
    for path in pages:
        page.goto(path)
        violations += _axe_violations(page)
    assert not violations, "\n".join(violations)


def test_main_pages_are_valid_html(demo, open_page, sign_in, tmp_path):
    _require(VNU, "npm's vnu-jar")
    java = shutil.which("java")
    if not java:
        (pytest.fail if IN_CI else pytest.skip)("java is missing (the Nu HTML Checker needs it)")
    email, pages = demo
    page = open_page()
    files = [tmp_path / "login.html"]
    files[0].write_text(page.request.get("/login").text(), encoding="utf-8")
    _from_demo(page, sign_in, email)
    for number, path in enumerate(pages):
        response = page.request.get(path)
        assert response.ok, path
        files.append(tmp_path / f"page-{number}.html")
        files[-1].write_text(response.text(), encoding="utf-8")
    names = {f"file:{f}": path for f, path in zip(files, ["/login", *pages], strict=True)}
    checked = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    errors = [
        f"{names.get(m.get('url'), m.get('url'))}:{m.get('lastLine')}: {m['message']}"
        for m in messages
    ]
    assert not errors, "\n".join(errors)


def test_main_pages_fit_a_phone(demo, open_page, sign_in, console_errors):
    email, pages = demo
    page = open_page(viewport=PHONE)
    _from_demo(page, sign_in, email)
    too_wide, violations = [], []
    for path in pages:
        page.goto(path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(f"{path}: {width}px")
        if AXE.exists():
            violations += _axe_violations(page)
    assert not too_wide, "\n".join(too_wide)
    assert not violations, "\n".join(violations)
    assert console_errors == []


def test_the_menu_button_opens_the_navigation_on_a_phone(demo, open_page, sign_in, console_errors):
    email, _ = demo
    page = open_page(viewport=PHONE)
    _from_demo(page, sign_in, email)
    page.goto("/feed")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Membres")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Membres").click()
    expect(page).to_have_url(re.compile(r"/members$"))
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    assert console_errors == []


def test_the_navigation_shows_without_a_menu_button_on_a_desktop(demo, open_page, sign_in):
    email, _ = demo
    page = open_page(viewport=DESKTOP)
    _from_demo(page, sign_in, email)
    page.goto("/feed")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("link", name="Membres").first).to_be_visible()


def test_the_navigation_shows_on_a_phone_without_javascript(demo, open_page, sign_in):
    email, _ = demo
    page = open_page(viewport=PHONE, java_script_enabled=False)
    _from_demo(page, sign_in, email)
    page.goto("/feed")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Membres")).to_be_visible()
