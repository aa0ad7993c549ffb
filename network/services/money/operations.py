"""Money request operations: submit, give an opinion (or declare a conflict of interest),
decide once, settle by the associates' binding decision, record repayments, and name the
committee. The boundary commits once.

Who may do what:
- any active member of the cooperative asks for a treasury advance or a loan, and sees their
  own requests (their state, the decision, the schedule, the balance) — never the opinions;
- the committee's members (named by the support team) see every request; each gives one
  opinion with a reason, or declares a conflict of interest. The requester and a reviewer
  who declared a conflict are *recused*: they see neither the opinions nor may decide;
- a committee member who is not recused decides, once: approved (amount and schedule) or
  refused (with a reason). A second decision is a `Conflict`, even a concurrent one (the
  request's row is locked, then its state checked);
- above the threshold set by the cooperative, an approval waits for a binding decision of
  the associates (through the kernel's `open_binding_decision`);
- the support team sees every request, records repayments and names the committee.
A request the viewer may not see answers exactly as one that does not exist.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask import g, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from network.cooperative import cooperative_today, current_settings
from network.cooperative.times import parse_date
from network.core import audit, signals
from network.core.client_ids import CLIENT_ID
from network.core.errors import Conflict, Forbidden, Invalid, NotFound
from network.core.ids import parse_id
from network.core.inputs import text_field
from network.core.models import utcnow
from network.core.money import Money, format_money, parse_money
from network.core.permissions import IN_THE_COOPERATIVE, has_status, is_staff
from network.core.registries import BindingQuestion, open_binding_decision
from network.extensions import db
from network.members.models import Member
from network.services.money.models import (
    CommitteeMember,
    Instalment,
    MoneyKind,
    MoneyRequest,
    Opinion,
    Repayment,
    RequestState,
    Schedule,
    Stance,
)

MAX_PURPOSE = 5_000
MAX_REASON = 2_000
MAX_NOTE = 200
NOT_FOUND = _l("This money request does not exist or you cannot see it.")
OPEN_STATES = (RequestState.UNDER_REVIEW, RequestState.AWAITING_ASSOCIATES)


# --- the committee ---------------------------------------------------------------------


def committee_ids() -> list[int]:
    """The active members of the committee."""
    return list(
        db.session.scalars(
            select(CommitteeMember.member_id)
            .join(Member, Member.id == CommitteeMember.member_id)
            .where(Member.is_active.is_(True))
            .order_by(CommitteeMember.member_id)
        )
    )


def is_committee(viewer: Any) -> bool:
    """An active member of the committee (asked once per request and member)."""
    if not getattr(viewer, "is_authenticated", True) or getattr(viewer, "id", None) is None:
        return False
    if not getattr(viewer, "is_active", False):
        return False
    known: dict[int, bool] = g.setdefault("terreau_money_committee", {})
    if viewer.id not in known:
        known[viewer.id] = db.session.get(CommitteeMember, viewer.id) is not None
    return known[viewer.id]


def _forget_committee() -> None:
    g.pop("terreau_money_committee", None)


def add_committee_member(actor: Member, member_id: Any) -> CommitteeMember:
    """Staff only; the member must be active."""
    _require_staff(actor)
    member = db.session.get(Member, parse_id(member_id) or 0)
    if member is None or not member.is_active:
        raise Invalid(fields={"member_id": _l("Choose an active member.")})
    found = db.session.get(CommitteeMember, member.id)
    if found is not None:
        return found
    seat = CommitteeMember(member_id=member.id, added_by_id=actor.id)
    db.session.add(seat)
    db.session.flush()
    _forget_committee()
    audit.record(db.session, "money_committee_added", actor_id=actor.id, subject_id=member.id)
    return seat


def remove_committee_member(actor: Member, member_id: Any) -> None:
    _require_staff(actor)
    member_id = parse_id(member_id)
    found = db.session.get(CommitteeMember, member_id or 0)
    if found is None:
        raise NotFound(_l("This member is not on the committee."))
    db.session.delete(found)
    _forget_committee()
    audit.record(db.session, "money_committee_removed", actor_id=actor.id, subject_id=member_id)


def _require_staff(actor: Any) -> None:
    if not is_staff(actor):
        raise Forbidden(_l("Only the support team can do this."))


# --- who may see and do what -----------------------------------------------------------


def conflict_declared(viewer: Any, request: MoneyRequest) -> bool:
    return any(o.reviewer_id == viewer.id and o.stance == Stance.CONFLICT for o in request.opinions)


def is_recused(viewer: Any, request: MoneyRequest) -> bool:
    """The requester, and a reviewer who declared a conflict of interest."""
    return viewer.id == request.requester_id or conflict_declared(viewer, request)


def may_see(viewer: Any, request: MoneyRequest | None) -> bool:
    if request is None or getattr(viewer, "id", None) is None:
        return False
    return viewer.id == request.requester_id or is_staff(viewer) or is_committee(viewer)


def may_see_opinions(viewer: Any, request: MoneyRequest) -> bool:
    return (is_committee(viewer) or is_staff(viewer)) and not is_recused(viewer, request)


def may_review(viewer: Any, request: MoneyRequest) -> bool:
    """May give an opinion or decide now."""
    return (
        request.state == RequestState.UNDER_REVIEW
        and is_committee(viewer)
        and not is_recused(viewer, request)
    )


def get_request(viewer: Any, request_id: Any) -> MoneyRequest:
    request = db.session.get(MoneyRequest, parse_id(request_id) or 0)
    if not may_see(viewer, request):
        raise NotFound(NOT_FOUND)
    assert request is not None
    return request


def _require_reviewer(actor: Member, request: MoneyRequest, deciding: bool) -> None:
    if actor.id == request.requester_id:
        if deciding:
            raise Forbidden(_l("This is your own request: you cannot decide on it."))
        raise Forbidden(_l("This is your own request: you cannot review it."))
    if conflict_declared(actor, request):
        if deciding:
            raise Forbidden(_l("You declared a conflict of interest: you cannot decide on it."))
        raise Forbidden(_l("You declared a conflict of interest: you cannot review it again."))
    if not is_committee(actor):
        raise Forbidden(_l("Only the members of the solidarity committee can do this."))


def _locked(request: MoneyRequest) -> MoneyRequest:
    """The request read again, its row locked until the commit (PostgreSQL; on SQLite the
    write transaction already holds the lock): concurrent decisions and repayments queue."""
    return db.session.scalars(
        select(MoneyRequest)
        .where(MoneyRequest.id == request.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


# --- amounts and schedules -------------------------------------------------------------


def amount_of(raw: Any, field: str) -> Money:
    """A strictly positive amount within the cooperative's ceiling. JSON integers are whole
    euros; JSON decimals are refused (not exact): send text ("1234,50") or {"cents": n}."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    elif isinstance(raw, float):
        raise Invalid(
            fields={field: _l('Send the amount as text, like "1234,50", or in whole cents.')}
        )
    elif raw is None or (isinstance(raw, str) and not raw.strip()):
        raise Invalid(fields={field: _l("This field is required.")})
    elif isinstance(raw, str) and len(raw) > 40:
        raise Invalid(fields={field: _l("This amount is too large.")})
    money = parse_money(raw, field)
    if money.cents <= 0:
        raise Invalid(fields={field: _l("The amount must be more than zero.")})
    ceiling = Money(current_settings()["money_max_amount"] * 100)
    if money > ceiling:
        raise Invalid(
            fields={field: _l("At most %(amount)s per request.", amount=format_money(ceiling))}
        )
    return money


