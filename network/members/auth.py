"""Who is asking: session cookies (Flask-Login) and bearer tokens for the API, and the
sign-in both share (with its brute-force throttle)."""

from typing import Any

from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy import select

from network.core import audit, ratelimit
from network.core.errors import TooManyRequests, Unauthorized
from network.core.http import problem
from network.core.ids import parse_id
from network.core.text import fold
from network.extensions import db
from network.members.models import Member


def _bearer(req) -> str | None:
    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip()


def _load_session_member(user_id: str) -> Member | None:
    """`user_id` is "<id>.<session version>": a bumped version ends the session.

    An API request that carries a bearer token is the token's, whatever the cookie says.
    """
    if _bearer(request):
        return None
    raw_id, _, raw_version = user_id.partition(".")
    member_id, version = parse_id(raw_id), parse_id(raw_version)
    if member_id is None or version is None:
        return None
    member = db.session.get(Member, member_id)
    if member is None or not member.is_active or member.session_version != version:
        return None
    return member


def _load_token_member(req) -> Member | None:
    from network.members.operations import member_for_token

    raw = _bearer(req)
    if raw is None:
        return None
    found = member_for_token(raw)
    if found is None:
        return None
    g.api_token = found[1]
    return found[0]


def reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


THROTTLED = _l(
    "Too many failed sign-ins. Please wait a few minutes, or ask for a password reset link: "
    "it always works."
)


def sign_in(email: Any, password: Any) -> Member:
    """The member with these credentials, for the sign-in form and POST /api/v1/auth/token
    alike (one set of counters), or `Unauthorized`, or `TooManyRequests`. Commits the audit
    of a failure; the caller commits a success.

    Failed attempts are counted per address, per (account, address) pair and per account.
    The first two refuse further attempts for a while. The per-account count, spent by
    attempts from many addresses, does not lock the member out: past it, only the addresses
    the member already used (signed in from, or reset the password from) may still try.
    """
    from network.members import operations

    text = email if isinstance(email, str) else ""
    address = request.remote_addr or "-"
    counters = _counters(fold(text)[:254], address)
    refused = next((name for name, limit, keys in counters if ratelimit.spent(limit, keys)), None)
    if refused == "account" and _used_address(text, address):
        refused = None
    if refused:
        member = operations.find_member_by_email(text)
        audit.record(
            db.session, "login_throttled", subject_id=member.id if member else None, by=refused
        )
        db.session.commit()
        raise TooManyRequests(THROTTLED)
    try:
        member = operations.authenticate(email, password)
    except Unauthorized:
        db.session.commit()  # keep the audit of the failed attempt
        for _name, limit, keys in counters:
            ratelimit.count(limit, keys)
        raise
    _name, pair_limit, pair_keys = counters[1]
    ratelimit.forget(pair_limit, pair_keys)  # the member's own typos are forgiven
    return member


def _counters(account: str, address: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, limits, keys) of each count of failed sign-ins, the pair's second."""
    config = current_app.config
    return [
        ("address", config["LOGIN_RATE_LIMIT"], ("login-address", address)),
        ("pair", config["LOGIN_PAIR_RATE_LIMIT"], ("login-pair", account, address)),
        ("account", config["LOGIN_ACCOUNT_RATE_LIMIT"], ("login-account", account)),
    ]


def _used_address(email: str, address: str) -> bool:
    """Whether the member with this e-mail acted from `address` before (the audit log keeps
    the address of every sign-in and password reset)."""
    from network.core.audit import AuditEvent
    from network.members import operations

    member = operations.find_member_by_email(email)
    if member is None:
        return False
    query = select(AuditEvent.id).where(AuditEvent.actor_id == member.id, AuditEvent.ip == address)
    return db.session.scalar(query.limit(1)) is not None


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "members.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_session_member)
    login_manager.request_loader(_load_token_member)

    @login_manager.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            return problem(401, _l("Send a valid token: Authorization: Bearer <token>."))
        return redirect(url_for("members.login", next=request.full_path.rstrip("?")))
