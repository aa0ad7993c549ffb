"""Benchmark live channels (issue 4): fan-out latency and deliveries per second, history pages.

Builds a bench database in a temporary folder under /tmp: receiver members (500 by default)
and a pool of sender members, each with an API token (inserted directly, no password
hashing), one public channel per scenario holding every receiver and that scenario's senders,
and a history channel of 1,000,000 messages inserted with SQL. The cooperative's
`chat_messages_per_minute` is raised to its maximum (600) and each scenario sends from its
own `--senders` members, so the per-member limit never refuses a message (with Redis the
limit's counters are shared and outlive a server).

Fan-out: for each scenario, servers are started (the app: `python -m network`; or a bare
Flask-SocketIO server with no app logic whose `send` handler does
`emit("message", data, to=room)`, same async mode and server), the receivers connect from
`--receiver-procs` separate client processes, split across the servers, and join the
channel (`--receivers raw`, the default: Socket.IO spoken by hand over aiohttp websockets,
cheap enough that the servers set the pace; `socketio`: python-socketio `AsyncClient`s);
the sender (this process, other connections, always to the first server) then
- sends `--latency-messages` messages (1,000) one at a time, one every `--interval` ms (60:
  above the app's 50 ms burst window, `LIVE_BURST_MS`, so that each goes out alone, as in a
  conversation at a human pace; a minute in all): latency is the time from the `send` emit
  to the last receiver's `message` event (time.monotonic, a system-wide clock on Linux,
  compared across processes); its p99 is the 10th worst of 1,000, not the worst of 100 (a
  single stall of the machine no longer decides it), and
- sends `--deliveries` / clients messages as fast as the server acknowledges them
  (`--in-flight` outstanding per sender connection): deliveries/s = deliveries received /
  (last receipt − first send).
With two processes, the servers share Redis (`--redis`, message queue, rate limits and
socket registry); with one, neither server uses Redis.

History, as served over HTTP (issue 11): one `python -m network` (gevent) serves;
`--history-readers` members (8: the history reader, authors of the history channel, and
receivers, who are also in every fan-out channel) sign in with a password and read two
channels, the history channel (1,000,000 messages) and the first fan-out channel (given
20,000), each with a read marker in turn never set, 20 to 5,000 messages behind, or up to
date. `--history-requests` requests (5,000) go in sequence over kept-alive connections, each
from the next member: half the page `/chat/<id>`, half the API's
`/api/v1/channels/<id>/messages`, 4 in 5 the latest page and 1 in 5 a page `before=` a random
id. Per request: the server's CPU time (the on-CPU nanoseconds of its threads, from
/proc/<pid>/task/*/schedstat, the primary figure), the wall time and the body's size. Cold:
`--history-cold-restarts` fresh servers each answer `--history-cold-requests` requests right
after one sign-in, the first one alternately the page and the API, reported apart.

It is not a test: it prints figures (and the load average beside them). Run from the
project root:

    .venv/bin/python bench/chat_bench.py
"""

import argparse
import asyncio
import hashlib
import json
import os
import random
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
DB_FILE = "terreau.sqlite3"
HOST = "127.0.0.1"
SECRET_KEY = "chat-bench-secret-key"
PER_MINUTE = 600  # the setting's maximum
HISTORY_AUTHORS = 40
BODIES = (
    "Bonjour à tous, le point de 10 h est déplacé à 11 h.",
    "Quelqu'un a un contact de plombier sur Villeurbanne ? Merci !",
    "J'ai mis le compte rendu de la réunion dans le dossier partagé.",
    "**Rappel** : l'assemblée générale a lieu jeudi à 18 h, salle du rez-de-chaussée.",
    "Merci pour le coup de main hier, c'était parfait.",
    "Je cherche une traductrice anglais-français pour un devis de 12 pages.",
    "Qui vient au café des entrepreneurs vendredi ?",
    "Le nouveau modèle de facture est en ligne : https://example.org/modele",
)


# --- data --------------------------------------------------------------------------------------


@dataclass
class BenchData:
    receivers: list[str]  # tokens
    senders: list[list[str]]  # tokens, one list per slot
    channels: list[int]  # fan-out channel of each slot
    history_channel: int

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__))

    @classmethod
    def load(cls, path: Path) -> "BenchData":
        return cls(**json.loads(path.read_text()))


