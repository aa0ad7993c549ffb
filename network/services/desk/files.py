"""Files joined to requests: a type allow-list checked on the content (not the name the
browser sends), a size cap that is a setting of the cooperative, generated names under
`uploads/desk/`, removed again when the transaction that stored them rolls back.

Chat's checks re-encode images only; a request to accounting carries PDFs and spreadsheets,
so the files are kept as sent and always served as downloads (never rendered inline)."""

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from network.cooperative import current_settings
from network.core.errors import Invalid
from network.core.events import after_commit
from network.core.images import uploads_dir

FOLDER = "desk"
#: extension → (content type, check of the first bytes)
ZIP = b"PK\x03\x04"
ACCEPTED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "webp": ("image/webp", (b"RIFF",)),
    "txt": ("text/plain", ()),
    "csv": ("text/csv", ()),
    "odt": ("application/vnd.oasis.opendocument.text", (ZIP,)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (ZIP,)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP,)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
}
ACCEPTED_LIST = "PDF, PNG, JPEG, WebP, TXT, CSV, ODT, ODS, DOCX, XLSX"
MAX_FILES = 5
_UNSAVED = "terreau_unsaved_desk_files"


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the sender gave it and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Stored:
    key: str
    name: str
    content_type: str
    size: int


def max_bytes() -> int:
    return int(current_settings()["services_max_file_kb"]) * 1024


def check_upload(upload: Upload) -> tuple[str, str]:
    """(clean name, content type) of an acceptable file, else `Invalid` saying why."""
    name = Path(upload.name.replace("\\", "/")).name.strip()[:200] or "file"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ACCEPTED:
        raise Invalid(_l("This type of file is not accepted (%(types)s).", types=ACCEPTED_LIST))
    if not upload.data:
        raise Invalid(_l("This file is empty."))
    limit = max_bytes()
    if len(upload.data) > limit:
        raise Invalid(
            _l("This file is too large: at most %(size)s kB.", size=limit // 1024),
        )
    content_type, signatures = ACCEPTED[extension]
    if signatures and not any(upload.data.startswith(s) for s in signatures):
        raise Invalid(_l("This file's content does not match its type (.%(ext)s).", ext=extension))
    if extension == "webp" and upload.data[8:12] != b"WEBP":
        raise Invalid(_l("This file's content does not match its type (.%(ext)s).", ext=extension))
    if not signatures:
        try:
            text = upload.data.decode("utf-8")
        except UnicodeDecodeError:
            text = "\x00"
        if "\x00" in text:
            raise Invalid(_l("This text file is not UTF-8 text."))
    return name, content_type


def store_uploads(session: Any, uploads: list[Upload], field: str) -> list[Stored]:
    """Check every upload first (all or none: `Invalid` naming `field`), then write them;
    the files go again if the transaction rolls back."""
    if len(uploads) > MAX_FILES:
        raise Invalid(fields={field: _l("At most %(max)s files at once.", max=MAX_FILES)})
    checked = []
    for upload in uploads:
        try:
            checked.append((upload, *check_upload(upload)))
        except Invalid as error:
            raise Invalid(fields={field: error.message}) from None
    folder = uploads_dir() / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stored = []
    for upload, name, content_type in checked:
        key = f"{FOLDER}/{uuid.uuid4().hex}"
        (uploads_dir() / key).write_bytes(upload.data)
        stored.append(Stored(key, name, content_type, len(upload.data)))
    if stored:
        session.info.setdefault(_UNSAVED, []).extend(s.key for s in stored)
        after_commit(session, session.info.pop, _UNSAVED, None)  # saved: keep the files
    return stored


@event.listens_for(Session, "after_soft_rollback")
def _remove_unsaved(session: Any, previous: Any) -> None:
    if previous.parent is None:
        for key in session.info.pop(_UNSAVED, []):
            (uploads_dir() / key).unlink(missing_ok=True)


def path_of(key: str) -> Path:
    return uploads_dir() / key
