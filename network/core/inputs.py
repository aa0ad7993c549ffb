"""Text from the outside world: control characters and broken Unicode are refused up front.

PostgreSQL rejects NUL bytes and no encoder takes lone surrogates: both would otherwise reach
the database or a template as a 500.
"""

import re
from typing import Any

from flask import Request
from flask_babel import lazy_gettext as _l

from network.core.errors import Invalid

FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _bad(text: str) -> bool:
    return FORBIDDEN.search(text) is not None


def check_request_text(request: Request) -> None:
    """Refuse query and form values that hold control characters or lone surrogates."""
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if _bad(name) or _bad(value):
                raise Invalid(
                    fields={
                        name[:40]: _l(
                            "This text holds invisible control characters; please retype it."
                        )
                    }
                )


def check_json_text(value: Any, path: str = "body") -> None:
    """The same check through a decoded JSON document."""
    if isinstance(value, str):
        if _bad(value):
            raise Invalid(
                fields={path: _l("This text holds invisible control characters; please retype it.")}
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            check_json_text(key, path)
            check_json_text(item, str(key)[:40])
    elif isinstance(value, list):
        for item in value:
            check_json_text(item, path)
