"""Configuration classes, read from the environment (dev-only defaults).

`create_app()` picks a class by name (`TERREAU_ENV`: development, testing, production)
unless given one.
"""

import os
from pathlib import Path

DEV_SECRET_KEY = "dev-only-secret-change-me"
PROJECT_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    DATA_DIR = os.environ.get("TERREAU_DATA_DIR", str(PROJECT_DIR / "instance"))
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "")  # default set in create_app
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL connections each process keeps open, and opens beyond them in a burst (then
    # closes): a gevent process serves hundreds of requests at once, and a connection opened
    # anew costs the database a new backend (its caches, its prepared statements).
    DB_POOL_SIZE = _env_int("TERREAU_DB_POOL_SIZE", 20)
    DB_MAX_OVERFLOW = _env_int("TERREAU_DB_MAX_OVERFLOW", 5)
    REDIS_URL = os.environ.get("REDIS_URL", "")
    SOCKETIO_ASYNC_MODE = os.environ.get("TERREAU_ASYNC_MODE", "")  # "" = best available

    # Mail: SMTP when MAIL_SERVER is set, otherwise the outbox folder in DATA_DIR.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Terreau <no-reply@terreau.local>")
    PUBLIC_URL = os.environ.get("TERREAU_PUBLIC_URL", "")  # for links in e-mails sent by the CLI

    INVITATION_TTL_HOURS = _env_int("TERREAU_INVITATION_TTL_HOURS", 7 * 24)
    PASSWORD_RESET_TTL_MINUTES = _env_int("TERREAU_PASSWORD_RESET_TTL_MINUTES", 60)
    API_TOKEN_TTL_DAYS = _env_int("TERREAU_API_TOKEN_TTL_DAYS", 30)

    RATELIMIT_STORAGE_URI = os.environ.get("TERREAU_RATELIMIT_STORAGE", "") or (
        os.environ.get("REDIS_URL") or "swept-memory://"
    )
    RATELIMIT_HEADERS_ENABLED = True
    # Redis unreachable: the decorated routes count in this process's memory until it is back
    # (network/core/ratelimit.py does the same for the counters it keeps itself).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Failed sign-ins (form and API together) per client address, per (account, address)
    # pair, and per account from anywhere: past the last one, only addresses the member
    # already used may still try (slow guessing from many addresses, without a lock-out).
    LOGIN_RATE_LIMIT = os.environ.get("TERREAU_LOGIN_RATE_LIMIT", "10 per minute;60 per hour")
    LOGIN_PAIR_RATE_LIMIT = os.environ.get(
        "TERREAU_LOGIN_PAIR_RATE_LIMIT", "5 per minute;20 per hour"
    )
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("TERREAU_LOGIN_ACCOUNT_RATE_LIMIT", "20 per hour")
    RESET_RATE_LIMIT = os.environ.get("TERREAU_RESET_RATE_LIMIT", "5 per 15 minutes")

    # Uploaded files (network/core/storage.py): "local" keeps them in STORAGE_DIR (default
    # DATA_DIR/uploads; a folder shared by several servers works too), "s3" in a bucket of an
    # S3-compatible store. With STORAGE_SIGNED_URLS, files are answered by a redirection to a
    # signed URL valid STORAGE_URL_SECONDS (after the same permission checks).
    STORAGE = os.environ.get("TERREAU_STORAGE", "local")
    STORAGE_DIR = os.environ.get("TERREAU_STORAGE_DIR", "")
    STORAGE_S3_BUCKET = os.environ.get("TERREAU_S3_BUCKET", "")
    STORAGE_S3_ENDPOINT_URL = os.environ.get("TERREAU_S3_ENDPOINT_URL", "")  # "" = AWS
    STORAGE_S3_REGION = os.environ.get("TERREAU_S3_REGION", "")
    STORAGE_S3_ACCESS_KEY_ID = os.environ.get("TERREAU_S3_ACCESS_KEY_ID", "")
    STORAGE_S3_SECRET_ACCESS_KEY = os.environ.get("TERREAU_S3_SECRET_ACCESS_KEY", "")
    STORAGE_S3_PREFIX = os.environ.get("TERREAU_S3_PREFIX", "")
    STORAGE_SIGNED_URLS = _env_bool("TERREAU_STORAGE_SIGNED_URLS", False)
    STORAGE_URL_SECONDS = _env_int("TERREAU_STORAGE_URL_SECONDS", 300)
    # On S3, signed URLs are the store's own (presigned: the bytes never touch the app);
    # off, the app signs them and streams (a store the browsers cannot reach).
    STORAGE_S3_PRESIGNED = _env_bool("TERREAU_S3_PRESIGNED", True)

    MAX_CONTENT_LENGTH = _env_int("TERREAU_MAX_UPLOAD_BYTES", 8 * 1024 * 1024)
    IMAGE_MAX_PIXELS = _env_int("TERREAU_IMAGE_MAX_PIXELS", 24_000_000)
    IMAGE_MAX_SIDE = 1600

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    PAGE_SIZE = 30
    FACETS_CACHE_SECONDS = _env_int("TERREAU_FACETS_CACHE_SECONDS", 60)
    # With several processes (REDIS_URL), each keeps the cooperative's settings this long (a
    # change it writes itself is seen at once; one written by another server within this
    # delay). One process keeps them until their row changes.
    SETTINGS_CACHE_SECONDS = float(os.environ.get("TERREAU_SETTINGS_CACHE_SECONDS", "1"))
    # The service desk's dashboard (two years of requests) is computed at most this often.
    DESK_DASHBOARD_CACHE_SECONDS = _env_int("TERREAU_DESK_DASHBOARD_CACHE_SECONDS", 60)
    # Index writes wait this long in the writer process to go together (None: at once, in
    # the committing process).
    SEARCH_WRITE_DELAY: float | None = 0.5
    # "whoosh" (an embedded index in DATA_DIR) or "postgres" (the database's full-text
    # search); unset: "postgres" on a PostgreSQL database, "whoosh" otherwise.
    SEARCH_BACKEND = os.environ.get("TERREAU_SEARCH_BACKEND") or None
    # Live chat events that follow another within this many ms go out together (0: at once).
    LIVE_BURST_MS = _env_int("TERREAU_LIVE_BURST_MS", 50)
    # A decision's live tally is counted and sent at most once per this many ms (0: after
    # every vote).
    TALLY_WINDOW_MS = _env_int("TERREAU_TALLY_WINDOW_MS", 250)
    # How often a serving process checks that its live events travel through Redis.
    LIVE_CHECK_SECONDS = float(os.environ.get("TERREAU_LIVE_CHECK_SECONDS", "1"))
    # A process's connected members stop counting as online this long after its last
    # heartbeat (a process that died); it beats three times as often.
    SOCKET_LEASE_SECONDS = float(os.environ.get("TERREAU_SOCKET_LEASE_SECONDS", "30"))
    PROXY_COUNT = _env_int("TERREAU_PROXY_COUNT", 0)  # reverse proxies in front (X-Forwarded-*)
    MAIL_ASYNC = True  # send after commit in a background thread, not in the request
    PASSWORD_HASH_METHOD = "scrypt"


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    RATELIMIT_STORAGE_URI = "swept-memory://"
    SERVER_NAME = None
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast for tests; scrypt everywhere else
    MAIL_ASYNC = False  # tests read the outbox right after the request
    FACETS_CACHE_SECONDS = 0  # tests change members and count them again at once
    DESK_DASHBOARD_CACHE_SECONDS = 0  # tests change requests and chart them again at once
    SETTINGS_CACHE_SECONDS = 0  # tests of several processes change the row behind their back
    SEARCH_WRITE_DELAY = None  # tests search right after a write (the writer process: its test)
    # Whoosh unless asked: tests/search runs its suite on both backends on PostgreSQL.
    SEARCH_BACKEND = os.environ.get("TERREAU_SEARCH_BACKEND", "whoosh")
    LIVE_BURST_MS = 0  # tests read live events right after the action (the bursts: their test)
    TALLY_WINDOW_MS = 0
    # Tests never patch the standard library for gevent; an app made by a test re-binds the
    # shared Socket.IO extension, whose background tasks must then still run.
    SOCKETIO_ASYNC_MODE = "threading"
    LOGIN_RATE_LIMIT = "1000 per minute"
    LOGIN_PAIR_RATE_LIMIT = "1000 per minute"
    LOGIN_ACCOUNT_RATE_LIMIT = "1000 per minute"
    RESET_RATE_LIMIT = "1000 per minute"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("TERREAU_SECURE_COOKIES", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS.get(os.environ.get("TERREAU_ENV", "development"), DevelopmentConfig)
