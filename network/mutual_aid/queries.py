"""Reads of mutual aid: the offers list and its filters, a member's ledger, endorsements,
collaborations, the staff's figures, and what mutual aid lends the directory and
find-collaborators through the kernel's hooks."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from network.cooperative import cooperative_today
from network.core.errors import Invalid
from network.core.ids import parse_id
from network.core.pagination import Page, decode_cursor, encode_cursor, parse_limit
from network.core.registries import (
    Endorsement as EndorsementView,
)
from network.core.registries import (
    register_collaborator_reasons,
    register_member_card_notes,
    register_profile_section,
    register_skill_endorsements,
    skill_catalogue,
)
from network.core.text import fold
from network.extensions import db
from network.members.models import Member
from network.mutual_aid.models import (
    Balance,
    CoContract,
    CoContractPart,
    Collaboration,
    Endorsement,
    Exchange,
    ExchangeState,
    LedgerEntry,
    Offer,
    OfferKind,
    OfferSkill,
    OfferState,
    PlaceKind,
    Preference,
    Response,
)


def offers_page(
    viewer: Any,
    *,
    kind: Any = None,
    skill: Any = None,
    place: Any = None,
    city: Any = None,
    author: Any = None,
    include_closed: bool = False,
    before: Any = None,
    limit: Any = None,
) -> Page[Offer]:
    """Open, unexpired offers and needs, newest first, filtered by kind, skill, place (on
    site, remote, a city) or author; keyset pages."""
    size = parse_limit(limit, 20, 100)
    query = select(Offer)
    if include_closed:
        query = query.where(Offer.state != OfferState.WITHDRAWN)
    else:
        query = query.where(Offer.state == OfferState.OPEN, Offer.expires_on >= cooperative_today())
    if kind not in (None, ""):
        if kind not in set(OfferKind):
            raise Invalid(fields={"kind": _("Choose an offer or a need.")})
        query = query.where(Offer.kind == OfferKind(kind))
    if place not in (None, ""):
        if place not in set(PlaceKind):
            raise Invalid(fields={"place": _("Choose on site, remote or a city.")})
        query = query.where(Offer.place == PlaceKind(place))
    if city not in (None, ""):
        if not isinstance(city, str) or len(city) > 80:
            raise Invalid(fields={"city": _("Unknown city.")})
        query = query.where(Offer.place == PlaceKind.CITY, Offer.city_key == fold(city))
    if skill not in (None, ""):
        skill_id = parse_id(skill)
        if skill_id is None:
            raise Invalid(fields={"skill": _("Unknown skill.")})
        query = query.where(
            Offer.id.in_(select(OfferSkill.offer_id).where(OfferSkill.skill_id == skill_id))
        )
    if author not in (None, ""):
        author_id = parse_id(author)
        if author_id is None:
            raise Invalid(fields={"author": _("Unknown member.")})
        query = query.where(Offer.author_id == author_id)
    cursor = decode_cursor(before, (int,))
    if cursor:
        query = query.where(Offer.id < cursor[0])
    rows = list(
        db.session.scalars(
            query.options(selectinload(Offer.author), selectinload(Offer.skills))
            .order_by(Offer.id.desc())
            .limit(size + 1)
        )
    )
    more = len(rows) > size
    items = rows[:size]
    return Page(items, encode_cursor([items[-1].id]) if more and items else None)


def skill_names(ids: set[int] | list[int]) -> dict[int, str]:
    return skill_catalogue().names(ids)


def responses_of(offer: Offer) -> list[Response]:
    return list(
        db.session.scalars(
            select(Response)
            .options(selectinload(Response.member))
            .where(Response.offer_id == offer.id)
            .order_by(Response.id)
        )
    )


def exchanges_of(offer: Offer) -> dict[int, Exchange]:
    """response id → its exchange."""
    return {
        e.response_id: e
        for e in db.session.scalars(select(Exchange).where(Exchange.offer_id == offer.id))
    }


def balance_of(member_id: int) -> int:
    return db.session.scalar(select(Balance.minutes).where(Balance.member_id == member_id)) or 0


@dataclass
class LedgerPage:
    balance: int
    entries: list[LedgerEntry]
    next_cursor: str | None


def ledger(member_id: int, *, before: Any = None, limit: Any = None) -> LedgerPage:
    """A member's balance and their entries, newest first (keyset pages on (member, id))."""
    size = parse_limit(limit, 50, 200)
    cursor = decode_cursor(before, (int,))
    query = select(LedgerEntry).where(LedgerEntry.member_id == member_id)
    if cursor:
        query = query.where(LedgerEntry.id < cursor[0])
    rows = list(
        db.session.scalars(
            query.options(selectinload(LedgerEntry.counterpart))
            .order_by(LedgerEntry.id.desc())
            .limit(size + 1)
        )
    )
    items = rows[:size]
    more = len(rows) > size
    return LedgerPage(
        balance_of(member_id), items, encode_cursor([items[-1].id]) if more and items else None
    )


