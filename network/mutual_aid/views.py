"""Mutual aid pages (« Entraide »): offers and needs, responding and accepting, confirming an
exchange, the time bank, endorsing a collaborator, co-contracts, and the staff's figures.
Everything works with plain forms."""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from network.core.errors import DomainError
from network.core.forms import checked_values, flash_error, invalid_form
from network.core.money import Money, format_money
from network.core.permissions import is_staff, require_staff
from network.core.registries import skill_catalogue
from network.extensions import db
from network.members.models import Member
from network.mutual_aid import operations, queries
from network.mutual_aid.models import CoContractKind, OfferKind, PlaceKind

bp = Blueprint("mutual_aid", __name__, url_prefix="/entraide")


@bp.before_request
@login_required
def _members_only():
    return None


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {
        "format_hours": operations.format_hours,
        "aid_labels": _LABELS,
        "cents": lambda value: format_money(Money(int(value))),
    }


class _Labels:
    """The words of mutual aid's states and kinds, translated when read (a page reads many:
    no dictionary of them all is built per card)."""

    TEXTS = {
        "offer": _l("Offer"),
        "need": _l("Need"),
        "on_site": _l("On site"),
        "remote": _l("Remote"),
        "city": _l("In a city"),
        "open": _l("Open"),
        "closed": _l("Closed"),
        "withdrawn": _l("Withdrawn"),
        "disputed": _l("Disputed"),
        "recorded": _l("Recorded"),
        "pending": _l("Pending"),
        "accepted": _l("Accepted"),
        "exchange": _l("Exchange"),
        "opening": _l("Opening credit"),
        "correction": _l("Correction"),
        "confirmed": _l("Confirmed"),
        "declined": _l("Declined"),
        "co_contracting": _l("Co-contracting (co-traitance)"),
        "subcontracting": _l("Subcontracting (sous-traitance)"),
    }

    def __getitem__(self, key: str) -> str:
        return str(self.TEXTS[key])


_LABELS = _Labels()


def _labels() -> _Labels:
    return _LABELS


def _skills() -> list[tuple[int, str]]:
    return skill_catalogue().choices()


@bp.get("/")
def index():
    args = request.args
    try:
        page = queries.offers_page(
            current_user,
            kind=args.get("kind"),
            skill=args.get("skill"),
            place=args.get("place"),
            city=args.get("city"),
            before=args.get("before"),
        )
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("mutual_aid.index"))
    names = queries.skill_names({s.skill_id for o in page.items for s in o.skills})
    return render_template(
        "mutual_aid/index.html",
        offers=page.items,
        next_cursor=page.next_cursor,
        names=names,
        skills=_skills(),
        filters={k: args.get(k, "") for k in ("kind", "skill", "place", "city")},
        balance=queries.balance_of(current_user.id),
    )


def _offer_form(form) -> dict[str, Any]:
    return {
        "kind": form.get("kind", ""),
        "title": form.get("title", ""),
        "body": form.get("body", ""),
        "place": form.get("place", ""),
        "city": form.get("city", ""),
        "estimate": form.get("estimate", ""),
        "expires_on": form.get("expires_on", ""),
        "skills": checked_values(form, "skills"),
    }


def _form_context(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "values": values,
        "skills": _skills(),
        "kinds": [(k.value, _labels()[k.value]) for k in OfferKind],
        "places": [(p.value, _labels()[p.value]) for p in PlaceKind],
    }


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        values = {"kind": request.args.get("kind", "offer"), "place": "remote", "estimate": "1"}
        return render_template("mutual_aid/form.html", errors={}, **_form_context(values))
    values = _offer_form(request.form)
    try:
        offer = operations.create_offer(current_user, values)
    except DomainError as error:
        return invalid_form("mutual_aid/form.html", error, **_form_context(values))
    db.session.commit()
    flash(_("Published."), "success")
    return redirect(url_for("mutual_aid.offer", offer_id=offer.id))


