"""Benchmark decisions at network scale (issue 12).

Builds once, in a SQLite database (`--data-dir` keeps it for other runs):

- a cooperative whose consultative electorate ("every active member": support contracts,
  employee entrepreneurs, associates) is exactly `--electorate` members (20,000), plus
  `--others` members outside it (candidates, alumni, deactivated), with Core inserts as
  `members_bench` makes them, and the search index;
- an API token for each of the `--votes` voters and the viewers (inserted directly: only
  their SHA-256 is stored, the raw values are kept in the data folder), and a password for
  `--viewers` members who sign in for the pages;
- `--feed-decisions` (50) open decisions of every kind at the top of the feed, opened through
  `operations.open_decision` (electorates of 20,000, the associates, chosen statuses or a
  named list; their results visible always or after voting), with votes inserted directly
  (0–30 % of each electorate, the bench member among the voters of some).

Each run then starts `python -m network` (gevent, one process) and measures:

1. **Feed**: `/feed` (its first page: 10 of those decisions' cards, with their charts) against
   the trivial page `/ping`: latency of `--requests` sequential requests, then throughput with
   `--clients` (8) concurrent clients, `--rounds` rounds in turns, and the server's CPU time
   per request in those rounds (from `/proc`, the throughput ratio on an idle core).
2. **Votes**: two consultative polls of the `--electorate` members (a single choice of 5
   options, a ranked choice of 6, results always visible) are opened in process through
   `operations.open_decision` (timed: 20,000 electors and notifications); then `--votes`
   (2,000) members each vote once in each, `PUT /api/v1/decisions/<id>/vote` with their own
   bearer token, from `--vote-clients` (50) concurrent clients on kept-alive connections.
   Latency p50 / p99 and the server's CPU per vote; then the database is checked: as many
   vote rows as voters, as many distinct members, `vote_count` and the electors marked voted
   equal to it (no vote lost or doubled).
3. **Tally**: the polls are filled to one vote per elector (`--electorate` votes, inserted
   directly, `tally_version` bumped as a vote does), then `GET /decisions/<id>` (the page
   with the chart, the electorate and the votes) and `GET /api/v1/decisions/<id>/results`,
   `--samples` (2,000) requests each per poll, from `--viewers` members in turns, in sequence
   on kept-alive connections. Every `--cold-every`-th request follows a changed vote (a
   voter's `PUT` of another choice: `tally_version` changes, so the per-process tally cache
   misses; it is sent at once, before the live tally counts again `TALLY_WINDOW_MS` after
   the vote, which then weighs on a warm request) and is reported apart as "cold". Server
   CPU per request is the on-CPU time of the server's threads
   (`/proc/<pid>/task/*/schedstat`) read around each request.

It is not a test: it prints figures. The run's two polls are deleted at the end (and at the
start of the next run, if one was interrupted), so a data folder can be reused.

Run from the project root (2 shared cores: under the benchmarks' lock):

    flock /tmp/bench.lock .venv/bin/python bench/governance_bench.py --data-dir /tmp/govbench-20k
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this tree's `network`

import members_bench as mb  # noqa: E402

POLL_TITLE = "Bench poll"  # the run's polls; the feed's decisions are titled otherwise
TOKENS_FILE = "governance-tokens.json"
VIEWER_PASSWORD = "bench-viewer-2026"
IN_COOP_WEIGHTS = (("support_contract", 25), ("employee_entrepreneur", 35), ("associate", 20))
SINGLE_OPTIONS = ["Lyon", "Grenoble", "Saint-Étienne", "Valence", "Chambéry"]
RANKED_OPTIONS = ["Vercors", "Chartreuse", "Monts du Lyonnais", "Drôme", "Bauges", "Pilat"]


def stamp(moment: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def percentile(values: list[float], fraction: float) -> float:
    return mb.percentile(values, fraction)


# --- data -------------------------------------------------------------------------------------


def member_rows(electorate: int, others: int) -> Iterator[dict]:
    """`electorate - 2` active members in the cooperative (the login and staff members make the
    other two), then `others` outside it: candidates, alumni, and deactivated members."""
    rng = random.Random(7)
    statuses, weights = zip(*IN_COOP_WEIGHTS, strict=True)
    for index, row in enumerate(mb.member_rows(electorate - 2 + others)):
        if index < electorate - 2:
            row["status"], row["is_active"] = rng.choices(statuses, weights)[0], True
        else:
            rest = index - (electorate - 2)
            row["status"] = ("candidate", "alumnus", "associate")[rest % 3]
            row["is_active"] = rest % 3 != 2  # the third: a deactivated associate
        if row["status"] != "employee_entrepreneur":
            row["associate_deadline"] = None
        yield row


def build(data_dir: Path, args) -> None:
    """Members, tokens, viewers' passwords, the search index, and the feed's decisions."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from network import create_app
    from network.cooperative.settings import load_cooperative
    from network.extensions import db
    from network.members.models import ApiToken, Member
    from network.members.operations import _hash_password, create_member, hash_token
    from network.search.indexing import rebuild as rebuild_search_index

    app = create_app()
    with app.app_context():
        upgrade()
        load_cooperative()
        create_member(
            email=mb.LOGIN_EMAIL,
            display_name="Camille Bench",
            status="associate",
            password=mb.LOGIN_PASSWORD,
        )
        create_member(
            email=mb.STAFF_EMAIL, display_name="Équipe Bench", status="associate", role="staff"
        )
        mb.insert_rows(db, Member, member_rows(args.electorate, args.others))
        db.session.commit()
        voters = list(
            db.session.scalars(
                select(Member.id)
                .where(Member.is_active.is_(True), Member.status != "candidate")
                .where(Member.status != "alumnus", Member.email != mb.STAFF_EMAIL)
                .order_by(Member.id)
            )
        )
        rng = random.Random(12)
        chosen = rng.sample(voters, args.votes + args.viewers)
        raw = {member_id: "trr_bench_" + secrets.token_urlsafe(24) for member_id in chosen}
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
        viewers = chosen[args.votes :]
        password = _hash_password(VIEWER_PASSWORD)
        for member in db.session.scalars(select(Member).where(Member.id.in_(viewers))):
            member.password_hash = password
        emails = dict(db.session.execute(select(Member.id, Member.email)).all())
        db.session.commit()
        (data_dir / TOKENS_FILE).write_text(
            json.dumps(
                {
                    "voters": [[m, raw[m]] for m in chosen[: args.votes]],
                    "viewers": [[m, emails[m], raw[m]] for m in viewers],
                }
            )
        )
        indexed = rebuild_search_index()
        print(f"  search index: {indexed} documents", flush=True)
        db.session.remove()
    feed_decisions(app, data_dir, args.feed_decisions)


