"""The documents of a general assembly (the accounts, the reports): the support team joins
them while the assembly is prepared or convened and removes them until it is held; the
associates on the register and the staff download them. The boundary commits once."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.cooperative import current_settings
from network.core import audit
from network.core.errors import Conflict, Forbidden, Invalid, NotFound
from network.core.files import FileStore, Upload, remove_after_commit
from network.core.ids import is_id
from network.core.inputs import text_field
from network.core.permissions import is_staff
from network.core.registries import SettingSpec, register_setting
from network.extensions import db
from network.governance.models import Assembly, AssemblyDocument, AssemblyState, Attendee

STORE = FileStore("assemblies", ("pdf", "odt", "ods", "docx", "xlsx"), max_files=1)
MAX_DOCUMENTS = 30
MAX_TITLE = 200
#: While the support team may still join and remove documents.
CHANGEABLE = (AssemblyState.DRAFT, AssemblyState.CONVENED)
NOT_FOUND = _l("This document does not exist or you cannot see it.")

register_setting(
    SettingSpec(
        "ag_document_max_kb",
        8000,
        _l("Largest document joined to a general assembly, in kB"),
        minimum=100,
        maximum=8000,
    )
)


def max_bytes() -> int:
    return int(current_settings()["ag_document_max_kb"]) * 1024


def may_read(viewer: Any, assembly: Assembly) -> bool:
    """The staff, and the associates on the register (frozen at the convocation); the
    caller has checked the viewer may see the assembly."""
    if viewer is None or not getattr(viewer, "is_active", False):
        return False
    if is_staff(viewer):
        return True
    found = select(Attendee.member_id).where(
        Attendee.assembly_id == assembly.id, Attendee.member_id == viewer.id
    )
    return db.session.scalar(found) is not None


def readable_ids(viewer: Any, assemblies: list[Assembly]) -> set[int]:
    """Of these assemblies, those whose documents `viewer` reads (one statement)."""
    if viewer is None or not getattr(viewer, "is_active", False) or not assemblies:
        return set()
    if is_staff(viewer):
        return {a.id for a in assemblies}
    return set(
        db.session.scalars(
            select(Attendee.assembly_id).where(
                Attendee.member_id == viewer.id,
                Attendee.assembly_id.in_([a.id for a in assemblies]),
            )
        )
    )


def _require_changeable(actor: Any, assembly: Assembly) -> None:
    if not is_staff(actor):
        raise Forbidden(_l("Only the support team joins documents to an assembly."))
    if assembly.state not in CHANGEABLE:
        raise Conflict(_l("The assembly has been held: its documents can no longer change."))


def attach(actor: Any, assembly: Assembly, upload: Upload | None, title: Any) -> AssemblyDocument:
    """Join a document (PDF, ODT, ODS, DOCX or XLSX, checked on its content) with a title."""
    _require_changeable(actor, assembly)
    errors: dict[str, Any] = {}
    try:
        clean_title = text_field(title, "title", MAX_TITLE)
    except Invalid as error:
        errors.update(error.fields)
    if upload is None:
        errors["file"] = _l("Choose a file.")
    if errors:
        raise Invalid(fields=errors)
    if len(assembly.documents) >= MAX_DOCUMENTS:
        raise Invalid(
            fields={"file": _l("At most %(max)s documents per assembly.", max=MAX_DOCUMENTS)}
        )
    (stored,) = STORE.store(db.session, [upload], "file", max_bytes())  # type: ignore[list-item]
    document = AssemblyDocument(
        title=clean_title,
        key=stored.key,
        name=stored.name,
        content_type=stored.content_type,
        size=stored.size,
        added_by_id=actor.id,
    )
    assembly.documents.append(document)
    db.session.flush()
    audit.record(
        db.session,
        "assembly_document_attached",
        actor_id=actor.id,
        assembly_id=assembly.id,
        document_id=document.id,
        name=document.name,
        size=document.size,
    )
    return document


def get_document(viewer: Any, assembly: Assembly, document_id: Any) -> AssemblyDocument:
    """A document of `assembly` the viewer may read, else `NotFound` (as if it did not
    exist)."""
    document = db.session.get(AssemblyDocument, document_id) if is_id(document_id) else None
    if document is None or document.assembly_id != assembly.id or not may_read(viewer, assembly):
        raise NotFound(NOT_FOUND)
    return document


def remove(actor: Any, assembly: Assembly, document_id: Any) -> None:
    """Remove a document until the assembly is held; its file goes once this commits."""
    document = get_document(actor, assembly, document_id)
    _require_changeable(actor, assembly)
    assembly.documents.remove(document)
    remove_after_commit(db.session, document.key)
    audit.record(
        db.session,
        "assembly_document_removed",
        actor_id=actor.id,
        assembly_id=assembly.id,
        document_id=document.id,
        name=document.name,
    )
