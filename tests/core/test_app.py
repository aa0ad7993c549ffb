import re

import pytest

from config import ProductionConfig, TestingConfig
from network import create_app
from network.core.markup import render_markdown


def test_pages_carry_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_http_only_and_same_site(client, make_member):
    from tests.conftest import PASSWORD, form_post

    member = make_member()
    response = form_post(client, "/login", {"email": member.email, "password": PASSWORD})
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_the_default_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            ProductionConfig,
            DATA_DIR=str(tmp_path),
            SECRET_KEY="dev-only-secret-change-me",
            SOCKETIO_ASYNC_MODE="threading",  # the shared extension: see TestingConfig
        )


def test_production_starts_with_a_real_secret_and_secure_cookies(tmp_path):
    app = create_app(
        ProductionConfig,
        DATA_DIR=str(tmp_path),
        SECRET_KEY="x" * 40,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite3'}",
        SOCKETIO_ASYNC_MODE="threading",  # the shared extension: see TestingConfig
    )
    assert app.debug is False
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_unknown_pages_are_friendly_404s_in_both_languages(client):
    french = client.get("/nowhere", headers={"Accept-Language": "fr"})
    english = client.get("/nowhere", headers={"Accept-Language": "en"})
    assert french.status_code == english.status_code == 404
    assert "Cette page ou cet objet n’existe pas" in french.get_data(as_text=True)
    assert "This page or object does not exist" in english.get_data(as_text=True)
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_wrong_method_is_405_not_500(client):
    assert client.put("/login").status_code == 405


@pytest.mark.parametrize(
    "source, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", "javascript:"),
        ('<a href="https://ok.example" onmouseover="x()">a</a>', "onmouseover"),
        ("<svg><circle/></svg>", "<svg"),
        ("<iframe src=https://evil.example></iframe>", "<iframe"),
        ("<style>body{}</style>", "<style"),
        ('<form action="/x"><input></form>', "<form"),
        ("[x](data:text/html,<script>alert(1)</script>)", "data:"),
        ("[x](vbscript:msgbox)", "vbscript:"),
    ],
)
def test_markdown_is_sanitised(source, forbidden):
    assert forbidden not in render_markdown(source)


def test_markdown_keeps_useful_formatting():
    html = render_markdown("**gras** et [lien](https://example.org)\n\n- un\n- deux")
    assert "<strong>gras</strong>" in html and "<li>un</li>" in html
    assert 'href="https://example.org"' in html and 'rel="nofollow noopener noreferrer"' in html


def test_one_text_leaves_nothing_behind_for_the_next():
    """Converters are reused: a text's abbreviations and footnotes stay in that text."""
    first = render_markdown(
        "La CAE aide.\n\n*[CAE]: Coopérative d'activité et d'emploi\n\nNote[^1]\n\n[^1]: Ici."
    )
    assert "<abbr" in first and "Ici." in first
    second = render_markdown("La CAE encore.")
    assert "<abbr" not in second and "Ici." not in second and "footnote" not in second


def test_unexpected_errors_are_a_friendly_500_without_traceback(tmp_path):
    app = create_app(
        TestingConfig,
        DATA_DIR=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'e.sqlite3'}",
    )

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/boom-for-test", headers={"Accept-Language": "en"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "kaboom" not in body and "Traceback" not in body
    assert "nothing you saved before was lost" in body


@pytest.mark.parametrize(
    ("cause", "status"),
    [("database is locked", 503), ("connection refused", 503), ("no such table: nope", 500)],
)
def test_a_database_out_of_reach_is_a_503_with_retry_after(tmp_path, cause, status):
    """Unreachable or locked: 503, "try again", Retry-After (the restart itself is tested with
    a real server in tests/faults); an error in our own SQL stays a 500."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    app = create_app(
        TestingConfig,
        DATA_DIR=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'e.sqlite3'}",
    )

    def fail():
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError(cause))

    app.get("/database-for-test")(fail)
    app.get("/api/v1/database-for-test", endpoint="api_fail")(fail)
    client = app.test_client()
    page = client.get("/database-for-test", headers={"Accept-Language": "en"})
    api = client.get("/api/v1/database-for-test", headers={"Accept-Language": "en"})
    assert page.status_code == api.status_code == status
    assert "Traceback" not in page.get_data(as_text=True) + api.get_data(as_text=True)
    if status == 503:
        assert page.headers["Retry-After"] == api.headers["Retry-After"] == "5"
        assert "The database is briefly unavailable" in page.get_data(as_text=True)
        assert api.mimetype == "application/problem+json"
        assert api.get_json()["detail"].startswith("The database is briefly unavailable")


def test_plain_text_is_rendered_as_markdown_would():
    """Plain one-line texts skip the converter: the HTML is the converter's, character for
    character, also for texts that are almost plain."""
    import random

    from network.core import markup

    def converted(text: str) -> str:
        original = markup._PLAIN
        markup._PLAIN = re.compile(r"(?!)")  # matches nothing: always convert
        try:
            return render_markdown(text)
        finally:
            markup._PLAIN = original

    plain_ones = "aàZéß9 .,;:?!'’\"«»@%/°€$()-"
    alphabet = plain_ones + "_*#[]<>&\\\n\t|~`=+{}^\u00a0\u202f"
    rng = random.Random(11)
    texts = [
        "Bonjour à tous, le point de 10 h est déplacé à 11 h.",
        "Qui vient au café des entrepreneurs vendredi ?",
        "Le nouveau modèle est en ligne : https://example.org/modele",
        "Merci @Camille (et @Anne-Sophie) !",
        "- un",
        "1. un",
        "a  ",
        "Été 2026 -- 30 % de plus",
        "a *b* c",
        "a __b__ c",
        "a `b` c",
        "a [b](https://example.org) c",
        "a <b> c & d",
        "a\u00a0b",
        "a\\*b*",
        "a ~~b~~ c",
        "a | b",
    ]
    for n in range(6000):
        letters = plain_ones if n % 3 else alphabet
        text = [rng.choice(letters) for _ in range(rng.randint(1, 12))]
        if n % 3 == 2:  # almost plain: one or two other characters in it
            for _ in range(rng.randint(1, 2)):
                text.insert(rng.randint(0, len(text)), rng.choice(alphabet[len(plain_ones) :]))
        texts.append("".join(text))
    plain = 0
    for text in texts:
        plain += bool(markup._PLAIN.fullmatch(text))
        assert render_markdown(text) == converted(text), text
    assert plain > 50  # the fast path was tried
