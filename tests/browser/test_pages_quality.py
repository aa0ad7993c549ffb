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

from tests.browser.conftest import IN_CI, LOCALE, TIMEOUT_MS, _record_console
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
    from network.governance.models import Assembly, AssemblyState, Decision
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
        decisions = {
            d.kind.value: d.id for d in db.session.scalars(select(Decision).order_by(Decision.id))
        }
        assemblies = {
            a.state: a.id for a in db.session.scalars(select(Assembly).order_by(Assembly.id))
        }
        past, upcoming = assemblies[AssemblyState.CLOSED], assemblies[AssemblyState.CONVENED]
        service, request = _a_request_of(member)
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
            "/decisions",
            "/decisions?state=closed",
            "/decisions/new",
            f"/decisions/{decisions['proposal']}",  # open, results always shown
            f"/decisions/{decisions['single_choice']}",  # open secret ballot
            f"/decisions/{decisions['date_poll']}",  # open date poll
            f"/decisions/{decisions['ranked_choice']}",  # closed, its rounds and outcome
            "/assemblies",
            f"/assemblies/{upcoming}",  # convened: check-in, proxy, the quorum meter
            f"/assemblies/{past}",  # closed: verdicts, attendance sheet
            f"/assemblies/{past}/minutes",  # signed minutes (a page of its own)
            "/services/",
            f"/services/{service}/ask",  # the form built from the service's fields
            f"/services/requests/{request}",  # the member's request with its thread
            "/services/requests",
            "/services/faq",
        ]
        return member.email, pages


def _a_request_of(member) -> tuple[int, int]:
    """(a service with fields, a request of `member` to it answered by the support team)."""
    from sqlalchemy import select

    from network.extensions import db
    from network.members.models import Member
    from network.services.desk import operations
    from network.services.desk.models import Service

    service = db.session.scalars(select(Service).order_by(Service.position)).first()
    request, _ = operations.open_request(
        member, service, "Ma facture n'apparaît pas", {"topic": "Facture"}, "quality", body="Merci"
    )
    staff = db.session.scalars(select(Member).where(Member.email == "compta@terreau.coop")).one()
    operations.post_message(staff, request, "Je regarde **aujourd'hui**.")
    db.session.commit()
    return service.id, request.id


@pytest.fixture
def open_page(chromium_browser, live_server, console_errors):
    """open_page(**context options) → a page in a new context, its console errors recorded."""
    contexts: list = []

    def open_one(**options):
        context = chromium_browser.new_context(locale=LOCALE, base_url=live_server, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: _record_console(console_errors, page, message))
        page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))
        return page

    yield open_one
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


def _vnu_errors(html: dict[str, str], folder: Path) -> list[str]:
    """The Nu HTML Checker's errors on the pages' HTML (path → text), run once over all."""
    _require(VNU, "npm's vnu-jar")
    java = shutil.which("java")
    if not java:
        (pytest.fail if IN_CI else pytest.skip)("java is missing (the Nu HTML Checker needs it)")
    names = {}
    for number, (path, text) in enumerate(html.items()):
        file = folder / f"page-{number}.html"
        file.write_text(text, encoding="utf-8")
        names[str(file)] = path
    checked = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--errors-only", *names],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    return [
        f"{names.get(m.get('url', '').removeprefix('file:'), m.get('url'))}:"
        f"{m.get('lastLine')}: {m['message']}"
        for m in messages
    ]


def _html(page, path: str) -> str:
    response = page.request.get(path)  # the server's HTML, with the page's cookies
    assert response.ok, path
    return response.text()


def test_main_pages_are_valid_html(demo, open_page, sign_in, tmp_path):
    email, pages = demo
    page = open_page()
    html = {"/login": _html(page, "/login")}
    _from_demo(page, sign_in, email)
    html.update((path, _html(page, path)) for path in pages)
    errors = _vnu_errors(html, tmp_path)
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


def test_account_and_staff_pages_pass_the_same_checks(app, demo, open_page, sign_in, tmp_path):
    """Axe, vnu and the phone width on the other pages, seen by the demo's administrator."""
    _require(AXE, "npm's axe-core")
    page = open_page(viewport=PHONE)
    _from_demo(page, sign_in, "admin@terreau.coop")
    problems, html = [], {}
    for path in _other_pages(app):
        page.goto(path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{path}: {width}px wide")
        problems += _axe_violations(page)
        html[path] = _html(page, path)
    problems += _vnu_errors(html, tmp_path)
    assert not problems, "\n".join(problems)


def _other_pages(app) -> list[str]:
    from sqlalchemy import select

    from network.extensions import db
    from network.feed.models import Post
    from network.governance.models import Assembly, AssemblyState
    from network.members.models import Member
    from network.skills.models import Skill
    from network.workspaces.models import Booking, Space

    with app.app_context():
        post, skill, space, booking, member = (
            db.session.scalars(select(model.id).order_by(model.id.desc())).first()
            for model in (Post, Skill, Space, Booking, Member)
        )
        convened = db.session.scalar(
            select(Assembly.id).where(Assembly.state == AssemblyState.CONVENED)
        )
    return [
        "/me/profile",
        "/me/settings",
        "/me/skills",
        f"/skills/{skill}",
        "/chat",
        f"/feed/posts/{post}",
        "/notifications/settings",
        "/workspaces/bookings",
        f"/workspaces/spaces/{space}/book",
        f"/workspaces/bookings/{booking}",
        "/workspaces/manage",
        "/workspaces/manage/spaces/new",
        f"/workspaces/manage/spaces/{space}",
        "/assemblies/candidates",
        f"/assemblies/{convened}",  # as its chair: the controls, the attendance to tick
        f"/assemblies/{convened}/room",  # the check-in code shown in the room
        "/assemblies/new",
        "/staff/members",
        f"/staff/members/{member}",
        "/staff/skills",
        "/staff/reports",
        "/admin/settings",
        "/password/forgot",
    ]
