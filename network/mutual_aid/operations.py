"""Every state change of mutual aid. Operations flush, never commit; they raise domain
errors and send signals; the boundary commits once.

The ledger's rules: an exchange is recorded only when its two members confirmed the same
time (or staff settled a disagreement); recording writes two entries of opposite signs, so
the sum of all balances is the sum of the opening credits; entries are never edited (a
correction is a new pair); no transfer takes the helped member below the cooperative's floor.
Balance rows are locked (in member order) while entries are added, so concurrent
confirmations cannot pass the floor nor lose a minute (SQLite: BEGIN IMMEDIATE serialises
writers; PostgreSQL: SELECT … FOR UPDATE).
"""

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from limits import RateLimitItemPerHour
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from network.cooperative import cooperative_today, current_settings
from network.cooperative.times import parse_date
from network.core import audit, ratelimit, signals
from network.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from network.core.ids import parse_id
from network.core.models import utcnow
from network.core.money import parse_money
from network.core.permissions import is_staff, require_staff
from network.core.registries import (
    index_later,
    open_conversation,
    open_service_request,
    publish,
    skill_catalogue,
    withdraw,
)
from network.core.text import fold
from network.extensions import db
from network.members.models import Member
from network.mutual_aid.models import (
    Balance,
    CoContract,
    CoContractKind,
    CoContractPart,
    Collaboration,
    Endorsement,
    EntryKind,
    Exchange,
    ExchangeState,
    LedgerEntry,
    Offer,
    OfferKind,
    OfferSkill,
    OfferState,
    PartState,
    PlaceKind,
    Preference,
    Response,
    ResponseState,
)

MAX_TITLE = 160
MAX_BODY = 5000
MAX_CITY = 80
MAX_SKILLS = 10
MAX_MESSAGE = 2000
MAX_COMMENT = 280
MAX_PARTS = 20
MAX_EXPIRY_DAYS = 366
DEFAULT_EXPIRY_DAYS = 30
#: Posting and responding are rate-limited per member (a flood would bury the others' offers).
POSTS_PER_HOUR = RateLimitItemPerHour(60)
RESPONSES_PER_HOUR = RateLimitItemPerHour(120)
#: Declaring co-contracts too (each declaration notifies its partners).
COCONTRACTS_PER_HOUR = RateLimitItemPerHour(20)
_HOURS = re.compile(r"^\s*(\d{1,7})(?:\s*[h:]\s*(\d{1,2})?\s*(?:min)?)?\s*$", re.IGNORECASE)


# --- time ---------------------------------------------------------------------------------


def max_exchange_minutes() -> int:
    return int(current_settings()["mutual_aid_max_exchange_hours"]) * 60


def floor_minutes() -> int:
    """How far below zero a balance may go, in minutes (a positive number)."""
    return int(current_settings()["mutual_aid_floor_hours"]) * 60


def parse_minutes(value: Any, field: str, *, maximum: int | None = None) -> int:
    """Hours as people write them ("1,5", "1.25", "1h30", "2:15", 1.5) or `{"minutes": 90}`
    → whole minutes, or `Invalid`: zero, negative, not a whole minute (0.001 h) or beyond
    `maximum` (default: the cooperative's cap on one exchange) are refused."""
    maximum = maximum or max_exchange_minutes()
    minutes: Decimal | None = None
    if isinstance(value, dict) and set(value) == {"minutes"}:
        raw = value["minutes"]
        if not isinstance(raw, bool) and isinstance(raw, int):
            minutes = Decimal(raw)
    elif isinstance(value, bool):
        minutes = None
    elif isinstance(value, int | float):
        hours = _decimal(str(value))
        minutes = hours * 60 if hours is not None else None
    elif isinstance(value, str) and len(value) <= 20:
        text = value.strip().replace(",", ".")
        match = _HOURS.match(text)
        if match and (match.group(2) is not None or re.search(r"[h:]", text, re.I)):
            minutes = Decimal(int(match.group(1)) * 60 + int(match.group(2) or 0))
            if int(match.group(2) or 0) >= 60:
                minutes = None
        else:
            hours = _decimal(text)
            minutes = hours * 60 if hours is not None else None
    if minutes is None:
        raise Invalid(fields={field: _l("Write a number of hours, like 1,5 or 1h30.")})
    if minutes != minutes.to_integral_value():
        raise Invalid(fields={field: _l("Count time in whole minutes (1h30, 0,25…).")})
    if minutes <= 0:
        raise Invalid(fields={field: _l("The time must be more than zero.")})
    if minutes > maximum:
        raise Invalid(fields={field: _l("At most %(hours)s hours.", hours=format_hours(maximum))})
    return int(minutes)


