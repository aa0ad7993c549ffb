"""Download my data, the exit of a member, consents and retention (every state change).

The export and exit walk `network.core.member_data`, which every module fills: this module
knows no other feature."""

import json
import logging
import tempfile
import threading
import uuid
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app, render_template, send_file, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from network.cooperative import current_settings
from network.core import audit, signals
from network.core.consent import Purpose, record_consent
from network.core.errors import Conflict, Forbidden, Invalid, NotFound
from network.core.events import after_commit
from network.core.ids import is_id
from network.core.member_data import (
    MEMBER_DATA,
    MEMBER_REFERENCES,
    RETENTIONS,
    count_rows,
    erase_rows,
    export_rows,
)
from network.core.models import utcnow
from network.core.permissions import Status, can_manage_account, require_staff
from network.core.storage import send, storage
from network.extensions import db
from network.members.models import Member
from network.privacy.models import DataExport, ExportState, MemberExit

log = logging.getLogger("terreau.privacy")
#: The profile is anonymised last: the other erasers may still read the member's row.
LAST = "profile"


EXPORTS = "exports"  # the folder of the ZIPs in the storage (local, shared folder or S3)
ZIP = "application/zip"
DOWNLOAD_NAME = "mes-donnees.zip"


def legacy_exports_dir() -> Path:
    """Where exports were written before they went through the storage (a file name without
    a folder in `file_name`); read and removed there until they expire."""
    return Path(current_app.config["DATA_DIR"]) / "exports"


# --- download my data ------------------------------------------------------------------------


def export_size(member_id: int) -> int:
    """How many rows the member's export holds (a custom exporter counts as one)."""
    return sum(
        1 if data.export is not None else count_rows(data, member_id)
        for data in MEMBER_DATA.values()
    )


def request_export(member: Member) -> DataExport:
    """Start an export of the member's data (or return the one under way). A small account is
    built at once; a large one in the background (after commit), the member notified when it
    is ready. Flushes, never commits."""
    running = db.session.scalar(
        select(DataExport).where(
            DataExport.member_id == member.id,
            DataExport.state.in_([ExportState.PENDING, ExportState.BUILDING]),
        )
    )
    if running is not None:
        return running
    export = DataExport(member_id=member.id, state=ExportState.PENDING)
    db.session.add(export)
    db.session.flush()
    audit.record(
        db.session,
        "data_export_requested",
        actor_id=member.id,
        subject_id=member.id,
        export_id=export.id,
    )
    if export_size(member.id) <= current_settings()["export_inline_rows"]:
        build_export(export)
    elif current_app.config.get("PRIVACY_EXPORT_THREAD", True):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        after_commit(db.session, _build_in_background, app, export.id)
    return export


def _build_in_background(app: Any, export_id: int) -> None:
    def run() -> None:
        with app.test_request_context():
            build_pending([export_id])

    threading.Thread(target=run, daemon=True, name=f"export-{export_id}").start()


def build_pending(ids: list[int] | None = None) -> int:
    """Build the pending exports (`ids`, or all of them), each committed as it goes; how many
    were built. The background thread and `flask privacy tick` call it."""
    query = select(DataExport.id).where(DataExport.state == ExportState.PENDING)
    if ids is not None:
        query = query.where(DataExport.id.in_(ids))
    built = 0
    for export_id in db.session.scalars(query).all():
        export = db.session.get(DataExport, export_id)
        if export is None or export.state != ExportState.PENDING:
            continue
        try:
            build_export(export, commit_progress=True)
            db.session.commit()
            built += 1
        except Exception:  # a failed export is told to its member, never left pending
            log.exception("export %s failed", export_id)
            db.session.rollback()
            export = db.session.get(DataExport, export_id)
            if export is not None:
                export.state = ExportState.FAILED
                db.session.commit()
    return built


def build_export(export: DataExport, *, commit_progress: bool = False) -> None:
    """Write the export's ZIP: a JSON file per kind of data, the files the member uploaded,
    and a README in French; then notify the member."""
    export.state = ExportState.BUILDING
    store = storage()
    with tempfile.TemporaryDirectory(prefix="terreau-export-") as scratch:
        path = Path(scratch) / "export.zip"
        _write_zip(export, path, commit_progress)
        key = f"{EXPORTS}/{uuid.uuid4().hex}.zip"
        store.put_file(key, path, ZIP)  # any server can give it, whichever built it
        size = path.stat().st_size
    _forget_unless_saved(key)
    now = utcnow()
    export.file_name, export.size = key, size
    export.state, export.progress, export.ready_at = ExportState.READY, 100, now
    export.expires_at = now + timedelta(days=current_settings()["export_link_days"])
    signals.notification_requested.send(
        export.member_id,
        kind="data_export_ready",
        text=_l(
            "Your data is ready to download (the link expires in %(days)s days).",
            days=current_settings()["export_link_days"],
        ),
        url=url_for("privacy.my_data"),
        actor=None,
    )


