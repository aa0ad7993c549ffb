"""Benchmark a general assembly (issue 13): 500 associates vote live, and the minutes.

Builds once, in a SQLite database (`--data-dir` keeps it for other runs): `--associates`
(500) associates and `--others` (300) members of other statuses, with Core inserts as
`members_bench` makes them; a staff member (not an associate: the register is exactly the
associates) who prepares the assembly and chairs it; an API token for each associate and
the staff member (inserted directly: only their SHA-256 is stored, the raw values are kept
in the data folder).

Each run then starts `python -m network` (gevent, one process, `TERREAU_TALLY_WINDOW_MS`
from `--tally-window-ms`, 250) and, all over HTTP with the members' own bearer tokens:

1. **Prepares**: creates an ordinary assembly (first convocation) with an agenda of
   `--resolutions` (30) resolutions, the gérance's election among them secret, and convenes
   it (`POST /api/v1/assemblies`, `POST …/convene`: 500 attendees, notifications, e-mails).
2. **Listens**: `--listeners` (5) associates connect over Socket.IO (python-socketio clients
   over websockets, in a process of their own) and join the assembly's room
   (`watch_assembly`); every `assembly_quorum`, `resolution_opened` and `resolution_closed`
   is recorded with its arrival time (`time.monotonic`, system-wide).
3. **Proxies**: `--proxies` (40) associates give their proxy to one of a few holders (at
   most the cap the API states: 25 with 500 associates), `POST …/proxies`.
4. **Check-in**: every other associate (460) checks in online, `POST …/attendance`, from
   `--clients` (20) concurrent clients. The meter's freshness: each answer carries the
   quorum counted after its commit; the lag is the time from that answer to the first
   `assembly_quorum` that reaches its count.
5. **Votes**: the chair opens resolution 1; each present associate votes
   (`PUT /api/v1/resolutions/<id>/vote`), holders then vote for each giver
   (`on_behalf_of`) — 500 votes, at moments spread evenly at random over `--vote-window`
   (30 s), from `--clients` concurrent clients; the chair closes it. Then resolution 2 the
   same way in a burst: every vote as fast as `--clients` clients can send them. Vote
   latency p50 / p99, total time, server CPU per vote (the server's threads' on-CPU time,
   `/proc/<pid>/task/*/schedstat`), the meter's freshness (from a vote's answer — the k-th
   answered — to the first `assembly_quorum` received after it whose turnout is at least k),
   and the lag of `resolution_opened` / `resolution_closed` after the chair's answer. The
   verdict must count 500 votes (for + against + abstain, as sent), the database 500 vote
   rows of 500 distinct voters.
6. **Minutes**: the other resolutions get 500 votes each, inserted directly (ballots for the
   secret one), and are opened and closed by the chair through the API; the assembly is
   closed. `GET /assemblies/<id>/minutes` (the page, as the chair signed in) and
   `GET /api/v1/assemblies/<id>/minutes.pdf` are timed `--samples` (5) times each, made
   from the record, then again once the minutes are signed (frozen): the signing makes
   their PDF in the background, whose CPU is measured over `--making-wait` (10 s) before
   the first download.

It is not a test: it prints figures. Each run makes its own assembly (the members are
reused), and empties the outbox the convocations fill.

Run from the project root (2 shared cores: under the benchmarks' lock):

    flock /tmp/bench.lock .venv/bin/python bench/assembly_bench.py --data-dir /tmp/agbench-500
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import secrets
import shutil
import sqlite3
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this tree's `network`

import members_bench as mb  # noqa: E402
from governance_bench import Http, bearer, cookie_header, load, server_cpu_ns  # noqa: E402

TOKENS_FILE = "assembly-tokens.json"
STAFF_PASSWORD = "bench-chair-2026"
CHOICE_WEIGHTS = (("for", 62), ("against", 28), ("abstain", 10))
SECRET_POSITION = 3  # the gérance's election (0-based): a secret ballot
TEXT = (
    "L'assemblée générale, après avoir entendu la lecture du rapport de gestion de la gérance "
    "et du rapport sur les comptes de l'exercice clos le 31 décembre, approuve les comptes "
    "annuels tels qu'ils lui ont été présentés, ainsi que les opérations traduites dans ces "
    "comptes ou résumées dans ces rapports.\n\n"
    "Elle donne en conséquence quitus à la gérance pour l'exécution de son mandat au cours de "
    "l'exercice écoulé, et décide d'affecter le résultat de l'exercice conformément aux "
    "statuts : **15 %** à la réserve légale, **45 %** aux réserves impartageables, "
    "**40 %** à la participation des salariés."
)


def percentile(values: list[float], fraction: float) -> float:
    return mb.percentile(values, fraction) if values else float("nan")


# --- data -------------------------------------------------------------------------------------


def build(data_dir: Path, args) -> None:
    """Associates and other members, the chair, and everyone's token."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from network import create_app
    from network.cooperative.settings import load_cooperative
    from network.extensions import db
    from network.members.models import ApiToken, Member
    from network.members.operations import create_member, hash_token

    app = create_app()
    with app.app_context():
        upgrade()
        load_cooperative()
        staff = create_member(
            email=mb.STAFF_EMAIL,
            display_name="Équipe Bench",
            status="support_contract",
            role="staff",
            password=STAFF_PASSWORD,
        )
        others = ("employee_entrepreneur", "support_contract", "candidate", "alumnus")
        rows = []
        for index, row in enumerate(mb.member_rows(args.associates + args.others)):
            row["is_active"] = True
            row["status"] = "associate" if index < args.associates else others[index % 4]
            if row["status"] != "employee_entrepreneur":
                row["associate_deadline"] = None
            rows.append(row)
        mb.insert_rows(db, Member, rows)
        db.session.commit()
        associates = list(
            db.session.scalars(
                select(Member.id).where(Member.status == "associate").order_by(Member.id)
            )
        )
        raw = {m: "trr_bench_" + secrets.token_urlsafe(24) for m in [staff.id, *associates]}
        far = datetime.now(UTC) + timedelta(days=3650)
        db.session.execute(
            insert(ApiToken),
            [
                {
                    "member_id": m,
                    "name": "bench",
                    "token_hash": hash_token(t),
                    "is_personal": True,
                    "expires_at": far,
                }
                for m, t in raw.items()
            ],
        )
        db.session.commit()
        (data_dir / TOKENS_FILE).write_text(
            json.dumps(
                {
                    "staff": [staff.id, raw[staff.id]],
                    "associates": [[m, raw[m]] for m in associates],
                }
            )
        )
        db.session.remove()


