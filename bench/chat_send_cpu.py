"""The chat's send path alone, in process: CPU time per `send` event (issue 11).

Runs the app (gevent-patched, as `python -m network`) on a copy of a `bench/chat_bench.py`
data folder and sends through Socket.IO's test client from the first scenario's senders in
turns (no receivers: the fan-out is left out), `--sends` at a time, `--rounds` times; then
the same number of events of a bare handler registered on the same app
(`emit("message", data, to=room)` and `{"ok": True}`, what the bare server of
chat_bench.py does), so that the difference is the app's own cost per message. With
`--profile FILE` one more round of sends runs under cProfile (CPU time) and its top
functions are printed. Run from the project root:

    .venv/bin/python bench/chat_send_cpu.py --data-dir /tmp/chat-bench-500
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
BODY = "Bonjour à tous, le point de 10 h est déplacé à 11 h."


def copy_data(source: Path, target: Path) -> None:
    """The bench database (an online backup), in `target`; the app builds its search index
    at start."""
    target.mkdir(parents=True, exist_ok=True)
    with (
        sqlite3.connect(source / "terreau.sqlite3") as s,
        sqlite3.connect(target / "terreau.sqlite3") as d,
    ):
        s.backup(d)
    shutil.copy(source / "bench.json", target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="chat_bench.py's data")
    parser.add_argument("--sends", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path)
    parser.add_argument(
        "--together",
        action="store_true",
        help="every sender sends at once (one greenlet each, as the fan-out's senders do): "
        "the app may write concurrent sends together",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT_DIR))
    work = Path(tempfile.mkdtemp(prefix="chat-send-cpu-"))
    try:
        copy_data(args.data_dir, work)
        run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, args: argparse.Namespace) -> None:
    os.environ["TERREAU_DATA_DIR"] = str(work)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("SECRET_KEY", "chat-bench-secret-key")
    from flask_socketio import emit

    import network
    from network import create_app
    from network.extensions import socketio

    data = json.loads((work / "bench.json").read_text())
    app = create_app()

    @socketio.on("bare_send")
    def _bare_send(payload):
        emit("message", payload, to=f"channel:{payload['channel_id']}")
        return {"ok": True}

    channel = data["channels"][0]
    senders = [socketio.test_client(app, auth={"token": t}) for t in data["senders"][0]]
    assert all(s.is_connected() for s in senders), "a sender could not connect"
    tag = f"{time.time():.0f}"

    def send(event: str, label: str, n: int) -> None:
        sender = senders[n % len(senders)]
        payload = {"channel_id": channel, "body": BODY, "client_id": f"cpu{tag}{label}{n}"}
        answer = sender.emit(event, payload, callback=True)
        assert answer["ok"], answer
        sender.get_received()

    def sends_of(event: str, label: str, first: int) -> None:
        for n in range(first, args.sends, len(senders)):
            send(event, label, n)

    walls: list[float] = []

    def round_of(event: str, label: str) -> float:
        started, wall = time.process_time(), time.monotonic()
        if args.together:  # one greenlet per sender (the test client holds one answer)
            gevent.joinall(
                [gevent.spawn(sends_of, event, label, s) for s in range(len(senders))],
                raise_error=True,
            )
        else:
            for n in range(args.sends):
                send(event, label, n)
        walls.append((time.monotonic() - wall) * 1000 / args.sends)
        return (time.process_time() - started) * 1000 / args.sends

    print(
        f"code: {Path(network.__file__).parent}; {len(senders)} senders, {args.sends} sends"
        + (", all senders at once" if args.together else ", one at a time")
    )
    round_of("send", "warm")
    for number in range(args.rounds):
        app_ms = round_of("send", f"r{number}")
        bare_ms = round_of("bare_send", f"b{number}")
        print(
            f"round {number + 1}: app {app_ms:.3f} ms CPU a send, bare handler {bare_ms:.3f}, "
            f"app's own {app_ms - bare_ms:.3f}; wall ms a send: app {walls[-2]:.3f}, bare "
            f"{walls[-1]:.3f}; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        round_of("send", "prof")
        profiler.disable()
        profiler.dump_stats(args.profile)
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
