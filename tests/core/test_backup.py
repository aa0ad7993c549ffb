"""`flask backup create` and `flask backup restore`: a round trip into an empty data folder
gives back every row and every file (and a search index), a damaged archive is refused
with nothing touched, and a data folder already in use is kept unless `--force`.

On the backend of the run: SQLite, or PostgreSQL (pg_dump; the restore goes into a fresh
database made for the test and dropped after it)."""

import hashlib
import io
import json
import tarfile
import uuid
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import MetaData, create_engine, make_url, text

from config import TestingConfig
from network import create_app
from network.extensions import db
from tests.conftest import PASSWORD, form_post
from tests.core.conftest import make_s3

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def empty_site(app, tmp_path):
    """empty_site() → a new app on an empty data folder and an empty database of the same
    kind as the run's (made for the test, dropped after it)."""
    made = []
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])

    def make():
        folder = tmp_path / f"site-{len(made)}"
        if url.get_backend_name() == "postgresql":
            name = f"{url.database}_restore_{uuid.uuid4().hex[:8]}"
            _admin(url, f'CREATE DATABASE "{name}"')
            database = url.set(database=name).render_as_string(hide_password=False)
        else:
            name = None
            database = f"sqlite:///{folder / 'terreau.sqlite3'}"
        site = create_app(
            TestingConfig,
            DATA_DIR=str(folder),
            SQLALCHEMY_DATABASE_URI=database,
            SOCKETIO_ASYNC_MODE="threading",  # the shared extension: see TestingConfig
        )
        made.append((site, name))
        return site

    yield make
    for site, name in made:
        with site.app_context():
            db.engine.dispose()
        if name:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url, statement):
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (50, 40), "teal").save(out, "PNG")
    out.seek(0)
    return out