_UNSAVED = "terreau_unsaved_exports"


def _forget_unless_saved(key: str) -> None:
    """The stored ZIP is kept once its row commits; a rollback removes it (no file that no
    row names, and that nothing would ever remove)."""
    db.session.info.setdefault(_UNSAVED, []).append(key)
    after_commit(db.session, db.session.info.pop, _UNSAVED, None)


@event.listens_for(Session, "after_soft_rollback")
def _remove_unsaved_exports(session: Any, previous: Any) -> None:
    if previous.parent is None:
        for key in session.info.pop(_UNSAVED, []):
            try:
                storage().delete(key)
            except Exception:  # the rollback goes on; an orphan ZIP is only wasted space
                log.exception("could not remove the unsaved export %s", key)


def _write_zip(export: DataExport, path: Path, commit_progress: bool) -> None:
    kinds = sorted(MEMBER_DATA.values(), key=lambda d: d.name)
    written: list[tuple[str, Any, int]] = []
    store = storage()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, data in enumerate(kinds, start=1):
            rows = export_rows(data, export.member_id)
            archive.writestr(
                f"{data.name}.json",
                json.dumps(rows, ensure_ascii=False, indent=2, default=str),
            )
            written.append((f"{data.name}.json", data.description, len(rows)))
            for inner, key in data.files(export.member_id) if data.files else []:
                if store.exists(key):  # through the storage: local, shared folder or S3
                    archive.writestr(inner, store.read(key))
            export.progress = done * 100 // (len(kinds) + 1)
            if commit_progress:
                db.session.commit()
        with force_locale("fr"):
            readme = render_template("privacy/export_readme.txt", files=written)
        archive.writestr("LISEZMOI.txt", readme)


def get_export(member: Member, export_id: Any) -> DataExport:
    """The member's own export, or `NotFound` (another's answers the same)."""
    export = db.session.get(DataExport, int(export_id)) if is_id(export_id) else None
    if export is None or export.member_id != member.id:
        raise NotFound()
    return export


def send_export(member: Member, export_id: Any) -> Any:
    """The answer giving the ZIP of a ready, unexpired export of the member (from the
    storage, or a redirection to a signed URL that expires), else `NotFound`."""
    export = get_export(member, export_id)
    if export.state != ExportState.READY or not export.file_name:
        raise NotFound(_l("This export is not ready, or its link has expired."))
    if export.expires_at is not None and export.expires_at <= utcnow():
        raise NotFound(_l("This export is not ready, or its link has expired."))
    if "/" not in export.file_name:
        return _send_legacy(export.file_name)
    return send(export.file_name, ZIP, download_name=DOWNLOAD_NAME)


def _send_legacy(name: str) -> Any:
    path = legacy_exports_dir() / name
    if not path.is_file():
        raise NotFound()
    return send_file(path, mimetype=ZIP, as_attachment=True, download_name=DOWNLOAD_NAME)


def member_exports(member: Member) -> list[DataExport]:
    return list(
        db.session.scalars(
            select(DataExport)
            .where(DataExport.member_id == member.id)
            .order_by(DataExport.id.desc())
            .limit(10)
        )
    )


def _remove_file(name: str | None) -> None:
    """An export's ZIP goes: from the storage, or from the old local folder."""
    if not name:
        return
    if "/" in name:
        storage().delete(name)
    else:
        (legacy_exports_dir() / name).unlink(missing_ok=True)


def expire_exports(now: datetime) -> int:
    """The files of expired exports go (after commit); how many."""
    expired = db.session.scalars(
        select(DataExport).where(
            DataExport.state == ExportState.READY, DataExport.expires_at <= now
        )
    ).all()
    for export in expired:
        after_commit(db.session, _remove_file, export.file_name)
        export.state, export.file_name = ExportState.EXPIRED, None
    return len(expired)


# --- consents --------------------------------------------------------------------------------


