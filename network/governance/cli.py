"""`flask governance tick`: close the decisions whose time has come, remind those who have
not voted, and remind authors of their outcome's review date (run from cron, e.g. every
five minutes)."""

import click
from flask import current_app
from flask.cli import AppGroup

from network.extensions import db
from network.governance import operations

governance_cli = AppGroup("governance", help="Decisions: closings and reminders.")


@governance_cli.command("tick")
def tick_command() -> None:
    base_url = current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base_url):
        closed = operations.close_due()
        reminded = operations.send_reminders()
        reviews = operations.send_reviews()
        db.session.commit()
    click.echo(
        f"{len(closed)} decision(s) closed, {len(reminded)} reminder(s), "
        f"{len(reviews)} review(s) due."
    )
