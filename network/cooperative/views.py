"""The administrators' settings page."""

from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.cooperative.operations import update_settings
from network.cooperative.settings import current_settings
from network.core.errors import Invalid
from network.core.forms import invalid_form
from network.core.permissions import require_admin
from network.core.registries import SETTINGS
from network.extensions import db

bp = Blueprint("cooperative", __name__, url_prefix="/admin")
TIMEZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc"))


@bp.before_request
@login_required
def _admins_only():
    require_admin(current_user)


def _context() -> dict:
    return {"specs": list(SETTINGS.values()), "timezones": TIMEZONES}


@bp.get("/settings")
def settings_page():
    current = current_settings()
    values = {
        "name": current.name,
        "timezone": current.timezone,
        **{key: current[key] for key in SETTINGS},
    }
    return render_template("cooperative/settings.html", values=values, **_context())


@bp.post("/settings")
def save_settings():
    form = request.form
    # A checkbox is absent when unticked; any other setting left out keeps its value.
    values = {
        key: bool(form.get(key)) if isinstance(spec.default, bool) else form[key]
        for key, spec in SETTINGS.items()
        if isinstance(spec.default, bool) or key in form
    }
    try:
        update_settings(
            current_user,
            name=form.get("name", ""),
            timezone=form.get("timezone", ""),
            values=values,
        )
    except Invalid as error:
        return invalid_form("cooperative/settings.html", error, values=form, **_context())
    db.session.commit()
    flash(_("The settings are saved."), "success")
    return redirect(url_for("cooperative.settings_page"))