# --- Socket.IO listeners ----------------------------------------------------------------------


def listen(port: int, tokens: list[str], assembly_id: int, ready, stop, out: str) -> None:
    """In a process of its own: clients in the assembly's room, each event with its time."""
    import socketio

    events: list[list] = []
    lock = threading.Lock()
    clients = []
    for listener, token in enumerate(tokens):
        client = socketio.Client(reconnection=False)

        def record(name: str, listener: int = listener):
            def handler(data):
                with lock:
                    events.append([time.monotonic(), listener, name, data])

            return handler

        for name in ("assembly_quorum", "resolution_opened", "resolution_closed"):
            client.on(name, record(name))
        client.connect(
            f"http://{mb.HOST}:{port}",
            transports=["websocket"],
            auth={"token": token},
            wait_timeout=30,
        )
        answer = client.call("watch_assembly", {"assembly_id": assembly_id}, timeout=30)
        if not answer or answer.get("ok") is False:
            raise RuntimeError(f"watch_assembly answered {answer!r}")
        clients.append(client)
    ready.set()
    stop.wait()
    time.sleep(0.2)
    for client in clients:
        client.disconnect()
    Path(out).write_text(json.dumps(events))


@contextlib.contextmanager
def listeners(port: int, tokens: list[str], assembly_id: int, data_dir: Path):
    """Yields a function returning the events received so far (read once, at the end)."""
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    out = data_dir / "assembly-events.json"
    out.unlink(missing_ok=True)
    process = context.Process(
        target=listen, args=(port, tokens, assembly_id, ready, stop, str(out)), daemon=True
    )
    process.start()
    if not ready.wait(60):
        process.terminate()
        raise RuntimeError("the listeners did not join the assembly's room")
    collected: list = []

    def events() -> list:
        if not collected:
            stop.set()
            process.join(30)
            collected.extend(json.loads(out.read_text()))
        return collected

    try:
        yield events
    finally:
        stop.set()
        process.join(30)
        if process.is_alive():
            process.terminate()


# --- requests ---------------------------------------------------------------------------------


