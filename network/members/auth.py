"""Who is asking: session cookies (Flask-Login) and bearer tokens for the API."""

from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

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


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def login_email_key() -> str:
    """Rate-limit key for the account being signed in to (form or JSON body)."""
    data = request.form if request.form else (request.get_json(silent=True) or {})
    email = data.get("email") if isinstance(data, dict) or hasattr(data, "get") else None
    return "login-account:" + fold(email if isinstance(email, str) else "")[:254]


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
