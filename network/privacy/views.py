"""Pages: the privacy page (what is kept, why, how long, who sees it), my data (exports and
consents), and the staff's exit of a member."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.cooperative import current_settings
from network.core.consent import PURPOSE_LABELS, Purpose, current_consents, history
from network.core.errors import DomainError, NotFound
from network.core.forms import flash_error
from network.core.member_data import MEMBER_DATA, RETENTIONS
from network.core.permissions import require_staff
from network.extensions import db
from network.members.models import Member
from network.privacy import operations
from network.privacy.models import ExportState

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def policy():
    """Public: what a candidate reads before joining, too."""
    settings = current_settings()
    retentions = [(r, settings[r.setting]) for r in RETENTIONS.values()]
    kinds = sorted(MEMBER_DATA.values(), key=lambda d: d.name)
    return render_template(
        "privacy/policy.html",
        retentions=retentions,
        kinds=kinds,
        link_days=settings["export_link_days"],
    )


@bp.get("/me/data")
@login_required
def my_data():
    choices = {p: current_consents([current_user.id], p)[current_user.id] for p in Purpose}
    return render_template(
        "privacy/my_data.html",
        exports=operations.member_exports(current_user),
        choices=choices,
        labels=PURPOSE_LABELS,
        history=history(current_user.id)[:20],
        READY=ExportState.READY,
    )


@bp.post("/me/data/export")
@login_required
def request_export():
    export = operations.request_export(current_user)
    db.session.commit()
    if export.state == ExportState.READY:
        flash(_("Your data is ready to download."), "success")
    else:
        flash(_("Your export is being prepared: you will be notified when it is ready."), "success")
    return redirect(url_for("privacy.my_data"))


@bp.get("/me/data/exports/<int:export_id>/download")
@login_required
def download(export_id: int):
    return operations.send_export(current_user, export_id)


@bp.post("/me/data/consents")
@login_required
def consents():
    try:
        for purpose in Purpose:
            granted = request.form.get(purpose.value) == "1"
            operations.set_consent(current_user, current_user, purpose, granted)
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for("privacy.my_data"))
    db.session.commit()
    flash(_("Your choices are saved."), "success")
    return redirect(url_for("privacy.my_data"))


def _member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound()
    return member


@bp.route("/staff/members/<int:member_id>/exit", methods=["GET", "POST"])
@login_required
def member_exit(member_id: int):
    require_staff(current_user)
    member = _member(member_id)
    done = operations.exit_of(member.id)
    if request.method == "POST" and done is None:
        try:
            done = operations.run_exit(
                current_user,
                member,
                request.form.get("reason", ""),
                request.form.get("delete_writings") == "1",
            )
        except DomainError as error:
            db.session.rollback()
            flash_error(error)
            return redirect(url_for("privacy.member_exit", member_id=member_id))
        db.session.commit()
        flash(_("The exit is done: the personal data is erased."), "success")
        return redirect(url_for("privacy.member_exit", member_id=member_id))
    return render_template(
        "privacy/exit.html", member=member, done=done, reasons=operations.EXIT_REASONS
    )