@contextlib.contextmanager
def no_mail() -> Iterator[None]:
    """Opening queues an e-mail per elector (built, as the server does); the build does not
    write 20,000 files to the outbox for each."""
    from network.core import mail

    kept = mail._deliver_all
    mail._deliver_all = lambda messages, config: None
    try:
        yield
    finally:
        mail._deliver_all = kept


def open_decision(app, author_email: str, fields: dict) -> tuple[int, float]:
    """A decision drafted and opened through operations, as the API does: (id, seconds)."""
    from sqlalchemy import select

    from network.extensions import db
    from network.governance import operations
    from network.members.models import Member

    with app.test_request_context(), no_mail():
        author = db.session.scalar(select(Member).where(Member.email == author_email))
        decision = operations.create_decision(author, fields)
        db.session.commit()
        started = time.perf_counter()
        operations.open_decision(author, decision)
        db.session.commit()
        seconds = time.perf_counter() - started
        decision_id = decision.id
        db.session.remove()  # no transaction left open: the next writes are direct
        return decision_id, seconds


def fill_votes(data_dir: Path, decision_id: int, wanted: int, rng: random.Random) -> int:
    """Votes of electors who have not voted, inserted directly up to `wanted` votes in all,
    as `cast_vote` leaves them (`voted`, `vote_count`, `tally_version`); how many added."""
    con = sqlite3.connect(data_dir / mb.DB_FILE, timeout=60)
    try:
        kind = con.execute("SELECT kind FROM decisions WHERE id=?", (decision_id,)).fetchone()[0]
        options = [
            row[0]
            for row in con.execute(
                "SELECT id FROM decision_options WHERE decision_id=? ORDER BY position, id",
                (decision_id,),
            )
        ]
        have = con.execute(
            "SELECT count(*) FROM decision_votes WHERE decision_id=?", (decision_id,)
        ).fetchone()[0]
        waiting = [
            row[0]
            for row in con.execute(
                "SELECT member_id FROM decision_electors WHERE decision_id=? AND voted=0"
                " ORDER BY member_id",
                (decision_id,),
            )
        ]
        rng.shuffle(waiting)
        adding = waiting[: max(0, wanted - have)]
        now = stamp(datetime.now(UTC))
        weights = [rng.paretovariate(1.5) for _ in options]
        rows = []
        for member_id in adding:
            rows.append(
                (
                    decision_id,
                    member_id,
                    json.dumps(ballot(kind, options, weights, rng)),
                    "Ça me semble juste." if rng.random() < 0.1 else "",
                    now,
                    now,
                )
            )
        con.execute("BEGIN IMMEDIATE")
        con.executemany(
            "INSERT INTO decision_votes (decision_id, member_id, choices, reason, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?)",
            rows,
        )
        con.executemany(
            "UPDATE decision_electors SET voted=1 WHERE decision_id=? AND member_id=?",
            [(decision_id, m) for m in adding],
        )
        con.execute(
            "UPDATE decisions SET vote_count=vote_count+?, tally_version=tally_version+1"
            " WHERE id=?",
            (len(adding), decision_id),
        )
        con.commit()
        return len(adding)
    finally:
        con.close()