class Timed:
    """Answers of a batch of requests: (answered at, latency ms, status, payload)."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float, int, bytes]] = []
        self.lock = threading.Lock()

    def add(self, answered: float, latency: float, status: int, payload: bytes) -> None:
        with self.lock:
            self.rows.append((answered, latency, status, payload))

    @property
    def latencies(self) -> list[float]:
        return [r[1] for r in self.rows]

    def statuses(self) -> dict[int, int]:
        return dict(Counter(r[2] for r in self.rows))


def run_tasks(port: int, tasks: list, clients: int, pace: float | None = None) -> Timed:
    """Each task is (start offset s, token, [(method, path, body), …]) sent in order on one
    connection; tasks start at their offset (paced) or as soon as a client is free."""
    tasks = sorted(tasks, key=lambda t: t[0])
    queue = iter(tasks)
    lock = threading.Lock()
    timed = Timed()
    errors: list[BaseException] = []
    begun = time.monotonic()

    def work() -> None:
        connection = Http(port, {"Accept-Language": "fr"})
        try:
            while True:
                with lock:
                    task = next(queue, None)
                if task is None:
                    return
                offset, token, requests = task
                if pace is not None:
                    delay = begun + offset - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                for method, path, body in requests:
                    started = time.monotonic()
                    status, payload = connection.send(method, path, body, bearer(token))
                    answered = time.monotonic()
                    timed.add(answered, (answered - started) * 1000, status, payload)
        except BaseException as error:  # reported after the join
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return timed


def call(port: int, token: str, method: str, path: str, body=None, expect=200) -> tuple:
    """One request: (answered at, latency ms, JSON answer)."""
    connection = Http(port, {"Accept-Language": "fr"})
    try:
        started = time.monotonic()
        status, payload = connection.send(method, path, body, bearer(token))
        answered = time.monotonic()
    finally:
        connection.close()
    if status != expect:
        raise RuntimeError(f"{method} {path} answered {status}: {payload[:300]!r}")
    return answered, (answered - started) * 1000, json.loads(payload) if payload else None


# --- freshness --------------------------------------------------------------------------------


def quorum_events(events: list, listener: int = 0) -> list[tuple[float, dict]]:
    return [(t, d) for t, who, name, d in events if name == "assembly_quorum" and who == listener]


def lags(answers: list[tuple[float, int]], quorums: list[tuple[float, dict]], reached) -> list:
    """For each (answered at, value): ms until the first event after it for which
    `reached(event, value)`; None when none came."""
    found = []
    for answered, value in answers:
        later = [t for t, d in quorums if t >= answered and reached(d, value)]
        found.append((min(later) - answered) * 1000 if later else None)
    return found


def lag_text(values: list) -> str:
    seen = [v for v in values if v is not None]
    missing = len(values) - len(seen)
    if not seen:
        return f"none received ({missing} missing)"
    text = (
        f"p50 {percentile(seen, 0.5):.0f} ms, p99 {percentile(seen, 0.99):.0f} ms,"
        f" max {max(seen):.0f} ms"
    )
    return text + (f", **{missing} never**" if missing else "")


def event_lag(events: list, name: str, resolution_id: int, since: float) -> str:
    """Arrival of `name` for the resolution at each listener after `since` (ms)."""
    times = [
        (t - since) * 1000
        for t, _who, event, data in events
        if event == name and data.get("resolution_id") == resolution_id
    ]
    if not times:
        return "never received"
    return f"{len(times)} listeners, {min(times):.0f}–{max(times):.0f} ms"


# --- phases -----------------------------------------------------------------------------------


def agenda(count: int) -> list[dict]:
    titles = [
        "Approbation des comptes de l'exercice",
        "Affectation du résultat",
        "Quitus à la gérance",
        "Élection de la gérance",
        "Rapport spécial sur les conventions réglementées",
    ]
    items = []
    for position in range(count):
        title = titles[position] if position < len(titles) else f"Résolution {position + 1}"
        items.append(
            {
                "title": title,
                "text": TEXT,
                "majority": "ordinary",
                "secret": position == SECRET_POSITION,
                "by_gerance": True,
            }
        )
    return items


def prepare(port: int, staff: list, associates: list, args, report: list[str]) -> dict:
    staff_id, token = staff
    starts = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    _at, created_ms, assembly = call(
        port,
        token,
        "POST",
        "/api/v1/assemblies",
        {
            "kind": "ordinary",
            "title": f"Assemblée générale ordinaire — bench {datetime.now(UTC):%H:%M:%S}",
            "starts_at": starts,
            "place": "Salle des fêtes, Lyon",
            "online_url": "https://visio.example/ag",
            "chair_id": staff_id,
            "secretary_id": associates[0][0],
            "resolutions": agenda(args.resolutions),
        },
        expect=201,
    )
    _at, convene_ms, convened = call(
        port, token, "POST", f"/api/v1/assemblies/{assembly['id']}/convene"
    )
    assembly = convened["assembly"]
    report.append(
        f"Prepare an assembly of {args.resolutions} resolutions: create {created_ms:.0f} ms;"
        f" convene {assembly['register_size']} associates {convene_ms:.0f} ms"
        f" (attendees, notifications, e-mails queued)."
    )
    return assembly


def give_proxies(port: int, assembly: dict, givers: list, holders: list, args, report) -> dict:
    """`givers` give their proxies to `holders`, spread unevenly, never above the cap."""
    _at, _ms, listing = call(
        port, givers[0][1], "GET", f"/api/v1/assemblies/{assembly['id']}/proxies"
    )
    cap = listing["cap"]
    shares = [10, 8, 6, 5, 4, 3, 2, 1, 1]  # 40, most to the first holder
    plan: list[int] = []
    for holder, share in zip(holders, shares, strict=False):
        plan += [holder[0]] * min(cap, share)
    for extra in range(len(givers) * len(holders)):  # the rest (fewer associates), in turns
        holder = holders[extra % len(holders)][0]
        if len(plan) >= len(givers):
            break
        if plan.count(holder) < cap:
            plan.append(holder)
    plan = plan[: len(givers)]
    path = f"/api/v1/assemblies/{assembly['id']}/proxies"
    tasks = [
        (0.0, token, [("POST", path, {"holder_id": holder})])
        for (_giver, token), holder in zip(givers, plan, strict=False)
    ]
    timed = run_tasks(port, tasks, min(args.clients, 8))
    held = Counter(plan)
    report.append(
        f"Proxies: {len(givers)} given to {len(held)} holders (at most {max(held.values())} each;"
        f" the cap is {cap}) — p50 {percentile(timed.latencies, 0.5):.0f} ms,"
        f" p99 {percentile(timed.latencies, 0.99):.0f} ms, answers {timed.statuses()}."
    )
    return {giver: holder for (giver, _t), holder in zip(givers, plan, strict=False)}


def check_in(port: int, pid: int, assembly: dict, present: list, args) -> list:
    path = f"/api/v1/assemblies/{assembly['id']}/attendance"
    tasks = [(0.0, token, [("POST", path, {"presence": "online"})]) for _m, token in present]
    used, begun = server_cpu_ns(pid), time.monotonic()
    timed = run_tasks(port, tasks, args.clients)
    elapsed = time.monotonic() - begun
    cpu = (server_cpu_ns(pid) - used) / 1e6 / len(tasks)
    answers = [(at, json.loads(body)["counted"]) for at, _ms, status, body in timed.rows]
    return [timed, elapsed, cpu, answers]


def vote_tasks(
    resolution_id: int, present: list, proxies: dict, tokens: dict, window: float | None, rng
) -> tuple[list, Counter]:
    """Each present associate's votes (their own, then their givers'), at a random moment of
    the window; the choices as sent."""
    path = f"/api/v1/resolutions/{resolution_id}/vote"
    choices, weights = zip(*CHOICE_WEIGHTS, strict=True)
    by_holder: dict[int, list[int]] = {}
    for giver, holder in proxies.items():
        by_holder.setdefault(holder, []).append(giver)
    sent: Counter = Counter()
    tasks = []
    for member_id, _token in present:
        requests = []
        for behalf in [None, *by_holder.get(member_id, [])]:
            choice = rng.choices(choices, weights)[0]
            sent[choice] += 1
            body = {"choice": choice} | ({"on_behalf_of": behalf} if behalf else {})
            requests.append(("PUT", path, body))
        offset = rng.uniform(0, window) if window else 0.0
        tasks.append((offset, tokens[member_id], requests))
    return tasks, sent


def vote_round(
    port: int, pid: int, assembly: dict, index: int, present, proxies, tokens, staff, window, args
) -> dict:
    resolution = assembly["resolutions"][index]
    rid = resolution["id"]
    rng = random.Random(100 + index)
    tasks, sent = vote_tasks(rid, present, proxies, tokens, window, rng)
    opened_at, open_ms, _r = call(port, staff[1], "POST", f"/api/v1/resolutions/{rid}/open")
    used, begun = server_cpu_ns(pid), time.monotonic()
    timed = run_tasks(port, tasks, args.clients, pace=window)
    elapsed = time.monotonic() - begun
    cpu = (server_cpu_ns(pid) - used) / 1e6 / max(len(timed.rows), 1)
    time.sleep(1.0)  # the last meter after the last vote
    closed_at, close_ms, closed = call(port, staff[1], "POST", f"/api/v1/resolutions/{rid}/close")
    verdict = closed["verdict"]
    ordered = sorted(timed.rows)
    answers = [(at, rank) for rank, (at, _ms, _s, _b) in enumerate(ordered, start=1)]
    return {
        "rid": rid,
        "timed": timed,
        "elapsed": elapsed,
        "first_to_last": ordered[-1][0] - opened_at if ordered else 0.0,
        "cpu": cpu,
        "sent": sent,
        "verdict": verdict,
        "answers": answers,
        "opened_at": opened_at,
        "closed_at": closed_at,
        "open_ms": open_ms,
        "close_ms": close_ms,
    }


def check_rows(data_dir: Path, resolution_id: int) -> tuple[int, int]:
    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        return con.execute(
            "SELECT count(*), count(DISTINCT voter_id) FROM resolution_votes WHERE resolution_id=?",
            (resolution_id,),
        ).fetchone()


def fill_resolutions(data_dir: Path, assembly: dict, voters: list[tuple[int, int]], skip: int):
    """500 votes into each resolution from `skip` on, inserted directly (as `vote` leaves
    them: a vote row per voter, the choice in a ballot apart for a secret one)."""
    rng = random.Random(9)
    choices, weights = zip(*CHOICE_WEIGHTS, strict=True)
    with sqlite3.connect(data_dir / mb.DB_FILE, timeout=60) as con:
        for resolution in assembly["resolutions"][skip:]:
            rid, secret = resolution["id"], resolution["secret"]
            picked = [rng.choices(choices, weights)[0] for _ in voters]
            con.executemany(
                "INSERT INTO resolution_votes (resolution_id, voter_id, cast_by_id, choice,"
                " postal) VALUES (?,?,?,?,0)",
                [
                    (rid, voter, cast_by, None if secret else choice)
                    for (voter, cast_by), choice in zip(voters, picked, strict=True)
                ],
            )
            if secret:
                con.executemany(
                    "INSERT INTO resolution_ballots (key, resolution_id, choice) VALUES (?,?,?)",
                    [(secrets.token_hex(8), rid, choice) for choice in picked],
                )


def minutes_phase(port: int, pid: int, assembly: dict, staff, args, report, voters: int) -> None:
    aid = assembly["id"]
    base = f"http://{mb.HOST}:{port}"
    page = Http(port, cookie_header(mb.sign_in(base, mb.STAFF_EMAIL, STAFF_PASSWORD)))
    api = Http(port, bearer(staff[1]))
    rows = []
    pdf_path, page_path = f"/api/v1/assemblies/{aid}/minutes.pdf", f"/assemblies/{aid}/minutes"

    def measure(label: str, client: Http, path: str, count: int, change: bool = False) -> None:
        walls, cpus, size = [], [], 0
        for index in range(count):
            if change:  # the minutes change: their PDF is made again
                place = f"Salle {index + 1}, Lyon"
                call(port, staff[1], "PATCH", f"/api/v1/assemblies/{aid}", {"place": place})
            used, started = server_cpu_ns(pid), time.perf_counter()
            size = len(client.get(path))
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((server_cpu_ns(pid) - used) / 1e6)
        rows.append(
            f"| {label} | {len(walls)} | {statistics.median(walls):.0f} | {max(walls):.0f}"
            f" | {statistics.median(cpus):.0f} | {size / 1024:.0f} |"
        )
        print(f"  minutes, {label}: median {statistics.median(walls):.0f} ms", flush=True)

    measure("page, from the record", page, page_path, args.samples)
    measure("PDF, from the record, each after a change (made)", api, pdf_path, args.samples, True)
    measure("PDF, from the record, unchanged (remembered)", api, pdf_path, args.samples)
    used, started = server_cpu_ns(pid), time.perf_counter()
    call(port, staff[1], "POST", f"/api/v1/assemblies/{aid}/minutes/sign")
    signed_ms = (time.perf_counter() - started) * 1000
    # Signing makes the PDF in the background (each language): the server's CPU meanwhile
    time.sleep(args.making_wait)
    making = (server_cpu_ns(pid) - used) / 1e6
    rows.append(
        f"| signing (answer), then the PDFs made in the background, {args.making_wait:.0f} s"
        f" | 1 | {signed_ms:.0f} | {signed_ms:.0f} | {making:.0f} | |"
    )
    print(f"  minutes, signed: {signed_ms:.0f} ms, then {making:.0f} ms of CPU", flush=True)
    measure("page, signed (frozen)", page, page_path, args.samples)
    measure("PDF, signed: the first download", api, pdf_path, 1)
    measure("PDF, signed: again", api, pdf_path, args.samples)
    page.close()
    api.close()
    report.append(
        f"\nMinutes of the assembly ({args.resolutions} resolutions closed with {voters} votes"
        f" each, one secret; the attendance sheet of {assembly['register_size']}): the page"
        " `GET /assemblies/<id>/minutes` (the chair, signed in) and the PDF"
        " `GET /api/v1/assemblies/<id>/minutes.pdf`, in sequence:"
    )
    report.append(
        "| Request | n | median ms | max ms | server CPU ms (median) | KiB |\n"
        "|---|--:|--:|--:|--:|--:|"
    )
    report.extend(rows)


# --- main -------------------------------------------------------------------------------------


def run(args, data_dir: Path) -> None:
    if not (data_dir / mb.DB_FILE).exists():
        started = time.perf_counter()
        print(f"Building in {data_dir} …", flush=True)
        build(data_dir, args)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        print(f"Reusing the database in {data_dir}", flush=True)
        from flask_migrate import upgrade

        from network import create_app

        with create_app().app_context():
            upgrade()
    shutil.rmtree(data_dir / "outbox", ignore_errors=True)
    tokens_file = json.loads((data_dir / TOKENS_FILE).read_text())
    staff, associates = tokens_file["staff"], tokens_file["associates"]
    tokens = dict(associates)
    givers = associates[-args.proxies :] if args.proxies else []
    present = associates[: len(associates) - len(givers)]
    holders = present[1:10]
    os.environ["TERREAU_TALLY_WINDOW_MS"] = str(args.tally_window_ms)
    report: list[str] = []
    with mb.server_process(data_dir) as (port, proc):
        print(f"Server up on port {port} (load {load()})", flush=True)
        assembly = prepare(port, staff, associates, args, report)
        watchers = [token for _m, token in present[-args.listeners :]]
        with listeners(port, watchers, assembly["id"], data_dir) as events:
            print(f"  {args.listeners} listeners in the room (load {load()})", flush=True)
            proxies = give_proxies(port, assembly, givers, holders, args, report)
            print(f"  check-in of {len(present)} (load {load()})", flush=True)
            checked = check_in(port, proc.pid, assembly, present, args)
            time.sleep(1.0)
            rounds = []
            for index, window in ((0, args.vote_window), (1, None)):
                print(f"  votes on resolution {index + 1} (load {load()})", flush=True)
                rounds.append(
                    vote_round(
                        port,
                        proc.pid,
                        assembly,
                        index,
                        present,
                        proxies,
                        tokens,
                        staff,
                        window,
                        args,
                    )
                )
            time.sleep(1.5)
            received = events()
        live_report(report, checked, rounds, received, data_dir, args, len(present))
        print(f"  minutes (load {load()})", flush=True)
        voters = [(m, m) for m, _t in present] + [(g, h) for g, h in proxies.items()]
        fill_resolutions(data_dir, assembly, voters, skip=2)
        for resolution in assembly["resolutions"][2:]:
            rid = resolution["id"]
            call(port, staff[1], "POST", f"/api/v1/resolutions/{rid}/open")
            call(port, staff[1], "POST", f"/api/v1/resolutions/{rid}/close")
        call(port, staff[1], "POST", f"/api/v1/assemblies/{assembly['id']}/close")
        minutes_phase(port, proc.pid, assembly, staff, args, report, len(voters))
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average now {load()}\n")
    print("\n".join(report))


def live_report(report, checked, rounds, received, data_dir, args, present: int) -> None:
    timed, elapsed, cpu, answers = checked
    quorums = quorum_events(received)
    report.append(
        f"\nCheck-in: {present} associates online, `POST …/attendance`, {args.clients} clients:"
        f" {elapsed:.1f} s, p50 {percentile(timed.latencies, 0.5):.0f} ms,"
        f" p99 {percentile(timed.latencies, 0.99):.0f} ms, server CPU {cpu:.1f} ms each,"
        f" answers {timed.statuses()}; meter after each answer (its count reached):"
        f" {lag_text(lags(answers, quorums, lambda d, v: d['counted'] >= v))};"
        f" final meter {quorums[-1][1]['counted'] if quorums else '—'} counted."
    )
    report.append(
        f"\nVotes ({args.listeners} Socket.IO listeners in the room, TALLY_WINDOW_MS"
        f" {args.tally_window_ms}; {args.clients} clients on kept-alive connections):\n"
        "| Round | votes | answers | total s | p50 ms | p95 ms | p99 ms | server CPU ms/vote"
        " | meter lag p50 / p99 / max ms | last vote → meter ms | `resolution_opened`"
        " / `resolution_closed` after the answer | verdict for / against / abstain (sent)"
        " | rows / voters |\n|---|--:|---|--:|--:|--:|--:|--:|---|--:|---|---|---|"
    )
    for label, found in zip(
        (f"spread over {args.vote_window:.0f} s", "burst"), rounds, strict=True
    ):
        rid, lat = found["rid"], found["timed"].latencies
        turnout = [(t, d) for t, d in quorums if str(rid) in d.get("turnout", {})]
        votes = lags(found["answers"], turnout, lambda d, v, rid=rid: d["turnout"][str(rid)] >= v)
        seen = [v for v in votes if v is not None]
        missing = len(votes) - len(seen)
        verdict, sent = found["verdict"], found["sent"]
        counted = (verdict["for"], verdict["against"], verdict["abstain"])
        ok = counted == (sent["for"], sent["against"], sent["abstain"]) and sum(counted) == len(lat)
        rows, distinct = check_rows(data_dir, rid)
        report.append(
            f"| {label} | {len(lat)} | {found['timed'].statuses()} | {found['elapsed']:.1f}"
            f" | {percentile(lat, 0.5):.0f} | {percentile(lat, 0.95):.0f}"
            f" | {percentile(lat, 0.99):.0f} | {found['cpu']:.1f}"
            f" | {percentile(seen, 0.5):.0f} / {percentile(seen, 0.99):.0f}"
            f" / {max(seen or [0]):.0f}"
            + (f" ({missing} never)" if missing else "")
            + f" | {votes[-1] if votes[-1] is not None else float('nan'):.0f}"
            f" | {event_lag(received, 'resolution_opened', rid, found['opened_at'])}"
            f" / {event_lag(received, 'resolution_closed', rid, found['closed_at'])}"
            f" | {counted[0]} / {counted[1]} / {counted[2]} ({sent['for']} / {sent['against']}"
            f" / {sent['abstain']}) {'ok' if ok else '**MISMATCH**'} | {rows} / {distinct} |"
        )
        report.append(
            f"  (round {label}: open {found['open_ms']:.0f} ms, close {found['close_ms']:.0f} ms"
            f" with the verdict; {len(turnout)} meters received per listener)"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--associates", type=int, default=500)
    parser.add_argument("--others", type=int, default=300, help="members of other statuses")
    parser.add_argument("--proxies", type=int, default=40)
    parser.add_argument("--resolutions", type=int, default=30)
    parser.add_argument("--clients", type=int, default=20, help="concurrent HTTP clients")
    parser.add_argument("--listeners", type=int, default=5, help="Socket.IO clients in the room")
    parser.add_argument("--vote-window", type=float, default=30.0, help="seconds (round 1)")
    parser.add_argument("--tally-window-ms", type=int, default=250)
    parser.add_argument("--samples", type=int, default=5, help="minutes requests per kind")
    parser.add_argument(
        "--making-wait", type=float, default=10.0, help="seconds after signing (PDFs made)"
    )
    parser.add_argument("--data-dir", type=Path, help="kept; an existing database is reused")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    def start(args: argparse.Namespace, data_dir: Path) -> None:
        os.environ["TERREAU_DATA_DIR"] = str(data_dir)  # before anything imports the config
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load()}", flush=True)
        run(args, data_dir)

    mb.in_data_dir(parse_args(argv), "terreau-ag-bench-", start)


if __name__ == "__main__":
    main()
