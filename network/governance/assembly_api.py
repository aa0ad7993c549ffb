"""/api/v1 routes of general assemblies: prepare, convene, the register, proxies,
attendance, the quorum meter, votes on resolutions, and the minutes."""

import csv
import io
from typing import Any

from flask import Response, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network.api.core import (
    BOOLEAN,
    INTEGER,
    NULLABLE_DATE_TIME,
    STRING,
    bp,
    doc,
    iso_or_none,
    items_of,
    json_body,
    obj,
)
from network.core.errors import Invalid
from network.core.files import Upload, download
from network.core.ids import ID_SCHEMA, is_id
from network.extensions import db
from network.governance import assemblies, documents
from network.governance.models import (
    Assembly,
    AssemblyDocument,
    AssemblyKind,
    AssemblyState,
    Attendee,
    Proxy,
    Resolution,
)
from network.members.models import Member

RESOLUTION = obj(
    id=INTEGER,
    position=INTEGER,
    title=STRING,
    text=STRING,
    text_html=STRING,
    majority={"type": "string", "enum": ["ordinary", "extraordinary"]},
    secret=BOOLEAN,
    by_gerance=BOOLEAN,
    state={"type": "string", "enum": ["proposed", "pending", "open", "closed"]},
    verdict={"type": ["object", "null"]},
)
DOCUMENT = obj(
    id=INTEGER,
    title=STRING,
    name=STRING,
    content_type=STRING,
    size=INTEGER,
    created_at={"type": "string", "format": "date-time"},
    url=STRING,
)
ASSEMBLY = obj(
    id=INTEGER,
    kind={"type": "string", "enum": [k.value for k in AssemblyKind]},
    convocation=INTEGER,
    title=STRING,
    starts_at={"type": "string", "format": "date-time"},
    place=STRING,
    online_url=STRING,
    state={"type": "string", "enum": [s.value for s in AssemblyState]},
    postal_votes=BOOLEAN,
    postal_deadline=NULLABLE_DATE_TIME,
    register_size=INTEGER,
    chair_id={"type": ["integer", "null"]},
    secretary_id={"type": ["integer", "null"]},
    convened_at=NULLABLE_DATE_TIME,
    minutes_signed_at=NULLABLE_DATE_TIME,
    resolutions={"type": "array", "items": RESOLUTION},
    documents={
        "type": "array",
        "items": DOCUMENT,
        "description": "For the staff and the associates on the register only",
    },
    url=STRING,
)
RESOLUTION_BODY = obj(
    title={"type": "string", "maxLength": assemblies.MAX_TITLE},
    text={"type": "string", "maxLength": assemblies.MAX_TEXT},
    majority={"type": "string", "enum": ["ordinary", "extraordinary"]},
    secret=BOOLEAN,
    by_gerance=BOOLEAN,
)
ASSEMBLY_BODY = obj(
    kind={"type": "string", "enum": [k.value for k in AssemblyKind]},
    title={"type": "string", "maxLength": assemblies.MAX_TITLE},
    starts_at={"type": "string", "format": "date-time"},
    place={"type": "string", "maxLength": 300},
    online_url={"type": "string", "maxLength": 500},
    chair_id={"type": ["integer", "null"], "minimum": 1},
    secretary_id={"type": ["integer", "null"], "minimum": 1},
    postal_votes=BOOLEAN,
    postal_deadline={"type": ["string", "null"], "format": "date-time"},
    resolutions={"type": "array", "items": RESOLUTION_BODY, "maxItems": assemblies.MAX_RESOLUTIONS},
)
PROXY = obj(id=INTEGER, giver=obj(id=INTEGER, name=STRING), holder={"type": ["object", "null"]})
QUORUM = obj(
    assembly_id=INTEGER,
    register=INTEGER,
    present=INTEGER,
    online=INTEGER,
    postal=INTEGER,
    represented=INTEGER,
    counted=INTEGER,
    quorum={"type": "object"},
)


def resolution_json(resolution: Resolution) -> dict[str, Any]:
    return {
        "id": resolution.id,
        "position": resolution.position + 1,
        "title": resolution.title,
        "text": resolution.text,
        "text_html": resolution.text_html,
        "majority": resolution.majority,
        "secret": resolution.secret,
        "by_gerance": resolution.by_gerance,
        "state": resolution.state.value,
        "verdict": resolution.verdict,
    }


def document_json(document: AssemblyDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "title": document.title,
        "name": document.name,
        "content_type": document.content_type,
        "size": document.size,
        "created_at": document.created_at.isoformat(),
        "url": url_for(
            "api.get_document", assembly_id=document.assembly_id, document_id=document.id
        ),
    }


