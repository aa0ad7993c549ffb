"""Browser end-to-end fixtures: the test app served on a real port, driven by Debian's chromium.

Every test in this folder carries the `browser` mark. Without /usr/bin/chromium the tests are
skipped, except in CI (CI=true or 1) where a missing chromium fails the run.

The live server shares the session `app` (and so its database) with the test: factories such
as `make_member` commit before the browser acts, and the autouse `db` fixture empties the tables
after each test, once the page is closed.
"""

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
HERE = Path(__file__).resolve().parent
LOCALE = "fr-FR"
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if Path(item.path).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if IN_CI:
        pytest.fail(
            f"Chromium is required in CI for the browser tests, but {CHROMIUM} is "
            "missing (install Debian's chromium package).",
            pytrace=False,
        )
    pytest.skip(f"{CHROMIUM} is missing: browser tests skipped")


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The session app served by werkzeug in a daemon thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium_browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def console_errors() -> list[str]:
    """Console messages of type "error" and uncaught page errors, from every page of the test.

    CSP violations, failed resource loads and script exceptions land here; tests assert it
    stays empty.
    """
    return []


def _restore_real_socket_sends() -> None:
    """Undo what Flask-SocketIO's test client patches on the shared server for good.

    The test client replaces the server's packet senders (real connections then receive
    nothing) and makes handlers synchronous; a browser needs the real ones.
    """
    from network.extensions import socketio

    server = socketio.server
    for patched in ("_send_packet", "_send_eio_packet"):
        vars(server).pop(patched, None)
    server.async_handlers = server.eio.async_handlers = True


@pytest.fixture
def new_browser_page(app, chromium_browser, live_server, console_errors) -> Iterator[Callable]:
    """Open a page in a fresh, cookie-less context (another person); all closed afterwards."""
    _restore_real_socket_sends()
    contexts = []

    def open_page():
        context = chromium_browser.new_context(locale=LOCALE, base_url=live_server)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: _record_console(console_errors, page, message))
        page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    _forget_browser_connections(app)


def _forget_browser_connections(app) -> None:
    """The closed pages' connections, which the server may notice only at its next ping:
    the members' ids are reused by the next tests, whose presence they would falsify."""
    from network.chat.presence import init_presence
    from network.core import realtime

    realtime._members_by_sid.clear()
    realtime.init_registry(app)
    init_presence(app)


def _record_console(errors: list[str], page, message) -> None:
    if message.type != "error":
        return
    source = message.location.get("url", "")
    errors.append(f"{page.url}: {message.text} ({source or 'no source'})")


@pytest.fixture
def browser_page(new_browser_page):
    """A page in its own context (locale fr-FR, base URL of the live server)."""
    return new_browser_page()


@pytest.fixture
def sign_in(live_server):
    """Sign `email` in through the login form of `page`; waits until the login page is left."""
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    def do_sign_in(page, email: str, password: str = PASSWORD) -> None:
        page.goto("/login")
        page.locator("input[name=email]").fill(email)
        page.locator("input[name=password]").fill(password)
        page.locator("main form button[type=submit]").click()
        expect(page).not_to_have_url(f"{live_server}/login")
        expect(page.locator("header .account-link")).to_have_count(1)  # behind the menu on a phone

    return do_sign_in
