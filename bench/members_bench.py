"""Benchmark the members list at network scale (issue 2).

Builds a cooperative of `--members` members (20,000 by default: realistic French names,
trades, cities and languages, the demo skills taxonomy and skills by trade, 1 in 10 hiding
their location from members, 2 % deactivated) in a SQLite database in a temporary folder,
starts `python -m network` (gevent, one process) on a free loopback port, signs one ordinary
member in (session cookie for the HTML page, bearer token for the API), and prints, for
each scenario:

- p50 / p95 / p99 latency in ms with one client sending `--requests` requests in sequence
  (after a warm-up), and
- throughput in requests per second with `--clients` concurrent clients sending
  `--concurrent-requests` requests in all.

It is not a test: it prints figures. The server is always stopped, and the data folder is
removed unless `--keep` or `--data-dir` is given. An existing database in `--data-dir` is
reused as is (the bench login member must be in it).

By default every request opens a new connection, as a reverse proxy does towards the app by
default; `--keep-alive` reuses one connection per client, as browsers do (it showed the 40 ms
Nagle / delayed-ACK stall fixed in d1f5510). The environment is passed on to the server, so
for example `TERREAU_FACETS_CACHE_SECONDS=0` measures the list without its facets cache.

Run from the project root:

    .venv/bin/python bench/members_bench.py --members 20000
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

PROJECT_DIR = Path(__file__).resolve().parent.parent
DB_FILE = "terreau.sqlite3"
HOST = "127.0.0.1"
LOGIN_EMAIL = "camille.bench@bench.terreau.example"
LOGIN_PASSWORD = "bench-password-2026"
STAFF_EMAIL = "equipe.bench@bench.terreau.example"
WARMUP = 20
DEEP_PAGES = 100  # API pages of 100 followed to reach the deep cursor (about the middle)

# fmt: off
FIRST_NAMES = (
    "Marie", "Jean", "Camille", "Léa", "Lucas", "Chloé", "Hugo", "Manon", "Louis", "Inès",
    "Martin", "Margaux", "Marc", "Marion", "Martine", "Maxime", "Mathilde", "Amélie", "Thomas",
    "Juliette", "Nicolas", "Élodie", "Antoine", "Sophie", "Julien", "Céline", "Pierre", "Aurélie",
    "François", "Hélène", "Étienne", "Zoé", "Gaëlle", "Noël", "Benoît", "Clémence", "Jérôme",
    "Anaïs", "Sébastien", "Maëlle", "Yannick", "Nadia", "Karim", "Fatou", "Mehdi", "Awa",
    "Thi Lan", "Youssef", "Solène", "Rémi",
)
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
    "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Mathieu", "Clément", "Gauthier",
    "Lemarchand", "Marchal", "Chevalier", "Barbier", "Nguyen", "Benali", "Diallo", "Le Goff",
    "Kerjean", "Etcheverry", "Ménard", "Brémond", "Castagné",
)
TRADES = (  # the trades of network.skills.demo.BY_TRADE, and a few without a skills profile
    ("Électricienne", "Bâtiment"), ("Menuisier", "Bâtiment"), ("Plombier", "Bâtiment"),
    ("Peintre en bâtiment", "Bâtiment"), ("Paysagiste", "Environnement"),
    ("Graphiste", "Communication"), ("Développeuse web", "Numérique"),
    ("Développeur web", "Numérique"), ("Traductrice", "Services aux entreprises"),
    ("Photographe", "Culture"), ("Céramiste", "Artisanat d'art"), ("Couturière", "Artisanat d'art"),
    ("Formatrice", "Formation"), ("Consultant RSE", "Conseil"), ("Naturopathe", "Bien-être"),
    ("Sophrologue", "Bien-être"), ("Traiteur", "Alimentation"), ("Boulangère", "Alimentation"),
    ("Rédactrice", "Communication"), ("Architecte d'intérieur", "Bâtiment"),
    ("Ébéniste", "Artisanat d'art"), ("Comptable indépendante", "Services aux entreprises"),
    ("Coach professionnel", "Accompagnement"), ("Vidéaste", "Culture"),
    ("Illustratrice", "Culture"),
)
CITIES = (
    ("Lyon", "69003"), ("Villeurbanne", "69100"), ("Saint-Étienne", "42000"),
    ("Grenoble", "38000"), ("Nantes", "44000"), ("Rennes", "35000"), ("Brest", "29200"),
    ("Besançon", "25000"), ("Dijon", "21000"), ("Nîmes", "30000"), ("Montpellier", "34000"),
    ("Toulouse", "31000"), ("Bordeaux", "33000"), ("Bayonne", "64100"), ("Orléans", "45000"),
    ("Tours", "37000"), ("Lille", "59000"), ("Roubaix", "59100"), ("Strasbourg", "67000"),
    ("Clermont-Ferrand", "63000"), ("Limoges", "87000"), ("Poitiers", "86000"),
    ("Angers", "49000"), ("Le Mans", "72000"), ("Marseille", "13001"), ("Aix-en-Provence", "13100"),
    ("Chambéry", "73000"), ("Annecy", "74000"), ("Valence", "26000"), ("Quimper", "29000"),
)
STATUS_WEIGHTS = (("candidate", 10), ("support_contract", 25), ("employee_entrepreneur", 35),
                  ("associate", 20), ("alumnus", 10))
LANGUAGES = (["français"], ["français", "anglais"], ["français", "espagnol"],
             ["français", "allemand"], ["français", "anglais", "arabe"], ["français", "breton"])
OPEN_TO = ([], ["collaboration"], ["collaboration", "subcontracting"], ["mentoring", "coffee"],
           ["subcontracting"], ["coffee"])
LEVELS = ("notions", "practised", "practised", "expert", "expert")
# fmt: on


# --- data -------------------------------------------------------------------------------------


def member_rows(count: int, seed: int = 2) -> Iterator[dict]:
    """`count` realistic member rows (every NOT NULL column of `members` filled)."""
    from network.core.text import fold
    from network.members.operations import bar_key

    rng = random.Random(seed)
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    now = datetime.now(UTC)
    for index in range(count):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        trade, sector = rng.choice(TRADES)
        city, postcode = rng.choice(CITIES)
        status = rng.choices(statuses, weights)[0]
        joined = now - timedelta(days=rng.randint(30, 3000))
        bio = f"{trade} à {city}, membre de la coopérative depuis {joined.year}."
        languages, open_to = rng.choice(LANGUAGES), rng.choice(OPEN_TO)
        yield {
            "email": f"{fold(name).replace(' ', '.')}.{index}@bench.terreau.example",
            "password_hash": None,
            "display_name": name,
            "name_key": fold(name),
            "role": "member",
            "status": status,
            "is_active": rng.random() > 0.02,
            "session_version": 1,
            "locale": None,
            "avatar_key": None,
            "associate_deadline": (
                joined.date() + timedelta(days=3 * 365)
                if status == "employee_entrepreneur"
                else None
            ),
            "headline": f"{trade} — {city}",
            "bio": bio,
            "bio_html": f"<p>{bio}</p>",
            "trading_name": f"{name.split()[-1]} {sector}" if rng.random() < 0.4 else "",
            "trade": trade,
            "trade_key": fold(trade),
            "sector": sector,
            "website": f"https://{fold(name).replace(' ', '-')}.example"
            if rng.random() < 0.3
            else "",
            "city": city,
            "city_key": fold(city),
            "postcode": postcode,
            "languages": languages,
            "languages_key": bar_key(languages),
            "links": [],
            "open_to": open_to,
            "open_to_key": bar_key(open_to),
            "vis_headline": "members",
            "vis_bio": "members",
            "vis_activity": "members",
            "vis_location": "staff" if rng.random() < 0.1 else "members",
            "vis_languages": "members",
            "vis_links": "members",
            "vis_open_to": "members",
            "created_at": joined,
            "updated_at": joined,
            "last_login_at": None,
            "deactivated_at": None,
        }


def insert_rows(db, model, rows: Iterator[dict] | list[dict], batch: int = 2000) -> None:
    """Core INSERTs of `rows` into `model`'s table, `batch` rows at a time (no ORM objects)."""
    from sqlalchemy import insert

    rows = iter(rows)
    while chunk := [row for _, row in zip(range(batch), rows, strict=False)]:
        db.session.execute(insert(model), chunk)


