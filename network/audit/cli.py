"""`flask audit …`: verify the chain, show its head, seal entries stored outside it."""

import sys

import click
from flask.cli import AppGroup

from network.core import audit
from network.extensions import db

audit_cli = AppGroup("audit", help="The hash-chained audit log.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check the whole chain; exit 1 naming the first broken entry."""
    verdict = audit.verify(db.session)
    db.session.rollback()
    click.echo(verdict.describe())
    if not verdict.ok:
        sys.exit(1)


@audit_cli.command("head")
def head_command() -> None:
    """Print the chain head (seq and hash), to write down or send out of band."""
    head = audit.head_of(db.session)
    click.echo(f"#{head.seq} {head.hash}" if head else f"#0 {audit.GENESIS}")


@audit_cli.command("seal")
def seal_command() -> None:
    """Chain the entries stored without a chain (written outside the application)."""
    count = audit.seal_unsealed(db.session)
    db.session.commit()
    click.echo(f"{count} entries sealed.")
