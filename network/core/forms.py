"""Helpers for HTML forms whose validation lives in the operations."""

from typing import Any

from flask import flash, render_template

from network.core.errors import DomainError
from network.extensions import db


def invalid_form(template: str, error: DomainError, **context: Any):
    """Re-render `template` with the field errors and the submitted values (nothing lost)."""
    db.session.rollback()
    if not error.fields:
        flash(str(error.message), "error")
    return render_template(template, errors=error.fields, **context), error.status


def checked_values(form, name: str) -> list[str]:
    return [v for v in form.getlist(name) if v]
