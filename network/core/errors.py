"""Domain errors raised by operations; the boundary turns them into pages or problems.

Messages are lazy translatable strings so they are rendered in the viewer's language.
"""

from typing import Any

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    title = _l("Invalid request")

    def __init__(self, message: Any = None, *, fields: dict[str, Any] | None = None):
        self.message = message if message is not None else self.title
        self.fields = fields or {}
        super().__init__(str(self.message))


class Invalid(DomainError):
    status = 422
    title = _l("Some fields are not valid")


class Forbidden(DomainError):
    status = 403
    title = _l("You are not allowed to do this")


class NotFound(DomainError):
    status = 404
    title = _l("This page or object does not exist")


class Conflict(DomainError):
    status = 409
    title = _l("This conflicts with the current state")


class Unauthorized(DomainError):
    status = 401
    title = _l("Please sign in")


class Gone(DomainError):
    status = 410
    title = _l("This link is no longer valid")


class TooManyRequests(DomainError):
    status = 429
    title = _l("Too many requests")