def _months(raw: Any, field: str = "months") -> int:
    most = current_settings()["money_max_months"]
    if isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) < 6:
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= most:
        raise Invalid(fields={field: _l("Give a number of months from 1 to %(most)s.", most=most)})
    return raw


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def first_due_default() -> date:
    """The 5th of next month (when the cooperative pays salaries, repayments are due)."""
    today = cooperative_today()
    return add_months(today.replace(day=5), 1)


def parse_schedule(total: Money, data: dict[str, Any]) -> list[tuple[date, Money]]:
    """Monthly instalments repaying exactly `total`: `amounts` (a list, one per month), or
    `months` (split evenly without losing a cent: the first ones carry the leftover cents);
    from `first_due_on` (default: the 5th of next month), then monthly."""
    raw_first = data.get("first_due_on")
    if raw_first in (None, ""):
        first = first_due_default()
    else:
        first = parse_date(raw_first, "first_due_on")
        if first <= cooperative_today():
            raise Invalid(fields={"first_due_on": _l("The first instalment falls after today.")})
        if first > cooperative_today() + timedelta(days=366):
            raise Invalid(fields={"first_due_on": _l("The first instalment falls within a year.")})
    raw_amounts = data.get("amounts")
    if raw_amounts not in (None, "", []):
        if not isinstance(raw_amounts, list):
            raise Invalid(fields={"amounts": _l("Give one amount per month.")})
        _months(len(raw_amounts), "amounts")
        amounts = [amount_of(a, "amounts") for a in raw_amounts]
        paid = sum((a.cents for a in amounts), 0)
        if paid != total.cents:
            raise Invalid(
                fields={
                    "amounts": _l(
                        "The instalments add up to %(paid)s, not %(total)s: the schedule must "
                        "repay the amount exactly.",
                        paid=format_money(Money(paid)),
                        total=format_money(total),
                    )
                }
            )
    else:
        if data.get("months") in (None, ""):
            raise Invalid(fields={"months": _l("This field is required.")})
        amounts = total.allocate(_months(data.get("months")))
        if not amounts[-1]:
            raise Invalid(fields={"months": _l("Fewer instalments: each is at least one cent.")})
    return [(add_months(first, n), amount) for n, amount in enumerate(amounts)]


