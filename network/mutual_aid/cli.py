"""`flask mutual-aid check`: the time bank's invariants (the sum of all balances is the sum
of the opening credits; each balance is the sum of its entries; each recorded exchange moved
its time once). Exits 1 when one does not hold."""

import sys

import click
from flask.cli import AppGroup

from network.mutual_aid import operations

mutual_aid_cli = AppGroup("mutual-aid", help="Mutual aid: the time bank's checks.")


@mutual_aid_cli.command("check")
def check_command() -> None:
    problems = operations.check_ledger()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("The time bank balances: every invariant holds.")
