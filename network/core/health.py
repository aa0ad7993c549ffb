"""Health endpoints for load balancers and process supervisors, open to anyone and never
rate-limited: `/healthz` says the process answers (it reads nothing), `/readyz` that it can
serve (the database, Redis when configured, and the modules' checks: search), with 200 or
503 and the state of each check in JSON."""

import logging

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from network.core.registries import READINESS_CHECKS
from network.extensions import db, limiter

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
REDIS_TIMEOUT = 2  # seconds: a load balancer's probe must not hang on a dead Redis


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = {"database": _check(_database)}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _check(_redis)
    for name, check in READINESS_CHECKS.items():
        checks[name] = _check(check)
    ready = all(state == "ok" for state in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _check(check) -> str:
    """ "ok", or the reason the check gives (an exception's class: no connection strings)."""
    try:
        problem = check()
    except Exception as error:
        log.warning("readiness check %s failed: %r", getattr(check, "__name__", check), error)
        return f"failed: {type(error).__name__}"
    return "ok" if problem is None else problem


def _database() -> None:
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.remove()


def _redis() -> None:
    url = current_app.config["REDIS_URL"]
    clients = current_app.extensions.setdefault("terreau_health_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
    clients[url].ping()