def entry_stages(members: list) -> Iterator[dict]:
    """One entry career stage per member, on the day they joined."""
    for member in members:
        yield {
            "member_id": member.id,
            "kind": "entry",
            "status": member.status,
            "effective_on": member.created_at.date(),
            "reason": "",
            "note": "",
            "recorded_by_id": None,
            "created_at": member.created_at,
        }


def create_taxonomy(staff) -> dict[str, int]:
    """The demo skills taxonomy, created through operations: {French name: id}."""
    from network.extensions import db
    from network.skills.demo import TAXONOMY
    from network.skills.operations import create_skill

    skills = [
        create_skill(staff, name_fr=name_fr, name_en=name_en, category=category, synonyms=synonyms)
        for category, name_fr, name_en, synonyms in TAXONOMY
    ]
    db.session.flush()
    return {skill.name_fr: skill.id for skill in skills}


def member_skills(members: list, skills: dict[str, int], seed: int = 3) -> Iterator[dict]:
    """Skills by trade (as the demo gives them) plus 0–2 general ones; none for alumni."""
    from network.skills.demo import BY_TRADE, GENERAL

    rng = random.Random(seed)
    for member in members:
        if member.status == "alumnus":
            continue
        names = BY_TRADE.get(member.trade, []) + rng.sample(GENERAL, rng.randint(0, 2))
        for rank, name in enumerate(dict.fromkeys(names)):
            yield {
                "member_id": member.id,
                "skill_id": skills[name],
                "level": rng.choice(LEVELS[2:] if rank < 2 else LEVELS[:3]),
                "years": rng.randint(1, 15) if rank < 2 else rng.randint(0, 4),
                "can_teach": rank == 0 and rng.random() < 0.4,
                "created_at": member.created_at,
            }


