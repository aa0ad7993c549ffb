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
    request_media: str = "application/json",
    response: dict | None = None,
    status: int = 200,
    params: list[dict] | Callable[[], list[dict]] | None = None,
    path: dict[str, dict] | None = None,
    also: dict[int, str] | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
) -> Callable:
    """Document an API route next to its code; the OpenAPI document is built from these.

    `params`: the query parameters, or a function giving them when the document is built (for
    parameters other modules register). `path`: the schema of path parameters that are not
    `<int:…>` (those are documented from the rule). `also`: other success statuses answering
    the same body, with their meaning (e.g. the 200 of an idempotent replay). `request_media`:
    the body's media type (`multipart/form-data` where a file is sent)."""

    def decorate(view: Callable) -> Callable:
        success = {
            "description": "Success",
            **({"content": {"application/json": {"schema": response}}} if response else {}),
        }
        operation: dict[str, Any] = {
            "summary": summary,
            "operationId": view.__name__,
            "responses": {str(status): success},
        }
        for code, meaning in (also or {}).items():
            operation["responses"][str(code)] = success | {"description": meaning}
        if request_schema:
            operation["requestBody"] = {
                "required": True,
                "content": {request_media: {"schema": request_schema}},
            }
        path_params = [
            {"name": name, "in": "path", "required": True, "schema": schema}
            for name, schema in (path or {}).items()
        ]
        if callable(params):
            lazy = params
            operation["parameters"] = lambda: path_params + lazy()
        elif params or path_params:
            operation["parameters"] = path_params + list(params or [])
        # 422: any request with control characters in its query string (network.core.inputs)
        for code in sorted({*errors, 422, *(() if public else (401,))}):
            operation["responses"][str(code)] = {"$ref": f"#/components/responses/Problem{code}"}
        if public:
            operation["security"] = []
        OPERATIONS[f"api.{view.__name__}"] = operation
        return view

    return decorate


def query_param(
    name: str,
    description: str,
    schema: dict | None = None,
    *,
    required: bool = False,
    many: bool = False,
) -> dict[str, Any]:
    """A query parameter; `many`: it may be repeated (`?skill=1&skill=2`)."""
    schema = schema or {"type": "string"}
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "array", "items": schema} if many else schema,
    }


def limit_param(default: int, maximum: int) -> dict[str, Any]:
    """The `limit` of a paginated list, as `network.core.pagination.parse_limit` accepts it."""
    return query_param(
        "limit",
        f"Page size, 1 to {maximum} (default {default})",
        {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
    )


# Small builders for the JSON schemas of the OpenAPI document.
INTEGER: dict[str, Any] = {"type": "integer"}
STRING: dict[str, Any] = {"type": "string"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
FLAG: dict[str, Any] = {"type": "string", "enum": ["0", "1"]}  # a query-string switch
DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}


def iso_or_none(value: Any) -> str | None:
    """A date or time as the API answers it (ISO 8601), or null."""
    return value.isoformat() if value else None


def obj(**properties: Any) -> dict[str, Any]:
    """An object schema with these properties."""
    return {"type": "object", "properties": properties}


def items_of(schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    """`{items: [schema…], **more}`: the shape of our list answers."""
    return obj(items={"type": "array", "items": schema}, **more)