def _set_schedule(
    request: MoneyRequest, which: Schedule, plan: Iterable[tuple[date, Money]]
) -> None:
    db.session.execute(
        delete(Instalment).where(Instalment.request_id == request.id, Instalment.schedule == which)
    )
    for number, (due_on, amount) in enumerate(plan, start=1):
        request.instalments.append(
            Instalment(schedule=which, number=number, due_on=due_on, amount=amount)
        )


def _kind(raw: Any) -> MoneyKind:
    try:
        return MoneyKind(raw)
    except ValueError:
        raise Invalid(fields={"kind": _l("Choose a treasury advance or a loan.")}) from None


# --- submitting ------------------------------------------------------------------------


def submit_request(member: Member, data: dict[str, Any]) -> tuple[MoneyRequest, bool]:
    """Ask for money; or return the request already sent with this `client_id` (a
    double-clicked submit makes one request). (request, created?)"""
    client_id = data.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise Invalid(fields={"client_id": _l("Give a unique id of 1 to 64 letters or digits.")})
    previous = _previous(member, client_id)
    if previous is not None:
        return previous, False
    if not has_status(member, *IN_THE_COOPERATIVE):
        raise Forbidden(_l("Members of the cooperative can ask for an advance or a loan."))
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    for name, read in (
        ("kind", lambda: _kind(data.get("kind"))),
        ("amount", lambda: amount_of(data.get("amount"), "amount")),
        ("purpose", lambda: text_field(data.get("purpose"), "purpose", MAX_PURPOSE)),
    ):
        try:
            clean[name] = read()
        except Invalid as error:
            errors.update(error.fields)
    if "amount" in clean:
        try:
            clean["plan"] = parse_schedule(clean["amount"], data)
        except Invalid as error:
            errors.update(error.fields)
    if errors:
        raise Invalid(fields=errors)
    request = MoneyRequest(
        requester_id=member.id,
        client_id=client_id,
        kind=clean["kind"],
        amount=clean["amount"],
        purpose=clean["purpose"],
        state=RequestState.UNDER_REVIEW,
        repaid=Money(0),
    )
    try:
        with db.session.begin_nested():
            db.session.add(request)
            db.session.flush()
    except IntegrityError:  # the same submit, concurrently: the first one stands
        previous = _previous(member, client_id)
        if previous is None:
            raise
        return previous, False
    _set_schedule(request, Schedule.PROPOSED, clean["plan"])
    db.session.flush()
    audit.record(
        db.session,
        "money_request_submitted",
        actor_id=member.id,
        request_id=request.id,
        kind=request.kind.value,
        cents=request.amount.cents,
    )
    _tell(
        [m for m in committee_ids() if m != member.id],
        "money_request_submitted",
        _l(
            "A money request awaits the committee's review (%(kind)s, %(amount)s)",
            kind=KIND_LABELS[request.kind],
            amount=format_money(request.amount),
        ),
        request,
        member,
    )
    return request, True


