"""What a server process does before it serves, whichever server runs it (`python -m network`
or gunicorn through `network.wsgi`)."""

import gc
import logging

from flask import Flask

from network.core.registries import warm_up
from network.extensions import socketio
from network.search.indexing import ensure_search_index


def prepare(app: Flask) -> None:
    """Build or repair the search index, warm the modules up, compile the templates, and
    leave what start-up built out of the garbage collections."""
    with app.app_context():
        ensure_search_index()
        warm_up()  # the modules' statements compiled before the first reader
    compile_templates(app)
    if socketio.async_mode == "gevent":
        from network.core.websocket import gather_websocket_writes

        gather_websocket_writes(socketio)
        # Its access lines would repeat the proxy's (nginx logs every request).
        logging.getLogger("geventwebsocket.handler").setLevel(logging.WARNING)
    # What start-up built lives as long as the process: leave it out of the full garbage
    # collections, which otherwise walk it all (~100 ms) in the middle of some requests.
    gc.collect()
    gc.freeze()


def compile_templates(app: Flask) -> None:
    """Compile every template now (~0.5 s): a fresh server otherwise compiles a page's
    templates during its first request (the chat page's first answer took 82 ms of CPU instead
    of 42), and compiled here they are frozen with the rest of start-up."""
    env = app.jinja_env
    for name in env.list_templates(extensions=["html", "txt"]):
        env.get_template(name)
