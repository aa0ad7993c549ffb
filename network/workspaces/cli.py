"""`flask workspaces …`: release unclaimed bookings and send reminders (run from cron)."""

import click
from flask import current_app
from flask.cli import AppGroup

from network.extensions import db
from network.workspaces import operations

workspaces_cli = AppGroup("workspaces", help="Workspace bookings.")


def _request_context():
    base_url = current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000"
    return current_app.test_request_context(base_url=base_url)


@workspaces_cli.command("release-unclaimed")
def release_unclaimed_command() -> None:
    """Release desk bookings not checked in after the grace time, and expired waitlist
    offers; freed seats are offered to the waiting members."""
    with _request_context():
        released = operations.release_unclaimed()
        db.session.commit()
    click.echo(f"{released} booking(s) released.")


@workspaces_cli.command("send-reminders")
def send_reminders_command() -> None:
    """Notify members of their bookings starting soon (once per booking)."""
    with _request_context():
        sent = operations.send_reminders()
        db.session.commit()
    click.echo(f"{sent} reminder(s) sent.")
