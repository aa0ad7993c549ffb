"""Files joined to requests (`network.core.files`): PDFs, images, text and office files
under `uploads/desk/`, at most a size that is a setting of the cooperative.

Chat's checks re-encode images only; a request to accounting carries PDFs and spreadsheets,
so the files are kept as sent and always served as downloads (never rendered inline)."""

from typing import Any

from network.cooperative import current_settings
from network.core.files import FileStore, Stored, Upload, path_of

STORE = FileStore(
    "desk",
    ("pdf", "png", "jpg", "jpeg", "webp", "txt", "csv", "odt", "ods", "docx", "xlsx"),
    max_files=5,
)
FOLDER = STORE.folder
ACCEPTED = STORE.accepted
ACCEPTED_LIST = STORE.accepted_list
MAX_FILES = STORE.max_files


def max_bytes() -> int:
    return int(current_settings()["services_max_file_kb"]) * 1024


def check_upload(upload: Upload) -> tuple[str, str]:
    """(clean name, content type) of an acceptable file, else `Invalid` saying why."""
    return STORE.check(upload, max_bytes())


def store_uploads(session: Any, uploads: list[Upload], field: str) -> list[Stored]:
    """Check every upload first (all or none: `Invalid` naming `field`), then write them;
    the files go again if the transaction rolls back."""
    return STORE.store(session, uploads, field, max_bytes())


__all__ = ["ACCEPTED", "ACCEPTED_LIST", "Stored", "Upload", "check_upload", "path_of"]