def _decimal(text: str) -> Decimal | None:
    if not re.fullmatch(r"[+-]?\d{1,9}(\.\d{1,6})?", text.strip()):
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def format_hours(minutes: int | None) -> str:
    """1h30, -2h, 0h45: signed, hours and minutes (no float anywhere)."""
    if minutes is None:
        return ""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}h{rest:02d}" if rest else f"{sign}{hours}h"


# --- offers and needs ---------------------------------------------------------------------


def may_see_offer(viewer: Any, offer: Offer) -> bool:
    if not getattr(viewer, "is_authenticated", False):
        return False
    return offer.state != OfferState.WITHDRAWN or is_staff(viewer)


def is_expired(offer: Offer, today: date | None = None) -> bool:
    return offer.expires_on < (today or cooperative_today())


def get_offer(viewer: Any, offer_id: Any) -> Offer:
    key = parse_id(offer_id)
    offer = db.session.get(Offer, key) if key else None
    if offer is None or not may_see_offer(viewer, offer):
        raise NotFound(_l("This offer does not exist."))
    return offer


def _may_edit(actor: Any, offer: Offer) -> None:
    if actor.id != offer.author_id and not is_staff(actor):
        raise Forbidden(_l("Only its author can change this offer."))


def _text(data: dict[str, Any], name: str, maximum: int, *, required: bool) -> str:
    raw = data.get(name, "")
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise Invalid(fields={name: _l("Write a text.")})
    text = raw.strip()
    if required and not text:
        raise Invalid(fields={name: _l("This field is required.")})
    if len(text) > maximum:
        raise Invalid(fields={name: _l("At most %(max)s characters.", max=maximum)})
    return text


def _skill_ids(raw: Any) -> list[int]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_SKILLS:
        raise Invalid(fields={"skills": _l("Choose at most %(max)s skills.", max=MAX_SKILLS)})
    ids = [parse_id(v) for v in raw]
    if None in ids:
        raise Invalid(fields={"skills": _l("Unknown skill.")})
    unique = list(dict.fromkeys(i for i in ids if i))
    found = set(skill_catalogue().names(unique))
    if len(found) != len(unique):
        raise Invalid(fields={"skills": _l("Unknown skill.")})
    return unique


def _offer_fields(data: dict[str, Any], *, partial: bool, offer: Offer | None = None) -> dict:
    fields: dict[str, Any] = {}
    if not partial or "kind" in data:
        if data.get("kind") not in set(OfferKind):
            raise Invalid(fields={"kind": _l("Choose an offer or a need.")})
        fields["kind"] = OfferKind(data["kind"])
    if not partial or "title" in data:
        fields["title"] = _text(data, "title", MAX_TITLE, required=True)
    if not partial or "body" in data:
        fields["body"] = _text(data, "body", MAX_BODY, required=False)
    if not partial or "place" in data or "city" in data:
        place = data.get("place", offer.place.value if offer else None)
        if place not in set(PlaceKind):
            raise Invalid(fields={"place": _l("Choose on site, remote or a city.")})
        fields["place"] = PlaceKind(place)
        city = _text(data, "city", MAX_CITY, required=place == PlaceKind.CITY)
        fields["city"] = city if place == PlaceKind.CITY else ""
        fields["city_key"] = fold(fields["city"])
    if not partial or "estimate" in data:
        fields["estimate_minutes"] = parse_minutes(data.get("estimate"), "estimate")
    if not partial or "expires_on" in data:
        today = cooperative_today()
        raw = data.get("expires_on")
        expires = (
            today + timedelta(days=DEFAULT_EXPIRY_DAYS)
            if raw in (None, "")
            else parse_date(raw, "expires_on")
        )
        if expires < today:
            raise Invalid(fields={"expires_on": _l("The expiry date is already past.")})
        if expires > today + timedelta(days=MAX_EXPIRY_DAYS):
            raise Invalid(fields={"expires_on": _l("At most a year from today.")})
        fields["expires_on"] = expires
    if not partial or "skills" in data:
        fields["skills"] = _skill_ids(data.get("skills"))
    return fields