@bp.get("/<int:offer_id>")
def offer(offer_id: int):
    found = operations.get_offer(current_user, offer_id)
    responses = queries.responses_of(found)
    exchanges = queries.exchanges_of(found)
    mine = next((r for r in responses if r.member_id == current_user.id), None)
    own = found.author_id == current_user.id
    return render_template(
        "mutual_aid/offer.html",
        offer=found,
        names=queries.skill_names([s.skill_id for s in found.skills]),
        responses=responses if own or is_staff(current_user) else ([mine] if mine else []),
        exchanges=exchanges,
        own=own,
        mine=mine,
        expired=operations.is_expired(found),
        staff=is_staff(current_user),
    )


def _back(offer_id: int):
    return redirect(url_for("mutual_aid.offer", offer_id=offer_id))


@bp.post("/<int:offer_id>/respond")
def respond(offer_id: int):
    found = operations.get_offer(current_user, offer_id)
    try:
        operations.respond(current_user, found, request.form.get("message", ""))
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return _back(offer_id)
    db.session.commit()
    flash(_("Your response is sent."), "success")
    return _back(offer_id)


@bp.post("/<int:offer_id>/close")
def close(offer_id: int):
    found = operations.get_offer(current_user, offer_id)
    try:
        if request.form.get("withdraw"):
            operations.delete_offer(current_user, found)
        else:
            operations.update_offer(current_user, found, {"state": "closed"})
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return _back(offer_id)
    db.session.commit()
    return redirect(url_for("mutual_aid.index"))


@bp.post("/responses/<int:response_id>/accept")
def accept(response_id: int):
    response = operations.get_response(current_user, response_id)
    try:
        operations.accept_response(current_user, response)
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return _back(response.offer_id)
    db.session.commit()
    flash(_("Accepted: a private conversation is open between you."), "success")
    return _back(response.offer_id)


@bp.post("/exchanges/<int:exchange_id>/confirm")
def confirm(exchange_id: int):
    exchange = operations.get_exchange(current_user, exchange_id, lock=True)
    offer_id = exchange.offer_id
    settle = request.form.get("settle") == "1"
    try:
        if settle:
            operations.settle_exchange(current_user, exchange, request.form.get("hours", ""))
        else:
            operations.confirm_exchange(current_user, exchange, request.form.get("hours", ""))
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return _back(offer_id)
    db.session.commit()
    state = exchange.state.value
    flash(
        {
            "recorded": _("The exchange is recorded in the time bank."),
            "disputed": _("You confirmed different times: agree on one or ask the support team."),
        }.get(state, _("Confirmed: waiting for the other member's confirmation.")),
        "success",
    )
    return _back(offer_id)


@bp.get("/ledger")
def ledger():
    page = queries.ledger(current_user.id, before=request.args.get("before"))
    return render_template(
        "mutual_aid/ledger.html",
        page=page,
        floor=-operations.floor_minutes(),
        exchanges=queries.my_exchanges(current_user.id),
    )


@bp.route("/members/<int:member_id>/endorse", methods=["GET", "POST"])
def endorse(member_id: int):
    member = operations._active_member(member_id, "member_id")
    held = skill_catalogue().held_by(member.id)
    names = queries.skill_names(held)
    context = {"member": member, "held": [(i, names[i]) for i in held if i in names]}
    context["may"] = queries.may_endorse(current_user.id, member.id)
    if request.method == "GET":
        return render_template("mutual_aid/endorse.html", errors={}, values={}, **context)
    values = {
        "skills": checked_values(request.form, "skills"),
        "comment": request.form.get("comment", ""),
    }
    try:
        operations.endorse(current_user, member.id, values["skills"], values["comment"])
    except DomainError as error:
        return invalid_form("mutual_aid/endorse.html", error, values=values, **context)
    db.session.commit()
    flash(_("Thank you: your endorsement is on their profile."), "success")
    return redirect(url_for("members.profile", member_id=member.id))


@bp.post("/endorsements/<int:endorsement_id>/withdraw")
def withdraw_endorsement(endorsement_id: int):
    found = operations.get_endorsement(current_user, endorsement_id)
    member_id = found.member_id
    try:
        operations.withdraw_endorsement(current_user, found)
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("Your endorsement is withdrawn."), "success")
    return redirect(url_for("members.profile", member_id=member_id))


