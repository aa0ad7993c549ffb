"""Money request pages: the member's list, form and request; the committee's review list;
the support team's overview (outstanding per month, repayments, the committee)."""

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from network.core.errors import DomainError, Forbidden
from network.core.forms import invalid_form
from network.core.money import Money
from network.core.permissions import IN_THE_COOPERATIVE, is_staff
from network.extensions import db
from network.members.models import Member
from network.services.money import operations, queries
from network.services.money.models import MoneyKind, MoneyRequest, RequestState, Schedule, Stance

bp = Blueprint("money", __name__, url_prefix="/money")


@bp.before_request
@login_required
def _members_only():
    return None


@bp.app_context_processor
def _money_helpers() -> dict[str, Any]:
    return {
        "money_state_label": lambda state: operations.STATE_LABELS[RequestState(state)],
        "money_kind_label": lambda kind: _kind_label(MoneyKind(kind)),
        "money_stance_label": lambda stance: operations.stance_label(Stance(stance)),
    }


def _kind_label(kind: MoneyKind) -> str:
    return str(operations.KIND_LABELS[kind])


def _roles() -> dict[str, bool]:
    return {
        "in_committee": operations.is_committee(current_user),
        "staff_view": is_staff(current_user),
    }


@bp.get("/")
def index():
    page = queries.requests_page(member=current_user, before=request.args.get("before"))
    return render_template(
        "services/money/index.html",
        requests=page.items,
        next_cursor=page.next_cursor,
        **_roles(),
    )


def _request_data(form: Any) -> dict[str, Any]:
    lines = [line.strip() for line in form.get("amounts", "").splitlines() if line.strip()]
    return {
        "kind": form.get("kind", ""),
        "amount": form.get("amount", ""),
        "purpose": form.get("purpose", ""),
        "months": form.get("months", ""),
        "first_due_on": form.get("first_due_on", ""),
        "amounts": lines,
        "client_id": form.get("client_id", ""),
    }


def _form_context(values: Any) -> dict[str, Any]:
    return {
        "values": values,
        "kinds": [(k.value, _kind_label(k)) for k in MoneyKind],
        "first_due_default": operations.first_due_default(),
    }


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "POST":
        try:
            created, fresh = operations.submit_request(current_user, _request_data(request.form))
        except DomainError as error:
            return invalid_form("services/money/form.html", error, **_form_context(request.form))
        db.session.commit()
        if fresh:
            flash(_("Your request is sent to the solidarity committee."), "success")
        return redirect(url_for("money.detail", request_id=created.id))
    values = {"kind": "advance", "months": "6", "client_id": uuid.uuid4().hex}
    return render_template("services/money/form.html", errors={}, **_form_context(values))


def _detail_context(found: MoneyRequest, **more: Any) -> dict[str, Any]:
    viewer = current_user
    context: dict[str, Any] = {
        "req": found,
        "proposed": found.schedule(Schedule.PROPOSED),
        "agreed": queries.instalment_status(found),
        "next_due": queries.next_due(found),
        "recused": operations.is_recused(viewer, found),
        "conflict": operations.conflict_declared(viewer, found),
        "can_review": operations.may_review(viewer, found),
        "opinions": found.opinions if operations.may_see_opinions(viewer, found) else None,
        "my_opinion": next((o for o in found.opinions if o.reviewer_id == viewer.id), None),
        "can_repay": is_staff(viewer) and found.state == RequestState.APPROVED,
        "can_record_associates": is_staff(viewer)
        and found.state == RequestState.AWAITING_ASSOCIATES
        and not found.associates_decision_id,
        "stances": [
            (Stance.FAVOURABLE.value, _("Favourable")),
            (Stance.UNFAVOURABLE.value, _("Unfavourable")),
            (Stance.CONFLICT.value, _("I have a conflict of interest: I recuse myself")),
        ],
        "errors": {},
        "values": {},
        "acted": "",
        **_roles(),
    }
    context.update(more)
    return context


@bp.get("/<int:request_id>")
def detail(request_id: int):
    found = operations.get_request(current_user, request_id)
    return render_template("services/money/detail.html", **_detail_context(found))


