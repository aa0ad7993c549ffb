"""Terreau: the internal network of a Coopérative d'Activité et d'Emploi."""

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, redirect, request, session, url_for
from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DEV_SECRET_KEY, Config, config_from_env
from network.core.ids import BoundedIntConverter

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
        instance_relative_config=False,
    )
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.from_object(config or config_from_env())
    app.config.update(overrides)
    _prepare_config(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    _register_cli(app)
    if app.config["PROXY_COUNT"]:
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app


def _prepare_config(app: Flask) -> None:
    data_dir = Path(app.config["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{data_dir / 'terreau.sqlite3'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri.removeprefix("postgres://")
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 5}}
    else:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_DIR / "network" / "translations")
    if app.config["ENV_NAME"] == "production":
        if app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
            raise RuntimeError("Refusing to start in production with the default SECRET_KEY.")
        app.debug = False
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _init_extensions(app: Flask) -> None:
    from network.chat.events import register_chat_handlers
    from network.chat.presence import init_presence
    from network.core.bursts import init_bursts
    from network.core.database import configure_engine
    from network.core.realtime import init_registry
    from network.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
    from network.members.auth import init_login
    from network.members.events import register_socket_handlers
    from network.search.indexing import init_search
    from network.workspaces.events import register_workspaces_handlers

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    init_login(app, login_manager)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"] or None,
        message_queue=app.config["REDIS_URL"] or None,
        manage_session=False,
    )
    init_registry(app)
    init_bursts(app)
    init_presence(app)
    init_search(app)
    register_socket_handlers()
    register_chat_handlers()
    register_workspaces_handlers()
    with app.app_context():
        configure_engine(db.engine)


def _select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or "fr"


def _select_timezone() -> str:
    from network.cooperative import current_settings

    return current_settings().timezone


def _register_blueprints(app: Flask) -> None:
    import network.chat.feedable  # noqa: F401  (what each module brings to the feed)
    import network.chat.searchable  # noqa: F401
    import network.feed.events  # noqa: F401
    import network.feed.feedable  # noqa: F401
    import network.feed.staff_lists  # noqa: F401  (the staff home's follow-up lists)
    import network.members.feedable  # noqa: F401
    import network.members.searchable  # noqa: F401  (what each module indexes)
    import network.members.staff_lists  # noqa: F401
    import network.skills.feedable  # noqa: F401
    import network.skills.searchable  # noqa: F401
    from network.api import bp as api_bp
    from network.chat.views import bp as chat_bp
    from network.cooperative.views import bp as cooperative_bp
    from network.core.images import bp as uploads_bp
    from network.extensions import csrf
    from network.feed.views import bp as feed_bp
    from network.members.staff_views import bp as staff_bp
    from network.members.views import bp as members_bp
    from network.search.views import bp as search_bp
    from network.skills.views import bp as skills_bp
    from network.workspaces.views import bp as workspaces_bp

    blueprints = (
        uploads_bp,
        members_bp,
        staff_bp,
        skills_bp,
        chat_bp,
        feed_bp,
        search_bp,
        cooperative_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.register_blueprint(workspaces_bp)
    csrf.exempt(api_bp)  # the API checks CSRF itself for cookie sessions (network.api)
    app.register_blueprint(api_bp)


def _register_hooks(app: Flask) -> None:
    from network.cooperative import current_settings
    from network.core import audit
    from network.core.database import give_writer_turn, set_write_intent, take_writer_turn
    from network.core.http import register_error_handlers
    from network.core.images import image_url
    from network.core.inputs import check_request_text
    from network.core.permissions import is_admin, is_staff
    from network.extensions import db
    from network.members.models import OPEN_TO_LABELS, ROLE_LABELS, STAGE_LABELS, STATUS_LABELS

    @app.before_request
    def _prepare_request() -> None:
        writes = request.method not in SAFE_METHODS
        set_write_intent(writes)
        # On the request, not on `g`: a socket handler run inside this request shares `g`.
        request.environ["terreau.writer_turn"] = writes and take_writer_turn(db.engine)
        audit.set_request_ip(request.remote_addr)
        check_request_text(request)

    @app.teardown_request
    def _end_writer_turn(_exc) -> None:
        if request.environ.pop("terreau.writer_turn", False):
            db.session.remove()  # the transaction ends before another writer may begin
            give_writer_turn()

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    def _audit_denial(error) -> None:
        actor = current_user.id if getattr(current_user, "is_authenticated", False) else None
        audit.record(
            db.session,
            "permission_denied",
            actor_id=actor,
            path=request.path,
            method=request.method,
        )
        db.session.commit()

    register_error_handlers(app, _audit_denial)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {
            "settings": current_settings(),
            "is_staff": is_staff(current_user) if current_user else False,
            "is_admin": is_admin(current_user) if current_user else False,
            "image_url": image_url,
            "STATUS_LABELS": STATUS_LABELS,
            "ROLE_LABELS": ROLE_LABELS,
            "STAGE_LABELS": STAGE_LABELS,
            "OPEN_TO_LABELS": OPEN_TO_LABELS,
            "current_locale": _select_locale(),
        }

    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        _datetime_text(value, fmt, str(get_locale()), str(get_timezone())) if value else ""
    )

    @app.get("/favicon.ico")
    def _favicon():
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.teardown_appcontext
    def _forget_request_state(_exc) -> None:
        g.pop("terreau_settings", None)


@lru_cache(maxsize=8192)
def _datetime_text(value: Any, fmt: str, locale: str, timezone: str) -> str:
    """A date and time for the reader, remembered: pages show the same recent ones often."""
    return format_datetime(value, fmt)


def _register_cli(app: Flask) -> None:
    from network.feed.cli import notifications_cli
    from network.members.cli import members_cli, seed_demo_command
    from network.search.cli import search_cli
    from network.workspaces.cli import workspaces_cli

    app.cli.add_command(members_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(workspaces_cli)
    app.cli.add_command(seed_demo_command)
