"""Large exports are built in the background (progress, a notification, a link that
expires); the daily retention command removes what is older than its setting and says what."""

from datetime import timedelta

from sqlalchemy import select, update

from network.extensions import db


def _set(app, **values):
    from network.cooperative.settings import load_cooperative

    with app.app_context():
        cooperative = load_cooperative()
        cooperative.values = {**(cooperative.values or {}), **values}
        db.session.commit()


def test_a_large_export_is_built_by_the_tick_and_notified(app, client, member_api):
    _set(app, export_inline_rows=0)
    app.config["PRIVACY_EXPORT_THREAD"] = False  # the cron's tick builds it here
    try:
        member, headers = member_api()
        client.post("/api/v1/posts", json={"body": "Un post"}, headers=headers)
        export = client.post("/api/v1/me/export", headers=headers).get_json()
        assert export["state"] == "pending" and export["download_url"] is None
        again = client.post("/api/v1/me/export", headers=headers).get_json()
        assert again["id"] == export["id"]  # one export under way at a time
        result = app.test_cli_runner().invoke(args=["privacy", "tick"])
        assert "1 export(s) built." in result.output
        ready = client.get(export["url"], headers=headers).get_json()
        assert ready["state"] == "ready" and ready["progress"] == 100
        assert client.get(ready["download_url"], headers=headers).status_code == 200
        notes = client.get("/api/v1/notifications", headers=headers).get_json()["items"]
        assert any("ready to download" in n["text"] for n in notes)
    finally:
        app.config["PRIVACY_EXPORT_THREAD"] = True


def test_an_expired_link_answers_404_and_its_file_goes(app, client, member_api):
    from network.privacy.models import DataExport

    member, headers = member_api()
    export = client.post("/api/v1/me/export", headers=headers).get_json()
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
    assert client.get(export["url"], headers=headers).get_json()["state"] == "expired"


def test_retention_removes_old_direct_messages_of_former_members(app, client, member_api):
    from network.chat.models import Message
    from network.core.audit import AuditEvent
    from network.members.models import Member

    former, former_headers = member_api()
    other, other_headers = member_api()
    direct = client.post("/api/v1/direct", json={"member_ids": [other.id]}, headers=former_headers)
    channel = direct.get_json().get("id") or direct.get_json()["channel"]["id"]
    for n, (h, body) in enumerate(((former_headers, "Vieux message"), (other_headers, "Gardé"))):
        sent = client.post(
            f"/api/v1/channels/{channel}/messages",
            json={"body": body, "client_id": f"m{n}"},
            headers=h,
        )
        assert sent.status_code == 201, sent.get_json()
    with app.app_context():
        from network.core.models import utcnow

        member = db.session.get(Member, former.id)
        member.status, member.is_active = "alumnus", False
        member.deactivated_at = utcnow() - timedelta(days=400)  # beyond 12 months
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "retention"])
    assert "direct_messages_of_former_members: 1 removed" in result.output
    with app.app_context():
        bodies = set(db.session.scalars(select(Message.body)))
        assert "Vieux message" not in bodies and "Gardé" in bodies
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "retention_applied")
        )
        assert event.details["direct_messages_of_former_members"] == 1


def test_the_privacy_page_tells_what_is_kept_from_the_settings(app, client):
    _set(app, retention_direct_messages_months=18)
    page = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Direct messages written by former members" in page and "18 months" in page
    assert "The security log" in page and "6 years" in page
    french = client.get("/privacy", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "18 mois" in french


def test_my_data_page_needs_a_login_and_lists_exports(app, client, make_member, login):
    from tests.conftest import form_post

    assert client.get("/me/data").status_code == 302
    member = make_member()
    login(member)
    done = form_post(
        client,
        "/me/data/export",
        page="/me/data",
        follow_redirects=True,
        headers={"Accept-Language": "en"},
    )
    assert "Your data is ready to download." in done.get_data(as_text=True)
    link = client.get("/me/data").get_data(as_text=True)
    assert "/me/data/exports/1/download" in link
    archive = client.get("/me/data/exports/1/download")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    assert client.get("/me/data/exports/2/download").status_code == 404


def test_retention_purges_the_old_security_log_and_its_chain_still_verifies(app, member_api):
    from network.core import audit
    from network.core.audit import AuditEvent
    from network.core.models import utcnow

    with app.app_context():  # the chain's first entries, older than the 6 years kept
        for years_ago in (8, 7):
            entry = audit.record(db.session, "login_failed", attempts=years_ago)
            entry.created_at = utcnow() - timedelta(days=365 * years_ago)
        db.session.commit()
    member, _headers = member_api()
    with app.app_context():
        kept = audit.record(db.session, "login", subject_id=member.id)
        db.session.commit()
        kept_id = kept.id
    result = app.test_cli_runner().invoke(args=["privacy", "retention"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert "login_failed" not in actions and "audit_purged" in actions
        assert db.session.get(AuditEvent, kept_id) is not None
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_an_export_written_before_the_storage_is_still_served_then_removed(app, client, member_api):
    """Exports built before they went through the storage sit in DATA_DIR/exports (their
    file name has no folder): served from there until they expire, then removed."""
    from pathlib import Path

    from network.privacy.models import DataExport

    _member, headers = member_api()
    export = client.post("/api/v1/me/export", headers=headers).get_json()
    folder = Path(app.config["DATA_DIR"]) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ancienne.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    with app.app_context():
        db.session.execute(
            update(DataExport).where(DataExport.id == export["id"]).values(file_name="ancienne.zip")
        )
        db.session.commit()
    old = client.get(export["download_url"], headers=headers)
    assert old.status_code == 200 and old.data.startswith(b"PK")
    with app.app_context():
        row = db.session.get(DataExport, export["id"])
        row.expires_at = row.expires_at - timedelta(days=30)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "retention"])
    assert "expired_exports: 1 removed" in result.output
    assert not (folder / "ancienne.zip").exists()