def ballot(kind: str, options: list[int], weights: list[float], rng: random.Random) -> dict:
    """A plausible ballot of `kind` (option id as text → value)."""
    if kind in ("proposal", "consent", "single_choice"):
        return {str(rng.choices(options, weights)[0]): 1}
    if kind == "multiple_choice":
        picked = set(rng.choices(options, weights, k=rng.randint(1, 3)))
        return dict.fromkeys(map(str, picked), 1)
    if kind == "ranked_choice":
        order: list[int] = []
        while len(order) < rng.randint(1, len(options)):
            option = rng.choices(options, weights)[0]
            if option not in order:
                order.append(option)
        return {str(o): rank for rank, o in enumerate(order, start=1)}
    top = 2 if kind == "date_poll" else 5
    return {str(o): rng.randint(0, top) for o in options}


FEED_KINDS = (
    ("proposal", []),
    ("single_choice", ["Option A", "Option B", "Option C", "Option D"]),
    ("ranked_choice", ["Premier", "Deuxième", "Troisième", "Quatrième", "Cinquième"]),
    ("multiple_choice", ["Atelier", "Repas", "Visite", "Conférence"]),
    ("consent", []),
    ("score", ["Budget", "Calendrier", "Lieu"]),
    ("date_poll", None),
)
ELECTORATES = (  # opening to 20,000 takes 20-40 s (electors, notifications, e-mails)
    {"electorate": "members"},
    {"electorate": "associates"},
    {"electorate": "named"},
    {"electorate": "statuses", "statuses": ["associate"]},
    {"electorate": "named"},
)


def feed_decisions(app, data_dir: Path, count: int) -> None:
    """`count` open decisions of every kind and electorate, with votes, newest in the feed."""
    from sqlalchemy import func, select

    from network.extensions import db
    from network.governance.models import Decision
    from network.members.models import Member

    rng = random.Random(50)
    with app.app_context():
        named = list(
            db.session.scalars(
                select(Member.id).where(Member.is_active.is_(True)).order_by(Member.id).limit(400)
            )
        )
        made = db.session.scalar(
            select(func.count()).select_from(Decision).where(~Decision.title.startswith(POLL_TITLE))
        )
        db.session.remove()
    viewer_id = named[0]  # the login member (made first)
    started = time.perf_counter()
    for index in range(made, count):  # an interrupted build goes on where it stopped
        kind, options = FEED_KINDS[index % len(FEED_KINDS)]
        if options is None:
            day = datetime.now(UTC).replace(hour=17, minute=0, second=0, microsecond=0)
            options = [(day + timedelta(days=d)).isoformat() for d in (10, 11, 13)]
        electorate = dict(ELECTORATES[index % len(ELECTORATES)])
        if electorate["electorate"] == "named":
            electorate["members"] = [viewer_id, *rng.sample(named[1:], rng.randint(20, 300))]
        fields = {
            "kind": kind,
            "title": f"Décision {index + 1} : {kind.replace('_', ' ')}",
            "context": "Merci de voter avant la date de clôture. **Avis consultatif.**",
            "closes_at": (datetime.now(UTC) + timedelta(days=5 + index % 20)).isoformat(),
            "results": "always" if index % 2 == 0 else "after_vote",
            "options": options,
            **electorate,
        }
        if kind == "multiple_choice":
            fields["max_choices"] = 3
        decision_id, _seconds = open_decision(app, mb.STAFF_EMAIL, fields)
        with sqlite3.connect(data_dir / mb.DB_FILE) as con:
            size = con.execute(
                "SELECT electorate_size FROM decisions WHERE id=?", (decision_id,)
            ).fetchone()[0]
        fill_votes(data_dir, decision_id, int(size * rng.uniform(0, 0.3)), rng)
        if index % 3 == 0:  # the bench member voted in a third of them
            with sqlite3.connect(data_dir / mb.DB_FILE) as con:
                voted = con.execute(
                    "SELECT voted FROM decision_electors WHERE decision_id=? AND member_id=?",
                    (decision_id, viewer_id),
                ).fetchone()
            if voted is not None and not voted[0]:
                vote_directly(data_dir, decision_id, viewer_id, rng)
    print(f"  {count} feed decisions in {time.perf_counter() - started:.0f} s", flush=True)