def _previous(member: Member, client_id: str) -> MoneyRequest | None:
    return db.session.scalars(
        select(MoneyRequest).where(
            MoneyRequest.requester_id == member.id, MoneyRequest.client_id == client_id
        )
    ).first()


# --- opinions and the decision ---------------------------------------------------------


def give_opinion(reviewer: Member, request: MoneyRequest, data: dict[str, Any]) -> Opinion:
    """One opinion per reviewer (changed until the decision); "conflict" recuses them."""
    _require_reviewer(reviewer, request, deciding=False)
    if request.state != RequestState.UNDER_REVIEW:
        raise Conflict(_l("This request is already decided."))
    try:
        stance = Stance(str(data.get("stance")))
    except ValueError:
        raise Invalid(
            fields={"stance": _l("Choose favourable, unfavourable or a conflict of interest.")}
        ) from None
    reason = text_field(data.get("reason"), "reason", MAX_REASON)
    opinion = next((o for o in request.opinions if o.reviewer_id == reviewer.id), None)
    if opinion is None:
        opinion = Opinion(reviewer_id=reviewer.id, stance=stance, reason=reason)
        request.opinions.append(opinion)
    else:
        opinion.stance, opinion.reason = stance, reason
    db.session.flush()
    audit.record(
        db.session,
        "money_conflict_declared" if stance == Stance.CONFLICT else "money_opinion_given",
        actor_id=reviewer.id,
        request_id=request.id,
        stance=stance.value,
    )
    return opinion


def decide(actor: Member, request: MoneyRequest, data: dict[str, Any]) -> MoneyRequest:
    """The committee's decision, taken once: `approved` true with `amount` (default: the
    amount asked) and a schedule (`months` or `amounts`, `first_due_on`; default: the
    proposed one), or false with a `reason`. Above the cooperative's threshold an approval
    waits for the associates' binding decision."""
    _require_reviewer(actor, request, deciding=True)
    # already decided answers 409 whatever the body (read under the row lock: a decision
    # taken meanwhile is seen)
    request = _locked(request)
    if request.state != RequestState.UNDER_REVIEW:
        raise Conflict(_l("This request has already been decided."))
    approved = data.get("approved")
    if isinstance(approved, str):
        approved = {"1": True, "true": True, "0": False, "false": False}.get(approved)
    if not isinstance(approved, bool):
        raise Invalid(fields={"approved": _l("Approve or refuse the request.")})
    reason = text_field(data.get("reason"), "reason", MAX_REASON, required=not approved)
    plan: list[tuple[date, Money]] = []
    amount: Money | None = None
    if approved:
        amount = (
            request.amount
            if data.get("amount") in (None, "")
            else amount_of(data.get("amount"), "amount")
        )
        if amount > request.amount:
            raise Invalid(fields={"amount": _l("The committee grants at most the amount asked.")})
        plan = _agreed_plan(request, amount, data)
    request.decided_at = utcnow()
    request.decided_by_id = actor.id
    request.decision_reason = reason
    if not approved:
        request.state = RequestState.REFUSED
        request.settled_at = request.decided_at
        _record_decision(actor, request, "refused")
        _tell_decision(request, actor)
        return request
    assert amount is not None
    request.approved_amount = amount
    _set_schedule(request, Schedule.AGREED, plan)
    threshold = current_settings()["money_associates_threshold"]
    if threshold and amount > Money(threshold * 100):
        request.state = RequestState.AWAITING_ASSOCIATES
        days = current_settings()["money_associates_days"]
        request.associates_decision_id = _open_associates_decision(
            actor,
            BindingQuestion(
                title=str(
                    _l(
                        "%(kind)s of %(amount)s for %(name)s (solidarity committee)",
                        kind=KIND_LABELS[request.kind],
                        amount=format_money(amount),
                        name=request.requester.display_name,
                    )
                ),
                context=str(
                    _l(
                        "The solidarity committee approved this request; above %(threshold)s "
                        "the associates decide. Repaid in %(months)s monthly instalments.",
                        threshold=format_money(Money(threshold * 100)),
                        months=len(plan),
                    )
                ),
                closes_at=utcnow() + timedelta(days=days),
                subject="money_request",
            ),
        )
        _record_decision(actor, request, "awaiting_associates")
    else:
        request.state = RequestState.APPROVED
        request.settled_at = request.decided_at
        _record_decision(actor, request, "approved")
    _tell_decision(request, actor)
    db.session.flush()
    return request