def build_database(data_dir: Path, receivers: int, slots: int, senders: int, messages: int) -> None:
    os.environ["TERREAU_DATA_DIR"] = str(data_dir)
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(BENCH_DIR))
    import members_bench
    from flask_migrate import upgrade
    from members_bench import insert_rows, member_rows
    from sqlalchemy import select

    from network import create_app
    from network.chat.models import Channel, ChannelKind, ChannelMember
    from network.cooperative.settings import load_cooperative
    from network.extensions import db
    from network.members.models import ApiToken, Member
    from network.members.operations import create_member
    from network.search.indexing import rebuild as rebuild_search_index

    app = create_app()
    total = receivers + slots * senders + HISTORY_AUTHORS
    with app.app_context():
        upgrade()
        cooperative = load_cooperative()
        cooperative.values = {**cooperative.values, "chat_messages_per_minute": PER_MINUTE}
        reader = create_member(  # the history reader signs in with a password (one hash)
            email=members_bench.LOGIN_EMAIL,
            display_name="Camille Bench",
            status="associate",
            password=members_bench.LOGIN_PASSWORD,
        )
        rows = []
        for row in member_rows(total, seed=4):
            row["is_active"] = True
            row["email"] = "chat." + row["email"]
            rows.append(row)
        insert_rows(db, Member, rows)
        ids = list(
            db.session.scalars(select(Member.id).where(Member.id != reader.id).order_by(Member.id))
        )
        raw = {member_id: f"chat-bench-{member_id}-{secrets.token_hex(8)}" for member_id in ids}
        now = datetime.now(UTC)
        insert_rows(
            db,
            ApiToken,
            (
                {
                    "member_id": member_id,
                    "name": "chat bench",
                    "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                    "is_personal": False,
                    "created_at": now,
                    "expires_at": None,
                    "revoked_at": None,
                }
                for member_id, token in raw.items()
            ),
        )
        receiver_ids = ids[:receivers]
        sender_ids = [
            ids[receivers + s * senders : receivers + (s + 1) * senders] for s in range(slots)
        ]
        author_ids = ids[receivers + slots * senders :]
        channels = []
        for slot in range(slots + 1):
            name = f"Bench {slot}" if slot < slots else "Histoire"
            channel = Channel(kind=ChannelKind.PUBLIC, name=name, name_key=name.lower())
            db.session.add(channel)
            db.session.flush()
            channels.append(channel.id)
            members = receiver_ids + sender_ids[slot] if slot < slots else author_ids + [reader.id]
            insert_rows(
                db,
                ChannelMember,
                (
                    {
                        "channel_id": channel.id,
                        "member_id": m,
                        "role": "member",
                        "last_read_id": 0,
                        "joined_at": now,
                    }
                    for m in members
                ),
            )
        db.session.commit()
        indexed = rebuild_search_index()  # before the history: the server must not rebuild it
        print(f"  search index: {indexed} documents", flush=True)
    data = BenchData(
        receivers=[raw[m] for m in receiver_ids],
        senders=[[raw[m] for m in slot] for slot in sender_ids],
        channels=channels[:-1],
        history_channel=channels[-1],
    )
    insert_history(data_dir / DB_FILE, data.history_channel, author_ids, messages)
    data.save(data_dir / "bench.json")


