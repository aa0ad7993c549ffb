"""The archive of general assemblies in search: title, place and the resolutions with
their texts, for every member once the assembly is convened (drafts: none)."""

from collections.abc import Iterator

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from network.core.registries import MEMBERS, Document, SearchKind, register_search_kind
from network.extensions import db
from network.governance.assemblies import may_see
from network.governance.models import Assembly, AssemblyState, Resolution


def _documents(ids: list[int]) -> Iterator[Document]:
    assemblies = db.session.scalars(
        select(Assembly).where(Assembly.id.in_(ids), Assembly.state != AssemblyState.DRAFT)
    ).all()
    resolutions: dict[int, list[str]] = {}
    for assembly_id, title, text in db.session.execute(
        select(Resolution.assembly_id, Resolution.title, Resolution.text).where(
            Resolution.assembly_id.in_([a.id for a in assemblies])
        )
    ):
        resolutions.setdefault(assembly_id, []).append(f"{title}. {text}")
    for assembly in assemblies:
        body = " ".join(resolutions.get(assembly.id, []))
        yield Document("assembly", assembly.id, MEMBERS, assembly.title, body, assembly.place)


def _all_ids() -> list[int]:
    return list(
        db.session.scalars(select(Assembly.id).where(Assembly.state != AssemblyState.DRAFT))
    )


def _load(ids: list[int]) -> dict[int, Assembly]:
    return {a.id: a for a in db.session.scalars(select(Assembly).where(Assembly.id.in_(ids)))}


register_search_kind(
    SearchKind(
        "assembly",
        _l("General assemblies"),
        _documents,
        _all_ids,
        _load,
        may_see,
        lambda assembly: url_for("governance.assembly", assembly_id=assembly.id),
    )
)
