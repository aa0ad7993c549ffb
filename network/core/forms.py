"""Helpers for HTML forms whose validation lives in the operations."""

from typing import Any

from flask import flash, render_template
from flask_babel import gettext as _
from markupsafe import Markup

from network.core.errors import DomainError
from network.core.ids import parse_id
from network.extensions import db


def invalid_form(template: str, error: DomainError, **context: Any):
    """Re-render `template` with the field errors and the submitted values (nothing lost)."""
    db.session.rollback()
    if not error.fields:
        flash(str(error.message), "error")
    return render_template(template, errors=error.fields, **context), error.status


def checked_values(form, name: str) -> list[str]:
    return [v for v in form.getlist(name) if v]


def reaction_choice(form) -> tuple[str | None, bool]:
    """(emoji, add?) from a reaction form: `reaction` is "+🎉" (add) or "-🎉" (take back),
    one button per emoji in one form; or the fields `emoji` and `present`."""
    choice = form.get("reaction", "")
    if choice[:1] in ("+", "-"):
        return choice[1:], choice[0] == "+"
    return form.get("emoji"), form.get("present", "1") == "1"


def form_id(form, name: str) -> int | None:
    """The id in a form field, or None when it is missing or not a valid id."""
    return parse_id(form.get(name, ""))


def flash_error(error: DomainError) -> None:
    """Tell what went wrong on the next page: the first field's message, else the error's."""
    flash(str(next(iter(error.fields.values()), error.message)), "error")


def reaction_picker(emoji: tuple[str, ...]) -> Markup:
    """The buttons of a reaction form's picker, one per emoji (`reaction_choice` reads them);
    the same for every post or message of a page."""
    return Markup("").join(
        Markup(
            '<button type="submit" name="reaction" value="+{0}" class="link-button" '
            'title="{1}">{0}</button>'
        ).format(e, _("React with %(emoji)s", emoji=e))
        for e in emoji
    )
