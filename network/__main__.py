"""`python -m network [--host H] [--port P]`: serve with Socket.IO support."""

import os

if os.environ.get("TERREAU_ASYNC_MODE", "gevent") == "gevent":
    from gevent import monkey  # must patch before anything opens a socket

    monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402

from network import create_app  # noqa: E402
from network.core.livequeue import start_live_watch  # noqa: E402
from network.core.registries import warm_up  # noqa: E402
from network.extensions import socketio  # noqa: E402
from network.search.indexing import ensure_search_index  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m network", description="Serve Terreau.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        ensure_search_index()
        warm_up()  # the modules' statements compiled before the first reader
    compile_templates(app)
    start_live_watch(app)
    # What start-up built lives as long as the process: leave it out of the full garbage
    # collections, which otherwise walk it all (~100 ms) in the middle of some requests.
    gc.collect()
    gc.freeze()
    print(f" * Terreau on http://{args.host}:{args.port} ({socketio.async_mode} mode)", flush=True)
    if socketio.async_mode == "gevent":
        serve_gevent(app, args.host, args.port)
        return
    socketio.run(
        app,
        host=args.host,
        port=args.port,
        debug=False,
        use_reloader=False,
        log_output=False,
        allow_unsafe_werkzeug=True,
    )


def compile_templates(app) -> None:
    """Compile every template now (~0.5 s): a fresh server otherwise compiles a page's
    templates during its first request (the chat page's first answer took 82 ms of CPU instead
    of 42), and compiled here they are frozen with the rest of start-up."""
    env = app.jinja_env
    for name in env.list_templates(extensions=["html", "txt"]):
        env.get_template(name)


def serve_gevent(app, host: str, port: int) -> None:
    """gevent's server, on a listener with TCP_NODELAY: it writes a response's headers and
    body in two sends, which Nagle's algorithm would delay by 40 ms on kept-alive
    connections (measured in bench/members_bench.py)."""
    import logging
    import socket

    from gevent import pywsgi
    from geventwebsocket.handler import WebSocketHandler

    from network.core.websocket import gather_websocket_writes

    gather_websocket_writes(socketio)
    logging.getLogger("geventwebsocket.handler").setLevel(logging.WARNING)  # proxies log access
    listener = socket.create_server((host, port), reuse_port=False, backlog=1024)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pywsgi.WSGIServer(listener, app, handler_class=WebSocketHandler, log=None).serve_forever()


if __name__ == "__main__":
    main()