def vote_directly(data_dir: Path, decision_id: int, member_id: int, rng: random.Random) -> None:
    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        kind = con.execute("SELECT kind FROM decisions WHERE id=?", (decision_id,)).fetchone()[0]
        options = [
            r[0]
            for r in con.execute(
                "SELECT id FROM decision_options WHERE decision_id=? ORDER BY position, id",
                (decision_id,),
            )
        ]
        choices = ballot(kind, options, [1.0] * len(options), rng)
        now = stamp(datetime.now(UTC))
        con.execute(
            "INSERT INTO decision_votes (decision_id, member_id, choices, reason, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?)",
            (decision_id, member_id, json.dumps(choices), "", now, now),
        )
        con.execute(
            "UPDATE decision_electors SET voted=1 WHERE decision_id=? AND member_id=?",
            (decision_id, member_id),
        )
        con.execute(
            "UPDATE decisions SET vote_count=vote_count+1, tally_version=tally_version+1"
            " WHERE id=?",
            (decision_id,),
        )


def delete_polls(data_dir: Path) -> int:
    """Remove the polls of earlier runs (and what opening them made)."""
    with sqlite3.connect(data_dir / mb.DB_FILE, timeout=60) as con:
        found = con.execute("SELECT id FROM decisions WHERE title LIKE ?", (POLL_TITLE + "%",))
        ids = [r[0] for r in found]
        for decision_id in ids:
            for table in (
                "decision_votes",
                "decision_ballots",
                "decision_electors",
                "decision_options",
                "decision_edits",
            ):
                con.execute(f"DELETE FROM {table} WHERE decision_id=?", (decision_id,))  # noqa: S608
            con.execute(
                "DELETE FROM feed_items WHERE kind='decision' AND object_id=?", (decision_id,)
            )
            con.execute("DELETE FROM notifications WHERE url=?", (f"/decisions/{decision_id}",))
            con.execute("DELETE FROM decisions WHERE id=?", (decision_id,))
    return len(ids)


def table_counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in (
                "members",
                "decisions",
                "decision_electors",
                "decision_votes",
                "notifications",
            )
        }


# --- over HTTP --------------------------------------------------------------------------------


def server_cpu_ns(pid: int) -> int:
    """On-CPU nanoseconds of the server's threads so far (/proc/<pid>/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread ended
            total += int((task / "schedstat").read_text().split()[0])
    return total


class Http:
    """Requests on one kept-alive connection with given headers."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port, self.headers = port, headers
        self.connection: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: dict | None = None, extra: dict | None = None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(mb.HOST, self.port, timeout=60)
        headers = {**self.headers, **(extra or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (http.client.HTTPException, OSError):
            self.close()
            raise
        return response.status, payload

    def get(self, path: str) -> bytes:
        status, payload = self.send("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {payload[:300]!r}")
        return payload

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def cookie_header(credentials: mb.Credentials) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in credentials.cookies.items())}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": "fr"}


class Samples:
    """Server CPU (ms), wall time (ms) and body size (bytes) of each request of one kind."""

    def __init__(self) -> None:
        self.cpu: list[float] = []
        self.wall: list[float] = []
        self.size: list[int] = []

    def measure(self, client: Http, pid: int, path: str) -> None:
        cpu, started = server_cpu_ns(pid), time.perf_counter()
        body = client.get(path)
        self.wall.append((time.perf_counter() - started) * 1000)
        self.cpu.append((server_cpu_ns(pid) - cpu) / 1e6)
        self.size.append(len(body))

    def row(self, label: str) -> str:
        cpu, wall = self.cpu, self.wall
        return (
            f"| {label} | {len(wall):,} | {statistics.median(cpu):.1f}"
            f" | {percentile(cpu, 0.99):.1f}"
            f" | {statistics.median(wall):.1f} | {percentile(wall, 0.99):.1f}"
            f" | {statistics.fmean(self.size) / 1024:.1f} |"
        )


