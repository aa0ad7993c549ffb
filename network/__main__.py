"""`python -m network [--host H] [--port P]`: serve with Socket.IO support."""

import os

if os.environ.get("TERREAU_ASYNC_MODE", "gevent") == "gevent":
    from gevent import monkey  # must patch before anything opens a socket

    monkey.patch_all()

import argparse  # noqa: E402

from network import create_app  # noqa: E402
from network.extensions import socketio  # noqa: E402
from network.serving import prepare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m network", description="Serve Terreau.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    app = create_app()
    prepare(app)
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


def serve_gevent(app, host: str, port: int) -> None:
    """gevent's server, on a listener with TCP_NODELAY: it writes a response's headers and
    body in two sends, which Nagle's algorithm would delay by 40 ms on kept-alive
    connections (measured in bench/members_bench.py)."""
    import socket

    from gevent import pywsgi
    from geventwebsocket.handler import WebSocketHandler

    listener = socket.create_server((host, port), reuse_port=False, backlog=1024)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pywsgi.WSGIServer(listener, app, handler_class=WebSocketHandler, log=None).serve_forever()


if __name__ == "__main__":
    main()
