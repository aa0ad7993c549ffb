"""Where uploaded files live: one small interface over the local data folder (the default,
or a folder that several servers share) or an S3-compatible object store.

`TERREAU_STORAGE=local` keeps files under `DATA_DIR/uploads` (or `TERREAU_STORAGE_DIR`);
`TERREAU_STORAGE=s3` keeps them in a bucket (boto3: AWS, MinIO, Garage, Scaleway…).
Keys are relative paths such as `avatars/<hex>-small.webp`; a key that could leave its
folder (`..`, absolute, backslash) is refused by every backend.

Files are served through the app after the caller's permission check (`send`); with
`TERREAU_STORAGE_SIGNED_URLS` the answer is instead a redirection to a signed URL that
expires (the store's own presigned URL on S3, one signed by the app on a local folder),
so the bytes need not go through the app server.
"""

import io
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from flask import Blueprint, Flask, Response, current_app, redirect, send_file, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from network.core.errors import Forbidden, NotFound

bp = Blueprint("storage", __name__)
_SALT = "terreau-storage-url"
_EXPIRED = _l("This link is not valid or has expired.")


class BadKey(ValueError):
    """A key that is not a plain relative path inside the store."""


def check_key(key: str) -> str:
    parts = key.split("/")
    if (
        not key
        or "\\" in key
        or "\x00" in key
        or key.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise BadKey(key)
    return key


class Storage:
    """What every backend offers. `read`/`open` raise `FileNotFoundError` for a missing key;
    `delete` of a missing key does nothing."""

    name = "abstract"

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        raise NotImplementedError

    def put_file(
        self, key: str, path: str | Path, content_type: str = "application/octet-stream"
    ) -> None:
        """Store the file at `path` (a large one is not read into memory at once)."""
        raise NotImplementedError

    def open(self, key: str) -> IO[bytes]:
        raise NotImplementedError

    def read(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with `prefix`, in no particular order."""
        raise NotImplementedError

    def presigned_url(
        self, key: str, seconds: int, content_type: str, download_name: str | None
    ) -> str | None:
        """A URL of the store itself that gives the file for `seconds`, else None."""
        return None


class LocalStorage(Storage):
    """Files in a folder: the data folder, or one shared by several servers (NFS…)."""

    name = "local"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Whole or not at all, for a reader on another server meanwhile.
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(partial, target)

    def put_file(
        self, key: str, path: str | Path, content_type: str = "application/octet-stream"
    ) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as out, open(path, "rb") as source:
            shutil.copyfileobj(source, out)
        os.replace(partial, target)

    def open(self, key: str) -> IO[bytes]:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in self.root.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and not path.name.startswith(".part-") and key.startswith(prefix):
                yield key


class S3Storage(Storage):
    """Objects in a bucket of an S3-compatible store, under an optional key prefix."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "",
    ) -> None:
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=BotoConfig(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    def put_file(
        self, key: str, path: str | Path, content_type: str = "application/octet-stream"
    ) -> None:
        self.client.upload_file(  # in parts when large
            str(path), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type}
        )

    def open(self, key: str) -> IO[bytes]:
        return io.BytesIO(self.read(key))

    def read(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(key) from None
            raise
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]

    def presigned_url(
        self, key: str, seconds: int, content_type: str, download_name: str | None
    ) -> str | None:
        params = {"Bucket": self.bucket, "Key": self._key(key), "ResponseContentType": content_type}
        if download_name:
            params["ResponseContentDisposition"] = _disposition(download_name)
        return str(
            self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
        )


def _missing(error: Any) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def _disposition(download_name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(download_name)}"


def make_storage(config: Any) -> Storage:
    """The backend the configuration names (`STORAGE`: local or s3)."""
    kind = (config.get("STORAGE") or "local").lower()
    if kind == "s3":
        if not config.get("STORAGE_S3_BUCKET"):
            raise RuntimeError("TERREAU_STORAGE=s3 needs TERREAU_S3_BUCKET.")
        return S3Storage(
            config["STORAGE_S3_BUCKET"],
            endpoint_url=config.get("STORAGE_S3_ENDPOINT_URL"),
            region=config.get("STORAGE_S3_REGION"),
            access_key=config.get("STORAGE_S3_ACCESS_KEY_ID"),
            secret_key=config.get("STORAGE_S3_SECRET_ACCESS_KEY"),
            prefix=config.get("STORAGE_S3_PREFIX") or "",
        )
    if kind != "local":
        raise RuntimeError(f"Unknown TERREAU_STORAGE {kind!r} (local or s3).")
    return LocalStorage(config.get("STORAGE_DIR") or Path(config["DATA_DIR"]) / "uploads")


def init_storage(app: Flask) -> None:
    app.extensions["terreau_storage"] = make_storage(app.config)
    app.register_blueprint(bp)


def storage() -> Storage:
    return current_app.extensions["terreau_storage"]  # type: ignore[no-any-return]


def new_key(folder: str) -> str:
    return f"{folder}/{uuid.uuid4().hex}"


# --- serving -----------------------------------------------------------------------------


def send(key: str, content_type: str, *, download_name: str | None = None, max_age: int = 0) -> Any:
    """The stored file `key` (the caller checked that the viewer may read it): inline, or
    as a download named `download_name`; a missing file or bad key answers 404.

    With `STORAGE_SIGNED_URLS`, a redirection to a signed URL that expires instead."""
    try:
        check_key(key)
    except BadKey:
        raise NotFound() from None
    if current_app.config.get("STORAGE_SIGNED_URLS"):
        target = signed_url(key, content_type, download_name)
        response = redirect(target, 302)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    return _send_bytes(key, content_type, download_name, max_age)


def _send_bytes(key: str, content_type: str, download_name: str | None, max_age: int) -> Response:
    store = storage()
    try:
        source: Any = store.path(key) if isinstance(store, LocalStorage) else store.open(key)
        if isinstance(source, Path) and not source.is_file():
            raise FileNotFoundError(key)
    except FileNotFoundError:
        raise NotFound() from None
    response = send_file(
        source,
        mimetype=content_type,
        as_attachment=download_name is not None,
        download_name=download_name,
        max_age=max_age,
        conditional=True,
        etag=isinstance(source, Path),
    )
    response.cache_control.public = False
    response.cache_control.private = True  # members-only files: no shared caches
    response.headers["X-Content-Type-Options"] = "nosniff"
    if download_name is None:
        response.headers["Content-Disposition"] = "inline"
    return response


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def signed_url(
    key: str, content_type: str, download_name: str | None = None, seconds: int | None = None
) -> str:
    """A URL that gives the file to whoever holds it, for `seconds` (setting
    `STORAGE_URL_SECONDS` by default): the store's own when it has one, else the app's."""
    seconds = seconds or int(current_app.config.get("STORAGE_URL_SECONDS", 300))
    direct = None
    if current_app.config.get("STORAGE_S3_PRESIGNED", True):
        direct = storage().presigned_url(key, seconds, content_type, download_name)
    if direct:
        return direct
    payload = [check_key(key), content_type, download_name, int(time.time()) + seconds]
    return url_for("storage.signed", token=_serializer().dumps(payload))


@bp.get("/files/<token>")
def signed(token: str) -> Response:
    """A file by a signed URL of the app: 403 when tampered with or expired."""
    try:
        key, content_type, download_name, expires = _serializer().loads(token)
        check_key(key)
    except (BadSignature, BadKey, ValueError, TypeError):
        raise Forbidden(_EXPIRED) from None
    if time.time() > expires:
        raise Forbidden(_EXPIRED)
    return _send_bytes(key, content_type, download_name, max_age=0)