def create_offer(actor: Member, data: dict[str, Any]) -> Offer:
    """Post an offer or a need (a feed item, searchable)."""
    fields = _offer_fields(data, partial=False)
    if not ratelimit.allow(POSTS_PER_HOUR, "aid-post", actor.id):
        raise TooManyRequests(_l("You have posted a lot this hour: try again later."))
    skills = fields.pop("skills")
    offer = Offer(author_id=actor.id, **fields)
    offer.skills = [OfferSkill(skill_id=s) for s in skills]
    db.session.add(offer)
    db.session.flush()
    publish("aid_offer", offer.id, actor.id)
    index_later("aid_offer", offer.id, new=True, obj=offer)
    return offer


def update_offer(actor: Member, offer: Offer, data: dict[str, Any]) -> Offer:
    _may_edit(actor, offer)
    if offer.state == OfferState.WITHDRAWN:
        raise Conflict(_l("This offer was withdrawn."))
    if "state" in data:
        if data["state"] not in (OfferState.OPEN, OfferState.CLOSED):
            raise Invalid(fields={"state": _l("Choose open or closed.")})
        offer.state = OfferState(data["state"])
    fields = _offer_fields(data, partial=True, offer=offer)
    if "skills" in fields:
        offer.skills = [OfferSkill(skill_id=s) for s in fields.pop("skills")]
    for name, value in fields.items():
        setattr(offer, name, value)
    offer.updated_at = utcnow()
    db.session.flush()
    index_later("aid_offer", offer.id, obj=offer)
    return offer


def delete_offer(actor: Member, offer: Offer) -> None:
    """Withdraw it: it leaves the feed and the lists; its exchanges and their ledger stay."""
    _may_edit(actor, offer)
    offer.state = OfferState.WITHDRAWN
    db.session.flush()
    withdraw("aid_offer", [offer.id])
    index_later("aid_offer", offer.id, obj=offer)


# --- responses and acceptance -------------------------------------------------------------


def respond(actor: Member, offer: Offer, message: Any = "") -> Response:
    """Answer an offer or a need (not one's own, not an expired or closed one)."""
    if offer.author_id == actor.id:
        raise Conflict(_l("You cannot respond to your own offer."))
    if offer.state != OfferState.OPEN:
        raise Conflict(_l("This offer is closed."))
    if is_expired(offer):
        raise Conflict(_l("This offer has expired."))
    text = _text({"message": message}, "message", MAX_MESSAGE, required=False)
    if not ratelimit.allow(RESPONSES_PER_HOUR, "aid-respond", actor.id):
        raise TooManyRequests(_l("You have responded a lot this hour: try again later."))
    existing = db.session.scalar(
        select(Response).where(Response.offer_id == offer.id, Response.member_id == actor.id)
    )
    if existing is not None:
        raise Conflict(_l("You already responded."))
    response = Response(offer_id=offer.id, member_id=actor.id, message=text)
    db.session.add(response)
    offer.response_count = Offer.response_count + 1
    db.session.flush()
    db.session.refresh(offer, ["response_count"])
    _notify(
        offer.author_id,
        "aid_response",
        _l("%(name)s responded to “%(title)s”", name=actor.display_name, title=offer.title),
        url_for("mutual_aid.offer", offer_id=offer.id),
        actor,
    )
    return response


def get_response(viewer: Member, response_id: Any) -> Response:
    key = parse_id(response_id)
    response = db.session.get(Response, key) if key else None
    if response is None or not may_see_offer(viewer, response.offer):
        raise NotFound(_l("This response does not exist."))
    if viewer.id not in (response.member_id, response.offer.author_id) and not is_staff(viewer):
        raise NotFound(_l("This response does not exist."))
    return response


def accept_response(actor: Member, response: Response) -> Exchange:
    """The author takes up a response: an exchange starts and a private conversation opens
    between the two (the chat's direct conversation, when a chat is plugged in)."""
    offer = response.offer
    if actor.id != offer.author_id:
        raise Forbidden(_l("Only the author of the offer accepts its responses."))
    if offer.state == OfferState.WITHDRAWN:
        raise Conflict(_l("This offer was withdrawn."))
    if response.state == ResponseState.ACCEPTED:
        raise Conflict(_l("This response is already accepted."))
    response.state = ResponseState.ACCEPTED
    response.accepted_at = utcnow()
    if offer.kind == OfferKind.OFFER:
        helper_id, helped_id = offer.author_id, response.member_id
    else:
        helper_id, helped_id = response.member_id, offer.author_id
    exchange = Exchange(
        offer_id=offer.id, response_id=response.id, helper_id=helper_id, helped_id=helped_id
    )
    db.session.add(exchange)
    db.session.flush()
    response.conversation_url = open_conversation(actor, [response.member_id]) or ""
    db.session.flush()
    _notify(
        response.member_id,
        "aid_accepted",
        _l(
            "%(name)s accepted your response to “%(title)s”",
            name=actor.display_name,
            title=offer.title,
        ),
        url_for("mutual_aid.offer", offer_id=offer.id),
        actor,
    )
    return exchange