def build_database(data_dir: Path, count: int) -> None:
    """Schema, the login member and a staff member (through operations), the skills taxonomy,
    then `count - 2` generated members with their entry stage and skills (bulk inserts), and
    the search index."""
    os.environ["TERREAU_DATA_DIR"] = str(data_dir)
    from flask_migrate import upgrade
    from sqlalchemy import select

    from network import create_app
    from network.cooperative.settings import load_cooperative
    from network.extensions import db
    from network.members.models import CareerStage, Member
    from network.members.operations import create_member
    from network.search.indexing import rebuild as rebuild_search_index
    from network.skills.models import MemberSkill

    app = create_app()
    with app.app_context():
        upgrade()
        load_cooperative()
        create_member(
            email=LOGIN_EMAIL,
            display_name="Camille Bench",
            status="associate",
            password=LOGIN_PASSWORD,
        )
        staff = create_member(
            email=STAFF_EMAIL, display_name="Équipe Bench", status="associate", role="staff"
        )
        skills = create_taxonomy(staff)
        insert_rows(db, Member, member_rows(count - 2))
        generated = db.session.execute(
            select(Member.id, Member.status, Member.trade, Member.created_at).where(
                Member.email.not_in([LOGIN_EMAIL, STAFF_EMAIL])
            )
        ).all()
        insert_rows(db, CareerStage, entry_stages(generated))
        insert_rows(db, MemberSkill, member_skills(generated, skills))
        db.session.commit()
        indexed = rebuild_search_index()  # as `flask search reindex`; else the server builds it
        print(f"  search index: {indexed} documents", flush=True)


