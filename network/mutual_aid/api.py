"""/api/v1 routes of mutual aid: offers and needs, responses, exchanges, the time ledger,
endorsements and co-contracts."""

from typing import Any

from flask import request, url_for
from flask_login import current_user

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
    limit_param,
    obj,
    query_param,
)
from network.core.ids import ID_SCHEMA
from network.extensions import db
from network.mutual_aid import operations, queries
from network.mutual_aid.models import (
    CoContract,
    CoContractKind,
    Endorsement,
    Exchange,
    LedgerEntry,
    Offer,
    OfferKind,
    PartState,
    PlaceKind,
    Response,
)

HOURS = {
    "oneOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "string", "description": "hours as written: 1,5 or 1h30"},
        obj(minutes={"type": "integer", "minimum": 1}),
    ],
    "description": "time in hours (whole minutes only), or {minutes}",
}
MEMBER_REF = obj(id=INTEGER, name=STRING)
OFFER = obj(
    id=INTEGER,
    kind={"type": "string", "enum": [k.value for k in OfferKind]},
    state={"type": "string", "enum": ["open", "closed", "withdrawn"]},
    expired=BOOLEAN,
    title=STRING,
    body=STRING,
    author=MEMBER_REF,
    skills={"type": "array", "items": INTEGER},
    place={"type": "string", "enum": [p.value for p in PlaceKind]},
    city=STRING,
    estimate_minutes=INTEGER,
    expires_on={"type": "string", "format": "date"},
    response_count=INTEGER,
    created_at=NULLABLE_DATE_TIME,
    url=STRING,
)
OFFER_BODY = obj(
    kind={"type": "string", "enum": [k.value for k in OfferKind]},
    title={"type": "string", "maxLength": operations.MAX_TITLE},
    body={"type": "string", "maxLength": operations.MAX_BODY},
    skills={"type": "array", "items": ID_SCHEMA, "maxItems": operations.MAX_SKILLS},
    place={"type": "string", "enum": [p.value for p in PlaceKind]},
    city={"type": "string", "maxLength": operations.MAX_CITY},
    estimate=HOURS,
    expires_on={"type": "string", "format": "date"},
    state={"type": "string", "enum": ["open", "closed"], "description": "PATCH only"},
)
RESPONSE = obj(
    id=INTEGER,
    offer_id=INTEGER,
    member=MEMBER_REF,
    message=STRING,
    state={"type": "string", "enum": ["pending", "accepted"]},
    conversation_url=STRING,
)
EXCHANGE = obj(
    id=INTEGER,
    offer_id=INTEGER,
    helper=MEMBER_REF,
    helped=MEMBER_REF,
    state={"type": "string", "enum": ["open", "disputed", "recorded"]},
    helper_minutes={"type": ["integer", "null"]},
    helped_minutes={"type": ["integer", "null"]},
    minutes={"type": ["integer", "null"]},
    recorded_at=NULLABLE_DATE_TIME,
)
ENTRY = obj(
    id=INTEGER,
    kind={"type": "string", "enum": ["exchange", "opening", "correction"]},
    minutes=INTEGER,
    balance_after=INTEGER,
    counterpart={"type": ["object", "null"]},
    exchange_id={"type": ["integer", "null"]},
    note=STRING,
    created_at=NULLABLE_DATE_TIME,
)
ENDORSEMENT = obj(
    id=INTEGER,
    member_id=INTEGER,
    skill_id=INTEGER,
    endorser=MEMBER_REF,
    collaboration_id=INTEGER,
    comment=STRING,
    created_at=NULLABLE_DATE_TIME,
)
PART = obj(member_id=ID_SCHEMA, amount=obj(cents={"type": "integer", "minimum": 1}))
COCONTRACT = obj(
    id=INTEGER,
    kind={"type": "string", "enum": [k.value for k in CoContractKind]},
    client=STRING,
    description=STRING,
    lead_id=INTEGER,
    total_cents=INTEGER,
    state={"type": "string", "enum": [s.value for s in PartState]},
    parts={
        "type": "array",
        "items": obj(
            member=MEMBER_REF,
            amount_cents=INTEGER,
            state={"type": "string", "enum": [s.value for s in PartState]},
        ),
    },
    starts_on={"type": "string", "format": "date"},
    ends_on={"type": "string", "format": "date"},
    service_request_url={"type": ["string", "null"]},
    url=STRING,
)
COCONTRACT_BODY = {
    **obj(
        kind={"type": "string", "enum": [k.value for k in CoContractKind]},
        client={"type": "string", "maxLength": 160},
        description=STRING,
        lead_id=ID_SCHEMA,
        total=obj(cents={"type": "integer", "minimum": 1}),
        parts={"type": "array", "items": PART, "minItems": 2, "maxItems": operations.MAX_PARTS},
        starts_on={"type": "string", "format": "date"},
        ends_on={"type": "string", "format": "date"},
    ),
    "required": ["client", "lead_id", "total", "parts", "starts_on", "ends_on"],
}