def endorsements_of(member_id: int) -> list[tuple[Endorsement, str]]:
    """The member's endorsements with their endorser's name, by skill."""
    return list(
        db.session.execute(
            select(Endorsement, Member.display_name)
            .join(Member, Member.id == Endorsement.endorser_id)
            .where(Endorsement.member_id == member_id)
            .order_by(Endorsement.skill_id, Endorsement.id)
        ).all()
    )


def collaborators_of(member_id: int) -> list[tuple[int, str, int]]:
    """(partner id, name, collaborations) of the member, most frequent first."""
    other = func.coalesce(
        func.nullif(Collaboration.member_a_id, member_id), Collaboration.member_b_id
    )
    rows = db.session.execute(
        select(other.label("partner"), func.count())
        .where(or_(Collaboration.member_a_id == member_id, Collaboration.member_b_id == member_id))
        .group_by(other)
        .order_by(func.count().desc())
        .limit(50)
    ).all()
    names = dict(
        db.session.execute(
            select(Member.id, Member.display_name).where(Member.id.in_([r[0] for r in rows]))
        ).all()
    )
    return [(partner, names.get(partner, "?"), count) for partner, count in rows]


def may_endorse(viewer_id: int, member_id: int) -> bool:
    low, high = sorted((viewer_id, member_id))
    return viewer_id != member_id and (
        db.session.scalar(
            select(Collaboration.id)
            .where(Collaboration.member_a_id == low, Collaboration.member_b_id == high)
            .limit(1)
        )
        is not None
    )


def shows_collaborations(member_id: int) -> bool:
    preference = db.session.get(Preference, member_id)
    return preference.show_collaborations if preference else False


def my_exchanges(member_id: int) -> list[Exchange]:
    return list(
        db.session.scalars(
            select(Exchange)
            .options(
                selectinload(Exchange.offer),
                selectinload(Exchange.helper),
                selectinload(Exchange.helped),
            )
            .where(or_(Exchange.helper_id == member_id, Exchange.helped_id == member_id))
            .order_by(Exchange.id.desc())
            .limit(50)
        )
    )


def disputed_exchanges() -> list[Exchange]:
    return list(
        db.session.scalars(
            select(Exchange)
            .options(
                selectinload(Exchange.helper),
                selectinload(Exchange.helped),
                selectinload(Exchange.offer),
            )
            .where(Exchange.state == ExchangeState.DISPUTED)
            .order_by(Exchange.id)
        )
    )


def cocontracts_of(viewer: Any, *, everything: bool = False) -> list[CoContract]:
    query = select(CoContract).options(
        selectinload(CoContract.parts).selectinload(CoContractPart.member),
        selectinload(CoContract.lead),
    )
    if not everything:
        query = query.where(
            CoContract.id.in_(
                select(CoContractPart.cocontract_id).where(CoContractPart.member_id == viewer.id)
            )
        )
    return list(db.session.scalars(query.order_by(CoContract.id.desc()).limit(100)))