# --- exchanges and the ledger --------------------------------------------------------------


def get_exchange(viewer: Member, exchange_id: Any, *, lock: bool = False) -> Exchange:
    key = parse_id(exchange_id)
    exchange = None
    if key:
        query = select(Exchange).where(Exchange.id == key)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        exchange = db.session.scalar(query)
    if exchange is None or (
        viewer.id not in (exchange.helper_id, exchange.helped_id) and not is_staff(viewer)
    ):
        raise NotFound(_l("This exchange does not exist."))
    return exchange


def confirm_exchange(actor: Member, exchange: Exchange, hours: Any) -> Exchange:
    """The actor (helper or helped) confirms the help was given, and the time it took. The
    second confirmation records the exchange when both give the same time, and disputes it
    otherwise (either may confirm again to agree; staff may settle). A member alone never
    records an exchange. `Conflict` when the transfer would pass the helped member's floor:
    nothing is saved then."""
    if actor.id not in (exchange.helper_id, exchange.helped_id):
        raise Forbidden(_l("Only the two members of an exchange confirm it."))
    if exchange.state == ExchangeState.RECORDED:
        raise Conflict(_l("This exchange is already recorded."))
    minutes = parse_minutes(hours, "hours")
    if actor.id == exchange.helper_id:
        exchange.helper_minutes = minutes
    else:
        exchange.helped_minutes = minutes
    other = exchange.helped_id if actor.id == exchange.helper_id else exchange.helper_id
    url = url_for("mutual_aid.offer", offer_id=exchange.offer_id)
    if exchange.helper_minutes is None or exchange.helped_minutes is None:
        db.session.flush()
        _notify(
            other,
            "aid_confirm",
            _l(
                "%(name)s confirmed the help (%(hours)s): confirm it too",
                name=actor.display_name,
                hours=format_hours(minutes),
            ),
            url,
            actor,
        )
        return exchange
    if exchange.helper_minutes != exchange.helped_minutes:
        exchange.state = ExchangeState.DISPUTED
        db.session.flush()
        _notify(
            other,
            "aid_confirm",
            _l(
                "You and %(name)s confirmed different times: agree on one, or ask the support team",
                name=actor.display_name,
            ),
            url,
            actor,
        )
        return exchange
    _record(exchange, minutes, actor)
    _notify(
        other,
        "aid_recorded",
        _l("Your exchange is recorded (%(hours)s)", hours=format_hours(minutes)),
        url,
        actor,
    )
    return exchange


def settle_exchange(actor: Member, exchange: Exchange, hours: Any) -> Exchange:
    """Staff settle a disagreement with the time they decide; the exchange is recorded."""
    require_staff(actor)
    if exchange.state != ExchangeState.DISPUTED:
        raise Conflict(_l("Only a disputed exchange is settled."))
    minutes = parse_minutes(hours, "hours")
    exchange.settled_by_id = actor.id
    _record(exchange, minutes, actor)
    url = url_for("mutual_aid.offer", offer_id=exchange.offer_id)
    for member_id in (exchange.helper_id, exchange.helped_id):
        _notify(
            member_id,
            "aid_recorded",
            _l("Your exchange is recorded (%(hours)s)", hours=format_hours(minutes)),
            url,
            actor,
        )
    return exchange


def _record(exchange: Exchange, minutes: int, actor: Member) -> None:
    transfer(
        exchange.helped_id,
        exchange.helper_id,
        minutes,
        kind=EntryKind.EXCHANGE,
        exchange_id=exchange.id,
        actor_id=actor.id,
        check_floor=True,
    )
    exchange.minutes = minutes
    exchange.state = ExchangeState.RECORDED
    exchange.recorded_at = utcnow()
    _collaborate(exchange.helper_id, exchange.helped_id, exchange_id=exchange.id)
    db.session.flush()


def _ensure_balances(member_ids: list[int]) -> None:
    values = [{"member_id": i, "minutes": 0, "entry_count": 0} for i in member_ids]
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(Balance).values(values).on_conflict_do_nothing())


