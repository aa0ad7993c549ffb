"""The audit log page of the support team: filters, pages, the chain head and its check."""

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from network.audit import queries
from network.core.database import by_id
from network.core.errors import Invalid
from network.core.permissions import require_staff
from network.extensions import db
from network.members import Member

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
#: `network.core.audit.BREAKS`, for the reader.
BREAKS = {
    "unsealed": _l("an entry was stored outside the chain (flask audit seal)"),
    "missing": _l("this entry is missing"),
    "out_of_sequence": _l("this entry is out of sequence"),
    "not_following": _l("this entry does not follow the previous one"),
    "edited": _l("this entry's content does not match its hash: it was edited"),
    "truncated": _l("the last entries are missing"),
    "checkpoint": _l("the retention checkpoint differs from the recorded purge"),
}


@bp.before_request
@login_required
def _staff_only():
    require_staff(current_user)


@bp.get("")
def index():
    head, verdict = queries.chain_state(current_user, check=request.args.get("verify") == "1")
    context = {
        "head": head,
        "verdict": verdict,
        "breaks": BREAKS,
        "actions": queries.actions(),
        "values": request.args,
    }
    try:
        filters = queries.parse_filters(request.args)
        page = queries.events_page(current_user, filters, before=request.args.get("before"))
    except Invalid as error:
        db.session.rollback()
        return render_template("audit/index.html", events=[], errors=error.fields, **context), 422
    members = by_id(
        db.session,
        Member,
        {i for e in page.items for i in (e.actor_id, e.subject_id) if i is not None},
    )
    return render_template(
        "audit/index.html",
        events=page.items,
        members=members,
        next_args={**filters.query_args(request.args), "before": page.next_cursor}
        if page.next_cursor
        else None,
        errors={},
        **context,
    )
