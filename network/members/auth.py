"""Who is asking: session cookies (Flask-Login) and bearer tokens for the API."""

from flask import Flask, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from network.core.http import problem
from network.extensions import db
from network.members.models import Member


def _load_session_member(user_id: str) -> Member | None:
    """`user_id` is "<id>.<session version>": a bumped version ends the session."""
    member_id, _, version = user_id.partition(".")
    if not member_id.isdigit() or not version.isdigit():
        return None
    member = db.session.get(Member, int(member_id))
    if member is None or not member.is_active or member.session_version != int(version):
        return None
    return member


def _load_token_member(req) -> Member | None:
    from network.members.operations import member_for_token

    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.startswith("Bearer "):
        return None
    found = member_for_token(header.removeprefix("Bearer ").strip())
    if found is None:
        return None
    g.api_token = found[1]
    return found[0]


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