def _locked_balances(member_ids: list[int]) -> dict[int, Balance]:
    """The balance rows of these members, created when missing, locked in member order (no
    deadlock between two transfers of the same members)."""
    ids = sorted(set(member_ids))
    _ensure_balances(ids)
    rows = db.session.scalars(
        select(Balance)
        .where(Balance.member_id.in_(ids))
        .order_by(Balance.member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {b.member_id: b for b in rows}


def transfer(
    payer_id: int,
    payee_id: int,
    minutes: int,
    *,
    kind: EntryKind,
    exchange_id: int | None = None,
    actor_id: int | None = None,
    note: str = "",
    check_floor: bool = True,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move `minutes` from `payer_id` to `payee_id`: two new entries, balances updated.
    `Conflict` when the payer would go below the floor (with `check_floor`)."""
    if minutes <= 0 or payer_id == payee_id:
        raise Invalid(fields={"hours": _l("The time must be more than zero.")})
    balances = _locked_balances([payer_id, payee_id])
    payer, payee = balances[payer_id], balances[payee_id]
    if check_floor and payer.minutes - minutes < -floor_minutes():
        raise Conflict(
            _l(
                "This would take the helped member's time balance below the cooperative's "
                "floor (%(floor)s).",
                floor=format_hours(-floor_minutes()),
            ),
            fields={"hours": _l("Balance too low for this time.")},
        )
    entries = []
    for balance, amount, counterpart in ((payer, -minutes, payee_id), (payee, minutes, payer_id)):
        balance.minutes += amount
        balance.entry_count += 1
        entry = LedgerEntry(
            member_id=balance.member_id,
            kind=kind,
            minutes=amount,
            balance_after=balance.minutes,
            counterpart_id=counterpart,
            exchange_id=exchange_id,
            note=note,
            created_by_id=actor_id,
        )
        db.session.add(entry)
        entries.append(entry)
    db.session.flush()
    return entries[0], entries[1]


def grant_opening_credit(member_id: int, minutes: int | None = None, actor_id: int | None = None):
    """The cooperative's opening credit to a newcomer (setting `mutual_aid_opening_hours`);
    once per member. None when there is none to give."""
    if minutes is None:
        minutes = int(current_settings()["mutual_aid_opening_hours"]) * 60
    if minutes <= 0:
        return None
    balance = _locked_balances([member_id])[member_id]
    given = db.session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.member_id == member_id, LedgerEntry.kind == EntryKind.OPENING)
    )
    if given:
        return None
    balance.minutes += minutes
    balance.entry_count += 1
    entry = LedgerEntry(
        member_id=member_id,
        kind=EntryKind.OPENING,
        minutes=minutes,
        balance_after=balance.minutes,
        created_by_id=actor_id,
        note="",
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def correct_ledger(actor: Member, payer_id: Any, payee_id: Any, hours: Any, note: Any) -> None:
    """Staff correct the ledger with a new pair of entries (never an edit); the floor is not
    checked (a correction may undo a mistake that the floor would block)."""
    require_staff(actor)
    payer, payee = _active_member(payer_id, "payer_id"), _active_member(payee_id, "payee_id")
    if payer.id == payee.id:
        raise Invalid(fields={"payee_id": _l("Choose two different members.")})
    text = _text({"note": note}, "note", 300, required=True)
    minutes = parse_minutes(hours, "hours")
    transfer(
        payer.id,
        payee.id,
        minutes,
        kind=EntryKind.CORRECTION,
        actor_id=actor.id,
        note=text,
        check_floor=False,
    )
    audit.record(
        db.session,
        "aid_ledger_corrected",
        actor_id=actor.id,
        subject_id=payer.id,
        payee_id=payee.id,
        minutes=minutes,
    )


def check_ledger() -> list[str]:
    """The ledger's invariants; the problems found (empty when it is sound)."""
    problems = []
    total = db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.minutes), 0)))
    opening = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(
            LedgerEntry.kind == EntryKind.OPENING
        )
    )
    if total != opening:
        problems.append(f"entries sum to {total} minutes, opening credits to {opening}")
    balances = db.session.scalar(select(func.coalesce(func.sum(Balance.minutes), 0)))
    if balances != opening:
        problems.append(f"balances sum to {balances} minutes, opening credits to {opening}")
    sums = dict(
        db.session.execute(
            select(LedgerEntry.member_id, func.sum(LedgerEntry.minutes)).group_by(
                LedgerEntry.member_id
            )
        ).all()
    )
    for member_id, minutes in db.session.execute(select(Balance.member_id, Balance.minutes)):
        if sums.get(member_id, 0) != minutes:
            problems.append(
                f"member {member_id}: balance {minutes} ≠ entries {sums.get(member_id, 0)}"
            )
    recorded = db.session.execute(
        select(Exchange.id, Exchange.minutes).where(Exchange.state == ExchangeState.RECORDED)
    ).all()
    moved: dict[Any, Any] = dict(
        db.session.execute(
            select(LedgerEntry.exchange_id, func.sum(func.abs(LedgerEntry.minutes)))
            .where(LedgerEntry.exchange_id.is_not(None))
            .group_by(LedgerEntry.exchange_id)
        ).all()
    )
    for exchange_id, recorded_minutes in recorded:
        if moved.get(exchange_id) != 2 * (recorded_minutes or 0):
            problems.append(
                f"exchange {exchange_id}: ledger does not match {recorded_minutes} minutes"
            )
    if len(moved) != len(recorded):
        problems.append("ledger entries for exchanges not recorded")
    return problems


