"""Terreau: the internal network of a Coopérative d'Activité et d'Emploi."""

import logging
from datetime import date, datetime
from functools import lru_cache
from importlib import import_module
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, redirect, request, session, url_for
from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_login import current_user
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DEV_SECRET_KEY, Config, config_from_env
from network.core.client_ids import form_client_id, new_client_id
from network.core.events import run_last_writes_last
from network.core.http import init_http
from network.core.ids import BoundedIntConverter

PROJECT_DIR = Path(__file__).resolve().parent.parent
#: The feature modules, in the order they plug in; `api` last (it registers the routes the
#: others added to its blueprint).
MODULES = (
    "cooperative",
    "members",
    "skills",
    "chat",
    "feed",
    "workspaces",
    "governance",
    "services",
    "mutual_aid",
    "privacy",
    "search",
    "audit",
    "api",
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


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
    _init_modules(app)
    run_last_writes_last()  # after the modules' own work at commit
    _register_hooks(app)
    init_http(app)  # security headers, request ids, bounded JSON: around Socket.IO too
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
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_size": app.config["DB_POOL_SIZE"],
            "max_overflow": app.config["DB_MAX_OVERFLOW"],
        }
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_DIR / "network" / "translations")
    if app.config["ENV_NAME"] == "production":
        if app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
            raise RuntimeError("Refusing to start in production with the default SECRET_KEY.")
        app.debug = False
    from network.core.storage import init_storage

    init_storage(app)  # here: a wrong storage setting stops the start before anything is bound
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _init_extensions(app: Flask) -> None:
    from network.core.bursts import init_bursts
    from network.core.database import configure_engine
    from network.core.inputs import guard_socket_packets
    from network.core.livequeue import (
        init_live_watch,
        register_live_status_handler,
        socketio_options,
    )
    from network.core.realtime import init_registry
    from network.extensions import babel, csrf, db, limiter, migrate, socketio

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"] or None,
        message_queue=app.config["REDIS_URL"] or None,
        manage_session=False,
        **socketio_options(app),
    )
    register_live_status_handler()
    init_live_watch(app)
    guard_socket_packets(socketio.server)
    init_registry(app)
    init_bursts(app)
    with app.app_context():
        configure_engine(db.engine)


def _init_modules(app: Flask) -> None:
    """Each module plugs in through its `init_app`: blueprints, API routes, socket handlers,
    CLI commands, navigation and its contributions to the registries of the kernel."""
    from network.core.backup import init_backup
    from network.core.health import bp as health_bp
    from network.core.images import bp as uploads_bp

    init_backup(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(uploads_bp)
    for name in MODULES:
        import_module(f"network.{name}").init_app(app)


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


def _register_hooks(app: Flask) -> None:
    from network.cooperative import current_settings
    from network.core import audit
    from network.core.database import give_writer_turn, set_write_intent, take_writer_turn
    from network.core.http import register_error_handlers
    from network.core.images import image_url
    from network.core.inputs import check_request_text
    from network.core.livequeue import live_updates_ok
    from network.core.money import format_money
    from network.core.permissions import is_admin, is_staff
    from network.core.registries import nav_items_for
    from network.extensions import db

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
            "nav_items": nav_items_for(current_user) if current_user else [],
            "header_counts": _header_counts,
            "current_locale": _select_locale(),
            "live_interrupted": not live_updates_ok(),
        }

    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    app.jinja_env.filters["money"] = lambda value: format_money(value) if value is not None else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        _datetime_text(value, fmt, str(get_locale()), str(get_timezone())) if value else ""
    )
    app.jinja_env.filters["machine_time"] = machine_time
    app.jinja_env.globals["new_client_id"] = new_client_id  # a form's hidden client_id
    app.jinja_env.globals["form_client_id"] = form_client_id

    @app.get("/favicon.ico")
    def _favicon():
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.teardown_appcontext
    def _forget_request_state(_exc) -> None:
        g.pop("terreau_settings", None)


def _header_counts() -> dict[str, int]:
    """The header's badges for the signed-in member, all in one statement, once a request."""
    from network.core.registries import HEADER_COUNTS
    from network.extensions import db

    if "terreau_header_counts" not in g:
        counts = dict.fromkeys(HEADER_COUNTS, 0)
        if getattr(current_user, "is_authenticated", False) and counts:
            member_id = current_user.id
            columns = [count(member_id).label(name) for name, count in HEADER_COUNTS.items()]
            counts = dict(db.session.execute(select(*columns)).one()._mapping)
        g.terreau_header_counts = counts
    return g.terreau_header_counts


@lru_cache(maxsize=8192)
def _datetime_text(value: Any, fmt: str, locale: str, timezone: str) -> str:
    """A date and time for the reader, remembered: pages show the same recent ones often."""
    return format_datetime(value, fmt)


def machine_time(value: date | datetime) -> str:
    """The `datetime` attribute of a <time>: HTML allows at most 3 fractional digits."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    return value.isoformat()