def insert_history(db_path: Path, channel_id: int, authors: list[int], count: int) -> None:
    """`count` messages in the channel over a year, 1 in 20 a reply in a thread (SQL, bulk)."""
    rng = random.Random(5)
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=365)
    step = timedelta(days=365) / max(count, 1)
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    first = (connection.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]) + 1
    roots: list[int] = []

    def rows():
        for n in range(count):
            message_id = first + n
            body = rng.choice(BODIES)
            thread = rng.choice(roots[-50:]) if roots and rng.random() < 0.05 else None
            if thread is None:
                roots.append(message_id)
            at = (start + step * n).isoformat(sep=" ")
            yield (
                message_id,
                channel_id,
                rng.choice(authors),
                f"h{n}",
                thread,
                body,
                f"<p>{body}</p>",
                0,
                at,
            )

    connection.executemany(
        "INSERT INTO messages (id, channel_id, author_id, client_id, thread_id, body, body_html,"
        " reply_count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    last = first + count - 1
    connection.execute(
        "UPDATE channels SET last_message_id = ?, last_message_at = ? WHERE id = ?",
        (last, datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" "), channel_id),
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a server exited with code {proc.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


class Servers:
    """`count` server processes (the app or the bare server), stopped on exit."""

    def __init__(
        self,
        kind: str,
        count: int,
        mode: str,
        data_dir: Path,
        redis: str,
        profile: Path | None = None,
    ) -> None:
        self.kind, self.count, self.mode, self.data_dir = kind, count, mode, data_dir
        self.profile = profile
        self.redis = redis if count > 1 else ""
        self.procs: list[subprocess.Popen] = []
        self.urls: list[str] = []

    def __enter__(self) -> "Servers":
        env = {
            **os.environ,
            "TERREAU_DATA_DIR": str(self.data_dir),
            "SECRET_KEY": SECRET_KEY,
            "TERREAU_ASYNC_MODE": self.mode,
        }
        env.pop("REDIS_URL", None)
        if self.redis:
            env["REDIS_URL"] = self.redis
        channel = f"chat-bench-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            for n in range(self.count):
                port = free_port()
                if self.kind == "app" and self.profile:
                    out = self.profile / f"app-x{self.count}-{n}-{port}.prof"
                    command = [
                        sys.executable,
                        __file__,
                        "--role",
                        "app-profiled",
                        "--port",
                        str(port),
                        "--profile-out",
                        str(out),
                    ]
                elif self.kind == "app":
                    command = [sys.executable, "-m", "network", "--host", HOST, "--port", str(port)]
                elif self.kind == "app-noindex":
                    command = [
                        sys.executable,
                        __file__,
                        "--role",
                        "app-noindex",
                        "--port",
                        str(port),
                    ]
                else:
                    command = [
                        sys.executable,
                        __file__,
                        "--role",
                        "bare-server",
                        "--port",
                        str(port),
                        "--mode",
                        self.mode,
                        "--redis",
                        self.redis,
                        "--channel",
                        channel,
                    ]
                    if self.kind == "bare-gathered":
                        command.append("--gathered")
                    if self.profile:
                        out = self.profile / f"bare-x{self.count}-{n}-{port}.prof"
                        command += ["--profile-out", str(out)]
                log = open(self.data_dir / f"server-{self.kind}-{n}.log", "wb")
                self.procs.append(
                    subprocess.Popen(
                        command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
                    )
                )
                self.urls.append(f"http://{HOST}:{port}")
            for url, proc in zip(self.urls, self.procs, strict=True):
                bare = self.kind.startswith("bare")
                probe = "/socket.io/?EIO=4&transport=polling" if bare else "/login"
                wait_until_up(url + probe, proc)
        except BaseException:
            self.__exit__()
            raise
        return self

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self.procs]

    def __exit__(self, *_exc: object) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def bare_server(port: int, mode: str, redis: str, channel: str, gathered: bool = False) -> None:
    """A Flask-SocketIO broadcast server with no app logic, served as the app is (`gathered`:
    with the app's WebSocket writes gathered, `network.core.websocket`)."""
    if mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    from flask import Flask
    from flask_socketio import SocketIO, emit, join_room

    app = Flask(__name__)
    sio = SocketIO(app, async_mode=mode, message_queue=redis or None, channel=channel)

    @sio.on("connect")
    def _connect(auth=None):
        return True

    @sio.on("join")
    def _join(data):
        join_room(f"channel:{data['channel_id']}")
        return {"ok": True, "channel_id": data["channel_id"]}

    @sio.on("send")
    def _send(data):
        emit("message", data, to=f"channel:{data['channel_id']}")
        return {"ok": True}

    print(f" * bare server on {port} ({sio.async_mode} mode)", flush=True)
    if mode == "gevent":
        import logging

        from gevent import pywsgi
        from geventwebsocket.handler import WebSocketHandler

        logging.getLogger("geventwebsocket.handler").setLevel(logging.WARNING)
        if gathered:
            from network.core.websocket import gather_websocket_writes

            gather_websocket_writes(sio)
        listener = socket.create_server((HOST, port), reuse_port=False, backlog=1024)
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pywsgi.WSGIServer(listener, app, handler_class=WebSocketHandler, log=None).serve_forever()
    else:
        sio.run(
            app,
            host=HOST,
            port=port,
            debug=False,
            use_reloader=False,
            log_output=False,
            allow_unsafe_werkzeug=True,
        )


def app_without_index(port: int) -> None:
    """Diagnostic: the app with messages left out of the search index (as `python -m network`
    otherwise), to show what the index update costs the send path."""
    if os.environ.get("TERREAU_ASYNC_MODE", "gevent") == "gevent":
        from gevent import monkey

        monkey.patch_all()
    import network.chat.operations

    network.chat.operations.index_later = lambda *_args, **_kwargs: None
    sys.argv = ["network", "--host", HOST, "--port", str(port)]
    from network.__main__ import main as serve

    serve()


def profiled(out: Path, serve: Callable[[], None]) -> None:
    """Run a gevent server `serve()` under cProfile; the profile is written to `out` when
    the server is asked to stop (SIGTERM). Greenlet switches blur cumulative times: read
    the functions' own times."""
    import cProfile
    import signal

    from gevent import monkey

    monkey.patch_all()
    import gevent

    profiler = cProfile.Profile()

    def stop() -> None:
        profiler.disable()
        profiler.dump_stats(out)
        os._exit(0)

    gevent.signal_handler(signal.SIGTERM, stop)
    profiler.enable()
    serve()


def serve_app(port: int) -> None:
    sys.argv = ["network", "--host", HOST, "--port", str(port)]
    from network.__main__ import main as serve

    serve()


# --- receivers (separate processes) ------------------------------------------------------------


async def receivers_main(spec: dict) -> None:
    """Connect, join, print `ready`; record every `message`; on `report`, wait until quiet,
    print what was received (id → [count, first, last receipt]) and disconnect."""
    import socketio

    prefix = spec["prefix"]
    got: dict[str, list] = {}
    last_receipt = [time.monotonic()]

    def on_message(data):
        now = time.monotonic()
        last_receipt[0] = now
        cid = data.get("client_id", "") if isinstance(data, dict) else ""
        if not cid.startswith(prefix):
            return
        seen = got.get(cid)
        if seen is None:
            got[cid] = [1, now, now]
        else:
            seen[0] += 1
            seen[2] = now

    clients = []
    # One connection at a time: the app's connect handler keeps SQLite's write lock across
    # its Redis calls, so overlapping connects to one process stall it (see the report).
    gate = asyncio.Semaphore(1)

    async def open_one(url: str, token: str):
        client = socketio.AsyncClient(reconnection=False)
        client.on("message", on_message)
        async with gate:
            await client.connect(
                url, transports=["websocket"], auth={"token": token}, wait_timeout=60
            )
            ack = await client.call("join", {"channel_id": spec["channel_id"]}, timeout=120)
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        clients.append(client)

    started = time.monotonic()
    await asyncio.gather(*(open_one(url, token) for url, token in spec["clients"]))
    print(f"ready {time.monotonic() - started:.2f}", flush=True)
    loop = asyncio.get_running_loop()
    cpu_at = time.process_time()
    while (line := await loop.run_in_executor(None, sys.stdin.readline)) and line.strip() == "mark":
        cpu_at = time.process_time()
    # "report": wait until nothing arrived for 3 s (or 120 s)
    deadline = time.monotonic() + 120
    while time.monotonic() - last_receipt[0] < 3.0 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    cpu = time.process_time() - cpu_at  # CPU since the mark (waiting costs next to nothing)
    print(json.dumps({"got": got, "cpu": cpu}), flush=True)
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)


