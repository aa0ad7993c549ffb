"""A client's id for one submit, so that sending it again (a retry after a timeout or a
crash, a double-clicked button) makes one post, comment or booking, never two."""

import re
import uuid
from typing import Any

from flask_babel import lazy_gettext as _l

from network.core.errors import Invalid

CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
CLIENT_ID_SCHEMA = {
    "type": "string",
    "pattern": "^[A-Za-z0-9_.:-]{1,64}$",
    "description": "optional: a unique id of this submit; sending it again answers the first",
}


def optional_client_id(raw: Any) -> str | None:
    """The submit's id, None when none was given; `Invalid` when it is not 1 to 64 letters,
    digits or `_.:-`."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not CLIENT_ID.fullmatch(raw):
        raise Invalid(fields={"client_id": _l("Give a unique id of 1 to 64 letters or digits.")})
    return raw


def new_client_id() -> str:
    """A fresh id for a form's hidden `client_id` field."""
    return uuid.uuid4().hex


def form_client_id(values: Any, errors: Any = None) -> str:
    """A form's hidden `client_id`: the one submitted when the form comes back with errors (a
    retry is the same submit), unless that id was refused; else a fresh one."""
    submitted = values.get("client_id") if values else None
    refused = bool(errors and errors.get("client_id"))
    if isinstance(submitted, str) and CLIENT_ID.fullmatch(submitted) and not refused:
        return submitted
    return new_client_id()
