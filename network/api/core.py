"""The /api/v1 blueprint: JSON bodies, CSRF for cookie sessions, and route documentation."""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from network.core.database import set_write_intent
from network.core.errors import Invalid, Unauthorized
from network.core.inputs import check_json_text
from network.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = {"api.create_token", "api.openapi"}


@bp.before_request
def _authenticate_and_protect() -> None:
    set_write_intent(request.method not in {"GET", "HEAD", "OPTIONS"})
    authenticated = current_user.is_authenticated  # loads a bearer token if one is sent
    public = request.endpoint in PUBLIC_ENDPOINTS  # credentials in the body, not the cookie
    if (
        authenticated
        and not public
        and "api_token" not in g
        and request.method not in {"GET", "HEAD", "OPTIONS"}
    ):
        csrf.protect()  # a cookie session always needs the CSRF token
    if not authenticated and not public:
        raise Unauthorized(_l("Send a valid token: Authorization: Bearer <token>."))


def json_body() -> dict[str, Any]:
    """The request's JSON object, or `Invalid` with a clear message."""
    if not request.is_json:
        raise Invalid(_l("Send a JSON object with Content-Type: application/json."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid(_l("The request body is not a valid JSON object."))
    check_json_text(data)
    return data


#: endpoint name → OpenAPI operation object, filled by the `doc` decorator.
OPERATIONS: dict[str, dict[str, Any]] = {}


def doc(
    summary: str,
    *,
    request_schema: dict | None = None,
    response: dict | None = None,
    status: int = 200,
    params: list[dict] | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
) -> Callable:
    """Document an API route next to its code; the OpenAPI document is built from these."""

    def decorate(view: Callable) -> Callable:
        operation: dict[str, Any] = {
            "summary": summary,
            "operationId": view.__name__,
            "responses": {
                str(status): {
                    "description": "Success",
                    **({"content": {"application/json": {"schema": response}}} if response else {}),
                }
            },
        }
        if request_schema:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": request_schema}},
            }
        if params:
            operation["parameters"] = params
        for code in (*errors, *(() if public else (401,))):
            operation["responses"][str(code)] = {"$ref": f"#/components/responses/Problem{code}"}
        if public:
            operation["security"] = []
        OPERATIONS[f"api.{view.__name__}"] = operation
        return view

    return decorate


def query_param(name: str, description: str, schema: dict | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


# Small builders for the JSON schemas of the OpenAPI document.
INTEGER: dict[str, Any] = {"type": "integer"}
STRING: dict[str, Any] = {"type": "string"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}


def obj(**properties: Any) -> dict[str, Any]:
    """An object schema with these properties."""
    return {"type": "object", "properties": properties}


def items_of(schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    """`{items: [schema…], **more}`: the shape of our list answers."""
    return obj(items={"type": "array", "items": schema}, **more)
