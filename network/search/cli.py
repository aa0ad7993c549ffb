"""`flask search reindex` and `flask search status`."""

import click
from flask.cli import AppGroup

from network.core.registries import SEARCH_KINDS
from network.search.indexing import backend, rebuild

search_cli = AppGroup("search", help="The search index.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index from the database (the live index stays until the swap)."""
    total = sum(len(list(kind.all_ids())) for kind in SEARCH_KINDS.values())
    with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
        count = rebuild(progress=bar.update)
    click.echo(f"Search index rebuilt: {count} documents.")


@search_cli.command("status")
def status_command() -> None:
    """Say whether the index exists and how many documents it holds."""
    if not backend().readable():
        click.echo("No readable search index: run `flask search reindex`.")
        raise SystemExit(1)
    click.echo(f"Search index: {backend().searcher().doc_count()} documents in {backend().folder}.")