@bp.post("/preferences")
def preferences():
    operations.set_show_collaborations(current_user, request.form.get("show") == "1")
    db.session.commit()
    return redirect(url_for("members.profile", member_id=current_user.id))


def _members() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Member.id, Member.display_name)
        .where(Member.is_active.is_(True))
        .order_by(Member.name_key)
        .limit(2000)
    )
    return [(i, n) for i, n in rows]


def _cocontract_data(form) -> dict[str, Any]:
    parts = []
    for member_id, amount in zip(
        form.getlist("part_member"), form.getlist("part_amount"), strict=False
    ):
        if member_id or amount:
            parts.append({"member_id": member_id, "amount": amount})
    return {
        "kind": form.get("kind", "co_contracting"),
        "client": form.get("client", ""),
        "description": form.get("description", ""),
        "lead_id": form.get("lead_id", ""),
        "total": form.get("total", ""),
        "starts_on": form.get("starts_on", ""),
        "ends_on": form.get("ends_on", ""),
        "parts": parts,
    }


@bp.route("/cocontracts", methods=["GET", "POST"])
def cocontracts():
    context = {
        "cocontracts": queries.cocontracts_of(current_user, everything=is_staff(current_user)),
        "members": _members(),
        "kinds": [(k.value, _labels()[k.value]) for k in CoContractKind],
    }
    if request.method == "GET":
        values = {"lead_id": str(current_user.id), "parts": [{"member_id": str(current_user.id)}]}
        return render_template("mutual_aid/cocontracts.html", errors={}, values=values, **context)
    values = _cocontract_data(request.form)
    try:
        found = operations.declare_cocontract(current_user, values)
    except DomainError as error:
        return invalid_form("mutual_aid/cocontracts.html", error, values=values, **context)
    db.session.commit()
    flash(
        _(
            "Declared: each partner is asked to confirm their part; the accounting team "
            "receives it once all have."
        ),
        "success",
    )
    return redirect(url_for("mutual_aid.cocontract", cocontract_id=found.id))


@bp.get("/cocontracts/<int:cocontract_id>")
def cocontract(cocontract_id: int):
    found = operations.get_cocontract(current_user, cocontract_id)
    mine = next((p for p in found.parts if p.member_id == current_user.id), None)
    return render_template("mutual_aid/cocontract.html", cocontract=found, my_part=mine)


@bp.post("/cocontracts/<int:cocontract_id>/confirm")
def confirm_cocontract(cocontract_id: int):
    found = operations.get_cocontract(current_user, cocontract_id, lock=True)
    try:
        operations.confirm_part(current_user, found)
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("Your part is confirmed."), "success")
    return redirect(url_for("mutual_aid.cocontract", cocontract_id=cocontract_id))


@bp.post("/cocontracts/<int:cocontract_id>/decline")
def decline_cocontract(cocontract_id: int):
    found = operations.get_cocontract(current_user, cocontract_id, lock=True)
    try:
        operations.decline_part(current_user, found)
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("You declined this co-contract."), "success")
    return redirect(url_for("mutual_aid.cocontract", cocontract_id=cocontract_id))


def _staff_context() -> dict[str, Any]:
    return {
        "figures": queries.staff_figures(),
        "disputed": queries.disputed_exchanges(),
        "problems": operations.check_ledger(),
        "members": _members(),
    }


@bp.get("/staff")
def staff():
    require_staff(current_user)
    return render_template("mutual_aid/staff.html", errors={}, values={}, **_staff_context())


@bp.post("/staff/correct")
def correct():
    """A correction of the ledger: a new pair of entries, never an edit."""
    require_staff(current_user)
    values = {k: request.form.get(k, "") for k in ("payer_id", "payee_id", "hours", "note")}
    try:
        operations.correct_ledger(
            current_user, values["payer_id"], values["payee_id"], values["hours"], values["note"]
        )
    except DomainError as error:
        db.session.rollback()
        return invalid_form("mutual_aid/staff.html", error, values=values, **_staff_context())
    db.session.commit()
    flash(_("The correction is recorded."), "success")
    return redirect(url_for("mutual_aid.staff"))
