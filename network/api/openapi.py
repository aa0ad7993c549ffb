"""The OpenAPI 3.1 document, built from the registered routes and their `doc` entries."""

import re

from flask import current_app, jsonify

from network.api.core import OPERATIONS, bp, doc
from network.core.http import TITLES
from network.core.ids import ID_SCHEMA

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


#: `<converter:name>` in a Werkzeug rule (`<name>` uses the string converter).
RULE_ARGUMENT = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")
CONVERTER_SCHEMAS = {
    "int": ID_SCHEMA,
    "default": {"type": "string"},
    "string": {"type": "string"},
}


def _openapi_path(rule: str) -> str:
    return RULE_ARGUMENT.sub(lambda m: "{" + m.group(2) + "}", rule)


def _parameters(rule: str, operation: dict) -> list[dict]:
    """The operation's parameters: its own, and its path parameters typed as the rule types them
    (unless the operation documents one more precisely, e.g. an enum of emoji)."""
    declared = operation.get("parameters", [])
    declared = declared() if callable(declared) else list(declared)
    documented = {p["name"] for p in declared if p["in"] == "path"}
    from_rule = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": CONVERTER_SCHEMAS[converter or "default"],
        }
        for converter, name in RULE_ARGUMENT.findall(rule)
        if name not in documented
    ]
    return from_rule + declared


def build_document() -> dict:
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint not in OPERATIONS:
            continue
        operation = dict(OPERATIONS[rule.endpoint])
        operation.pop("parameters", None)
        parameters = _parameters(rule.rule, OPERATIONS[rule.endpoint])
        if parameters:
            operation["parameters"] = parameters
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
