"""The OpenAPI 3.1 document, built from the registered routes and their `doc` entries."""

import re

from flask import current_app, jsonify

from network.api.core import OPERATIONS, bp, doc
from network.core.http import TITLES

PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        "request_id": {
            "type": "string",
            "description": "Also in the X-Request-ID header and the server's log lines.",
        },
    },
    "required": ["title", "status"],
}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def build_document() -> dict:
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint not in OPERATIONS:
            continue
        operation = dict(OPERATIONS[rule.endpoint])
        path_params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
            for name in rule.arguments
        ]
        if path_params:
            operation["parameters"] = path_params + operation.get("parameters", [])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(_openapi_path(rule.rule), {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Terreau API",
            "version": "1",
            "description": "The JSON API of Terreau, the network of a CAE.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Problem": PROBLEM_SCHEMA},
            "responses": {
                f"Problem{code}": {
                    "description": str(title),
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                }
                for code, title in TITLES.items()
            },
        },
    }


@bp.get("/openapi.json")
@doc("This document", public=True, response={"type": "object"})
def openapi():
    return jsonify(build_document())