def _member(member: Any) -> dict[str, Any]:
    return {"id": member.id, "name": member.display_name}


def offer_json(offer: Offer, _viewer: Any = None) -> dict[str, Any]:
    return {
        "id": offer.id,
        "kind": offer.kind.value,
        "state": offer.state.value,
        "expired": operations.is_expired(offer),
        "title": offer.title,
        "body": offer.body,
        "author": _member(offer.author),
        "skills": sorted(s.skill_id for s in offer.skills),
        "place": offer.place.value,
        "city": offer.city,
        "estimate_minutes": offer.estimate_minutes,
        "expires_on": offer.expires_on.isoformat(),
        "response_count": offer.response_count,
        "created_at": iso_or_none(offer.created_at),
        "url": url_for("mutual_aid.offer", offer_id=offer.id),
    }


def response_json(response: Response) -> dict[str, Any]:
    return {
        "id": response.id,
        "offer_id": response.offer_id,
        "member": _member(response.member),
        "message": response.message,
        "state": response.state.value,
        "conversation_url": response.conversation_url,
    }


def exchange_json(exchange: Exchange) -> dict[str, Any]:
    return {
        "id": exchange.id,
        "offer_id": exchange.offer_id,
        "helper": _member(exchange.helper),
        "helped": _member(exchange.helped),
        "state": exchange.state.value,
        "helper_minutes": exchange.helper_minutes,
        "helped_minutes": exchange.helped_minutes,
        "minutes": exchange.minutes,
        "recorded_at": iso_or_none(exchange.recorded_at),
    }


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind.value,
        "minutes": entry.minutes,
        "balance_after": entry.balance_after,
        "counterpart": _member(entry.counterpart) if entry.counterpart else None,
        "exchange_id": entry.exchange_id,
        "note": entry.note,
        "created_at": iso_or_none(entry.created_at),
    }


def endorsement_json(endorsement: Endorsement, endorser_name: str) -> dict[str, Any]:
    return {
        "id": endorsement.id,
        "member_id": endorsement.member_id,
        "skill_id": endorsement.skill_id,
        "endorser": {"id": endorsement.endorser_id, "name": endorser_name},
        "collaboration_id": endorsement.collaboration_id,
        "comment": endorsement.comment,
        "created_at": iso_or_none(endorsement.created_at),
    }


def cocontract_json(cocontract: CoContract) -> dict[str, Any]:
    return {
        "id": cocontract.id,
        "kind": cocontract.kind.value,
        "client": cocontract.client,
        "description": cocontract.description,
        "lead_id": cocontract.lead_id,
        "total_cents": cocontract.total_cents,
        "state": cocontract.state.value,
        "parts": [
            {"member": _member(p.member), "amount_cents": p.amount_cents, "state": p.state.value}
            for p in cocontract.parts
        ],
        "starts_on": cocontract.starts_on.isoformat(),
        "ends_on": cocontract.ends_on.isoformat(),
        "service_request_url": cocontract.service_request_url or None,
        "url": url_for("mutual_aid.cocontract", cocontract_id=cocontract.id),
    }