# --- collaborations and endorsements ---------------------------------------------------------


def _collaborate(a: int, b: int, *, exchange_id=None, cocontract_id=None) -> Collaboration:
    low, high = sorted((a, b))
    collaboration = Collaboration(
        member_a_id=low, member_b_id=high, exchange_id=exchange_id, cocontract_id=cocontract_id
    )
    db.session.add(collaboration)
    return collaboration


def collaboration_between(a: int, b: int) -> Collaboration | None:
    low, high = sorted((a, b))
    return db.session.scalar(
        select(Collaboration)
        .where(Collaboration.member_a_id == low, Collaboration.member_b_id == high)
        .order_by(Collaboration.id.desc())
        .limit(1)
    )


def _active_member(raw: Any, field: str) -> Member:
    key = parse_id(raw)
    member = db.session.get(Member, key) if key else None
    if member is None or not member.is_active:
        raise NotFound(_l("This member does not exist."), fields={field: _l("Unknown member.")})
    return member


def endorse(actor: Member, member_id: Any, skill_ids: Any, comment: Any = "") -> list[Endorsement]:
    """Vouch for skills the member holds, on the ground of a recorded collaboration between
    the two (`Forbidden` without one: the directory's endorsements cannot be inflated)."""
    member = _active_member(member_id, "member_id")
    if member.id == actor.id:
        raise Invalid(fields={"skills": _l("You cannot endorse yourself.")})
    if not isinstance(skill_ids, list) or not skill_ids:
        raise Invalid(fields={"skills": _l("Choose at least one skill.")})
    ids = _skill_ids(skill_ids)
    held = set(skill_catalogue().held_by(member.id))
    if set(ids) - held:
        raise Invalid(
            fields={"skills": _l("%(name)s does not list this skill.", name=member.display_name)}
        )
    collaboration = collaboration_between(actor.id, member.id)
    if collaboration is None:
        raise Forbidden(
            _l(
                "You may endorse a member only after a recorded exchange or a declared "
                "co-contract together."
            )
        )
    text = _text({"comment": comment}, "comment", MAX_COMMENT, required=False)
    already = set(
        db.session.scalars(
            select(Endorsement.skill_id).where(
                Endorsement.endorser_id == actor.id,
                Endorsement.member_id == member.id,
                Endorsement.skill_id.in_(ids),
            )
        )
    )
    if already:
        raise Conflict(_l("You already endorsed this skill."))
    made = [
        Endorsement(
            endorser_id=actor.id,
            member_id=member.id,
            skill_id=skill_id,
            collaboration_id=collaboration.id,
            comment=text,
        )
        for skill_id in ids
    ]
    db.session.add_all(made)
    try:
        db.session.flush()
    except IntegrityError:  # the same endorsement, sent twice at once: nothing else written yet
        db.session.rollback()
        raise Conflict(_l("You already endorsed this skill.")) from None
    _notify(
        member.id,
        "aid_endorsed",
        _l("%(name)s endorsed your skills", name=actor.display_name),
        url_for("members.profile", member_id=member.id),
        actor,
    )
    return made


def get_endorsement(viewer: Member, endorsement_id: Any) -> Endorsement:
    key = parse_id(endorsement_id)
    found = db.session.get(Endorsement, key) if key else None
    if found is None:
        raise NotFound(_l("This endorsement does not exist."))
    return found


def withdraw_endorsement(actor: Member, endorsement: Endorsement) -> None:
    if actor.id != endorsement.endorser_id and not is_staff(actor):
        raise Forbidden(_l("Only its author withdraws an endorsement."))
    db.session.delete(endorsement)
    db.session.flush()


