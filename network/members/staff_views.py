"""Pages of the support team: invitations, statuses, roles and accounts."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.cooperative import cooperative_today
from network.core import staff_lists
from network.core.errors import Conflict, Invalid
from network.core.forms import invalid_form
from network.core.permissions import Role, can_manage_account, require_staff
from network.extensions import db
from network.members import operations, queries
from network.members.models import StageKind, Status

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def _staff_only():
    require_staff(current_user)


def _invite_link(token: str) -> str:
    return url_for("members.join", token=token, _external=True)


def _overview_context() -> dict:
    filters, page = queries.page_from_args(
        current_user, request.args, per_page=50, include_inactive=True
    )
    return {
        "page": page,
        "filters": filters,
        "statuses": list(Status),
        "roles": list(Role),
        "nearing": len(queries.members_nearing_deadline()),  # listed on the staff home
        "invitations": queries.recent_invitations(),
    }


@bp.get("")
def home():
    """The support team's follow-up lists (deadlines, contracts ending, unread notices)."""
    return render_template("staff/home.html", lists=staff_lists.staff_lists(current_user))


@bp.get("/lists/<name>.csv")
def list_csv(name: str):
    found, rows = staff_lists.staff_list(current_user, name)
    filename = f"{found.name}-{cooperative_today().isoformat()}.csv"
    return Response(
        staff_lists.to_csv(found, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/members")
def overview():
    return render_template("staff/members.html", values={}, **_overview_context())


@bp.post("/invitations")
def invite():
    form = request.form
    try:
        invitation = operations.invite_member(
            current_user,
            email=form.get("email"),
            status=form.get("status"),
            role=form.get("role") or Role.MEMBER,
            display_name=form.get("display_name"),
            note=form.get("note"),
            locale=form.get("locale"),
            link_for=_invite_link,
        )
    except (Invalid, Conflict) as error:
        return invalid_form("staff/members.html", error, values=form, **_overview_context())
    db.session.commit()
    flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
    return redirect(url_for("staff.overview"))


@bp.post("/invitations/<int:invitation_id>/revoke")
def revoke_invitation(invitation_id: int):
    operations.revoke_invitation(current_user, invitation_id)
    db.session.commit()
    flash(_("The invitation was revoked."), "success")
    return redirect(url_for("staff.overview"))


def _member_context(member) -> dict:
    return {
        "member": member,
        "can_manage": can_manage_account(current_user, member),
        "journey": queries.journey_summary(member),
        "stage_kinds": list(StageKind),
        "statuses": list(Status),
        "roles": list(Role),
    }


@bp.get("/members/<int:member_id>")
def member_detail(member_id: int):
    member = operations.get_member(member_id)
    return render_template("staff/member.html", values={}, **_member_context(member))


@bp.post("/members/<int:member_id>/stages")
def record_stage(member_id: int):
    member = operations.get_member(member_id)
    form = request.form
    try:
        operations.record_career_stage(
            current_user,
            member,
            kind=form.get("kind"),
            status=form.get("status"),
            effective_on=form.get("effective_on"),
            reason=form.get("reason"),
            note=form.get("note"),
        )
    except Invalid as error:
        member = operations.get_member(member_id)
        return invalid_form("staff/member.html", error, values=form, **_member_context(member))
    db.session.commit()
    flash(_("The stage was recorded."), "success")
    return redirect(url_for("staff.member_detail", member_id=member_id))


@bp.post("/members/<int:member_id>/role")
def change_role(member_id: int):
    member = operations.get_member(member_id)
    operations.change_role(current_user, member, request.form.get("role"))
    db.session.commit()
    flash(_("The role was changed."), "success")
    return redirect(url_for("staff.member_detail", member_id=member_id))


@bp.post("/members/<int:member_id>/deactivate")
def deactivate(member_id: int):
    member = operations.get_member(member_id)
    operations.deactivate_member(current_user, member)
    db.session.commit()
    flash(_("The account is deactivated: its sessions are closed."), "success")
    return redirect(url_for("staff.member_detail", member_id=member_id))


@bp.post("/members/<int:member_id>/reactivate")
def reactivate(member_id: int):
    member = operations.get_member(member_id)
    operations.reactivate_member(current_user, member)
    db.session.commit()
    flash(_("The account is active again."), "success")
    return redirect(url_for("staff.member_detail", member_id=member_id))
