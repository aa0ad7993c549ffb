"""`flask services tick`: close the requests resolved long enough ago and send the support
team the list of what is overdue (run from cron once a day, e.g. at 08:00)."""

import click
from flask import current_app
from flask.cli import AppGroup

from network.extensions import db
from network.services.desk import operations

services_cli = AppGroup("services", help="Service desk: closings and the overdue digest.")


@services_cli.command("tick")
@click.option("--no-digest", is_flag=True, help="Only close the resolved requests.")
def tick_command(no_digest: bool) -> None:
    base_url = current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base_url):
        closed = operations.close_resolved()
        told = 0 if no_digest else operations.send_overdue_digest()
        db.session.commit()
    click.echo(f"{closed} request(s) closed, {told} member(s) of the team told what is overdue.")