def set_show_collaborations(actor: Member, show: bool) -> None:
    preference = db.session.get(Preference, actor.id)
    if preference is None:
        preference = Preference(member_id=actor.id)
        db.session.add(preference)
    preference.show_collaborations = bool(show)
    db.session.flush()


# --- co-contracts ----------------------------------------------------------------------------


def declare_cocontract(actor: Member, data: dict[str, Any]) -> CoContract:
    """Declare a contract answered together: the client, the lead, the partners and the
    amount of each (integer cents, adding up to the total), the dates. Each named party is
    asked to confirm their part (the declarer's is confirmed at once): nobody can be made a
    collaborator without their consent, so co-contracts cannot inflate endorsements. The
    accounting team is asked once every party has confirmed (see `confirm_part`)."""
    if data.get("kind", CoContractKind.CO_CONTRACTING) not in set(CoContractKind):
        raise Invalid(fields={"kind": _l("Choose co-contracting or subcontracting.")})
    kind = CoContractKind(data.get("kind", CoContractKind.CO_CONTRACTING))
    client = _text(data, "client", 160, required=True)
    description = _text(data, "description", MAX_BODY, required=False)
    total = parse_money(data.get("total"), "total")
    if total.cents <= 0:
        raise Invalid(fields={"total": _l("The amount must be more than zero.")})
    starts_on = parse_date(data.get("starts_on"), "starts_on")
    ends_on = parse_date(data.get("ends_on"), "ends_on")
    if ends_on < starts_on:
        raise Invalid(fields={"ends_on": _l("The end comes before the start.")})
    raw_parts = data.get("parts")
    if not isinstance(raw_parts, list) or not 2 <= len(raw_parts) <= MAX_PARTS:
        raise Invalid(fields={"parts": _l("Name the lead and at least one partner.")})
    parts: dict[int, int] = {}
    for index, raw in enumerate(raw_parts):
        if not isinstance(raw, dict):
            raise Invalid(fields={"parts": _l("Each part names a member and an amount.")})
        member = _active_member(raw.get("member_id"), f"parts.{index}.member_id")
        if member.id in parts:
            raise Invalid(fields={"parts": _l("A member appears twice.")})
        amount = parse_money(raw.get("amount"), f"parts.{index}.amount")
        if amount.cents <= 0:
            raise Invalid(
                fields={f"parts.{index}.amount": _l("The amount must be more than zero.")}
            )
        parts[member.id] = amount.cents
    if sum(parts.values()) != total.cents:
        raise Invalid(fields={"parts": _l("The parts do not add up to the total.")})
    lead_id = parse_id(data.get("lead_id"))
    if lead_id not in parts:
        raise Invalid(fields={"lead_id": _l("The lead must be one of the parties.")})
    if actor.id not in parts and not is_staff(actor):
        raise Forbidden(_l("Only a party declares a co-contract."))
    if not ratelimit.allow(COCONTRACTS_PER_HOUR, "aid-cocontract", actor.id):
        raise TooManyRequests(_l("You have declared a lot this hour: try again later."))
    now = utcnow()
    cocontract = CoContract(
        kind=kind,
        client=client,
        description=description,
        lead_id=lead_id,
        total_cents=total.cents,
        starts_on=starts_on,
        ends_on=ends_on,
        declared_by_id=actor.id,
    )
    cocontract.parts = [
        CoContractPart(
            member_id=m,
            amount_cents=c,
            state=PartState.CONFIRMED if m == actor.id else PartState.PENDING,
            answered_at=now if m == actor.id else None,
        )
        for m, c in parts.items()
    ]
    db.session.add(cocontract)
    db.session.flush()
    for member_id in parts:
        if member_id != actor.id:
            _notify(
                member_id,
                "aid_cocontract",
                _l(
                    "%(name)s declared a co-contract with you for %(client)s: confirm or "
                    "decline your part",
                    name=actor.display_name,
                    client=client,
                ),
                url_for("mutual_aid.cocontract", cocontract_id=cocontract.id),
                actor,
            )
    audit.record(
        db.session,
        "aid_cocontract_declared",
        actor_id=actor.id,
        cocontract_id=cocontract.id,
        total_cents=total.cents,
    )
    return cocontract  # at least one partner is still to confirm


def get_cocontract(viewer: Member, cocontract_id: Any, *, lock: bool = False) -> CoContract:
    key = parse_id(cocontract_id)
    found = None
    if key:
        query = select(CoContract).where(CoContract.id == key)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        found = db.session.scalar(query)
    if found is None or (
        viewer.id not in {p.member_id for p in found.parts} and not is_staff(viewer)
    ):
        raise NotFound(_l("This co-contract does not exist."))
    return found