@bp.get("/offers")
@doc(
    "Open offers and needs, newest first, filtered by kind, skill and place",
    params=[
        query_param("kind", "offer or need", {"type": "string", "enum": ["offer", "need"]}),
        query_param("skill", "a skill's id", ID_SCHEMA),
        query_param(
            "place", "on_site, remote or city", {"type": "string", "enum": list(PlaceKind)}
        ),
        query_param("city", "a city (place=city)"),
        query_param("author", "a member's id", ID_SCHEMA),
        query_param("before", "the `next` cursor of the previous page"),
        limit_param(20, 100),
    ],
    response=items_of(OFFER, next={"type": ["string", "null"]}),
    errors=(422,),
)
def list_offers():
    args = request.args
    page = queries.offers_page(
        current_user,
        kind=args.get("kind"),
        skill=args.get("skill"),
        place=args.get("place"),
        city=args.get("city"),
        author=args.get("author"),
        before=args.get("before"),
        limit=args.get("limit"),
    )
    return {"items": [offer_json(o) for o in page.items], "next": page.next_cursor}


@bp.post("/offers")
@doc(
    "Post an offer or a need", status=201, request_schema=OFFER_BODY, response=OFFER, errors=(422,)
)
def create_offer():
    offer = operations.create_offer(current_user, json_body())
    db.session.commit()
    return offer_json(offer), 201


@bp.get("/offers/<int:offer_id>")
@doc("An offer or a need", response=OFFER, errors=(404,))
def get_offer(offer_id: int):
    return offer_json(operations.get_offer(current_user, offer_id))


@bp.patch("/offers/<int:offer_id>")
@doc(
    "Edit, close or reopen an offer (its author)",
    request_schema=OFFER_BODY,
    response=OFFER,
    errors=(403, 404, 409, 422),
)
def update_offer(offer_id: int):
    offer = operations.get_offer(current_user, offer_id)
    operations.update_offer(current_user, offer, json_body())
    db.session.commit()
    return offer_json(offer)


@bp.delete("/offers/<int:offer_id>")
@doc("Withdraw an offer (its exchanges and their ledger stay)", status=204, errors=(403, 404))
def delete_offer(offer_id: int):
    offer = operations.get_offer(current_user, offer_id)
    operations.delete_offer(current_user, offer)
    db.session.commit()
    return "", 204


@bp.post("/offers/<int:offer_id>/responses")
@doc(
    "Respond to an offer or a need (not one's own, not an expired one)",
    status=201,
    request_schema=obj(message={"type": "string", "maxLength": operations.MAX_MESSAGE}),
    response=RESPONSE,
    errors=(404, 409, 422),
)
def respond(offer_id: int):
    offer = operations.get_offer(current_user, offer_id)
    data = json_body() if request.data else {}
    response = operations.respond(current_user, offer, data.get("message", ""))
    db.session.commit()
    return response_json(response), 201


@bp.post("/responses/<int:response_id>/accept")
@doc(
    "Accept a response (the offer's author): an exchange starts, a private conversation opens",
    status=201,
    response=obj(response=RESPONSE, exchange=EXCHANGE),
    errors=(403, 404, 409),
)
def accept_response(response_id: int):
    response = operations.get_response(current_user, response_id)
    exchange = operations.accept_response(current_user, response)
    db.session.commit()
    return {"response": response_json(response), "exchange": exchange_json(exchange)}, 201


@bp.post("/exchanges/<int:exchange_id>/confirm")
@doc(
    "Confirm the help and the time it took (each of the two members); equal times record "
    "the exchange in the time bank, different ones dispute it",
    request_schema={**obj(hours=HOURS), "required": ["hours"]},
    response=EXCHANGE,
    errors=(403, 404, 409, 422),
)
def confirm_exchange(exchange_id: int):
    data = json_body()
    exchange = operations.get_exchange(current_user, exchange_id, lock=True)
    operations.confirm_exchange(current_user, exchange, data.get("hours"))
    db.session.commit()
    return exchange_json(exchange)


@bp.post("/exchanges/<int:exchange_id>/settle")
@doc(
    "Settle a disputed exchange with the time decided (the support team)",
    request_schema={**obj(hours=HOURS), "required": ["hours"]},
    response=EXCHANGE,
    errors=(403, 404, 409, 422),
)
def settle_exchange(exchange_id: int):
    data = json_body()
    exchange = operations.get_exchange(current_user, exchange_id, lock=True)
    operations.settle_exchange(current_user, exchange, data.get("hours"))
    db.session.commit()
    return exchange_json(exchange)


