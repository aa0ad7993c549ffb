"""Engine set-up: SQLite pragmas and write transactions that take the lock up front.

On SQLite a read-then-write transaction opened with a plain BEGIN fails under concurrent
writers even with a busy timeout; BEGIN IMMEDIATE does not. Boundaries declare their intent
with `write_intent`; reads keep a deferred BEGIN so they never wait for writers (WAL).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event

_write_intent: ContextVar[bool] = ContextVar("terreau_write_intent", default=True)


def set_write_intent(value: bool) -> None:
    _write_intent.set(value)


@contextmanager
def write_intent(value: bool = True) -> Iterator[None]:
    token = _write_intent.set(value)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=5000",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