def _own_pending_part(actor: Member, cocontract: CoContract) -> CoContractPart:
    part = next((p for p in cocontract.parts if p.member_id == actor.id), None)
    if part is None:
        raise Forbidden(_l("Only a named party answers for their part."))
    if cocontract.state == PartState.DECLINED:
        raise Conflict(_l("This co-contract was declined by a party."))
    if part.state != PartState.PENDING:
        raise Conflict(_l("You already answered for your part."))
    return part


def confirm_part(actor: Member, cocontract: CoContract) -> CoContract:
    """A named party confirms their part: they now count as having collaborated with every
    party who confirmed; when the last one confirms, the accounting team is asked."""
    part = _own_pending_part(actor, cocontract)
    part.state = PartState.CONFIRMED
    part.answered_at = utcnow()
    for other in cocontract.parts:
        if other.member_id != actor.id and other.state == PartState.CONFIRMED:
            _collaborate(actor.id, other.member_id, cocontract_id=cocontract.id)
    db.session.flush()
    _notify(
        cocontract.declared_by_id,
        "aid_cocontract",
        _l(
            "%(name)s confirmed their part of the co-contract for %(client)s",
            name=actor.display_name,
            client=cocontract.client,
        ),
        url_for("mutual_aid.cocontract", cocontract_id=cocontract.id),
        actor,
    )
    if cocontract.state == PartState.CONFIRMED:
        _send_to_accounting(cocontract)
    return cocontract


def decline_part(actor: Member, cocontract: CoContract) -> CoContract:
    """A named party says they are not a party to it: the co-contract is declined for good
    (no collaboration with them, nothing goes to accounting; declare it again if needed)."""
    part = _own_pending_part(actor, cocontract)
    part.state = PartState.DECLINED
    part.answered_at = utcnow()
    db.session.flush()
    _notify(
        cocontract.declared_by_id,
        "aid_cocontract",
        _l(
            "%(name)s declined the co-contract for %(client)s",
            name=actor.display_name,
            client=cocontract.client,
        ),
        url_for("mutual_aid.cocontract", cocontract_id=cocontract.id),
        actor,
    )
    audit.record(
        db.session, "aid_cocontract_declined", actor_id=actor.id, cocontract_id=cocontract.id
    )
    return cocontract


def _send_to_accounting(cocontract: CoContract) -> None:
    """Every party agreed: open the accounting team's request for the internal transfers
    (an empty URL when no desk or no accounting service could receive it)."""
    members = [p.member_id for p in cocontract.parts]
    names = dict(
        db.session.execute(
            select(Member.id, Member.display_name).where(Member.id.in_(members))
        ).all()
    )
    lines = [
        f"- {names[p.member_id]}{' (lead)' if p.member_id == cocontract.lead_id else ''}: "
        f"{_euros(p.amount_cents)}"  # text for the desk
        for p in cocontract.parts
    ]
    kind = cocontract.kind
    body = "\n".join(
        [
            f"{'Co-traitance' if kind == CoContractKind.CO_CONTRACTING else 'Sous-traitance'}"
            f" — {cocontract.client}",
            f"{cocontract.starts_on.isoformat()} → {cocontract.ends_on.isoformat()}",
            f"Total: {_euros(cocontract.total_cents)}",
            *lines,
            "Confirmé par toutes les parties.",
            "",
            cocontract.description,
            url_for("mutual_aid.cocontract", cocontract_id=cocontract.id, _external=True),
        ]
    )
    subject = f"Co-contrat #{cocontract.id}: {cocontract.client}"
    declarer = db.session.get(Member, cocontract.declared_by_id)
    cocontract.service_request_url = (
        open_service_request("accounting", subject, body, declarer) or ""
    )
    db.session.flush()


def _euros(cents: int) -> str:
    """Plain text for the accounting team (exact: no float)."""
    units, rest = divmod(cents, 100)
    return f"{units}.{rest:02d} €"


# --- notifications -----------------------------------------------------------------------------


def _notify(member_id: int, kind: str, text: Any, url: str, actor: Any) -> None:
    signals.notification_requested.send(member_id, kind=kind, text=text, url=url, actor=actor)


def _on_member_joined(member: Member, **_extra: Any) -> None:
    grant_opening_credit(member.id)


signals.member_joined.connect(_on_member_joined)