SAMPLE_HEAD = (
    "| Request | n | CPU p50 ms | CPU p99 ms | wall p50 ms | wall p99 ms | KiB |\n"
    "|---|--:|--:|--:|--:|--:|--:|"
)


# 1. the feed


def feed_phase(port: int, pid: int, viewer: mb.Credentials, args) -> list[str]:
    target = mb.Target(port, viewer, keep_alive=True)
    lines = [f"Feed ({args.feed_decisions} open decisions at its top), ping and feed in turns:"]
    sequential = {}
    for label, path in (("/ping", "/ping"), ("/feed", "/feed")):
        scenario = mb.Scenario(label, path, api=False)
        sequential[label] = mb.sequential(target, scenario, args.requests)
    rates: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for round_ in range(args.rounds):
        for label in ("/ping", "/feed"):
            print(f"  throughput {label}, round {round_ + 1} (load {load()})", flush=True)
            used = server_cpu_ns(pid)
            rate = mb.concurrent(
                target, mb.Scenario(label, label, api=False), args.clients, args.feed_requests
            )
            rates.setdefault(label, []).append(rate)
            cpu.setdefault(label, []).append((server_cpu_ns(pid) - used) / 1e6 / args.feed_requests)
    lines.append(
        "| Page | KiB | p50 ms | p99 ms | req/s (median) | server CPU ms/req (median) |\n"
        "|---|--:|--:|--:|--:|--:|"
    )
    for label in ("/ping", "/feed"):
        lat, size = sequential[label]
        lines.append(
            f"| {label} | {size / 1024:.1f} | {percentile(lat, 0.5):.1f}"
            f" | {percentile(lat, 0.99):.1f}"
            f" | {statistics.median(rates[label]):.0f} | {statistics.median(cpu[label]):.1f} |"
        )
    ratios = [f / p for f, p in zip(rates["/feed"], rates["/ping"], strict=True)]
    cpu_ratios = [p / f for p, f in zip(cpu["/ping"], cpu["/feed"], strict=True)]
    lines.append(
        "Throughput /feed ÷ /ping per round: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + f" (median {statistics.median(ratios):.2f}); server CPU /ping ÷ /feed: "
        + ", ".join(f"{r:.2f}" for r in cpu_ratios)
        + f" (median {statistics.median(cpu_ratios):.2f}); target ≥ 0.33"
    )
    return lines


# 2. votes


def options_of(data_dir: Path, decision_id: int) -> list[int]:
    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        return [
            r[0]
            for r in con.execute(
                "SELECT id FROM decision_options WHERE decision_id=? ORDER BY position, id",
                (decision_id,),
            )
        ]


def vote_body(kind: str, options: list[int], rng: random.Random) -> dict:
    if kind == "ranked_choice":
        return {"ranking": rng.sample(options, rng.randint(1, len(options)))}
    return {"choice": rng.choice(options)}


def vote_phase(
    port: int, pid: int, decision_id: int, kind: str, voters: list, options: list[int], args
) -> tuple[list[float], float, float, dict]:
    """(latencies ms, server CPU ms per vote, votes/s, status counts) of every voter voting
    once, from `args.vote_clients` threads."""
    queue = iter(list(enumerate(voters)))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        client = Http(port, {"Accept-Language": "fr"})
        try:
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                _index, (_member_id, token) = item
                body = vote_body(kind, options, rng)
                started = time.perf_counter()
                status, _payload = client.send(
                    "PUT", f"/api/v1/decisions/{decision_id}/vote", body, bearer(token)
                )
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
        except BaseException as error:  # reported after the join
            errors.append(error)
        finally:
            client.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(args.vote_clients)]
    used, started = server_cpu_ns(pid), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu_ms = (server_cpu_ns(pid) - used) / 1e6 / max(len(latencies), 1)
    if errors:
        raise errors[0]
    return latencies, cpu_ms, len(latencies) / elapsed, statuses