def parse_purpose(raw: Any) -> Purpose:
    try:
        return Purpose(raw)
    except ValueError:
        raise Invalid(fields={"purpose": _l("Unknown consent.")}) from None


def set_consent(actor: Member, member: Member, purpose: Any, granted: Any, source="web") -> bool:
    """Record the member's choice (themselves, or staff copying a signed form); whether it
    changed."""
    if actor.id != member.id:
        require_staff(actor)
    purpose = parse_purpose(purpose)
    if not isinstance(granted, bool):
        raise Invalid(fields={"granted": _l("Answer true or false.")})
    consent = record_consent(member.id, purpose, granted, recorded_by_id=actor.id, source=source)
    if consent is None:
        return False
    audit.record(
        db.session,
        "consent_changed",
        actor_id=actor.id,
        subject_id=member.id,
        purpose=purpose.value,
        granted=granted,
    )
    return True


# --- exit ------------------------------------------------------------------------------------

EXIT_REASONS = {"alumnus": _l("Left the cooperative"), "erasure": _l("Asked for erasure")}


def run_exit(actor: Member, member: Member, reason: Any, delete_writings: Any) -> MemberExit:
    """Erase or anonymise the member's personal data, kind by kind as each module declared,
    end their sessions and tokens; the collective record (votes, attendance, bookings,
    exchanges) stays. Flushes, never commits."""
    require_staff(actor)
    if not can_manage_account(actor, member):
        raise Forbidden(_l("Only administrators can manage an administrator's account."))
    if member.id == actor.id:
        raise Conflict(_l("You cannot run your own exit."))
    if reason not in EXIT_REASONS:
        raise Invalid(fields={"reason": _l("Choose alumnus or erasure.")})
    if not isinstance(delete_writings, bool):
        raise Invalid(fields={"delete_writings": _l("Answer true or false.")})
    if reason == "alumnus" and member.status != Status.ALUMNUS:
        raise Conflict(
            _l("Record the member's exit stage first (status: former member)."),
            fields={"reason": _l("This member has not left the cooperative.")},
        )
    if db.session.scalar(select(MemberExit.id).where(MemberExit.member_id == member.id)):
        raise Conflict(_l("This member's exit was already run."))
    report: dict[str, int] = {}
    for data in MEMBER_DATA.values():
        if data.name != LAST:
            report[data.name] = erase_rows(data, member.id, delete_writings)
    for (table, column), reference in MEMBER_REFERENCES.items():
        if reference.eraser is not None:
            report[f"{table}.{column}"] = reference.eraser(member.id, delete_writings)
    for export in db.session.scalars(select(DataExport).where(DataExport.member_id == member.id)):
        after_commit(db.session, _remove_file, export.file_name)
        db.session.delete(export)
    if LAST in MEMBER_DATA:
        report[LAST] = erase_rows(MEMBER_DATA[LAST], member.id, delete_writings)
    exit_row = MemberExit(
        member_id=member.id,
        number=member.id,
        run_by_id=actor.id,
        reason=reason,
        writings_deleted=delete_writings,
        report={k: v for k, v in report.items() if v},
    )
    db.session.add(exit_row)
    db.session.flush()
    audit.record(
        db.session,
        "member_exit",
        actor_id=actor.id,
        subject_id=member.id,
        reason=reason,
        writings_deleted=delete_writings,
    )
    return exit_row


def exit_of(member_id: int) -> MemberExit | None:
    return db.session.scalar(select(MemberExit).where(MemberExit.member_id == member_id))


# --- retention -------------------------------------------------------------------------------


def cutoff(now: datetime, amount: int, unit: str) -> datetime:
    """`amount` days, months or years before `now` (a month: 30 days, a year: 365: a
    retention period needs no calendar precision)."""
    days = {"days": 1, "months": 30, "years": 365}[unit]
    return now - timedelta(days=amount * days)


def apply_retention(now: datetime | None = None) -> dict[str, int]:
    """Remove what is older than each kind's retention setting; name → rows removed.
    Flushes, never commits (`flask privacy retention` commits and prints the report)."""
    now = now or utcnow()
    settings = current_settings()
    report = {
        name: retention.apply(cutoff(now, int(settings[retention.setting]), retention.unit))
        for name, retention in RETENTIONS.items()
    }
    report["expired_exports"] = expire_exports(now)
    audit.record(db.session, "retention_applied", **report)
    return report
