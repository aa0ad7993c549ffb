"""Uploaded files kept as sent (PDFs, office documents…): a type allow-list checked on the
content (not the name the browser sends), a size cap given by the caller, generated names
under `<folder>/` in the storage (`network.core.storage`), removed again when the
transaction that stored them rolls back, and always served as downloads (never inline).

Images that are shown re-encode through `network.core.images` instead. A feature makes one
`FileStore` (its folder and the types it accepts) and checks who may read a file itself."""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from network.core.errors import Invalid
from network.core.events import after_commit
from network.core.images import uploads_dir
from network.core.storage import new_key, send, storage

ZIP = b"PK\x03\x04"
#: extension → (content type, accepted first bytes; none: UTF-8 text)
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
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
#: How the types are named to people (in the order given to `FileStore`).
TYPE_NAMES = {"jpg": "JPEG", "jpeg": "JPEG", "webp": "WebP"}
_UNSAVED = "terreau_unsaved_files"


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


class FileStore:
    """The files of one feature: kept under `uploads/<folder>/`, of the `extensions` given
    (names of `TYPES`), at most `max_files` at once."""

    def __init__(self, folder: str, extensions: Iterable[str], max_files: int = 5) -> None:
        self.folder = folder
        self.accepted = {e: TYPES[e] for e in extensions}
        self.max_files = max_files
        names = [TYPE_NAMES.get(e, e.upper()) for e in self.accepted]
        self.accepted_list = ", ".join(dict.fromkeys(names))  # "PDF, PNG, JPEG…"
        self.input_accept = ",".join(f".{e}" for e in self.accepted)  # <input accept>

    def check(self, upload: Upload, max_bytes: int) -> tuple[str, str]:
        """(clean name, content type) of an acceptable file, else `Invalid` saying why."""
        name = Path(upload.name.replace("\\", "/")).name.strip()[:200] or "file"
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in self.accepted:
            raise Invalid(
                _l("This type of file is not accepted (%(types)s).", types=self.accepted_list)
            )
        if not upload.data:
            raise Invalid(_l("This file is empty."))
        if len(upload.data) > max_bytes:
            limit = max_bytes // 1024
            raise Invalid(_l("This file is too large: at most %(size)s kB.", size=limit))
        content_type, signatures = self.accepted[extension]
        mismatch = _l("This file's content does not match its type (.%(ext)s).", ext=extension)
        if signatures and not any(upload.data.startswith(s) for s in signatures):
            raise Invalid(mismatch)
        if extension == "webp" and upload.data[8:12] != b"WEBP":
            raise Invalid(mismatch)
        if not signatures:
            try:
                text = upload.data.decode("utf-8")
            except UnicodeDecodeError:
                text = "\x00"
            if "\x00" in text:
                raise Invalid(_l("This text file is not UTF-8 text."))
        return name, content_type

    def store(
        self, session: Any, uploads: list[Upload], field: str, max_bytes: int
    ) -> list[Stored]:
        """Check every upload first (all or none: `Invalid` naming `field`), then write
        them; the files go again if the transaction rolls back."""
        if len(uploads) > self.max_files:
            raise Invalid(fields={field: _l("At most %(max)s files at once.", max=self.max_files)})
        checked = []
        for upload in uploads:
            try:
                checked.append((upload, *self.check(upload, max_bytes)))
            except Invalid as error:
                raise Invalid(fields={field: error.message}) from None
        store = storage()
        stored: list[Stored] = []
        try:
            for upload, name, content_type in checked:
                key = new_key(self.folder)
                store.put(key, upload.data, content_type)
                stored.append(Stored(key, name, content_type, len(upload.data)))
        except Exception:
            for done in stored:  # all or none
                store.delete(done.key)
            raise
        if stored:
            session.info.setdefault(_UNSAVED, []).extend(s.key for s in stored)
            after_commit(session, session.info.pop, _UNSAVED, None)  # saved: keep the files
        return stored


def remove_after_commit(session: Any, key: str) -> None:
    """Delete a stored file once the removal of its row commits (kept if it rolls back)."""
    after_commit(session, storage().delete, key)


@event.listens_for(Session, "after_soft_rollback")
def _remove_unsaved(session: Any, previous: Any) -> None:
    if previous.parent is None:
        for key in session.info.pop(_UNSAVED, []):
            storage().delete(key)


def path_of(key: str) -> Path:
    """Where a stored file is on the disk (local storage only: tests look there)."""
    return uploads_dir() / key


def download(key: str, name: str, content_type: str) -> Response:
    """A stored file as a download (`attachment`, `nosniff`, never cached by a proxy); the
    caller has checked that the viewer may read it."""
    return send(key, content_type, download_name=name)
