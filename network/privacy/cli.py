"""`flask privacy tick` (build the exports waiting in the background; run from cron every few
minutes) and `flask privacy retention` (remove what is older than its retention setting and
print what was removed; run daily)."""

import click
from flask import current_app
from flask.cli import AppGroup

from network.extensions import db
from network.privacy import operations

privacy_cli = AppGroup("privacy", help="Data exports and retention.")


def _context():
    base_url = current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000"
    return current_app.test_request_context(base_url=base_url)


@privacy_cli.command("tick")
def tick_command() -> None:
    with _context():
        built = operations.build_pending()
    click.echo(f"{built} export(s) built.")


@privacy_cli.command("retention")
def retention_command() -> None:
    with _context():
        report = operations.apply_retention()
        db.session.commit()
    for name, count in report.items():
        click.echo(f"{name}: {count} removed")