def check_votes(data_dir: Path, decision_id: int, expected: int) -> dict[str, int]:
    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        rows, members = con.execute(
            "SELECT count(*), count(DISTINCT member_id) FROM decision_votes WHERE decision_id=?",
            (decision_id,),
        ).fetchone()
        vote_count = con.execute(
            "SELECT vote_count FROM decisions WHERE id=?", (decision_id,)
        ).fetchone()[0]
        voted = con.execute(
            "SELECT count(*) FROM decision_electors WHERE decision_id=? AND voted=1",
            (decision_id,),
        ).fetchone()[0]
    found = {"rows": rows, "distinct members": members, "vote_count": vote_count, "voted": voted}
    found["ok"] = int(all(v == expected for v in found.values()))
    return found


# 3. the tally


def tally_phase(
    port: int, pid: int, polls: list[tuple[int, str]], viewers: list, voters: list, args, data_dir
) -> list[str]:
    """Samples of the page and the results API at full turnout, warm and cold."""
    base = f"http://{mb.HOST}:{port}"
    pages = [
        Http(port, cookie_header(mb.sign_in(base, email, VIEWER_PASSWORD)))
        for _m, email, _t in viewers
    ]
    apis = [Http(port, bearer(token)) for _m, _e, token in viewers]
    changer = Http(port, {"Accept-Language": "fr"})
    rng = random.Random(33)
    results: dict[str, Samples] = {}
    for decision_id, kind in polls:
        options = options_of(data_dir, decision_id)
        page, api = f"/decisions/{decision_id}", f"/api/v1/decisions/{decision_id}/results"
        for client in pages:
            client.get(page)
        for client in apis:
            client.get(api)
        for label, path, clients in (("page", page, pages), ("results API", api, apis)):
            warm = results.setdefault(f"{kind}: {label}", Samples())
            cold = results.setdefault(f"{kind}: {label}, cold", Samples())
            print(f"  {kind} {label} … (load {load()})", flush=True)
            for index in range(args.samples):
                client = clients[index % len(clients)]
                if index % args.cold_every == args.cold_every - 1:
                    _member, token = rng.choice(voters)
                    status, payload = changer.send(
                        "PUT",
                        f"/api/v1/decisions/{decision_id}/vote",
                        vote_body(kind, options, rng),
                        bearer(token),
                    )
                    if status != 200:
                        raise RuntimeError(f"vote change answered {status}: {payload[:200]!r}")
                    time.sleep(args.tally_window_s)
                    cold.measure(client, pid, path)
                else:
                    warm.measure(client, pid, path)
    for client in [*pages, *apis, changer]:
        client.close()
    return [SAMPLE_HEAD] + [samples.row(label) for label, samples in results.items()]