def staff_figures(months: int = 12) -> dict[str, Any]:
    """Exchanges and hours per month (recorded), the most active helpers and skills."""
    recorded = select(Exchange).where(Exchange.state == ExchangeState.RECORDED).subquery()
    per_month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for recorded_at, minutes in db.session.execute(
        select(recorded.c.recorded_at, recorded.c.minutes)
    ):
        key = recorded_at.strftime("%Y-%m") if isinstance(recorded_at, datetime) else "?"
        per_month[key][0] += 1
        per_month[key][1] += minutes or 0
    month_rows = sorted(per_month.items())[-months:]
    helpers = db.session.execute(
        select(Member.id, Member.display_name, func.count(), func.sum(recorded.c.minutes))
        .join(recorded, recorded.c.helper_id == Member.id)
        .group_by(Member.id, Member.display_name)
        .order_by(func.sum(recorded.c.minutes).desc(), Member.id)
        .limit(10)
    ).all()
    skills = db.session.execute(
        select(OfferSkill.skill_id, func.count())
        .join(recorded, recorded.c.offer_id == OfferSkill.offer_id)
        .group_by(OfferSkill.skill_id)
        .order_by(func.count().desc(), OfferSkill.skill_id)
        .limit(10)
    ).all()
    names = skill_names([s for s, _n in skills])
    top = max((row[1][1] for row in month_rows), default=0) or 1
    return {
        "months": [
            {"month": m, "exchanges": c, "minutes": mins, "percent": round(100 * mins / top)}
            for m, (c, mins) in month_rows
        ],
        "helpers": [
            {"id": i, "name": n, "exchanges": c, "minutes": int(mins or 0)}
            for i, n, c, mins in helpers
        ],
        "skills": [{"id": s, "name": names.get(s, "?"), "exchanges": n} for s, n in skills],
    }


# --- what mutual aid lends the directory and find-collaborators ----------------------------


def _skill_endorsements(member_ids: list[int]) -> dict[int, dict[int, list[EndorsementView]]]:
    found: dict[int, dict[int, list[EndorsementView]]] = defaultdict(dict)
    rows = db.session.execute(
        select(
            Endorsement.id,
            Endorsement.member_id,
            Endorsement.skill_id,
            Endorsement.endorser_id,
            Member.display_name,
            Endorsement.comment,
        )
        .join(Member, Member.id == Endorsement.endorser_id)
        .where(Endorsement.member_id.in_(member_ids))
        .order_by(Endorsement.member_id, Endorsement.skill_id, Endorsement.id)
    )
    base = url_for("mutual_aid.withdraw_endorsement", endorsement_id=0)[: -len("0/withdraw")]
    for endorsement_id, member_id, skill_id, endorser_id, name, comment in rows:
        found[member_id].setdefault(skill_id, []).append(
            EndorsementView(endorser_id, name, comment, f"{base}{endorsement_id}/withdraw")
        )
    return found


