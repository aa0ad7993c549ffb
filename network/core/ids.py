"""Database ids from the outside world: bounded, so no backend ever overflows."""

from typing import Any

from flask import url_for
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER
#: the JSON schema of an id (the API's document)
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def parse_id(raw: Any) -> int | None:
    """`raw` as a valid id, or None ("12" → 12; "-1", "1e3", "99999999999" → None)."""
    text = str(raw)
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def is_id(value: Any) -> bool:
    """A JSON value that is a valid id: an integer (not a bool, not text) in range."""
    return type(value) is int and 1 <= value <= MAX_ID


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in routes: an id beyond the database's range is a 404, not a 500.

    The 404 is raised here, whatever the method: a failed conversion would let the router
    answer 405 because the same path has rules for other methods.
    """

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if len(value) > 10 or int(value) > MAX_ID:
            raise NotFound()
        return super().to_python(value)


def url_before_id(endpoint: str, key: str, **values: Any) -> str:
    """The URL of `endpoint` up to its last part, the id `key`, for a page that lists many
    objects to append each id (instead of building a URL per object)."""
    url = url_for(endpoint, **{**values, key: 1})
    assert url.endswith("/1"), url
    return url[:-1]
