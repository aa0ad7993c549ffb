"""Uploaded images: decoded under a pixel cap, re-encoded without metadata, served safely."""

import io
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from network.core.errors import Invalid, NotFound
from network.core.events import after_commit
from network.core.storage import LocalStorage, new_key, send, storage

ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}
#: Folders whose images their module serves itself, after a permission check.
PRIVATE_FOLDERS = ("chat/",)
bp = Blueprint("uploads", __name__)


def uploads_dir() -> Path:
    """The local folder of uploads (`TERREAU_STORAGE=local`; tests look into it)."""
    store = storage()
    if isinstance(store, LocalStorage):
        return store.root
    return Path(current_app.config["DATA_DIR"]) / "uploads"


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise Invalid(_l("This image is too large.")) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise Invalid(_l("This file is not an image we accept (PNG, JPEG or WebP).")) from None
    if image.format not in ACCEPTED_FORMATS:
        raise Invalid(_l("This file is not an image we accept (PNG, JPEG or WebP)."))
    width, height = image.size
    if width * height > max_pixels:
        raise Invalid(_l("This image is too large (%(w)s × %(h)s pixels).", w=width, h=height))
    try:
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        raise Invalid(_l("This image is damaged and cannot be read.")) from None
    return image


def store_image(data: bytes, folder: str, sizes: dict[str, int]) -> str:
    """Validate and re-encode `data` as WebP, one file per named size; return the new key.

    Raises `Invalid` for anything that is not a PNG/JPEG/WebP image within the pixel cap.
    Files are `<folder>/<key>-<size>.webp`; metadata (EXIF, GPS) is not carried over.
    """
    image = _open_checked(data, current_app.config["IMAGE_MAX_PIXELS"])
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    key = new_key(folder)
    store = storage()
    try:
        for name, side in sizes.items():
            variant = ImageOps.fit(image, (side, side)) if name != "full" else image.copy()
            if name == "full":
                variant.thumbnail((side, side))
            encoded = io.BytesIO()
            variant.save(encoded, "WEBP", quality=85)
            store.put(f"{key}-{name}.webp", encoded.getvalue(), "image/webp")
    except Exception:
        delete_image(key, sizes)  # no half-stored image
        raise
    return key


_UNSAVED = "terreau_unsaved_images"


def store_images_saved_with(
    session: Any, uploads: list[bytes], folder: str, sizes: dict[str, int]
) -> list[str]:
    """Store each upload (all or none: `Invalid` for a bad one) and remove the files again
    if the session's transaction is rolled back instead of committed."""
    keys: list[str] = []
    try:
        for data in uploads:
            keys.append(store_image(data, folder, sizes))
    except Invalid:
        for key in keys:
            delete_image(key, sizes)
        raise
    session.info.setdefault(_UNSAVED, []).extend((key, sizes) for key in keys)
    after_commit(session, session.info.pop, _UNSAVED, None)  # saved: keep the files
    return keys


@event.listens_for(Session, "after_soft_rollback")
def _remove_unsaved(session: Any, previous: Any) -> None:
    if previous.parent is None:
        for key, sizes in session.info.pop(_UNSAVED, []):
            delete_image(key, sizes)


def delete_image(key: str | None, sizes: dict[str, int]) -> None:
    if not key:
        return
    store = storage()
    for name in sizes:
        store.delete(f"{key}-{name}.webp")


def image_url(key: str | None, size: str) -> str | None:
    from flask import url_for

    return url_for("uploads.serve", path=f"{key}-{size}.webp") if key else None


@bp.get("/uploads/<path:path>")
@login_required
def serve(path: str):
    if not path.endswith(".webp") or ".." in path or path.startswith(PRIVATE_FOLDERS):
        raise NotFound()
    return send_image(path)


def send_image(path: str) -> Any:
    """The stored WebP file at `path` (the caller checked who may see it), never cached by
    shared caches."""
    return send(path, "image/webp", max_age=86400)