def _open_associates_decision(actor: Member, question: BindingQuestion) -> int | None:
    """The binding decision, or a `Conflict` saying why it could not open (no associate to
    vote, say); a `Forbidden` of the decision engine (who may open one) goes through."""
    try:
        return open_binding_decision(actor, question)
    except Invalid as error:
        why = "; ".join(str(m) for m in error.fields.values()) or str(error.message)
        raise Conflict(
            _l("The associates' binding decision could not be opened: %(why)s", why=why)
        ) from None


def _agreed_plan(
    request: MoneyRequest, amount: Money, data: dict[str, Any]
) -> list[tuple[date, Money]]:
    if any(data.get(k) not in (None, "", []) for k in ("months", "amounts", "first_due_on")):
        return parse_schedule(amount, data)
    proposed = request.schedule(Schedule.PROPOSED)
    if amount == request.amount:
        return [(i.due_on, i.amount) for i in proposed]
    shares = amount.allocate(len(proposed))  # less than asked: over the same months
    if not shares[-1]:
        raise Invalid(fields={"months": _l("Fewer instalments: each is at least one cent.")})
    return [(i.due_on, share) for i, share in zip(proposed, shares, strict=True)]


def _record_decision(actor: Member | None, request: MoneyRequest, outcome: str) -> None:
    audit.record(
        db.session,
        "money_request_decided",
        actor_id=getattr(actor, "id", None),
        subject_id=request.requester_id,
        request_id=request.id,
        outcome=outcome,
        cents=request.approved_amount.cents if request.approved_amount else None,
        associates_decision_id=request.associates_decision_id,
    )


def settle_by_associates(decision_id: int, approved: bool, actor: Any = None) -> None:
    """The associates' binding decision closed: the waiting request is approved or refused."""
    request = db.session.scalars(
        select(MoneyRequest).where(MoneyRequest.associates_decision_id == decision_id)
    ).first()
    if request is None:
        return
    request = _locked(request)
    if request.state != RequestState.AWAITING_ASSOCIATES:
        return
    request.state = RequestState.APPROVED if approved else RequestState.REFUSED
    request.settled_at = utcnow()
    if not approved:
        request.decision_reason = str(_l("The associates did not approve this request."))
    _record_decision(actor, request, "approved" if approved else "refused_by_associates")
    _tell_decision(request, actor)


def record_associates_outcome(actor: Member, request: MoneyRequest, approved: Any) -> None:
    """Staff record the associates' decision taken elsewhere (no decision engine here)."""
    _require_staff(actor)
    request = _locked(request)
    if request.state != RequestState.AWAITING_ASSOCIATES or request.associates_decision_id:
        raise Conflict(_l("This request does not wait for an outcome recorded by hand."))
    request.state = RequestState.APPROVED if approved else RequestState.REFUSED
    request.settled_at = utcnow()
    if not approved:
        request.decision_reason = str(_l("The associates did not approve this request."))
    _record_decision(actor, request, "approved" if approved else "refused_by_associates")
    _tell_decision(request, actor)


def _on_binding_decision_settled(decision_id: int, approved: bool, actor: Any = None, **_: Any):
    settle_by_associates(decision_id, approved, actor)


signals.binding_decision_settled.connect(_on_binding_decision_settled)


# --- repayments ------------------------------------------------------------------------


