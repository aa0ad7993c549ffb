"""`flask members …` commands and the demo seed command."""

import logging
import sys

import click
from flask import current_app, url_for
from flask.cli import (
    AppGroup,
    with_appcontext,  # noqa: I001
)
from sqlalchemy import select

from network.core.errors import DomainError
from network.core.permissions import Role
from network.extensions import db
from network.members import operations
from network.members.models import Member, Status

members_cli = AppGroup("members", help="Accounts and invitations.")
STATUS_CHOICE = click.Choice([s.value for s in Status])


def _fail(error: DomainError) -> None:
    db.session.rollback()
    details = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
    raise click.ClickException(f"{error.message}{' (' + details + ')' if details else ''}")


def _inviter(email: str | None) -> Member:
    query = select(Member).where(Member.is_active.is_(True))
    query = (
        query.where(Member.email == email.lower())
        if email
        else query.where(Member.role == Role.ADMIN).order_by(Member.id)
    )
    inviter = db.session.scalars(query.limit(1)).first()
    if inviter is None:
        raise click.ClickException(
            "No inviting staff member found: create an admin first "
            "(flask members create EMAIL --role admin …)."
        )
    return inviter


@members_cli.command("invite")
@click.argument("email")
@click.option("--status", type=STATUS_CHOICE, required=True, help="Initial CAE status.")
@click.option("--name", default="", help="Name, to greet the person.")
@click.option("--by", "by_email", default=None, help="E-mail of the inviting staff member.")
@click.option("--note", default="", help="A personal note, quoted in the e-mail.")
@click.option(
    "--locale", type=click.Choice(["fr", "en"]), default="fr", help="Language of the e-mail."
)
def invite_command(
    email: str, status: str, name: str, by_email: str | None, note: str, locale: str
) -> None:
    """Invite EMAIL; the link is mailed (or written to the outbox)."""
    base_url = current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base_url):
        try:
            invitation = operations.invite_member(
                _inviter(by_email),
                email=email,
                status=status,
                display_name=name,
                note=note,
                locale=locale,
                link_for=lambda token: url_for("members.join", token=token, _external=True),
            )
            db.session.commit()
        except DomainError as error:
            _fail(error)
    expires = f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
    click.echo(f"Invitation sent to {invitation.email} (expires {expires}).")


@members_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--status", type=STATUS_CHOICE, required=True, help="CAE status.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="member")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(email: str, name: str, status: str, role: str, password_stdin: bool) -> None:
    """Create an account directly (the first admin, for instance)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        member = operations.create_member(
            email=email, display_name=name, status=status, role=role, password=password
        )
        db.session.commit()
    except DomainError as error:
        _fail(error)
    click.echo(f"Created member {member.id} <{member.email}> ({member.role.value}).")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if the database has members.")
@with_appcontext
def seed_demo_command(force: bool) -> None:
    """Seed a believable demo cooperative when the database is empty."""
    from network.demo import DEMO_PASSWORD, demo_logins, seed_demo

    if db.session.scalar(select(Member.id).limit(1)) is not None and not force:
        click.echo("The database already has members: nothing seeded.")
    else:
        for noisy in ("terreau.audit", "network.core.mail"):  # the demo's own mail and audit
            logging.getLogger(noisy).setLevel(logging.WARNING)
        base_url = current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000"
        with current_app.test_request_context(base_url=base_url):  # links in the content
            seed_demo()
            db.session.commit()
        click.echo("Demo cooperative seeded.")
    logins = demo_logins()
    if logins:
        click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
        for who, email in logins:
            click.echo(f"  {who:<44} {email}")