@bp.get("/me/ledger")
@doc(
    "My time balance (minutes) and my ledger entries, newest first",
    params=[query_param("before", "the `next` cursor"), limit_param(50, 200)],
    response=items_of(
        ENTRY, balance_minutes=INTEGER, floor_minutes=INTEGER, next={"type": ["string", "null"]}
    ),
    errors=(422,),
)
def my_ledger():
    page = queries.ledger(
        current_user.id, before=request.args.get("before"), limit=request.args.get("limit")
    )
    return {
        "balance_minutes": page.balance,
        "floor_minutes": -operations.floor_minutes(),
        "items": [entry_json(e) for e in page.entries],
        "next": page.next_cursor,
    }


@bp.get("/members/<int:member_id>/endorsements")
@doc("A member's skill endorsements", response=items_of(ENDORSEMENT), errors=(404,))
def list_endorsements(member_id: int):
    member = operations._active_member(member_id, "member_id")
    return {"items": [endorsement_json(e, n) for e, n in queries.endorsements_of(member.id)]}


@bp.post("/members/<int:member_id>/endorsements")
@doc(
    "Endorse skills of a member you collaborated with (a recorded exchange or co-contract)",
    status=201,
    request_schema={
        **obj(
            skills={"type": "array", "items": ID_SCHEMA, "minItems": 1, "maxItems": 10},
            comment={"type": "string", "maxLength": operations.MAX_COMMENT},
        ),
        "required": ["skills"],
    },
    response=items_of(ENDORSEMENT),
    errors=(403, 404, 409, 422),
)
def create_endorsement(member_id: int):
    data = json_body()
    made = operations.endorse(current_user, member_id, data.get("skills"), data.get("comment", ""))
    db.session.commit()
    name = current_user.display_name
    return {"items": [endorsement_json(e, name) for e in made]}, 201


@bp.delete("/endorsements/<int:endorsement_id>")
@doc("Withdraw an endorsement (its author)", status=204, errors=(403, 404))
def delete_endorsement(endorsement_id: int):
    found = operations.get_endorsement(current_user, endorsement_id)
    operations.withdraw_endorsement(current_user, found)
    db.session.commit()
    return "", 204


@bp.get("/cocontracts")
@doc("The co-contracts I am a party to (the support team: all)", response=items_of(COCONTRACT))
def list_cocontracts():
    from network.core.permissions import is_staff

    found = queries.cocontracts_of(current_user, everything=is_staff(current_user))
    return {"items": [cocontract_json(c) for c in found]}


@bp.post("/cocontracts")
@doc(
    "Declare a co-contract (co-traitance or sous-traitance): the parts add up to the total; "
    "each named partner confirms their part, and once all have it goes to the accounting "
    "team as a service request",
    status=201,
    request_schema=COCONTRACT_BODY,
    response=COCONTRACT,
    errors=(403, 404, 422, 429),
)
def create_cocontract():
    cocontract = operations.declare_cocontract(current_user, json_body())
    db.session.commit()
    return cocontract_json(cocontract), 201


@bp.post("/cocontracts/<int:cocontract_id>/confirm")
@doc(
    "Confirm my part of a co-contract (a named party): it then counts as a collaboration "
    "with the parties who confirmed; the last confirmation sends it to the accounting team",
    response=COCONTRACT,
    errors=(403, 404, 409),
)
def confirm_cocontract(cocontract_id: int):
    cocontract = operations.get_cocontract(current_user, cocontract_id, lock=True)
    operations.confirm_part(current_user, cocontract)
    db.session.commit()
    return cocontract_json(cocontract)


@bp.post("/cocontracts/<int:cocontract_id>/decline")
@doc(
    "Decline a co-contract I am named in (a named party): it is void, no collaboration is "
    "recorded and nothing goes to the accounting team",
    response=COCONTRACT,
    errors=(403, 404, 409),
)
def decline_cocontract(cocontract_id: int):
    cocontract = operations.get_cocontract(current_user, cocontract_id, lock=True)
    operations.decline_part(current_user, cocontract)
    db.session.commit()
    return cocontract_json(cocontract)
