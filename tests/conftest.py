"""Shared fixtures: one app and schema per run (built by the migrations), a clean database
per test, clients, logins and factories that go through the operations.

Backends: SQLite in a temporary folder by default; PostgreSQL when TERREAU_TEST_BACKEND is
"postgresql" (TEST_DATABASE_URL). In CI (CI=true) a missing required service fails the run.
"""

import email
import os
import re
import shutil
import threading
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from config import TestingConfig
from network import create_app
from network.cooperative.settings import forget_kept_settings
from network.extensions import db as _db
from network.extensions import limiter


def paris_today() -> date:
    """The demo cooperative's today (its time zone is Europe/Paris)."""
    return datetime.now(ZoneInfo("Europe/Paris")).date()


IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "correct horse battery"


def in_threads(work, count: int) -> list[BaseException]:
    """Run `work(index)` in `count` threads at once; what they raised."""
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as error:  # noqa: BLE001 — given back to the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _database_url(tmp_root: Path) -> str:
    if os.environ.get("TERREAU_TEST_BACKEND") == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.exit("TERREAU_TEST_BACKEND=postgresql needs TEST_DATABASE_URL", returncode=2)
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_root / 'test.sqlite3'}"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as error:  # noqa: BLE001 — reported as a clear failure below
        pytest.exit(f"PostgreSQL is required here but unreachable: {error}", returncode=2)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("terreau")
    application = create_app(
        TestingConfig,
        DATA_DIR=str(root / "data"),
        SQLALCHEMY_DATABASE_URI=_database_url(root),
        SOCKETIO_ASYNC_MODE="threading",
    )
    with application.app_context():
        upgrade()
    return application


def _wait_for_index_writers() -> None:
    """Let index writes buffered behind a lock land before the index folder goes."""
    from whoosh.writing import AsyncWriter

    for thread in threading.enumerate():
        if isinstance(thread, AsyncWriter):
            thread.join(timeout=10)


@pytest.fixture(autouse=True)
def db(app):
    """The database, emptied after each test (the schema stays).

    No application context stays pushed during the test: Flask would reuse it for every
    request, sharing `g` between requests. Query inside `with app.app_context():`.
    """
    yield _db
    _wait_for_index_writers()
    with app.app_context():
        _db.session.remove()
        forget_kept_settings()  # the rows go below without the ORM (no change seen)
        search_backend = app.extensions["terreau_search"]
        search_backend.forget()
        if hasattr(search_backend, "folder"):  # Whoosh (PostgreSQL's table is emptied below)
            shutil.rmtree(search_backend.folder, ignore_errors=True)
        tables = [t for t in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(t.name for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
    limiter.reset()


@pytest.fixture
def search_index(app):
    """An empty, live search index: later writes are indexed as they commit."""
    from network.search.indexing import rebuild

    with app.app_context():
        rebuild()
    return app.extensions["terreau_search"]


@pytest.fixture
def queries_of(app, client):
    """queries_of(url) → (number of SQL statements, page text) of a GET answering 200."""
    from sqlalchemy import event

    def run(url, c=None):
        statements = []
        with app.app_context():
            engine = _db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = (c or client).get(url, headers={"Accept-Language": "en"})
            assert response.status_code == 200, url
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements), response.get_data(as_text=True)

    return run


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_member(app):
    from network.members import operations

    counter = iter(range(1, 10_000))

    def make(**fields):
        """A committed member, detached from any session (its columns stay readable)."""
        n = next(counter)
        data = {
            "email": f"member{n}@example.org",
            "display_name": f"Member {n}",
            "status": "employee_entrepreneur",
            "role": "member",
            "password": PASSWORD,
        }
        profile = {k: fields.pop(k) for k in list(fields) if k not in data and k != "joined_on"}
        data.update(fields)
        with app.test_request_context():
            member = operations.create_member(**data)
            if profile:
                operations.update_profile(member, member, profile)
            _db.session.commit()
            _db.session.refresh(member)
            _db.session.expunge(member)
        return member

    return make


def csrf_token(client, path="/login") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def form_post(client, path, data=None, page="/login", **kwargs):
    """POST a form with the page's CSRF token, like a browser would."""
    payload = {"csrf_token": csrf_token(client, page), **(data or {})}
    return client.post(path, data=payload, **kwargs)


@pytest.fixture
def login(client):
    def do_login(member, password=PASSWORD, c=None):
        c = c or client
        response = form_post(c, "/login", {"email": member.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return c

    return do_login


@pytest.fixture
def token_for(client):
    def make_token(member, password=PASSWORD):
        response = client.post(
            "/api/v1/auth/token", json={"email": member.email, "password": password}
        )
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return make_token


@pytest.fixture
def member_api(app, make_member, token_for):
    """member_api(**fields) → (member, headers) of a new member with a bearer token (the
    answers in English)."""

    def make(**fields):
        member = make_member(**fields)
        return member, {**token_for(member), "Accept-Language": "en"}

    return make


@pytest.fixture
def outbox(app):
    """Messages written to the mail outbox, oldest first."""
    folder = Path(app.config["DATA_DIR"]) / "outbox"

    def read():
        if not folder.exists():
            return []
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]

    for old in folder.glob("*.eml") if folder.exists() else []:
        old.unlink()
    return read


def link_in(message, pattern=r"http://\S+") -> str:
    body = message.get_payload(decode=True).decode()
    match = re.search(pattern, body)
    assert match, body
    return match.group(0)