def assembly_json(assembly: Assembly, with_documents: bool | None = None) -> dict[str, Any]:
    """The assembly; its documents when the viewer reads them (`with_documents`: known
    already, else asked)."""
    if with_documents is None:
        with_documents = documents.may_read(current_user, assembly)
    return {
        "id": assembly.id,
        "kind": assembly.kind.value,
        "convocation": assembly.convocation,
        "title": assembly.title,
        "starts_at": assembly.starts_at.isoformat(),
        "place": assembly.place,
        "online_url": assembly.online_url,
        "state": assembly.state.value,
        "postal_votes": assembly.postal_votes,
        "postal_deadline": iso_or_none(assembly.postal_deadline),
        "register_size": assembly.register_size,
        "chair_id": assembly.chair_id,
        "secretary_id": assembly.secretary_id,
        "convened_at": iso_or_none(assembly.convened_at),
        "minutes_signed_at": iso_or_none(assembly.minutes_signed_at),
        "resolutions": [resolution_json(r) for r in assembly.resolutions],
        **({"documents": [document_json(d) for d in assembly.documents]} if with_documents else {}),
        "url": url_for("governance.assembly", assembly_id=assembly.id),
    }


def proxy_json(proxy: Proxy) -> dict[str, Any]:
    holder = proxy.holder
    return {
        "id": proxy.id,
        "giver": {"id": proxy.giver_id, "name": proxy.giver.display_name},
        "holder": {"id": holder.id, "name": holder.display_name} if holder else None,
    }


@bp.get("/assemblies")
@doc("General assemblies, newest first (drafts: staff only)", response=items_of(ASSEMBLY))
def list_assemblies():
    query = (
        select(Assembly)
        .order_by(Assembly.starts_at.desc())
        .limit(100)
        .options(selectinload(Assembly.documents))
    )
    found = [a for a in db.session.scalars(query) if assemblies.may_see(current_user, a)]
    readable = documents.readable_ids(current_user, found)
    return {"items": [assembly_json(a, a.id in readable) for a in found]}


@bp.post("/assemblies")
@doc(
    "Prepare a general assembly (staff): kind, date, place, agenda",
    status=201,
    request_schema=ASSEMBLY_BODY,
    response=ASSEMBLY,
    errors=(403, 422),
)
def create_assembly():
    assembly = assemblies.create_assembly(current_user, json_body())
    db.session.commit()
    return assembly_json(assembly), 201


@bp.get("/assemblies/<int:assembly_id>")
@doc("A general assembly with its agenda and verdicts", response=ASSEMBLY, errors=(404,))
def get_assembly(assembly_id: int):
    return assembly_json(assemblies.get_assembly(current_user, assembly_id))