# --- main -------------------------------------------------------------------------------------


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run(args, data_dir: Path) -> None:
    from flask_migrate import upgrade

    from network import create_app

    if not (data_dir / mb.DB_FILE).exists():
        started = time.perf_counter()
        print(f"Building in {data_dir} …", flush=True)
        build(data_dir, args)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
        app = create_app()
    else:
        print(f"Reusing the database in {data_dir}", flush=True)
        app = create_app()
        with app.app_context():
            upgrade()
        feed_decisions(app, data_dir, args.feed_decisions)  # those an interrupted build lacks
    removed = delete_polls(data_dir)
    if removed:
        print(f"  removed {removed} polls of an earlier run", flush=True)
    print("Rows: " + ", ".join(f"{k} {v:,}" for k, v in table_counts(data_dir).items()))
    tokens = json.loads((data_dir / TOKENS_FILE).read_text())
    voters, viewers = tokens["voters"][: args.votes], tokens["viewers"][: args.viewers]
    report: list[str] = []
    try:
        with mb.server_process(data_dir) as (port, proc):
            print(f"Server up on port {port} (load {load()})", flush=True)
            if "feed" in args.only:
                viewer = mb.sign_in(f"http://{mb.HOST}:{port}")
                report += feed_phase(port, proc.pid, viewer, args)
            polls: list[tuple[int, str]] = []
            if {"votes", "tally"} & set(args.only):
                polls = open_polls(app, report, args)
            if "votes" in args.only:
                report.append(
                    f"\nVotes: {len(voters):,} members vote once each, {args.vote_clients} "
                    "concurrent clients, kept-alive connections, `PUT /api/v1/decisions/<id>/vote`:"
                )
                report.append(
                    "| Poll | votes | p50 ms | p95 ms | p99 ms | votes/s | server CPU ms/vote "
                    "| statuses | rows / members / vote_count / voted |\n"
                    "|---|--:|--:|--:|--:|--:|--:|---|---|"
                )
                for decision_id, kind in polls:
                    print(f"  votes, {kind} (load {load()})", flush=True)
                    options = options_of(data_dir, decision_id)
                    lat, cpu, rate, statuses = vote_phase(
                        port, proc.pid, decision_id, kind, voters, options, args
                    )
                    found = check_votes(data_dir, decision_id, len(voters))
                    report.append(
                        f"| {kind} | {len(lat):,} | {percentile(lat, 0.5):.1f}"
                        f" | {percentile(lat, 0.95):.1f} | {percentile(lat, 0.99):.1f}"
                        f" | {rate:.0f} | {cpu:.1f} | {statuses}"
                        f" | {found['rows']} / {found['distinct members']} / {found['vote_count']}"
                        f" / {found['voted']} {'(ok)' if found['ok'] else '(MISMATCH)'} |"
                    )
            if "tally" in args.only:
                rng = random.Random(21)
                for decision_id, _kind in polls:
                    added = fill_votes(data_dir, decision_id, args.electorate, rng)
                    print(f"  filled {added:,} votes into {decision_id}", flush=True)
                report.append(
                    f"\nTally at {args.electorate:,} votes: {args.samples:,} requests per poll and "
                    f"kind, {len(viewers)} members in turns, kept-alive; every {args.cold_every}th "
                    "after a changed vote (cold: the tally cache misses):"
                )
                report += tally_phase(port, proc.pid, polls, viewers, voters, args, data_dir)
    finally:
        if not args.keep_polls:
            delete_polls(data_dir)
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average now {load()}\n")
    print("\n".join(report))


def open_polls(app, report: list[str], args) -> list[tuple[int, str]]:
    closes = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    polls = []
    lines = []
    for kind, options in (("single_choice", SINGLE_OPTIONS), ("ranked_choice", RANKED_OPTIONS)):
        fields = {
            "kind": kind,
            "title": f"{POLL_TITLE}: {kind.replace('_', ' ')}",
            "context": "Consultation de toute la coopérative avant l'assemblée générale.",
            "options": options,
            "closes_at": closes,
            "electorate": "members",
            "results": "always",
        }
        decision_id, seconds = open_decision(app, mb.LOGIN_EMAIL, fields)
        polls.append((decision_id, kind))
        lines.append(f"{kind} #{decision_id} {seconds:.1f} s")
    report.append(
        f"\nOpening a poll to {args.electorate:,} members (in process, `operations.open_decision`"
        " and the commit; e-mails built, not written): " + ", ".join(lines)
    )
    return polls


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--electorate", type=int, default=20_000)
    parser.add_argument("--others", type=int, default=2_400, help="members outside it")
    parser.add_argument("--votes", type=int, default=2_000, help="votes over HTTP per poll")
    parser.add_argument("--vote-clients", type=int, default=50)
    parser.add_argument("--viewers", type=int, default=8, help="members reading the tally")
    parser.add_argument("--samples", type=int, default=2_000, help="per poll and request kind")
    parser.add_argument("--cold-every", type=int, default=10)
    parser.add_argument(
        "--tally-window-s",
        type=float,
        default=0.0,
        help="pause after a changed vote before the cold request (the live tally counts"
        " and fills the cache once TALLY_WINDOW_MS, 250 ms, has passed: a longer pause"
        " measures a warm cache)",
    )
    parser.add_argument("--feed-decisions", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300, help="sequential, feed and ping")
    parser.add_argument("--feed-requests", type=int, default=1000, help="per round and page")
    parser.add_argument("--clients", type=int, default=8, help="feed throughput")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--only",
        default="feed,votes,tally",
        type=lambda s: set(s.split(",")),
        help="phases: feed,votes,tally",
    )
    parser.add_argument("--keep-polls", action="store_true", help="leave the run's polls")
    parser.add_argument("--data-dir", type=Path, help="kept; an existing database is reused")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    def start(args: argparse.Namespace, data_dir: Path) -> None:
        os.environ["TERREAU_DATA_DIR"] = str(data_dir)  # before anything imports the config
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load()}", flush=True)
        run(args, data_dir)

    mb.in_data_dir(parse_args(argv), "terreau-gov-bench-", start)


if __name__ == "__main__":
    main()
