"""`python -m network [--host H] [--port P]`: serve with Socket.IO support."""

import os

if os.environ.get("TERREAU_ASYNC_MODE", "gevent") == "gevent":
    from gevent import monkey  # must patch before anything opens a socket

    monkey.patch_all()

import argparse  # noqa: E402

from network import create_app  # noqa: E402
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
    print(f" * Terreau on http://{args.host}:{args.port} ({socketio.async_mode} mode)", flush=True)
    socketio.run(
        app,
        host=args.host,
        port=args.port,
        debug=False,
        use_reloader=False,
        log_output=False,
        allow_unsafe_werkzeug=True,
    )


if __name__ == "__main__":
    main()