@bp.patch("/assemblies/<int:assembly_id>")
@doc(
    "Change a draft assembly (staff); once convened only its chair, secretary, place and link",
    request_schema=ASSEMBLY_BODY,
    response=ASSEMBLY,
    errors=(403, 404, 409, 422),
)
def update_assembly(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    assemblies.update_assembly(current_user, assembly, json_body())
    db.session.commit()
    return assembly_json(assembly)


@bp.post("/assemblies/<int:assembly_id>/convene")
@doc(
    "Convene every associate (the register is frozen now); `warnings` when the delay is short",
    response=obj(assembly=ASSEMBLY, warnings={"type": "array", "items": STRING}),
    errors=(403, 404, 409, 422),
)
def convene(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    warnings = assemblies.convene(current_user, assembly)
    db.session.commit()
    return {"assembly": assembly_json(assembly), "warnings": warnings}


@bp.get("/assemblies/<int:assembly_id>/register")
@doc(
    "The register of associates frozen at the convocation (`?format=csv` for a file)",
    response=items_of(
        obj(
            member_id=INTEGER,
            name=STRING,
            convened_at=STRING,
            acknowledged_at=NULLABLE_DATE_TIME,
            presence=STRING,
        )
    ),
    errors=(404,),
)
def register(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    rows = db.session.execute(
        select(Attendee, Member.display_name)
        .join(Member, Member.id == Attendee.member_id)
        .where(Attendee.assembly_id == assembly.id)
        .order_by(Member.name_key)
    ).all()
    items = [
        {
            "member_id": row.member_id,
            "name": name,
            "convened_at": row.convened_at.isoformat(),
            "acknowledged_at": iso_or_none(row.acknowledged_at),
            "presence": row.presence.value,
        }
        for row, name in rows
    ]
    if request.args.get("format") == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(items[0]) if items else ["member_id"])
        writer.writeheader()
        writer.writerows(items)
        return Response(
            out.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename=register-{assembly.id}.csv"},
        )
    return {"items": items}


@bp.get("/assemblies/<int:assembly_id>/proxies")
@doc(
    "The proxies given for an assembly, and the cap per holder",
    response=items_of(PROXY, cap=INTEGER),
    errors=(404,),
)
def list_proxies(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    proxies = assemblies.proxies_of(assembly)
    return {"items": [proxy_json(p) for p in proxies], "cap": assemblies.cap_for(assembly)}


@bp.post("/assemblies/<int:assembly_id>/proxies")
@doc(
    "Give your proxy to another associate (`holder_id`), or a blank proxy (`holder_id`: null)",
    status=201,
    request_schema=obj(holder_id={"type": ["integer", "null"], "minimum": 1}),
    response=PROXY,
    errors=(403, 404, 409, 422),
)
def give_proxy(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    body = json_body()
    if "holder_id" not in body:
        raise Invalid(fields={"holder_id": "holder_id"})
    proxy = assemblies.give_proxy(current_user, assembly, body["holder_id"])
    db.session.commit()
    return proxy_json(proxy), 201


@bp.delete("/proxies/<int:proxy_id>")
@doc("Revoke your proxy (until it is used in a vote)", status=204, errors=(404, 409))
def revoke_proxy(proxy_id: int):
    assemblies.revoke_proxy(current_user, proxy_id)
    db.session.commit()
    return "", 204


@bp.post("/assemblies/<int:assembly_id>/attendance")
@doc(
    "Check in: yourself, or (the chair) another associate; `presence`: present or online",
    request_schema=obj(
        member_id={"type": ["integer", "null"], "minimum": 1},
        presence={"type": "string", "enum": ["present", "online"]},
    ),
    response=QUORUM,
    errors=(403, 404, 409, 422),
)
def attendance(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    body = json_body()
    assemblies.check_in(current_user, assembly, body.get("member_id"), body.get("presence"))
    db.session.commit()
    return assemblies.quorum(assembly)


@bp.get("/assemblies/<int:assembly_id>/quorum")
@doc(
    "The quorum meter: present, represented and by post against the register",
    response=QUORUM,
    errors=(404,),
)
def get_quorum(assembly_id: int):
    return assemblies.quorum(assemblies.get_assembly(current_user, assembly_id))


@bp.post("/resolutions/<int:resolution_id>/open")
@doc("Open the vote on a resolution (the chair)", response=RESOLUTION, errors=(403, 404, 409))
def open_resolution(resolution_id: int):
    resolution = assemblies.get_resolution(current_user, resolution_id)
    assemblies.open_resolution(current_user, resolution)
    db.session.commit()
    return resolution_json(resolution)


@bp.post("/resolutions/<int:resolution_id>/close")
@doc(
    "Close the vote on a resolution (the chair): the verdict states the rule applied",
    response=RESOLUTION,
    errors=(403, 404, 409),
)
def close_resolution(resolution_id: int):
    resolution = assemblies.get_resolution(current_user, resolution_id)
    assemblies.close_resolution(current_user, resolution)
    db.session.commit()
    return resolution_json(resolution)


@bp.put("/resolutions/<int:resolution_id>/vote")
@doc(
    "Vote on a resolution: your own vote, or one you hold by proxy (`on_behalf_of`); "
    "`postal`: true to vote by post before the deadline",
    request_schema={
        "type": "object",
        "required": ["choice"],
        "properties": {
            "choice": {"type": "string", "enum": list(assemblies.CHOICES)},
            "on_behalf_of": ID_SCHEMA,
            "postal": BOOLEAN,
        },
    },
    response=obj(resolution_id=INTEGER, voter_id=INTEGER, secret=BOOLEAN),
    errors=(403, 404, 409, 422),
)
def vote_resolution(resolution_id: int):
    resolution = assemblies.get_resolution(current_user, resolution_id)
    body = json_body()
    if body.get("postal") is True:
        answer = assemblies.postal_vote(current_user, resolution, body.get("choice"))
    else:
        behalf = body.get("on_behalf_of")
        if behalf is not None and not is_id(behalf):
            raise Invalid(fields={"on_behalf_of": "on_behalf_of"})
        answer = assemblies.vote(current_user, resolution, body.get("choice"), behalf)
    db.session.commit()
    return answer


@bp.post("/assemblies/<int:assembly_id>/close")
@doc("Close the assembly (the chair)", response=ASSEMBLY, errors=(403, 404, 409))
def close_assembly(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    assemblies.close_assembly(current_user, assembly)
    db.session.commit()
    return assembly_json(assembly)


@bp.post("/assemblies/<int:assembly_id>/no-quorum")
@doc(
    "Record that the first convocation had no quorum; the second is drafted (staff)",
    status=201,
    request_schema={
        "type": "object",
        "required": ["starts_at"],
        "properties": {"starts_at": {"type": "string", "format": "date-time"}},
    },
    response=ASSEMBLY,
    errors=(403, 404, 409, 422),
)
def no_quorum(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    second = assemblies.record_no_quorum(current_user, assembly, json_body().get("starts_at"))
    db.session.commit()
    return assembly_json(second), 201


@bp.get("/assemblies/<int:assembly_id>/minutes")
@doc(
    "The minutes (procès-verbal): frozen once the chair signed them",
    response=obj(signed_at=NULLABLE_DATE_TIME, minutes={"type": "object"}),
    errors=(404,),
)
def minutes(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    return {
        "signed_at": iso_or_none(assembly.minutes_signed_at),
        "minutes": assemblies.minutes_of(assembly),
    }


@bp.post("/assemblies/<int:assembly_id>/minutes/sign")
@doc(
    "Sign the minutes off (the chair): they are frozen",
    response=obj(signed_at=NULLABLE_DATE_TIME, minutes={"type": "object"}),
    errors=(403, 404, 409),
)
def sign_minutes(assembly_id: int):
    from network.governance.views import make_signed_minutes_pdf

    assembly = assemblies.get_assembly(current_user, assembly_id)
    assemblies.sign_minutes(current_user, assembly)
    make_signed_minutes_pdf(assembly)
    db.session.commit()
    return {"signed_at": iso_or_none(assembly.minutes_signed_at), "minutes": assembly.minutes}


@bp.get("/assemblies/<int:assembly_id>/minutes.pdf")
@doc("The minutes as a PDF", errors=(404,))
def minutes_pdf(assembly_id: int):
    from network.governance.views import _minutes_page, minutes_pdf_response

    assembly = assemblies.get_assembly(current_user, assembly_id)
    return minutes_pdf_response(assembly, _minutes_page(assembly))


@bp.post("/assemblies/<int:assembly_id>/resolutions")
@doc(
    "Add a draft resolution (an associate, within the statutes' window); it joins the agenda "
    "once its signers hold the statutes' share of the votes",
    status=201,
    request_schema=RESOLUTION_BODY,
    response=RESOLUTION,
    errors=(403, 404, 409, 422),
)
def propose_resolution(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    resolution = assemblies.propose_resolution(current_user, assembly, json_body())
    db.session.commit()
    return resolution_json(resolution), 201


@bp.post("/resolutions/<int:resolution_id>/sign")
@doc("Co-sign an associate's draft resolution", response=RESOLUTION, errors=(403, 404, 409))
def cosign_resolution(resolution_id: int):
    resolution = assemblies.get_resolution(current_user, resolution_id)
    assemblies.cosign(current_user, resolution)
    db.session.commit()
    return resolution_json(resolution)


@bp.post("/assemblies/<int:assembly_id>/documents")
@doc(
    "Join a document to an assembly (staff, until it is held): `file` (PDF, ODT, ODS, DOCX "
    "or XLSX, checked on its content; at most the cooperative's size) and its `title`",
    status=201,
    request_schema={
        "type": "object",
        "required": ["file", "title"],
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "title": {"type": "string", "maxLength": documents.MAX_TITLE},
        },
    },
    request_media="multipart/form-data",
    response=DOCUMENT,
    errors=(403, 404, 409, 413),
)
def attach_document(assembly_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    given = request.files.get("file")
    upload = Upload(given.filename or "file", given.read()) if given else None
    document = documents.attach(current_user, assembly, upload, request.form.get("title"))
    db.session.commit()
    return document_json(document), 201


@bp.get("/assemblies/<int:assembly_id>/documents/<int:document_id>")
@doc(
    "Download a document of an assembly (the staff and the associates on the register); "
    "always an attachment",
    errors=(404,),
)
def get_document(assembly_id: int, document_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    found = documents.get_document(current_user, assembly, document_id)
    return download(found.key, found.name, found.content_type)


@bp.delete("/assemblies/<int:assembly_id>/documents/<int:document_id>")
@doc(
    "Remove a document of an assembly (staff, until it is held)",
    status=204,
    errors=(403, 404, 409),
)
def remove_document(assembly_id: int, document_id: int):
    assembly = assemblies.get_assembly(current_user, assembly_id)
    documents.remove(current_user, assembly, document_id)
    db.session.commit()
    return "", 204
