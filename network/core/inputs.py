"""Text from the outside world: control characters and broken Unicode are refused up front.

PostgreSQL rejects NUL bytes and no encoder takes lone surrogates: both would otherwise reach
the database or a template as a 500. JSON nested deeper than any of our documents is refused
too: decoding it, or walking it, would exhaust Python's recursion limit (a 500).
"""

import json
import logging
import re
from typing import Any

from flask import Request
from flask_babel import lazy_gettext as _l

from network.core.errors import Invalid

FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_JSON_DEPTH = 32  # our documents nest 3 levels; Python recurses out near 1,000


def loads_json(text: str | bytes, **kwargs: Any) -> Any:
    """`json.loads`, but a document nested deeper than MAX_JSON_DEPTH is a ValueError (as any
    other malformed JSON) instead of a RecursionError. Every decoder of outside JSON uses it:
    the request body (the app's JSON provider), Socket.IO packets and page cursors."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if _may_be_deep(text) and _too_deep(value):
        raise ValueError("JSON nested too deeply")
    return value


def _may_be_deep(text: str | bytes) -> bool:
    """Whether the text opens more arrays and objects than MAX_JSON_DEPTH (a document
    with fewer cannot nest deeper: the walk is skipped, as for most packets)."""
    if isinstance(text, str):
        return text.count("[") + text.count("{") > MAX_JSON_DEPTH
    return text.count(b"[") + text.count(b"{") > MAX_JSON_DEPTH


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > MAX_JSON_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


class BoundedJSON:
    """The json module for python-socketio: packets decoded with `loads_json`."""

    loads = staticmethod(loads_json)
    dumps = staticmethod(json.dumps)


def text_field(raw: Any, field: str, maximum: int, *, required: bool = True) -> str:
    """A text field of a body, stripped; `Invalid` naming `field` when it is missing (and
    required), not text, or longer than `maximum`."""
    if raw is None and not required:
        return ""
    if not isinstance(raw, str):
        raise Invalid(fields={field: _l("Write some text.")})
    text = raw.strip()
    if required and not text:
        raise Invalid(fields={field: _l("This field is required.")})
    if len(text) > maximum:
        raise Invalid(fields={field: _l("At most %(max)s characters.", max=maximum)})
    return text


def guard_socket_packets(server: Any) -> None:
    """A Socket.IO packet that does not decode (JSON nested too deeply, malformed) is logged
    in one line and dropped; the connection and the server go on."""
    handle = server._handle_eio_message

    def guarded(eio_sid: str, data: Any) -> Any:
        try:
            return handle(eio_sid, data)
        except ValueError as error:
            logging.getLogger(__name__).warning("Socket.IO packet refused: %s", error)
            return None

    server._handle_eio_message = guarded
    server.eio.on("message", guarded)


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
