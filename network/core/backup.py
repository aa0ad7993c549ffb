"""Backups of a whole network: `flask backup create [--to FOLDER]` and
`flask backup restore FILE [--force]`.

An archive (`terreau-<UTC time>.tar.gz`) holds:

- `database.sqlite3` (SQLite's online backup API: a consistent copy while the site runs) or
  `database.pgdump` (`pg_dump --format=custom`: one consistent snapshot);
- `uploads/<key>`: every stored file (`network.core.storage`, local or S3), read after the
  database, so every file a saved row names is there;
- `settings.json`: the deployment's configuration the data depends on (no secret; the
  cooperative's own settings are rows of the database);
- `manifest.json`, last: the format, the schema revision, the row count of every table and
  the size and SHA-256 of every other member.

A restore checks the whole archive first (every checksum, nothing missing or added, no
name leaving its folder): a damaged archive is refused and nothing is touched. It refuses
a data folder that already holds a database or files, unless `force`. Then it loads the
database, puts the files back and sends `data_restored` (the search index is rebuilt).
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, make_url, text
from sqlalchemy.exc import OperationalError

from network.core.signals import data_restored
from network.core.storage import check_key, storage
from network.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
#: Configuration worth knowing again at restore time (never a secret).
SETTINGS = (
    "STORAGE",
    "STORAGE_DIR",
    "STORAGE_S3_BUCKET",
    "STORAGE_S3_ENDPOINT_URL",
    "STORAGE_S3_PREFIX",
    "PUBLIC_URL",
    "MAIL_FROM",
    "BABEL_DEFAULT_LOCALE",
    "BABEL_DEFAULT_TIMEZONE",
)


class BackupError(Exception):
    """A backup or restore that cannot go on, with a message for the operator."""


@dataclass
class Summary:
    path: Path
    tables: int
    rows: int
    files: int


# --- create ------------------------------------------------------------------------------


def create_backup(folder: str | Path | None = None) -> Summary:
    """Write a new archive into `folder` (default `DATA_DIR/backups`); its summary."""
    target = Path(folder or Path(current_app.config["DATA_DIR"]) / "backups")
    target.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    final = target / f"terreau-{stamp}.tar.gz"
    checksums: dict[str, dict[str, Any]] = {}
    fd, partial = tempfile.mkstemp(dir=target, prefix=".terreau-", suffix=".part")
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory() as work, tarfile.open(partial, "w:gz") as archive:
            dump, dialect = _dump_database(Path(work))
            _add_file(archive, checksums, dump.name, dump)
            tables = _row_counts()
            store = storage()
            files = 0
            for key in sorted(store.list_keys()):
                try:
                    data = store.read(key)
                except FileNotFoundError:
                    continue  # removed meanwhile (its row was deleted too)
                _add_bytes(archive, checksums, f"uploads/{key}", data)
                files += 1
            _add_bytes(archive, checksums, "settings.json", _json(_settings()))
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(),
                "dialect": dialect,
                "revision": _revision(),
                "tables": tables,
                "files": checksums,
            }
            _add_bytes(archive, {}, MANIFEST, _json(manifest))
        os.replace(partial, final)
    finally:
        Path(partial).unlink(missing_ok=True)
    return Summary(final, len(tables), sum(tables.values()), files)


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=1, sort_keys=True).encode()


def _add_bytes(archive: tarfile.TarFile, sums: dict[str, Any], name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))
    sums[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _add_file(archive: tarfile.TarFile, sums: dict[str, Any], name: str, path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    info = archive.gettarinfo(str(path), arcname=name)
    info.mode = 0o600
    with path.open("rb") as source:
        archive.addfile(info, source)
    sums[name] = {"sha256": digest.hexdigest(), "size": path.stat().st_size}


def _dump_database(work: Path) -> tuple[Path, str]:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        dump = work / "database.sqlite3"
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(dump)
        try:
            source.backup(copy)  # online and consistent, while others write
        finally:
            copy.close()
            source.close()
        return dump, "sqlite"
    if url.get_backend_name() == "postgresql":
        dump = work / "database.pgdump"
        _run(
            _pg_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={dump}",
            f"--dbname={_libpq_url(url)}",
        )
        return dump, "postgresql"
    raise BackupError(f"Backups of a {url.get_backend_name()} database are not supported.")


def _sqlite_path(url: Any) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return str(url.database)


def _libpq_url(url: Any) -> str:
    return str(url.set(drivername="postgresql").render_as_string(hide_password=False))


def _pg_tool(name: str) -> str:
    """The PostgreSQL client program `name` (`TERREAU_PG_BIN_DIR`, the PATH, Debian's)."""
    folders = [os.environ.get("TERREAU_PG_BIN_DIR", "")]
    folders += sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)
    for folder in folders:
        if folder and (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found: install the PostgreSQL client programs.")
    return found


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _row_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        names = inspect(connection).get_table_names()
        return {
            name: int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in sorted(names)
        }


def _revision() -> str | None:
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return str(found) if found else None


def _settings() -> dict[str, Any]:
    config = current_app.config
    settings = {name: config.get(name) for name in SETTINGS}
    secret = str(config["SECRET_KEY"]).encode()
    settings["SECRET_KEY_SHA256"] = hashlib.sha256(secret).hexdigest()[:16]
    return settings


# --- restore -----------------------------------------------------------------------------


def read_checked(path: str | Path) -> dict[str, Any]:
    """The manifest of a sound archive, else `BackupError` saying what is wrong."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = _manifest(archive)
            expected = manifest["files"]
            seen: set[str] = set()
            for member in archive:
                name = member.name
                if name == MANIFEST:
                    continue
                _check_name(name)
                if not member.isfile() or name not in expected or name in seen:
                    raise BackupError(f"The archive holds an unexpected member: {name}.")
                seen.add(name)
                if _sha256(archive.extractfile(member)) != expected[name]["sha256"]:
                    raise BackupError(f"Checksum mismatch for {name}: the archive is damaged.")
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise BackupError(f"This archive cannot be read: {error}.") from None
    missing = set(expected) - seen
    if missing:
        raise BackupError(f"The archive lacks {len(missing)} member(s), e.g. {min(missing)}.")
    return manifest


def _sha256(stream: IO[bytes] | None) -> str:
    digest = hashlib.sha256()
    while stream is not None and (block := stream.read(1 << 20)):
        digest.update(block)
    return digest.hexdigest()


def _manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
        stream = archive.extractfile(member)
        assert stream is not None
        manifest = json.loads(stream.read())
    except (KeyError, ValueError, AssertionError):
        raise BackupError("This is not a Terreau backup: it has no readable manifest.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("This backup's format is not one this version can restore.")
    if not isinstance(manifest.get("files"), dict):
        raise BackupError("This backup's manifest is damaged.")
    return manifest


def _check_name(name: str) -> None:
    allowed = {"database.sqlite3", "database.pgdump", "settings.json"}
    if name in allowed:
        return
    if not name.startswith("uploads/"):
        raise BackupError(f"The archive holds an unexpected member: {name}.")
    try:
        check_key(name.removeprefix("uploads/"))
    except ValueError:
        raise BackupError(f"The archive holds an unsafe name: {name!r}.") from None


def holds_data() -> list[str]:
    """What the configured data folder already holds (empty: a restore may go ahead)."""
    found = []
    with db.engine.connect() as connection:
        tables = inspect(connection).get_table_names()
    if tables:
        found.append(f"a database with {len(tables)} tables")
    if next(iter(storage().list_keys()), None) is not None:
        found.append("stored files")
    return found


def restore_backup(path: str | Path, force: bool = False) -> dict[str, Any]:
    """Restore the archive at `path` into the configured database and storage; its
    manifest. Nothing is changed if the archive is damaged or the place not empty."""
    manifest = read_checked(path)
    dialect = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if manifest.get("dialect") != dialect:
        raise BackupError(
            f"This backup is of a {manifest.get('dialect')} database; "
            f"the configured one is {dialect}."
        )
    occupied = holds_data()
    if occupied and not force:
        raise BackupError(
            f"The data folder is not empty ({', '.join(occupied)}): "
            "restore into an empty one, or give --force to replace everything."
        )
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "r:gz") as archive:
        db.session.remove()
        db.engine.dispose()
        _restore_database(archive, Path(work), dialect, wipe=bool(occupied))
        db.engine.dispose()
        _restore_files(archive, wipe=bool(occupied))
    data_restored.send(current_app._get_current_object())  # type: ignore[attr-defined]
    return manifest


def _restore_database(archive: tarfile.TarFile, work: Path, dialect: str, wipe: bool) -> None:
    name = "database.sqlite3" if dialect == "sqlite" else "database.pgdump"
    dump = work / name
    stream = archive.extractfile(name)
    assert stream is not None
    with dump.open("wb") as out:
        shutil.copyfileobj(stream, out)
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if dialect == "sqlite":
        source = sqlite3.connect(dump)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            source.backup(target)  # replaces every page of the target, whole
        finally:
            target.close()
            source.close()
        return
    if wipe:
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()
    _run(
        _pg_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={_libpq_url(url)}",
        str(dump),
    )


def _restore_files(archive: tarfile.TarFile, wipe: bool) -> None:
    store = storage()
    if wipe:
        for key in list(store.list_keys()):
            store.delete(key)
    for member in archive:
        if member.name.startswith("uploads/"):
            stream: IO[bytes] | None = archive.extractfile(member)
            assert stream is not None
            store.put(member.name.removeprefix("uploads/"), stream.read())


def restored_settings(path: str | Path) -> dict[str, Any]:
    with tarfile.open(path, "r:gz") as archive:
        stream = archive.extractfile("settings.json")
        assert stream is not None
        return dict(json.loads(stream.read()))


# --- command line ------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Back up and restore the database, files and settings.")


@backup_cli.command("create")
@click.option("--to", "folder", type=click.Path(file_okay=False), help="Where to write it.")
def create_command(folder: str | None) -> None:
    """Write a consistent backup archive (default folder: DATA_DIR/backups)."""
    try:
        done = create_backup(folder)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except (OperationalError, sqlite3.Error) as error:
        raise click.ClickException(f"The database cannot be reached: {_reason(error)}") from None
    click.echo(f"{done.path} ({done.tables} tables, {done.rows} rows, {done.files} files)")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database and files already there.")
def restore_command(file: str, force: bool) -> None:
    """Restore an archive into an empty data folder (checked first, then the search index
    is rebuilt)."""
    try:
        manifest = restore_backup(file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except (OperationalError, sqlite3.Error) as error:
        raise click.ClickException(f"The database cannot be reached: {_reason(error)}") from None
    before = restored_settings(file)
    now = _settings()
    for name, value in sorted(before.items()):
        if now.get(name) != value:
            shown = "(differs)" if name == "SECRET_KEY_SHA256" else f"{value!r} → {now.get(name)!r}"
            click.echo(f"Note: {name} changed since the backup: {shown}")
    rows = sum(manifest["tables"].values())
    files = sum(1 for name in manifest["files"] if name.startswith("uploads/"))
    click.echo(f"Restored {len(manifest['tables'])} tables ({rows} rows) and {files} files.")


def _reason(error: Exception) -> str:
    return str(getattr(error, "orig", None) or error)


def init_backup(app: Flask) -> None:
    app.cli.add_command(backup_cli)