def _collaborator_reasons(
    viewer: Any, member_ids: list[int], skill_ids: list[int]
) -> dict[int, list[str]]:
    """An open offer matching the asked skills, and past collaborations with the viewer
    (for members who show them)."""
    reasons: dict[int, list[str]] = defaultdict(list)
    if skill_ids:
        rows = db.session.execute(
            select(Offer.author_id, Offer.title)
            .join(OfferSkill, OfferSkill.offer_id == Offer.id)
            .where(
                Offer.author_id.in_(member_ids),
                Offer.kind == OfferKind.OFFER,
                Offer.state == OfferState.OPEN,
                Offer.expires_on >= cooperative_today(),
                OfferSkill.skill_id.in_(skill_ids),
            )
            .distinct()
        )
        for author_id, title in rows:
            if not reasons[author_id]:
                reasons[author_id].append(_("offers help: “%(title)s”", title=title))
    viewer_id = getattr(viewer, "id", None)
    if viewer_id:  # the viewer's own history: no one's choice hides it from them
        pairs = db.session.execute(
            select(Collaboration.member_a_id, Collaboration.member_b_id, func.count())
            .where(
                or_(
                    (Collaboration.member_a_id == viewer_id)
                    & Collaboration.member_b_id.in_(member_ids),
                    (Collaboration.member_b_id == viewer_id)
                    & Collaboration.member_a_id.in_(member_ids),
                )
            )
            .group_by(Collaboration.member_a_id, Collaboration.member_b_id)
        )
        for a, b, count in pairs:
            other = b if a == viewer_id else a
            reasons[other].append(
                _("has already collaborated with you (%(count)s times)", count=count)
                if count > 1
                else _("has already collaborated with you")
            )
    shown = list(
        db.session.scalars(
            select(Preference.member_id).where(
                Preference.member_id.in_(member_ids), Preference.show_collaborations.is_(True)
            )
        )
    )
    if shown:  # those who chose to show their collaborations: with whom (3 at most)
        partners: dict[int, list[int]] = defaultdict(list)
        together = db.session.execute(
            select(Collaboration.member_a_id, Collaboration.member_b_id)
            .where(or_(Collaboration.member_a_id.in_(shown), Collaboration.member_b_id.in_(shown)))
            .distinct()
        )
        for a, b in together:
            for member_id, other in ((a, b), (b, a)):
                if member_id in shown and other != viewer_id and len(partners[member_id]) < 3:
                    partners[member_id].append(other)
        names = dict(
            db.session.execute(
                select(Member.id, Member.display_name).where(
                    Member.id.in_({o for found in partners.values() for o in found})
                )
            ).all()
        )
        for member_id, others in partners.items():
            if others:
                reasons[member_id].append(
                    _(
                        "has already collaborated with %(names)s",
                        names=", ".join(names.get(o, "?") for o in others),
                    )
                )
    return reasons


def _card_notes(viewer: Any, member_ids: list[int]) -> dict[int, list[str]]:
    """The directory card's word on a member's open offers of help: the newest, and how many."""
    rows = db.session.execute(
        select(Offer.author_id, Offer.title)
        .where(
            Offer.author_id.in_(member_ids),
            Offer.kind == OfferKind.OFFER,
            Offer.state == OfferState.OPEN,
            Offer.expires_on >= cooperative_today(),
        )
        .order_by(Offer.author_id, Offer.id.desc())
    )
    newest: dict[int, str] = {}
    counts: dict[int, int] = defaultdict(int)
    for author_id, title in rows:
        newest.setdefault(author_id, title)
        counts[author_id] += 1
    return {
        author_id: [_offer_note(title, counts[author_id] - 1)]
        for author_id, title in newest.items()
    }


def _offer_note(title: str, others: int) -> str:
    if not others:
        return _("offers help: “%(title)s”", title=title)
    return ngettext(
        "offers help: “%(title)s” and %(num)s other offer",
        "offers help: “%(title)s” and %(num)s other offers",
        others,
        title=title,
    )


def _profile_section(member: Member, viewer: Any) -> dict[str, Any]:
    offers = list(
        db.session.scalars(
            select(Offer)
            .where(
                Offer.author_id == member.id,
                Offer.state == OfferState.OPEN,
                Offer.expires_on >= cooperative_today(),
            )
            .order_by(Offer.id.desc())
            .limit(10)
        )
    )
    own = getattr(viewer, "id", None) == member.id
    shows = shows_collaborations(member.id)
    shown = own or shows
    return {
        "aid_member": member,
        "aid_offers": offers,
        "aid_own": own,
        "aid_balance": balance_of(member.id) if own else None,
        "aid_collaborators": collaborators_of(member.id) if shown else [],
        "aid_shows": shows,
        "aid_may_endorse": bool(getattr(viewer, "id", None)) and may_endorse(viewer.id, member.id),
    }


register_skill_endorsements(_skill_endorsements)
register_collaborator_reasons(_collaborator_reasons)
register_member_card_notes(_card_notes)
register_profile_section("mutual_aid/_profile_section.html", _profile_section)