async def raw_receivers_main(spec: dict) -> None:
    """The same contract as `receivers_main`, with cheap clients: Engine.IO 4 / Socket.IO 5
    spoken by hand over aiohttp websockets, and a `message` event read by searching its
    text for the client id instead of decoding it. A python-socketio client costs more CPU
    per event than the server spends sending it, so on two cores it held the bare server
    back; these let the servers, not the receivers, set the pace."""
    import aiohttp

    prefix = spec["prefix"]
    marker = '"client_id"'
    got: dict[str, list] = {}
    last_receipt = [time.monotonic()]
    sockets = []

    def on_frame(text: str) -> None:
        now = time.monotonic()
        last_receipt[0] = now
        start = text.find(marker)
        if start < 0 or not text.startswith('42["message"'):
            return
        start = text.index('"', start + len(marker)) + 1  # past `: "`, spaced or not
        cid = text[start : text.index('"', start)]
        if not cid.startswith(prefix):
            return
        seen = got.get(cid)
        if seen is None:
            got[cid] = [1, now, now]
        else:
            seen[0] += 1
            seen[2] = now

    async def read(ws) -> None:
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            if frame.data == "2":  # Engine.IO ping
                await ws.send_str("3")
            else:
                on_frame(frame.data)

    async def open_one(session, url: str, token: str):
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        ws = await session.ws_connect(ws_url, max_msg_size=0, autoping=False)
        opened = await ws.receive_str()  # 0{"sid": …}
        if not opened.startswith("0"):
            raise RuntimeError(f"no Engine.IO open: {opened!r}")
        await ws.send_str("40" + json.dumps({"token": token}))
        connected = await ws.receive_str()
        while connected.startswith("42"):  # the app's connect handler may emit first
            connected = await ws.receive_str()
        if not connected.startswith("40"):
            raise RuntimeError(f"connection refused: {connected!r}")
        await ws.send_str("421" + json.dumps(["join", {"channel_id": spec["channel_id"]}]))
        while True:  # events may come before the join's acknowledgement
            answer = await ws.receive_str()
            if answer == "2":
                await ws.send_str("3")
            elif answer.startswith("431"):
                break
        if '"ok":true' not in answer.replace(" ", ""):
            raise RuntimeError(f"join refused: {answer}")
        sockets.append(ws)
        return asyncio.ensure_future(read(ws))

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        started = time.monotonic()
        readers = []
        for url, token in spec["clients"]:  # one at a time, as the socketio receivers do
            readers.append(await open_one(session, url, token))
        print(f"ready {time.monotonic() - started:.2f}", flush=True)
        loop = asyncio.get_running_loop()
        cpu_at = time.process_time()
        while (
            line := await loop.run_in_executor(None, sys.stdin.readline)
        ) and line.strip() == "mark":
            cpu_at = time.process_time()
        deadline = time.monotonic() + 120
        while time.monotonic() - last_receipt[0] < 3.0 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        cpu = time.process_time() - cpu_at
        print(json.dumps({"got": got, "cpu": cpu}), flush=True)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for reader in readers:
            reader.cancel()


# --- fan-out -----------------------------------------------------------------------------------


