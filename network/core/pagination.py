"""Keyset (cursor) pagination with opaque, validated cursors."""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask_babel import lazy_gettext as _l

from network.core.errors import Invalid
from network.core.ids import MAX_ID
from network.core.inputs import loads_json

T = TypeVar("T")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, types: tuple[type, ...]) -> list[Any] | None:
    """Decode a cursor made by `encode_cursor` whose values have `types`.

    A tampered cursor (bad encoding, wrong length or types, out-of-range ids) is `Invalid`.
    """
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = loads_json(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if not _typed(values, types):
        raise Invalid(_l("This page link is not valid."), fields={"cursor": _l("Unknown cursor.")})
    return values


def _typed(values: Any, types: tuple[type, ...]) -> bool:
    if not isinstance(values, list) or len(values) != len(types):
        return False
    for value, kind in zip(values, types, strict=True):
        if type(value) is not kind:  # bool is not an int here
            return False
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            return False
    return True


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def parse_limit(raw: Any, default: int, maximum: int = 100) -> int:
    if raw in (None, ""):
        return default
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= maximum:
        raise Invalid(fields={"limit": _l("Must be a number between 1 and %(max)s.", max=maximum)})
    return limit
