"""Search across the network: a Whoosh backend fed by the kinds modules register in
`network.core.registries`, through one writer path."""

from flask import Flask

from network.core.signals import data_restored


def init_app(app: Flask) -> None:
    """The index and its writer, the search page, API and `flask search` commands."""
    from network.core.registries import register_readiness_check
    from network.search import api  # noqa: F401  (registers its routes)
    from network.search.cli import search_cli
    from network.search.indexing import init_search, search_problem
    from network.search.views import bp

    init_search(app)
    register_readiness_check("search", search_problem)
    app.register_blueprint(bp)
    app.cli.add_command(search_cli)
    data_restored.connect(_rebuild_after_restore)


def _rebuild_after_restore(app: Flask, **_: object) -> None:
    """A restored database: the index (a cache of it) is made again from it."""
    from network.search.indexing import rebuild

    with app.app_context():
        rebuild()
