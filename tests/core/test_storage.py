"""The storage of uploaded files, on both backends: the local data folder and an S3 store
(moto's standalone server, spoken to over real HTTP by boto3).

Each test runs twice (`store` fixture): the app's storage is swapped for the backend while
the test runs, and the pages and API that upload and serve files go through it."""

import io
import time
import uuid

import pytest
import requests
from PIL import Image

from network.core import storage as storage_module
from network.core.storage import BadKey, LocalStorage, S3Storage
from tests.conftest import form_post
from tests.core.conftest import make_s3

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EN = {"Accept-Language": "en"}


@pytest.fixture(params=["local", "s3"])
def store(request, app, tmp_path):
    """The app's storage for this test: a fresh local folder, or a fresh bucket."""
    if request.param == "s3":
        backend = make_s3(request.getfixturevalue("s3_endpoint"))
    else:
        backend = LocalStorage(tmp_path / "uploads")
    kept = app.extensions["terreau_storage"]
    config = {k: app.config.get(k) for k in ("STORAGE_SIGNED_URLS", "STORAGE_S3_PRESIGNED")}
    app.extensions["terreau_storage"] = backend
    yield backend
    app.extensions["terreau_storage"] = kept
    app.config.update(config)


def _png(width=64, height=48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(out, "PNG")
    return out.getvalue()


def _set_avatar(client, login, member):
    login(member)
    answer = form_post(
        client,
        "/me/profile",
        {"display_name": member.display_name, "avatar": (io.BytesIO(_png()), "me.png")},
        page="/me/profile",
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client.get("/api/v1/me").get_json()


# --- the interface -----------------------------------------------------------------------


def test_put_read_list_and_delete(store):
    store.put("docs/a.txt", b"first", "text/plain")
    store.put("docs/b.txt", b"second", "text/plain")
    store.put("other/c.txt", b"third", "text/plain")
    assert store.read("docs/a.txt") == b"first"
    with store.open("docs/b.txt") as stream:
        assert stream.read() == b"second"
    assert store.exists("docs/a.txt") and not store.exists("docs/none.txt")
    assert sorted(store.list_keys("docs/")) == ["docs/a.txt", "docs/b.txt"]
    assert sorted(store.list_keys()) == ["docs/a.txt", "docs/b.txt", "other/c.txt"]
    store.put("docs/a.txt", b"replaced", "text/plain")
    assert store.read("docs/a.txt") == b"replaced"
    store.delete("docs/a.txt")
    store.delete("docs/a.txt")  # already gone: nothing to do
    assert not store.exists("docs/a.txt")
    with pytest.raises(FileNotFoundError):
        store.read("docs/a.txt")


@pytest.mark.parametrize(
    "key", ["../secret", "a/../../b", "/etc/passwd", "a\\..\\b", "a//b", "", "./a", "a/\x00"]
)
def test_keys_that_leave_the_store_are_refused(store, key):
    for attempt in (
        lambda: store.put(key, b"x"),
        lambda: store.read(key),
        lambda: store.delete(key),
        lambda: store.exists(key),
    ):
        with pytest.raises(BadKey):
            attempt()


# --- through the app ---------------------------------------------------------------------


def test_an_avatar_is_stored_served_and_replaced(app, client, login, make_member, store):
    member = make_member()
    me = _set_avatar(client, login, member)
    assert sorted(store.list_keys("avatars/"))[0].endswith(".webp")
    assert len(list(store.list_keys("avatars/"))) == 3  # three sizes
    served = client.get(me["avatar_full_url"])
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert Image.open(io.BytesIO(served.data)).format == "WEBP"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in served.headers["Cache-Control"]
    assert app.test_client().get(me["avatar_url"]).status_code == 302  # anonymous: sign in
    first = set(store.list_keys("avatars/"))
    again = _set_avatar(client, login, member)  # a new picture: the old files go
    assert again["avatar_url"] != me["avatar_url"]
    assert len(set(store.list_keys("avatars/"))) == 3 and not first & set(store.list_keys())


def test_missing_files_and_bad_paths_answer_404(client, login, make_member, store):
    login(make_member())
    for path in (
        "/uploads/avatars/0123456789abcdef-small.webp",
        "/uploads/avatars/..%2F..%2Fterreau.sqlite3.webp",
        "/uploads/avatars/../../x.webp",
        "/uploads/chat/anything-full.webp",  # served by the chat, after its checks
    ):
        assert client.get(path).status_code == 404, path


def test_chat_images_stay_with_the_channels_readers(client, member_api, store):
    _alice, alice = member_api()
    bob, bob_headers = member_api()
    _eve, eve = member_api()
    made = client.post(
        "/api/v1/channels",
        json={"name": "Photos", "kind": "private", "member_ids": [bob.id]},
        headers=alice,
    )
    channel = made.get_json()
    sent = client.post(
        f"/api/v1/channels/{channel['id']}/messages",
        data={"body": "", "client_id": uuid.uuid4().hex, "images": [(io.BytesIO(_png()), "a.png")]},
        headers=alice,
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.get_json()
    url = sent.get_json()["images"][0]
    assert list(store.list_keys("chat/"))
    assert client.get(url, headers=bob_headers).status_code == 200
    assert client.get(url, headers=eve).status_code == 404


def _assembly_document(client, member_api):
    staff, headers = member_api(role="staff", status="employee_entrepreneur")
    made = client.post(
        "/api/v1/assemblies",
        json={
            "kind": "ordinary",
            "title": "Assemblée générale",
            "starts_at": "2099-06-01T18:00:00+00:00",
            "resolutions": [{"title": "Comptes", "majority": "ordinary"}],
        },
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    aid = made.get_json()["id"]
    joined = client.post(
        f"/api/v1/assemblies/{aid}/documents",
        data={"file": (io.BytesIO(PDF), "comptes.pdf"), "title": "Comptes"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert joined.status_code == 201, joined.get_json()
    return aid, joined.get_json(), headers


def test_documents_are_downloads_for_those_who_may_read_them(client, member_api, store):
    aid, document, headers = _assembly_document(client, member_api)
    assert [k for k in store.list_keys("assemblies/")]
    got = client.get(document["url"], headers=headers)
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    _associate, associate = member_api(status="associate")
    assert client.get(document["url"], headers=associate).status_code == 404  # a draft's
    removed = client.delete(f"/api/v1/assemblies/{aid}/documents/{document['id']}", headers=headers)
    assert removed.status_code == 204
    assert not list(store.list_keys("assemblies/"))  # the file went with its row
    assert client.get(document["url"], headers=headers).status_code == 404


def test_a_refused_upload_leaves_no_file(client, member_api, store):
    aid, _document, headers = _assembly_document(client, member_api)
    before = set(store.list_keys())
    bad = client.post(
        f"/api/v1/assemblies/{aid}/documents",
        data={"file": (io.BytesIO(b"MZ\x90\x00"), "virus.pdf"), "title": "Virus"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert set(store.list_keys()) == before


# --- signed, expiring URLs ----------------------------------------------------------------


def test_signed_urls_redirect_after_the_permission_check(app, client, member_api, store):
    _aid, document, headers = _assembly_document(client, member_api)
    app.config["STORAGE_SIGNED_URLS"] = True
    _outsider, outsider = member_api(status="associate")
    assert client.get(document["url"], headers=outsider).status_code == 404  # still checked
    moved = client.get(document["url"], headers=headers)
    assert moved.status_code == 302
    assert "no-store" in moved.headers["Cache-Control"]
    target = moved.headers["Location"]
    if isinstance(store, S3Storage):  # the store's own presigned URL: the app is not involved
        direct = requests.get(target, timeout=10)
        assert direct.status_code == 200 and direct.content == PDF
        assert direct.headers["Content-Disposition"].startswith("attachment")
    else:
        got = app.test_client().get(target)  # anyone holding the URL, until it expires
        assert got.status_code == 200 and got.data == PDF
        assert got.headers["Content-Disposition"].startswith("attachment")


def test_app_signed_urls_expire_and_refuse_tampering(app, client, member_api, store, monkeypatch):
    _aid, document, headers = _assembly_document(client, member_api)
    app.config.update(STORAGE_SIGNED_URLS=True, STORAGE_S3_PRESIGNED=False)
    target = client.get(document["url"], headers=headers).headers["Location"]
    assert target.startswith("/files/")
    anyone = app.test_client()
    assert anyone.get(target).data == PDF
    token = target.removeprefix("/files/")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert anyone.get(f"/files/{tampered}", headers=EN).status_code == 403
    assert anyone.get("/files/not-a-token", headers=EN).status_code == 403
    later = time.time() + app.config["STORAGE_URL_SECONDS"] + 1
    monkeypatch.setattr(storage_module.time, "time", lambda: later)
    expired = anyone.get(target, headers=EN)
    assert expired.status_code == 403
    assert "This link is not valid or has expired." in expired.get_data(as_text=True)
    french = anyone.get(target, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Ce lien n’est pas valide ou a expiré." in french


def test_a_signed_url_of_a_removed_file_answers_404(app, client, member_api, store):
    aid, document, headers = _assembly_document(client, member_api)
    app.config.update(STORAGE_SIGNED_URLS=True, STORAGE_S3_PRESIGNED=False)
    target = client.get(document["url"], headers=headers).headers["Location"]
    client.delete(f"/api/v1/assemblies/{aid}/documents/{document['id']}", headers=headers)
    assert app.test_client().get(target).status_code == 404


# --- configuration -----------------------------------------------------------------------


def _app(tmp_path, **config):
    from config import TestingConfig
    from network import create_app

    return create_app(
        TestingConfig,
        DATA_DIR=str(tmp_path / "data"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'c.sqlite3'}",
        SOCKETIO_ASYNC_MODE="threading",  # the shared extension: see TestingConfig
        **config,
    )


def test_the_configuration_chooses_the_backend(tmp_path, s3_endpoint):
    bucket = make_s3(s3_endpoint).bucket
    on_s3 = _app(
        tmp_path,
        STORAGE="s3",
        STORAGE_S3_BUCKET=bucket,
        STORAGE_S3_ENDPOINT_URL=s3_endpoint,
        STORAGE_S3_REGION="us-east-1",
        STORAGE_S3_ACCESS_KEY_ID="testing",
        STORAGE_S3_SECRET_ACCESS_KEY="testing",
        STORAGE_S3_PREFIX="site-a",
    )
    store = on_s3.extensions["terreau_storage"]
    assert isinstance(store, S3Storage)
    store.put("avatars/x.webp", b"x", "image/webp")
    keys = store.client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [k["Key"] for k in keys] == ["site-a/avatars/x.webp"]

    shared = _app(tmp_path, STORAGE_DIR=str(tmp_path / "shared"))
    shared.extensions["terreau_storage"].put("a/b.txt", b"b")
    assert (tmp_path / "shared" / "a" / "b.txt").read_bytes() == b"b"
    default = _app(tmp_path).extensions["terreau_storage"]
    assert isinstance(default, LocalStorage)
    assert default.root == tmp_path / "data" / "uploads"

    with pytest.raises(RuntimeError, match="TERREAU_S3_BUCKET"):
        _app(tmp_path, STORAGE="s3")
    with pytest.raises(RuntimeError, match="local or s3"):
        _app(tmp_path, STORAGE="ftp")


# --- members' data exports ---------------------------------------------------------------


def _export(client, member_api):
    """A member with a post, and their export (small: built at once)."""
    _member, headers = member_api()
    client.post("/api/v1/posts", json={"body": "Mon post"}, headers=headers)
    answer = client.post("/api/v1/me/export", headers=headers)
    assert answer.status_code == 202
    export = answer.get_json()
    assert export["state"] == "ready", export
    return export, headers


def _zip_names(data: bytes) -> list[str]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def test_a_data_export_is_kept_and_served_by_the_storage(app, client, member_api, store):
    """Whichever server built the ZIP, any server gives it: it is in the storage, not in
    the building server's data folder."""
    export, headers = _export(client, member_api)
    (key,) = store.list_keys("exports/")
    assert key.endswith(".zip")
    answer = client.get(export["download_url"], headers=headers)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert "mes-donnees.zip" in answer.headers["Content-Disposition"]
    assert answer.data == store.read(key)
    assert "posts.json" in _zip_names(answer.data)
    _other, other_headers = member_api()
    assert client.get(export["download_url"], headers=other_headers).status_code == 404


def test_a_data_export_downloads_by_a_signed_url(app, client, member_api, store):
    export, headers = _export(client, member_api)
    app.config["STORAGE_SIGNED_URLS"] = True
    _other, other_headers = member_api()
    assert client.get(export["download_url"], headers=other_headers).status_code == 404
    moved = client.get(export["download_url"], headers=headers)
    assert moved.status_code == 302 and "no-store" in moved.headers["Cache-Control"]
    target = moved.headers["Location"]
    if isinstance(store, S3Storage):  # the store's own presigned URL
        direct = requests.get(target, timeout=10)
        assert direct.status_code == 200
        assert "mes-donnees.zip" in direct.headers["Content-Disposition"]
        data = direct.content
    else:
        got = app.test_client().get(target)
        assert got.status_code == 200
        data = got.data
    assert "LISEZMOI.txt" in _zip_names(data)


def test_an_expired_export_leaves_the_storage(app, client, member_api, store):
    from datetime import timedelta

    from sqlalchemy import update

    from network.extensions import db
    from network.privacy.models import DataExport

    export, headers = _export(client, member_api)
    with app.app_context():
        row = db.session.get(DataExport, export["id"])
        db.session.execute(
            update(DataExport)
            .where(DataExport.id == row.id)
            .values(expires_at=row.expires_at - timedelta(days=30))
        )
        db.session.commit()
    assert client.get(export["download_url"], headers=headers).status_code == 404
    result = app.test_cli_runner().invoke(args=["privacy", "retention"])
    assert "expired_exports: 1 removed" in result.output
    assert list(store.list_keys("exports/")) == []


def test_an_export_that_fails_leaves_no_file(app, client, member_api, store, monkeypatch):
    """The ZIP is stored, then the export fails before its row is saved: the ZIP goes."""
    from types import SimpleNamespace

    from network.privacy import operations

    def refuse(*_args, **_kwargs):
        raise RuntimeError("the notification could not be made")

    _member, headers = member_api()
    app.config["PRIVACY_EXPORT_THREAD"] = False
    monkeypatch.setattr(operations, "export_size", lambda _member_id: 10**9)  # in the tick
    try:
        export = client.post("/api/v1/me/export", headers=headers).get_json()
        assert export["state"] == "pending"
        monkeypatch.setattr(
            operations,
            "signals",
            SimpleNamespace(notification_requested=SimpleNamespace(send=refuse)),
        )
        result = app.test_cli_runner().invoke(args=["privacy", "tick"])
        assert "0 export(s) built." in result.output
    finally:
        app.config["PRIVACY_EXPORT_THREAD"] = True
    assert client.get(export["url"], headers=headers).get_json()["state"] == "failed"
    assert list(store.list_keys("exports/")) == []