@dataclass
class FanOut:
    label: str
    clients: int
    latencies_ms: list[float]
    ack_ms: list[float]
    deliveries_per_s: float
    sends_per_s: float
    lost: int
    ready_s: float
    receiver_cpu: float  # receiver CPU seconds / wall seconds during the throughput phase
    load: str
    server_cpu_ms: float = float("nan")  # servers' CPU ms per message sent, throughput phase
    loaded_latencies_ms: list[float] = field(default_factory=list)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def start_receivers(
    urls: list[str], tokens: list[str], channel_id: int, procs: int, prefix: str, kind: str
) -> list[subprocess.Popen]:
    """Clients spread over the servers round-robin, then over the client processes."""
    assigned = [(urls[n % len(urls)], token) for n, token in enumerate(tokens)]
    started = []
    for p in range(procs):  # one after the other: never two connects at once
        spec = {
            "clients": assigned[p::procs],
            "channel_id": channel_id,
            "prefix": prefix,
            "kind": kind,
        }
        proc = subprocess.Popen(
            [sys.executable, __file__, "--role", "receivers", "--spec", json.dumps(spec)],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        line = proc.stdout.readline()
        if not line.startswith("ready"):
            for other in started:
                other.kill()
            raise RuntimeError(f"receivers failed: {line!r}")
        proc.ready = float(line.split()[1])  # type: ignore[attr-defined]
    return started


async def send_phase(
    senders: list,
    channel_id: int,
    prefix: str,
    count: int,
    interval: float,
    in_flight: int,
    sent_at: dict[str, float],
    acks: list[float],
    max_seconds: float = float("inf"),
) -> tuple[float, int]:
    """Send `count` messages: one every `interval` s (latency), or as fast as acknowledged with
    `in_flight` outstanding per sender connection (interval 0), for `max_seconds` at most.
    Returns the elapsed time and the messages sent."""
    numbers = iter(range(count))
    start = time.monotonic()

    async def one(client, n: int) -> None:
        cid = f"{prefix}{n}"
        body = f"{BODIES[n % len(BODIES)]} ({n})"
        sent_at[cid] = begin = time.monotonic()
        ack = await client.call(
            "send", {"channel_id": channel_id, "body": body, "client_id": cid}, timeout=120
        )
        acks.append((time.monotonic() - begin) * 1000)
        if not ack.get("ok"):
            raise RuntimeError(f"send refused: {ack}")

    if interval:
        for n in numbers:
            await one(senders[n % len(senders)], n)
            await asyncio.sleep(max(0.0, start + (n + 1) * interval - time.monotonic()))
    else:

        async def worker(client) -> None:
            for n in numbers:
                if time.monotonic() - start > max_seconds:
                    return
                await one(client, n)

        await asyncio.gather(*(worker(c) for c in senders for _ in range(in_flight)))
    return time.monotonic() - start, len([c for c in sent_at if c.startswith(prefix)])


def process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes `pids` have used so far."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def fan_out(
    label: str,
    urls: list[str],
    data: BenchData,
    slot: int,
    clients: int,
    args: argparse.Namespace,
    server_pids: list[int],
) -> FanOut:
    import socketio

    channel_id = data.channels[slot]
    run = secrets.token_hex(3)
    lat_prefix, put_prefix = f"{run}L-", f"{run}T-"
    receivers = start_receivers(
        urls, data.receivers[:clients], channel_id, args.receiver_procs, run, args.receivers
    )
    senders = []
    try:
        ready = sum(proc.ready for proc in receivers)
        for token in data.senders[slot]:
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(
                urls[0], transports=["websocket"], auth={"token": token}, wait_timeout=60
            )
            senders.append(client)
        await asyncio.sleep(1.0)  # let the connections' presence events pass
        sent_at: dict[str, float] = {}
        acks: list[float] = []
        await send_phase(
            senders,
            channel_id,
            lat_prefix,
            args.latency_messages,
            args.interval / 1000,
            1,
            sent_at,
            acks,
        )
        await asyncio.sleep(1.0)
        for proc in receivers:
            proc.stdin.write("mark\n")
            proc.stdin.flush()
        load = load_average()
        put_count = max(50, args.deliveries // clients)
        cpu_before = process_cpu(server_pids)
        elapsed, put_count = await send_phase(
            senders,
            channel_id,
            put_prefix,
            put_count,
            0,
            args.in_flight,
            sent_at,
            [],
            args.max_seconds,
        )
        await asyncio.sleep(0.5)  # the last deliveries
        server_cpu = process_cpu(server_pids) - cpu_before
        got: dict[str, list[float]] = {}
        cpu = 0.0
        for proc in receivers:
            proc.stdin.write("report\n")
            proc.stdin.flush()
        for proc in receivers:
            answer = json.loads(proc.stdout.readline())
            cpu += answer["cpu"]
            for cid, (count, first, last) in answer["got"].items():
                seen = got.setdefault(cid, [0, first, last])
                seen[0] += count
                seen[1], seen[2] = min(seen[1], first), max(seen[2], last)
    finally:
        await asyncio.gather(*(c.disconnect() for c in senders), return_exceptions=True)
        for proc in receivers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def delivered(prefix: str) -> list[tuple[str, list[float]]]:
        return [(cid, seen) for cid, seen in got.items() if cid.startswith(prefix)]

    latencies = [
        (seen[2] - sent_at[cid]) * 1000 for cid, seen in delivered(lat_prefix) if seen[0] == clients
    ]
    loaded = [(seen[2] - sent_at[cid]) * 1000 for cid, seen in delivered(put_prefix)]
    put = delivered(put_prefix)
    put_starts = [t for cid, t in sent_at.items() if cid.startswith(put_prefix)]
    total = sum(seen[0] for _cid, seen in put)
    span = max(seen[2] for _cid, seen in put) - min(put_starts) if put else float("inf")
    expected = (args.latency_messages + put_count) * clients
    lost = expected - sum(seen[0] for seen in got.values())
    return FanOut(
        label=label,
        clients=clients,
        latencies_ms=latencies,
        ack_ms=acks,
        deliveries_per_s=total / span,
        sends_per_s=put_count / elapsed,
        lost=lost,
        ready_s=ready,
        receiver_cpu=cpu / span,
        load=load,
        loaded_latencies_ms=loaded,
        server_cpu_ms=server_cpu * 1000 / put_count,
    )


def fan_out_table(results: list[FanOut]) -> list[str]:
    heads = [
        "Server",
        "clients",
        "p50 ms",
        "p99 ms",
        "ack p50 ms",
        "deliveries/s",
        "sends/s",
        "p50 / p99 ms under load",
        "lost",
        "rcv CPU",
        "srv CPU ms/msg",
        "join s",
        "load (1/5/15)",
    ]
    rows = [heads]
    for r in results:
        rows.append(
            [
                r.label,
                str(r.clients),
                f"{percentile(r.latencies_ms, 0.5):.1f}",
                f"{percentile(r.latencies_ms, 0.99):.1f}",
                f"{percentile(r.ack_ms, 0.5):.1f}",
                f"{r.deliveries_per_s:,.0f}",
                f"{r.sends_per_s:,.0f}",
                f"{percentile(r.loaded_latencies_ms, 0.5):,.0f} / "
                f"{percentile(r.loaded_latencies_ms, 0.99):,.0f}",
                str(r.lost),
                f"{r.receiver_cpu:.2f}",
                f"{r.server_cpu_ms:.2f}",
                f"{r.ready_s:.1f}",
                r.load,
            ]
        )
    return markdown(rows)


def markdown(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(cells: list[str]) -> str:
        first, *rest = cells
        return (
            "| "
            + " | ".join(
                [first.ljust(widths[0])]
                + [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
            )
            + " |"
        )

    rule = "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]])
    return [line(rows[0]), rule + "|"] + [line(row) for row in rows[1:]]


# --- history -----------------------------------------------------------------------------------


HISTORY_SMALL = 20_000  # messages of the second channel of the history part
READ_STATES = ("never read it", "behind", "up to date")


@dataclass
class Reader:
    """A member of the history part, signed in over HTTP (a session and an API token)."""

    email: str
    html: "object"  # members_bench.Client with the session cookie
    api: "object"  # members_bench.Client with the bearer token


def prepare_history(data_dir: Path, data: BenchData, readers: int) -> tuple[list[str], list[int]]:
    """Emails of `readers` members who sign in with the bench password (the history reader,
    authors of the history channel and receivers, who are also in every fan-out channel), all
    members of two channels: the history channel and the first fan-out channel, given
    `HISTORY_SMALL` messages if it has fewer. Returns (emails, [big channel, small channel])."""
    sys.path.insert(0, str(BENCH_DIR))
    import members_bench

    big, small = data.history_channel, data.channels[0]
    with sqlite3.connect(data_dir / DB_FILE) as db:
        reader_id, password_hash = db.execute(
            "SELECT id, password_hash FROM members WHERE email = ?", (members_bench.LOGIN_EMAIL,)
        ).fetchone()
        members_of = lambda channel: [  # noqa: E731
            row[0]
            for row in db.execute(
                "SELECT member_id FROM channel_members WHERE channel_id = ? AND member_id != ?"
                " ORDER BY member_id",
                (channel, reader_id),
            )
        ]
        receivers = members_of(data.channels[1])  # receivers, then that channel's senders
        authors = [m for m in members_of(big) if m not in set(receivers)]
        chosen = [reader_id] + authors[: (readers - 1) // 2]
        chosen += receivers[: readers - len(chosen)]
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        for member_id in chosen:
            db.execute(
                "UPDATE members SET password_hash = ? WHERE id = ?", (password_hash, member_id)
            )
            for channel in (big, small):
                db.execute(
                    "INSERT OR IGNORE INTO channel_members (channel_id, member_id, role,"
                    " last_read_id, joined_at) VALUES (?, ?, 'member', 0, ?)",
                    (channel, member_id, now),
                )
        emails = [
            db.execute("SELECT email FROM members WHERE id = ?", (m,)).fetchone()[0] for m in chosen
        ]
        present = db.execute(
            "SELECT count(*) FROM messages WHERE channel_id = ?", (small,)
        ).fetchone()[0]
    if present < HISTORY_SMALL:
        insert_history(data_dir / DB_FILE, small, receivers[:40], HISTORY_SMALL - present)
    return emails, [big, small]


def set_read_states(data_dir: Path, emails: list[str], channels: list[int], rng) -> dict:
    """Each reader's read marker in each channel: never read (0), behind by 20 to 5,000
    messages, or up to date, in turn. Returns {(email, channel): state}."""
    states = {}
    with sqlite3.connect(data_dir / DB_FILE) as db:
        for i, email in enumerate(emails):
            for j, channel in enumerate(channels):
                state = READ_STATES[(i + j) % len(READ_STATES)]
                ids = [
                    row[0]
                    for row in db.execute(
                        "SELECT id FROM messages WHERE channel_id = ? ORDER BY id DESC LIMIT ?",
                        (channel, rng.choice((20, 200, 5000)) + 1),
                    )
                ]
                last_read = {"never read it": 0, "behind": ids[-1], "up to date": ids[0]}[state]
                db.execute(
                    "UPDATE channel_members SET last_read_id = ? WHERE channel_id = ?"
                    " AND member_id = (SELECT id FROM members WHERE email = ?)",
                    (last_read, channel, email),
                )
                states[email, channel] = state
    return states


def history_paths(rng, channels: list[int], bounds: dict[int, tuple[int, int]]):
    """(kind, channel, path) of history requests, half the HTML page, half the API; a channel
    at random; 4 in 5 the latest page, 1 in 5 a page `before=` a random id."""
    while True:
        channel = rng.choice(channels)
        html = rng.random() < 0.5
        path = f"/chat/{channel}" if html else f"/api/v1/channels/{channel}/messages"
        before = rng.random() < 0.2
        if before:
            path += f"?before={rng.randint(*bounds[channel])}"
        yield ("HTML" if html else "API", "before" if before else "latest", channel, path)


def history_bench(data_dir: Path, data: BenchData, args: argparse.Namespace) -> list[str]:
    """The history as served over HTTP (issue 11): server CPU per request (primary), wall
    time and size, over `--history-requests` requests from `--history-readers` members,
    then `--history-cold-restarts` fresh servers' first requests."""
    sys.path.insert(0, str(BENCH_DIR))
    import members_bench as mb
    from workspaces_bench import Samples, server_cpu_seconds

    emails, channels = prepare_history(data_dir, data, args.history_readers)
    rng = random.Random(6)
    states = set_read_states(data_dir, emails, channels, rng)
    with sqlite3.connect(data_dir / DB_FILE) as db:
        bounds = {
            c: db.execute(
                "SELECT min(id), max(id) FROM messages WHERE channel_id = ?", (c,)
            ).fetchone()
            for c in channels
        }
        sizes = {
            c: db.execute("SELECT count(*) FROM messages WHERE channel_id = ?", (c,)).fetchone()[0]
            for c in channels
        }
    paths = history_paths(rng, channels, bounds)
    groups: dict[str, Samples] = {}

    def sample(labels: list[str], reader: Reader, pid: int, kind: str, path: str) -> None:
        """One request, counted in each of `labels`."""
        first = groups.setdefault(labels[0], Samples())
        first.measure(reader.html if kind == "HTML" else reader.api, pid, path)
        for label in labels[1:]:
            other = groups.setdefault(label, Samples())
            other.cpu.append(first.cpu[-1])
            other.wall.append(first.wall[-1])
            other.size.append(first.size[-1])

    def sign_in(port: int, email: str) -> Reader:
        target = mb.Target(port, mb.sign_in(f"http://{HOST}:{port}", email), True)
        return Reader(email, mb.Client(target, api=False), mb.Client(target, api=True))

    load_before = os.getloadavg()
    with Servers("app", 1, "gevent", data_dir, "") as servers:
        pid, port = servers.pids[0], int(servers.urls[0].rsplit(":", 1)[1])
        readers = [sign_in(port, email) for email in emails]
        for n in range(mb.WARMUP):
            kind, _when, _channel, path = next(paths)
            reader = readers[n % len(readers)]
            (reader.html if kind == "HTML" else reader.api).get(path)
        cpu_before, started = server_cpu_seconds(pid), time.perf_counter()
        for n in range(args.history_requests):
            kind, when, channel, path = next(paths)
            reader = readers[n % len(readers)]
            big = "1M" if channel == channels[0] else "20k"
            labels = [f"warm, {kind}, all", f"warm, {kind}, {when}, {big} channel"]
            if kind == "HTML" and when == "latest":
                labels.append(f"warm, HTML latest, reader {states[reader.email, channel]}")
            sample(labels, reader, pid, kind, path)
        elapsed = time.perf_counter() - started
        stat_cpu = server_cpu_seconds(pid) - cpu_before
        for reader in readers:
            reader.html.close()
            reader.api.close()
    for restart in range(args.history_cold_restarts):
        with Servers("app", 1, "gevent", data_dir, "") as servers:
            pid, port = servers.pids[0], int(servers.urls[0].rsplit(":", 1)[1])
            reader = sign_in(port, emails[restart % len(emails)])
            first = "HTML" if restart % 2 == 0 else "API"
            for n in range(args.history_cold_requests):
                kind, when, channel, path = next(paths)
                if n == 0 and kind != first:  # the first request alternates HTML and API
                    path = (
                        f"/chat/{channel}"
                        if first == "HTML"
                        else f"/api/v1/channels/{channel}/messages"
                    )
                    kind = first
                label = (
                    f"cold: 1st request after a restart, {kind}"
                    if n == 0
                    else (f"cold: requests 2–{args.history_cold_requests} after a restart")
                )
                sample([label], reader, pid, kind, path)
            reader.html.close()
            reader.api.close()
    load_after = os.getloadavg()
    print(
        f"\nHistory over HTTP: channels of {sizes[channels[0]]:,} and {sizes[channels[1]]:,} "
        f"messages; {args.history_requests} requests in sequence from {len(emails)} members "
        f"(each channel's read marker: never read, behind by 20–5,000, up to date, in turn); "
        f"load average {load_before[0]:.1f} / {load_before[1]:.1f} before, "
        f"{load_after[0]:.1f} / {load_after[1]:.1f} after ({os.cpu_count()} CPUs). Server CPU "
        f"from /proc/<pid>/stat over the warm requests: "
        f"{stat_cpu * 1000 / args.history_requests:.1f} ms per request (mean), "
        f"{args.history_requests / elapsed:.0f} req/s.\n"
    )
    lines = [
        "| Requests | n | CPU p50 ms | CPU p99 ms | wall p50 ms | wall p99 ms "
        "| KiB mean | KiB max |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    order = sorted(groups, key=lambda label: (label.startswith("cold"), "all" not in label, label))
    return lines + [groups[label].line(label) for label in order]


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--role",
        default="main",
        help=argparse.SUPPRESS,
        choices=["main", "receivers", "bare-server", "app-noindex", "app-profiled"],
    )
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--channel", default="flask-socketio", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="gevent", help=argparse.SUPPRESS)
    parser.add_argument("--gathered", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clients", default="50,200,500", help="fan-out sizes")
    parser.add_argument("--senders", type=int, default=16, help="sender members per scenario")
    parser.add_argument("--in-flight", type=int, default=4, help="outstanding sends per sender")
    parser.add_argument("--latency-messages", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=60.0, help="ms between latency sends")
    parser.add_argument(
        "--deliveries",
        type=int,
        default=200_000,
        help="deliveries aimed at in the throughput phase (messages × clients)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=8.0,
        help="at most this long sending in the throughput phase",
    )
    parser.add_argument("--receiver-procs", type=int, default=2, help="client processes")
    parser.add_argument(
        "--receivers",
        choices=["raw", "socketio"],
        default="raw",
        help="receiving clients: raw websockets (cheap) or python-socketio",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of every fan-out scenario")
    parser.add_argument("--history-messages", type=int, default=1_000_000)
    parser.add_argument("--history-requests", type=int, default=5000)
    parser.add_argument("--history-readers", type=int, default=8, help="members signed in")
    parser.add_argument("--history-cold-restarts", type=int, default=24)
    parser.add_argument("--history-cold-requests", type=int, default=5)
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/13",
        help="Redis for two processes (a database of its own)",
    )
    parser.add_argument(
        "--only",
        default="fanout,modes,history",
        help="parts to run: fanout (1 and 2 processes), modes, history",
    )
    parser.add_argument(
        "--processes", default="1,2", help="server processes of the fan-out scenarios"
    )
    parser.add_argument(
        "--kinds",
        default="bare,app,app-noindex",
        help="fan-out servers: bare, bare-gathered (with the app's gathered WebSocket writes), "
        "app, app-noindex (the last with one process only)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="run the servers (gevent) under cProfile, one profile per server in this folder",
    )
    parser.add_argument("--data-dir", type=Path, help="data folder (kept; reused if built)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args(argv)


def scenarios(args: argparse.Namespace) -> list[tuple[str, str, int, str, int]]:
    """(label, kind, processes, mode, clients), the app beside the bare server (every other
    repeat in the reverse order: bare and app runs interleaved)."""
    parts = args.only.split(",")
    found = []
    for repeat in range(args.repeat):
        if "fanout" in parts:
            kinds = args.kinds.split(",")
            for processes in map(int, args.processes.split(",")):
                for clients in map(int, args.clients.split(",")):
                    order = ("bare", "bare-gathered", "app")
                    for kind in order if repeat % 2 == 0 else order[::-1]:
                        if kind in kinds:
                            found.append(
                                (f"{kind} gevent ×{processes}", kind, processes, "gevent", clients)
                            )
                    if processes == 1 and "app-noindex" in kinds:
                        found.append(
                            ("app, no search index ×1", "app-noindex", 1, "gevent", clients)
                        )
        if "modes" in parts:
            for mode in ("gevent", "threading"):
                for kind in ("bare", "app"):
                    found.append((f"{kind} {mode} ×1", kind, 1, mode, 200))
    return found


def run(args: argparse.Namespace, data_dir: Path) -> None:
    planned = scenarios(args)
    slots = max(len(planned), 1)
    os.environ["TERREAU_DATA_DIR"] = str(data_dir)
    if not (data_dir / "bench.json").exists():
        print(f"Building the bench database in {data_dir} …", flush=True)
        begin = time.perf_counter()
        build_database(
            data_dir,
            max(map(int, args.clients.split(","))),
            max(slots, 40),
            args.senders,
            args.history_messages,
        )
        print(f"  built in {time.perf_counter() - begin:.1f} s", flush=True)
    else:  # the code may have new migrations since the database was built
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "network:create_app", "db", "upgrade"],
            cwd=PROJECT_DIR,
            env={**os.environ, "TERREAU_DATA_DIR": str(data_dir)},
            check=True,
            capture_output=True,
        )
    data = BenchData.load(data_dir / "bench.json")
    if len(data.channels) < slots:
        raise SystemExit(f"the database has {len(data.channels)} slots, {slots} needed")
    most = max(clients for *_rest, clients in planned) if planned else 0
    if len(data.receivers) < most:
        raise SystemExit(
            f"the database has {len(data.receivers)} receivers, {most} needed: "
            "use another --data-dir"
        )
    print(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, load {load_average()}",
        flush=True,
    )
    results = []
    for slot, (label, kind, processes, mode, clients) in enumerate(planned):
        print(f"  {label}, {clients} clients …", flush=True)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        with Servers(kind, processes, mode, data_dir, args.redis, args.profile) as servers:
            result = asyncio.run(
                fan_out(label, servers.urls, data, slot, clients, args, servers.pids)
            )
        results.append(result)
        print("    " + fan_out_table([result])[-1], flush=True)
    if results:
        print(
            f"\nFan-out: {args.latency_messages} messages one every {args.interval:.0f} ms "
            f"(latency: send → last of the clients), then about {args.deliveries:,} deliveries "
            f"(at most {args.max_seconds:.0f} s of sending) sent with {args.senders} senders × "
            f"{args.in_flight} in flight (deliveries/s); "
            f"{args.receiver_procs} client processes. srv CPU ms/msg: the servers' CPU time "
            "per message of that phase (on an idle core, deliveries/s = clients × 1000 / it).\n"
        )
        print("\n".join(fan_out_table(results)))
    if "history" in args.only.split(","):
        print("\n".join(history_bench(data_dir, data, args)))


def main(argv: list[str] | None = None) -> None:
    # This project's `network`, not the one the shared virtualenv's editable install points
    # at (the script's own folder, not the project's, comes first on the path).
    sys.path.insert(0, str(PROJECT_DIR))
    args = parse_args(argv)
    if args.role == "bare-server":
        serve_bare = lambda: bare_server(  # noqa: E731
            args.port, args.mode, args.redis, args.channel, args.gathered
        )
        if args.profile_out:
            profiled(args.profile_out, serve_bare)
        else:
            serve_bare()
        return
    if args.role == "app-noindex":
        app_without_index(args.port)
        return
    if args.role == "app-profiled":
        profiled(args.profile_out, lambda: serve_app(args.port))
        return
    if args.role == "receivers":
        spec = json.loads(args.spec)
        main_of = raw_receivers_main if spec["kind"] == "raw" else receivers_main
        asyncio.run(main_of(spec))
        return
    sys.path.insert(0, str(BENCH_DIR))
    from members_bench import in_data_dir

    in_data_dir(args, "terreau-chat-bench-", run)


if __name__ == "__main__":
    main()