def record_repayment(actor: Member, request: MoneyRequest, data: dict[str, Any]) -> Repayment:
    """Staff only, on an approved request; never more than the balance."""
    _require_staff(actor)
    amount = amount_of(data.get("amount"), "amount")
    raw_day = data.get("paid_on")
    paid_on = cooperative_today() if raw_day in (None, "") else parse_date(raw_day, "paid_on")
    if paid_on > cooperative_today():
        raise Invalid(fields={"paid_on": _l("A repayment is recorded once received.")})
    note = text_field(data.get("note"), "note", MAX_NOTE, required=False)
    request = _locked(request)
    if request.state != RequestState.APPROVED:
        raise Conflict(_l("Only an approved request that is not fully repaid takes repayments."))
    if amount > request.balance:
        raise Invalid(
            fields={
                "amount": _l(
                    "More than what is left to repay (%(balance)s).",
                    balance=format_money(request.balance),
                )
            }
        )
    repayment = Repayment(amount=amount, paid_on=paid_on, note=note, recorded_by_id=actor.id)
    request.repayments.append(repayment)
    request.repaid = request.repaid + amount
    if not request.balance:
        request.state = RequestState.REPAID
    db.session.flush()
    audit.record(
        db.session,
        "money_repayment_recorded",
        actor_id=actor.id,
        subject_id=request.requester_id,
        request_id=request.id,
        cents=amount.cents,
        balance_cents=request.balance.cents,
    )
    _tell(
        [request.requester_id],
        "money_repayment_recorded",
        _l(
            "Repayment of %(amount)s recorded; left to repay: %(balance)s",
            amount=format_money(amount),
            balance=format_money(request.balance),
        ),
        request,
        actor,
    )
    return repayment


# --- notifications ---------------------------------------------------------------------

KIND_LABELS = {MoneyKind.ADVANCE: _l("Treasury advance"), MoneyKind.LOAN: _l("Loan")}


def _tell(member_ids: Iterable[int], kind: str, text: Any, request: MoneyRequest, actor: Any):
    ids = tuple(sorted(set(member_ids)))
    if not ids:
        return
    url = url_for("money.detail", request_id=request.id)
    signals.notifications_requested.send(ids, kind=kind, text=text, url=url, actor=actor)


def _tell_decision(request: MoneyRequest, actor: Any) -> None:
    """The requester and the reviewers who are not recused hear of the decision."""
    amount = format_money(request.approved_amount) if request.approved_amount else ""
    _tell(
        [request.requester_id],
        "money_request_decided",
        _decision_text(request.state, amount),
        request,
        actor,
    )
    reviewers = [m for m in committee_ids() if not _recused_id(m, request)]
    _tell(
        reviewers,
        "money_request_decided",
        _l("A money request was decided: %(state)s", state=STATE_LABELS[request.state]),
        request,
        actor,
    )


def _decision_text(state: RequestState, amount: str) -> Any:
    if state == RequestState.APPROVED:
        return _l("Your money request is approved: %(amount)s", amount=amount)
    if state == RequestState.AWAITING_ASSOCIATES:
        return _l(
            "The committee approved your money request (%(amount)s); the associates decide now.",
            amount=amount,
        )
    return _l("Your money request is refused.")


def _recused_id(member_id: int, request: MoneyRequest) -> bool:
    return member_id == request.requester_id or any(
        o.reviewer_id == member_id and o.stance == Stance.CONFLICT for o in request.opinions
    )


STATE_LABELS = {
    RequestState.UNDER_REVIEW: _l("Under review by the committee"),
    RequestState.AWAITING_ASSOCIATES: _l("Awaiting the associates' decision"),
    RequestState.APPROVED: _l("Approved, being repaid"),
    RequestState.REFUSED: _l("Refused"),
    RequestState.REPAID: _l("Repaid"),
}


def stance_label(stance: Stance) -> Any:
    return {
        Stance.FAVOURABLE: _l("Favourable"),
        Stance.UNFAVOURABLE: _l("Unfavourable"),
        Stance.CONFLICT: _l("Conflict of interest declared"),
    }[stance]
