"""HTTP plumbing: security headers and request ids on every answer, bounded JSON decoding,
friendly error pages for browsers and RFC 9457 problems for the API."""

import logging
import re
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, jsonify, render_template, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, DisconnectionError
from werkzeug.exceptions import HTTPException

from network.core.errors import DomainError
from network.core.inputs import loads_json

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000; includeSubDomains"
REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_request_id: ContextVar[str | None] = ContextVar("terreau_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served (None outside requests)."""
    return _request_id.get()


class HttpMiddleware:
    """Around the whole WSGI app (Flask and the Socket.IO polling answers, which never reach
    Flask's `after_request`): a request id, the security headers, and HSTS over TLS.

    `trust_request_id`: a proxy in front sets X-Request-ID (a sane one is kept, so its log
    lines and ours match); otherwise the client's value is ignored and one is made here.
    """

    def __init__(self, app: Callable, *, trust_request_id: bool) -> None:
        self.app = app
        self.trust_request_id = trust_request_id

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        incoming = environ.get("HTTP_X_REQUEST_ID", "") if self.trust_request_id else ""
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        environ["terreau.request_id"] = request_id
        secure = environ.get("wsgi.url_scheme") == "https"

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _value in headers}
            added = {**SECURITY_HEADERS, REQUEST_ID_HEADER: request_id}
            if secure:
                added["Strict-Transport-Security"] = HSTS
            headers.extend((k, v) for k, v in added.items() if k.lower() not in present)
            return start_response(status, headers, exc_info)

        token = _request_id.set(request_id)
        try:
            return self.app(environ, start)
        finally:
            _request_id.reset(token)


def _record_factory(make: Callable) -> Callable:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        record.request_id = _request_id.get() or "-"
        return record

    make_record.terreau = True  # type: ignore[attr-defined]
    return make_record


if not getattr(logging.getLogRecordFactory(), "terreau", False):
    # Every log line can name its request: `%(request_id)s` in the log format.
    logging.setLogRecordFactory(_record_factory(logging.getLogRecordFactory()))


class BoundedJSONProvider(DefaultJSONProvider):
    """Request bodies are decoded by `loads_json`: JSON nested too deeply is malformed JSON
    (a 422 from `json_body`), not a RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_json(s, **kwargs)


def init_http(app: Flask) -> None:
    """Call last in `create_app`, inside any ProxyFix (HSTS reads the forwarded scheme)."""
    app.json = BoundedJSONProvider(app)
    app.wsgi_app = HttpMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, trust_request_id=bool(app.config["PROXY_COUNT"])
    )


def safe_local_path(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default` (never another site: browsers
    drop tabs and read "\\" as "/")."""
    if (
        target
        and target.startswith("/")
        and not any(c <= " " or c == "\\" for c in target)
        and not urlsplit(target).netloc
        and not target.startswith("//")
    ):
        return target
    return default


TITLES = {
    400: _l("Invalid request"),
    401: _l("Please sign in"),
    403: _l("You are not allowed to do this"),
    404: _l("This page or object does not exist"),
    405: _l("This action is not available here"),
    409: _l("This conflicts with the current state"),
    410: _l("This link is no longer valid"),
    413: _l("The file or request is too large"),
    415: _l("This content type is not accepted"),
    422: _l("Some fields are not valid"),
    429: _l("Too many attempts: please wait a moment and try again"),
    500: _l("Something went wrong on our side"),
    503: _l("This service is briefly unavailable"),
}


def wants_problem() -> bool:
    return request.path.startswith("/api/")


def problem(
    status: int,
    detail: Any = None,
    fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
):
    """An `application/problem+json` response with translated title, detail and field errors."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(TITLES.get(status, TITLES[400])),
        "status": status,
    }
    if detail is not None:
        body["detail"] = str(detail)
    if fields:
        body["errors"] = {name: str(message) for name, message in fields.items()}
    if request_id := current_request_id():
        body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.update(headers or {})
    return response


def _respond(
    status: int,
    detail: Any = None,
    fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    plain: bool = False,
):
    """The error as problem+json (API) or a page; `plain`: a page that asks the database
    nothing (the layout reads the cooperative's settings and the member's menu)."""
    if wants_problem():
        return problem(status, detail, fields, headers)
    title = TITLES.get(status, TITLES[400])
    if plain:
        return _plain_page(title, detail), status, headers or {}
    try:
        page = render_template(
            "errors/error.html", status=status, title=title, detail=detail, fields=fields
        )
    except Exception:  # the page itself failed (database down…): answer plainly, still no trace
        log.exception("error page for %s failed", status)
        page = _plain_page(title, detail)
    return page, status, headers or {}


def _plain_page(title: Any, detail: Any) -> str:
    from flask_babel import get_locale

    title, stylesheet = escape(str(title)), url_for("static", filename="css/terreau.css")
    page = (
        f'<!doctype html><html lang="{get_locale()}"><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="stylesheet" href="{stylesheet}">'
        f'<main id="main"><h1>{title}</h1>'
    )
    if detail is not None:
        page += f'<p role="alert">{escape(str(detail))}</p>'
    return page + "</main></html>"


DATABASE_RETRY_AFTER = 5  # seconds


def _unavailable(error: "DBAPIError") -> bool:
    """Whether a database error means "not reachable now" rather than a fault of ours."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    text = str(error.orig).lower()
    return not ("no such table" in text or "no such column" in text or "syntax" in text)


def register_error_handlers(app: Flask, on_forbidden: Any) -> None:
    """`on_forbidden(error)` runs before a 403 answer (it audits the denial)."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        from network.extensions import db

        db.session.rollback()
        if error.status == 403:
            on_forbidden(error)
        headers = {"Retry-After": "60"} if error.status == 429 else None
        return _respond(error.status, error.message, error.fields, headers)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return _respond(
            400,
            _(
                "The form has expired or was not sent from Terreau. "
                "Please reload the page and try again."
            ),
        )

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(error: RateLimitExceeded):
        return _respond(429, headers={"Retry-After": "60"})

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        detail = None if status in TITLES else error.description
        # 405 names the methods the URL takes (`Allow`), 401 its challenge…
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return _respond(status, detail, headers=headers)

    @app.errorhandler(DisconnectionError)
    @app.errorhandler(DBAPIError)
    def _database_unavailable(error: Exception):
        """The database unreachable (restarting, connection lost) or, on SQLite, locked past
        the busy timeout: 503 for this request, and the next one connects again (the pool
        checks its connections before use)."""
        if isinstance(error, DBAPIError) and not _unavailable(error):
            return _unexpected(error)
        from network.extensions import db

        log.warning("database unavailable on %s %s: %s", request.method, request.path, error)
        # Answer as to an anonymous visitor: the signed-in member would be loaded again (the
        # language, the page's menu) from the database that just failed.
        g._login_user = app.login_manager.anonymous_user()  # type: ignore[attr-defined]
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 — the connection is gone: the pool replaces it
            db.session.close()
        detail = _(
            "The database is briefly unavailable: please try again in a few seconds. "
            "Nothing you saved before was lost."
        )
        retry = {"Retry-After": str(DATABASE_RETRY_AFTER)}
        return _respond(503, detail, headers=retry, plain=True)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        from network.extensions import db

        log.exception("unexpected error on %s %s", request.method, request.path)
        db.session.rollback()
        return _respond(500, _("The error was logged; nothing you saved before was lost."))