def _populate(app, client, make_member, login, member_api):
    """A member with an avatar and a post, an assembly with a document."""
    member = make_member(display_name="Capucine Sauvegarde")
    login(member)
    saved = form_post(
        client,
        "/me/profile",
        {"display_name": member.display_name, "avatar": (_png(), "me.png")},
        page="/me/profile",
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    _staff, headers = member_api(role="staff", status="employee_entrepreneur")
    posted = client.post(
        "/api/v1/posts", json={"body": "Potager partagé zéphyrin"}, headers=headers
    )
    assert posted.status_code == 201, posted.get_json()
    made = client.post(
        "/api/v1/assemblies",
        json={
            "kind": "ordinary",
            "title": "Assemblée",
            "starts_at": "2099-06-01T18:00:00+00:00",
            "resolutions": [{"title": "Comptes", "majority": "ordinary"}],
        },
        headers=headers,
    )
    joined = client.post(
        f"/api/v1/assemblies/{made.get_json()['id']}/documents",
        data={"file": (io.BytesIO(PDF), "comptes.pdf"), "title": "Comptes"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert joined.status_code == 201, joined.get_json()
    return member


def _create(app, folder) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", "create", "--to", str(folder)])
    assert result.exit_code == 0, result.output
    (archive,) = Path(folder).glob("terreau-*.tar.gz")
    return archive


def _restore(site, archive, *more):
    return site.test_cli_runner().invoke(args=["backup", "restore", str(archive), *more])


def _tables(site) -> dict[str, list]:
    with site.app_context(), db.engine.connect() as connection:
        meta = MetaData()
        meta.reflect(connection)
        return {
            name: sorted(map(repr, connection.execute(table.select()).all()))
            for name, table in meta.tables.items()
        }


def _files(site) -> dict[str, bytes]:
    with site.app_context():
        store = site.extensions["terreau_storage"]
        return {key: store.read(key) for key in store.list_keys()}


def test_a_round_trip_gives_back_every_row_and_file(
    app, client, make_member, login, member_api, empty_site, tmp_path
):
    member = _populate(app, client, make_member, login, member_api)
    archive = _create(app, tmp_path / "backups")
    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
    assert manifest["tables"]["members"] >= 2 and manifest["revision"]
    assert any(name.startswith("uploads/avatars/") for name in manifest["files"])
    assert any(name.startswith("uploads/assemblies/") for name in manifest["files"])

    site = empty_site()
    restored = _restore(site, archive)
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output
    before, after = _tables(app), _tables(site)
    assert set(after) == set(before) and "members" in after
    for name in before:
        assert after[name] == before[name], name
    assert _files(site) == _files(app) != {}

    # The restored site works: its member signs in, sees the avatar, finds the post.
    visitor = site.test_client()
    answer = form_post(visitor, "/login", {"email": member.email, "password": PASSWORD})
    assert answer.status_code == 302
    me = visitor.get("/api/v1/me").get_json()
    assert visitor.get(me["avatar_url"]).status_code == 200
    found = visitor.get("/api/v1/search?q=zéphyrin").get_json()
    assert found["results"] and found["counts"].get("post") == 1, found


def test_a_damaged_archive_is_refused_and_nothing_is_touched(
    app, client, make_member, login, member_api, empty_site, tmp_path
):
    _populate(app, client, make_member, login, member_api)
    archive = _create(app, tmp_path / "backups")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name.startswith("uploads/avatars/"):
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit changed
            target.addfile(member, io.BytesIO(data))
    site = empty_site()
    refused = _restore(site, damaged)
    assert refused.exit_code != 0
    assert "Checksum mismatch" in refused.output and "damaged" in refused.output
    assert _tables(site) == {} and _files(site) == {}

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    cut = _restore(site, truncated)
    assert cut.exit_code != 0 and "cannot be read" in cut.output
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    assert "cannot be read" in _restore(site, junk).output
    assert _tables(site) == {} and _files(site) == {}


def test_a_data_folder_in_use_is_kept_unless_forced(
    app, client, make_member, login, member_api, empty_site, tmp_path
):
    _populate(app, client, make_member, login, member_api)
    archive = _create(app, tmp_path / "backups")
    site = empty_site()
    assert _restore(site, archive).exit_code == 0
    with site.app_context():
        store = site.extensions["terreau_storage"]
        store.put("avatars/stray.webp", b"stray")
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE members SET display_name = 'Changed'"))
    kept = _tables(site)
    refused = _restore(site, archive)
    assert refused.exit_code != 0 and "not empty" in refused.output and "--force" in refused.output
    assert _tables(site) == kept and "avatars/stray.webp" in _files(site)

    forced = _restore(site, archive, "--force")
    assert forced.exit_code == 0, forced.output
    assert _tables(site) == _tables(app)
    assert _files(site) == _files(app)  # the stray file went too


def test_an_archive_with_an_unsafe_name_is_refused(app, empty_site, tmp_path):
    archive = _create(app, tmp_path / "backups")
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(evil, "w:gz") as target:
        manifest = json.load(source.extractfile("manifest.json"))
        for member in source:
            if member.name != "manifest.json":
                target.addfile(member, source.extractfile(member))
        payload = b"owned"
        name = "uploads/../../outside.txt"
        manifest["files"][name] = {"sha256": hashlib.sha256(payload).hexdigest(), "size": 5}
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        target.addfile(info, io.BytesIO(payload))
        encoded = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(encoded)
        target.addfile(info, io.BytesIO(encoded))
    site = empty_site()
    refused = _restore(site, evil)
    assert refused.exit_code != 0 and "unsafe name" in refused.output
    assert not (tmp_path / "outside.txt").exists() and _tables(site) == {}


def test_files_on_s3_go_into_the_archive_and_back(
    app, client, make_member, login, member_api, empty_site, tmp_path, s3_endpoint
):
    kept = app.extensions["terreau_storage"]
    app.extensions["terreau_storage"] = make_s3(s3_endpoint)
    try:
        _populate(app, client, make_member, login, member_api)
        archive = _create(app, tmp_path / "backups")
        site = empty_site()
        site.extensions["terreau_storage"] = make_s3(s3_endpoint)  # another, empty bucket
        restored = _restore(site, archive)
        assert restored.exit_code == 0, restored.output
        assert _files(site) == _files(app) != {}
        assert _tables(site) == _tables(app)
    finally:
        app.extensions["terreau_storage"] = kept


def test_an_unreachable_database_is_told_clearly(app, tmp_path):
    archive = _create(app, tmp_path / "backups")
    site = create_app(
        TestingConfig,
        DATA_DIR=str(tmp_path / "site"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite3'}",
        SOCKETIO_ASYNC_MODE="threading",  # the shared extension: see TestingConfig
    )
    refused = _restore(site, archive)
    assert refused.exit_code != 0 and "cannot be reached" in refused.output
    made = site.test_cli_runner().invoke(args=["backup", "create", "--to", str(tmp_path / "b")])
    assert made.exit_code != 0 and "cannot be reached" in made.output