def count_members(data_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(data_dir / DB_FILE) as connection:
        return connection.execute("SELECT count(*) FROM members").fetchone()[0]


# --- server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            if requests.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


@contextmanager
def running_server(data_dir: Path, command: list[str] | None = None) -> Iterator[int]:
    """Start `python -m network` (or `command`, given `--host` and `--port`) on a free
    loopback port; always stop it."""
    with server_process(data_dir, command) as (port, _proc):
        yield port


@contextmanager
def server_process(
    data_dir: Path, command: list[str] | None = None
) -> Iterator[tuple[int, subprocess.Popen]]:
    """`running_server`, also yielding the process (its pid gives its CPU time in /proc)."""
    port = free_port()
    env = {**os.environ, "TERREAU_DATA_DIR": str(data_dir)}
    log_path = data_dir / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*(command or [sys.executable, "-m", "network"]), "--host", HOST, "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(f"http://{HOST}:{port}", proc)
        yield port, proc
    except BaseException:
        print(f"--- tail of {log_path} ---", file=sys.stderr)
        print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- clients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    cookies: dict[str, str]
    token: str


def sign_in(base: str, email: str = LOGIN_EMAIL, password: str = LOGIN_PASSWORD) -> Credentials:
    """A session cookie (HTML login form, with its CSRF token) and an API bearer token."""
    with requests.Session() as session:
        page = session.get(f"{base}/login", timeout=10)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        if not match:
            raise RuntimeError("no CSRF token on /login")
        answer = session.post(
            f"{base}/login",
            allow_redirects=False,
            timeout=30,
            data={"csrf_token": match.group(1), "email": email, "password": password},
        )
        if answer.status_code != 302:
            raise RuntimeError(f"login answered {answer.status_code}")
        cookies = session.cookies.get_dict()
    answer = requests.post(
        f"{base}/api/v1/auth/token",
        timeout=30,
        json={"email": email, "password": password},
    )
    if answer.status_code != 201:
        raise RuntimeError(f"token request answered {answer.status_code}")
    return Credentials(cookies, answer.json()["token"])


@dataclass(frozen=True)
class Target:
    """Where and how to send requests."""

    port: int
    credentials: Credentials
    keep_alive: bool


class Client:
    """GETs as the bench member, over one kept-alive connection or a new one per request."""

    def __init__(self, target: Target, api: bool) -> None:
        self.target = target
        credentials = target.credentials
        if api:
            self.headers = {"Authorization": f"Bearer {credentials.token}"}
        else:
            self.headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in credentials.cookies.items())}
        if not target.keep_alive:
            self.headers["Connection"] = "close"
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> bytes:
        """The body of a 200 answer to `GET path` (anything else raises)."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.target.port, timeout=30)
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if not self.target.keep_alive:
            self.close()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        return body

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def deep_cursor(target: Target) -> str:
    """The `next` cursor after following `DEEP_PAGES` API pages of 100 (or up to the end)."""
    cursor = None
    with Client(target, api=True) as client:
        for _ in range(DEEP_PAGES):
            path = "/api/v1/members?limit=100" + (f"&cursor={cursor}" if cursor else "")
            following = json.loads(client.get(path))["next"]
            if not following:
                break
            cursor = following
    if not cursor:
        raise RuntimeError("the members list has a single page")
    return cursor


# --- measures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    label: str
    path: str
    api: bool


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    size: int
    latencies_ms: list[float]
    throughput: float


def scenarios(cursor: str) -> list[Scenario]:
    return [
        Scenario("(a) /members", "/members", api=False),
        Scenario(
            "(b) /members?q=mar&status=associate", "/members?q=mar&status=associate", api=False
        ),
        Scenario("(c) /members?cursor=<deep>", f"/members?cursor={cursor}", api=False),
        Scenario("(d) /api/v1/members", "/api/v1/members", api=True),
        Scenario("(e) /api/v1/members?limit=100", "/api/v1/members?limit=100", api=True),
        Scenario("(f) /me/settings", "/me/settings", api=False),
    ]


def sequential(target: Target, scenario: Scenario, count: int) -> tuple[list[float], int]:
    """Latencies (ms) of `count` requests sent one after the other, after a warm-up."""
    latencies = []
    with Client(target, scenario.api) as client:
        for _ in range(WARMUP):
            size = len(client.get(scenario.path))
        for _ in range(count):
            start = time.perf_counter()
            client.get(scenario.path)
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies, size


def concurrent(target: Target, scenario: Scenario, clients: int, total: int) -> float:
    """Requests per second for `total` requests shared among `clients` threads."""
    remaining = iter(range(total))
    lock = threading.Lock()
    errors: list[Exception] = []

    def work() -> None:
        with Client(target, scenario.api) as client:
            while not errors:
                with lock:
                    if next(remaining, None) is None:
                        return
                try:
                    client.get(scenario.path)
                except Exception as error:  # reported after the join
                    errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return total / elapsed


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def table(results: list[Result], clients: int) -> list[str]:
    """The results as a Markdown table (first column left-aligned, figures right-aligned)."""
    heads = ["Scenario", "KiB", "p50 ms", "p95 ms", "p99 ms", "mean ms", f"req/s ({clients} cl.)"]
    rows = [heads]
    for result in results:
        lat = result.latencies_ms
        figures = [percentile(lat, 0.50), percentile(lat, 0.95), percentile(lat, 0.99)]
        rows.append(
            [result.scenario.label, f"{result.size / 1024:.1f}"]
            + [f"{value:.1f}" for value in [*figures, statistics.fmean(lat)]]
            + [f"{result.throughput:.0f}"]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(heads))]

    def line(cells: list[str]) -> str:
        first, *figures = cells
        padded = [first.ljust(widths[0])]
        padded += [c.rjust(w) for c, w in zip(figures, widths[1:], strict=True)]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]])
    return [line(rows[0]), rule + "|"] + [line(row) for row in rows[1:]]


def print_results(results: list[Result], members: int, args: argparse.Namespace) -> None:
    connections = "kept alive" if args.keep_alive else "one per request"
    print(
        f"\nMembers: {members:,}; sequential: {args.requests} requests after {WARMUP} warm-up; "
        f"concurrent: {args.concurrent_requests} requests over {args.clients} clients; "
        f"connections: {connections}.\n"
    )
    print("\n".join(table(results, args.clients)))


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000, help="members to generate")
    parser.add_argument(
        "--requests",
        type=int,
        default=300,
        help="sequential requests per scenario (latency percentiles)",
    )
    parser.add_argument(
        "--concurrent-requests",
        type=int,
        default=2000,
        help="requests per scenario for the throughput measure",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="reuse connections (default: one connection per request)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="data folder (kept; an existing database in it is reused)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = parser.parse_args(argv)
    if args.members < 2 or args.requests < 1 or args.concurrent_requests < 1 or args.clients < 1:
        parser.error("--members must be at least 2, the other counts at least 1")
    return args


def prepare_data(data_dir: Path, count: int) -> int:
    if (data_dir / DB_FILE).exists():
        print(f"Reusing the database in {data_dir}", flush=True)
    else:
        print(f"Building {count:,} members in {data_dir} …", flush=True)
        start = time.perf_counter()
        build_database(data_dir, count)
        print(f"  built in {time.perf_counter() - start:.1f} s", flush=True)
    return count_members(data_dir)


def run(args: argparse.Namespace, data_dir: Path) -> None:
    members = prepare_data(data_dir, args.members)
    with running_server(data_dir) as port:
        print(f"Server up on port {port}", flush=True)
        target = Target(port, sign_in(f"http://{HOST}:{port}"), args.keep_alive)
        results = []
        for scenario in scenarios(deep_cursor(target)):
            print(f"  {scenario.label} …", flush=True)
            latencies, size = sequential(target, scenario, args.requests)
            throughput = concurrent(target, scenario, args.clients, args.concurrent_requests)
            results.append(Result(scenario, size, latencies, throughput))
    print_results(results, members, args)


def in_data_dir(args: argparse.Namespace, prefix: str, run_: Callable[..., None]) -> None:
    """`run_(args, data_dir)` in `--data-dir` (kept) or in a temporary folder (removed after,
    unless `--keep`); a SIGTERM still stops the servers and cleans up."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        run_(args, data_dir)
    finally:
        if args.keep or args.data_dir:
            print(f"Data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    in_data_dir(parse_args(argv), "terreau-bench-", run)


if __name__ == "__main__":
    main()
