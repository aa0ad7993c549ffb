"""Error responses: friendly pages for browsers, RFC 9457 problems for the API."""

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from network.core.errors import DomainError

log = logging.getLogger(__name__)

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
):
    if wants_problem():
        return problem(status, detail, fields, headers)
    title = TITLES.get(status, TITLES[400])
    try:
        page = render_template(
            "errors/error.html", status=status, title=title, detail=detail, fields=fields
        )
    except Exception:  # the page itself failed (database down…): answer plainly, still no trace
        log.exception("error page for %s failed", status)
        page = f"<!doctype html><title>{escape(str(title))}</title><h1>{escape(str(title))}</h1>"
        if detail is not None:
            page += f"<p>{escape(str(detail))}</p>"
    return page, status, headers or {}


def register_error_handlers(app: Flask, on_forbidden: Any) -> None:
    """`on_forbidden(error)` runs before a 403 answer (it audits the denial)."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        from network.extensions import db

        db.session.rollback()
        if error.status == 403:
            on_forbidden(error)
        return _respond(error.status, error.message, error.fields)

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
        return _respond(status, detail)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        from network.extensions import db

        log.exception("unexpected error on %s %s", request.method, request.path)
        db.session.rollback()
        return _respond(500, _("The error was logged; nothing you saved before was lost."))
