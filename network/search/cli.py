"""`flask search reindex` and `flask search status`."""

import click
from flask.cli import AppGroup

from network.core.registries import SEARCH_KINDS
from network.search.indexing import backend, pending_count, rebuild

search_cli = AppGroup("search", help="The search index.")


@search_cli.command("reindex")
@click.option(
    "--unless-built-since",
    type=float,
    hidden=True,
    help="Skip if a rebuild ended after this time stamp (a server asking for one).",
)
def reindex_command(unless_built_since: float | None) -> None:
    """Rebuild the search index from the database (the live index stays until the swap)."""
    total = sum(len(list(kind.all_ids())) for kind in SEARCH_KINDS.values())
    with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
        count = rebuild(progress=bar.update, unless_built_since=unless_built_since)
    if count is None:
        click.echo("Search index already rebuilt meanwhile.")
        return
    click.echo(f"Search index rebuilt: {count} documents.")


@search_cli.command("status")
def status_command() -> None:
    """Say whether the index exists and how many documents it holds."""
    if not backend().readable():
        click.echo("No readable search index: run `flask search reindex`.")
        raise SystemExit(1)
    search = backend()
    click.echo(f"Search index: {search.count()} documents in {search.location()}.")
    click.echo(f"Changes waiting to be indexed: {pending_count()}.")
