"""/api/v1: token auth, problem responses, the OpenAPI document; modules add their routes
from their own `init_app` (importing their `api` file), before this one registers the
blueprint."""

from flask import Flask

from network.api import openapi  # noqa: F401  (registers /openapi.json)
from network.api.core import bp, doc, json_body, query_param


def init_app(app: Flask) -> None:
    from network.extensions import csrf

    csrf.exempt(bp)  # the API checks CSRF itself for cookie sessions (network.api.core)
    app.register_blueprint(bp)


__all__ = ["bp", "doc", "init_app", "json_body", "query_param"]
