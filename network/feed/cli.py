"""`flask notifications send-digests`: the daily e-mail of pending notifications."""

import click
from flask.cli import AppGroup

from network.extensions import db
from network.feed import notifications

notifications_cli = AppGroup("notifications", help="The notification centre.")


@notifications_cli.command("send-digests")
def send_digests_command() -> None:
    """E-mail each member the notifications waiting for their daily digest."""
    sent = notifications.send_digests()
    db.session.commit()
    click.echo(f"{sent} digest(s) sent.")