def _act(request_id: int, action: Any, done: str, form: str = ""):
    """Run a form's action on a request: committed and told; or the page again with the
    errors and what was typed (nothing lost), with the error's status. `form` prefixes
    the field names of the errors (two forms of the page both have a reason)."""
    found = operations.get_request(current_user, request_id)
    try:
        action(found)
    except DomainError as error:
        db.session.rollback()
        found = operations.get_request(current_user, request_id)
        if not error.fields:
            flash(str(error.message), "error")
        errors = {f"{form}{name}": message for name, message in error.fields.items()}
        page = render_template(
            "services/money/detail.html",
            **_detail_context(found, errors=errors, values=request.form, acted=form),
        )
        return page, error.status
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("money.detail", request_id=request_id))


@bp.post("/<int:request_id>/opinion")
def opinion(request_id: int):
    data = {"stance": request.form.get("stance"), "reason": request.form.get("reason")}
    return _act(
        request_id,
        lambda found: operations.give_opinion(current_user, found, data),
        _("Your opinion is recorded."),
    )


@bp.post("/<int:request_id>/decision")
def decision(request_id: int):
    form = request.form
    lines = [line.strip() for line in form.get("decision_amounts", "").splitlines() if line.strip()]
    data = {
        "approved": form.get("approved", ""),
        "amount": form.get("decision_amount", ""),
        "reason": form.get("decision_reason", ""),
        "months": form.get("decision_months", ""),
        "first_due_on": form.get("decision_first_due_on", ""),
        "amounts": lines,
    }
    return _act(
        request_id,
        lambda found: operations.decide(current_user, found, data),
        _("The decision is recorded and the requester told."),
        form="decision_",
    )


@bp.post("/<int:request_id>/repayments")
def repayment(request_id: int):
    form = request.form
    data = {k: form.get(k, "") for k in ("amount", "paid_on", "note")}
    return _act(
        request_id,
        lambda found: operations.record_repayment(current_user, found, data),
        _("The repayment is recorded."),
    )


@bp.post("/<int:request_id>/associates")
def associates(request_id: int):
    approved = request.form.get("approved") == "1"
    return _act(
        request_id,
        lambda found: operations.record_associates_outcome(current_user, found, approved),
        _("The associates' decision is recorded."),
    )


@bp.get("/review")
def review():
    if not (operations.is_committee(current_user) or is_staff(current_user)):
        raise Forbidden(_("Only the members of the solidarity committee can do this."))
    waiting = queries.requests_page(
        states=operations.OPEN_STATES, before=request.args.get("waiting_before")
    )
    decided = queries.requests_page(
        states=tuple(s for s in RequestState if s not in operations.OPEN_STATES),
        before=request.args.get("decided_before"),
    )
    return render_template(
        "services/money/review.html",
        waiting=waiting.items,
        waiting_next=waiting.next_cursor,
        decided=decided.items,
        decided_next=decided.next_cursor,
        **_roles(),
    )


def _overview_context(**more: Any) -> dict[str, Any]:
    months = queries.outstanding_by_month()
    largest = max((m.due.cents for m in months), default=0)
    in_committee = {c.member_id for c in queries.committee_members()}
    being_repaid = queries.requests_page(
        states=(RequestState.APPROVED,), before=request.args.get("before")
    )
    candidates = db.session.execute(
        select(Member.id, Member.display_name)
        .where(Member.is_active.is_(True), Member.status.in_(IN_THE_COOPERATIVE))
        .order_by(Member.name_key)
    ).all()
    context: dict[str, Any] = {
        "months": months,
        "largest": largest,
        "total": Money(sum(m.outstanding.cents for m in months)),
        "being_repaid": being_repaid.items,
        "being_repaid_next": being_repaid.next_cursor,
        "committee": queries.committee_members(),
        "candidates": [(i, n) for i, n in candidates if i not in in_committee],
        **_roles(),
    }
    context.update(more)
    return context


@bp.get("/overview")
def overview():
    if not is_staff(current_user):
        raise Forbidden(_("Only the support team can do this."))
    return render_template("services/money/overview.html", errors={}, **_overview_context())


@bp.post("/committee")
def committee_add():
    try:
        operations.add_committee_member(current_user, request.form.get("member_id"))
    except DomainError as error:
        if isinstance(error, Forbidden):
            raise
        return invalid_form("services/money/overview.html", error, **_overview_context())
    db.session.commit()
    flash(_("The committee is updated."), "success")
    return redirect(url_for("money.overview"))


@bp.post("/committee/<int:member_id>/remove")
def committee_remove(member_id: int):
    operations.remove_committee_member(current_user, member_id)
    db.session.commit()
    flash(_("The committee is updated."), "success")
    return redirect(url_for("money.overview"))
