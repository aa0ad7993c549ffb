"""Benchmark skills, find collaborators and search at network scale (issue 3).

1. Builds (or reuses, with `--data-dir`) a cooperative of `--members` members with ~5 skills
   each, as `bench/members_bench.py` does.
2. Index: adds generated feed posts (French-like text) to the database, up to `--documents`
   documents in all (300,000 by default), then rebuilds the search index from the database
   as `flask search reindex` does, timed end to end (reading the database and building the
   documents included), and reports the time, CPU time, documents per second and size.
3. Search latency (p50/p99, and CPU per query), in process, through the same function as
   the page and the API (`network.search.queries.search`, permissions re-checked), by class
   of query: the most frequent terms of the index (rank 1–50, as typed), real French words
   (the demo data's trades, cities and common words), two frequent terms, prefixes of
   frequent terms, and content words of rank 200–3,000 (one, two, a prefix as typed); and a
   find-collaborators query (`find_collaborators`), each with varied inputs.
4. Search over HTTP (`--only http`): `/api/v1/search` and `/search` on a real server
   (`python -m network`: the generated posts live in its database), signed in as members of
   different roles in turns, `--http-requests` sequential requests per class, with the
   server's CPU time per request (from `/proc`); then `--cold` samples each on a freshly
   started server (what start-up warms is outside the request), reported apart.
5. Directory throughput: `python -m network` serving the members directory filtered by a
   skill (`/members?skill=…`, with facets) and a trivial authenticated page (`/ping`),
   `--clients` concurrent clients each; the ratio isolates the directory's own cost.

It measures the code beside it (the project folder first on `sys.path`, and the server
started from it), and says which. Run from the project root (a checkout elsewhere with this
benchmark copied in measures that checkout's code), each run under the machine's benchmark
lock:

    flock /tmp/bench.lock .venv/bin/python bench/search_bench.py --data-dir /tmp/sb \
        --only index
    flock /tmp/bench.lock .venv/bin/python bench/search_bench.py --data-dir /tmp/sb \
        --reuse-index --only search
    flock /tmp/bench.lock .venv/bin/python bench/search_bench.py --data-dir /tmp/sb \
        --reuse-index --only http

With `--postgres URL` the cooperative lives in that PostgreSQL database (built there once)
and is searched with PostgreSQL's full-text search (`TERREAU_SEARCH_BACKEND=postgres`), with
the same documents, query classes and measures: the two backends side by side. The CPU time
of the database's backends (`/proc/<pid>/schedstat`) is then reported beside the Python
process's, in process and over HTTP, where the search's work mostly is. Over HTTP the
benchmark also times a post published through the API until a search finds it.
"""

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# The code beside this benchmark, not whatever the virtual environment's editable install
# points to (the server it starts runs from the project folder too).
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]

import members_bench as mb  # noqa: E402

WORDS = [
    "atelier",
    "coopérative",
    "entrepreneur",
    "associée",
    "salariée",
    "projet",
    "formation",
    "accompagnement",
    "réseau",
    "vidéo",
    "photographie",
    "céramique",
    "couture",
    "paysage",
    "jardin",
    "traduction",
    "comptabilité",
    "stratégie",
    "commerciale",
    "rénovation",
    "énergétique",
    "isolation",
    "peinture",
    "plomberie",
    "électricité",
    "menuiserie",
    "graphisme",
    "illustration",
    "identité",
    "visuelle",
    "développement",
    "web",
    "application",
    "mobile",
    "marché",
    "public",
    "appel",
    "offres",
    "client",
    "devis",
    "facture",
    "chantier",
    "cuisine",
    "salle",
    "réunion",
    "bureau",
    "partage",
    "mutualisation",
    "entraide",
    "assemblée",
    "vote",
    "résolution",
    "trésorerie",
    "prêt",
    "banque",
    "subvention",
    "lyon",
    "grenoble",
    "villeurbanne",
    "annecy",
    "vienne",
    "bourg",
    "saint-étienne",
    "valence",
    "chambéry",
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "bu",
    "ca",
    "ce",
    "ci",
    "co",
    "cu",
    "da",
    "de",
    "di",
    "do",
    "du",
    "fa",
    "fe",
    "fi",
    "fo",
    "ga",
    "ge",
    "gi",
    "go",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nu",
    "pa",
    "pe",
    "pi",
    "po",
    "pu",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "su",
    "ta",
    "te",
    "ti",
    "to",
    "tu",
    "va",
    "ve",
    "vi",
    "vo",
    "tion",
    "ment",
    "eur",
    "ette",
    "ier",
    "ière",
    "age",
    "ance",
]


def vocabulary(size: int = 8000, seed: int = 5) -> tuple[list[str], list[float]]:
    """A French-like vocabulary with Zipf frequencies, our real words among the common ones."""
    rng = random.Random(seed)
    words = list(
        dict.fromkeys("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size * 2))
    )[:size]
    for rank, word in enumerate(WORDS):
        words.insert(50 + rank * 7, word)
    weights = [1 / (rank + 1) ** 1.05 for rank in range(len(words))]
    return words, weights


def add_posts(app, total: int, seed: int = 7, batch: int = 10_000) -> int:
    """Feed posts generated in the database (46 words of the vocabulary each), enough for
    `total` documents in the index in all; once per data folder. Returns how many it added."""
    from sqlalchemy import func, insert, select

    from network.core.models import utcnow
    from network.extensions import db
    from network.feed.models import Post, PostKind
    from network.members.models import Member
    from network.search.indexing import all_documents

    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(Post)):
            return 0  # a reused data folder: its posts are there
        missing = max(0, total - sum(1 for _ in all_documents()))
        authors = list(db.session.scalars(select(Member.id)))
        rng = random.Random(seed)
        words, weights = vocabulary()
        now = utcnow()
        for start in range(0, missing, batch):
            rows = []
            for _ in range(min(batch, missing - start)):
                text = " ".join(rng.choices(words, weights=weights, k=46))
                rows.append(
                    {
                        "kind": PostKind.POST,
                        "author_id": rng.choice(authors),
                        "body": text,
                        "body_html": f"<p>{text}</p>",
                        "images": [],
                        "created_at": now,
                    }
                )
            db.session.execute(insert(Post), rows)
            db.session.commit()
        return missing


def build_index(app) -> dict[str, float]:
    """Rebuild the index as `flask search reindex` does, timed end to end: reading the
    database, building the documents, writing and committing the index, swapping it in."""
    from sqlalchemy import text

    from network.extensions import db
    from network.search.indexing import backend, rebuild

    with app.app_context():
        start, start_cpu = time.perf_counter(), time.process_time()
        count = rebuild() or 0
        seconds = time.perf_counter() - start
        cpu = time.process_time() - start_cpu
        if backend().name == "postgres":
            size = db.session.scalar(text("SELECT pg_total_relation_size('search_documents')"))
        else:
            size = sum(p.stat().st_size for p in backend().folder.iterdir())
    return {
        "documents": count,
        "seconds": seconds,
        "cpu": cpu,
        "per_second": count / seconds,
        "per_cpu_second": count / cpu,
        "megabytes": size / 1e6,
    }


def load() -> str:
    """The 1, 5 and 15-minute load averages (the machine may be busy with other work)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


CPU_TIMES: dict[int, list[float]] = {}  # id(wall-clock list) → CPU times, in the same order
DATABASE_CPU_TIMES: dict[int, list[float]] = {}  # …and PostgreSQL's (with --postgres)


class DatabaseCpu:
    """CPU time of the PostgreSQL backends serving the bench's database (its connections but
    this one), read from `/proc/<pid>/schedstat` (nanoseconds): the database's share of a
    search, which the Python process's CPU time leaves out."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)

    def seconds(self) -> float:
        pids = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
        total = 0
        for (pid,) in pids:
            try:
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
        return total / 1e9


DATABASE_CPU: DatabaseCpu | None = None  # set with --postgres


def timed(call, inputs: list) -> list[float]:
    """Wall-clock milliseconds of each call; its CPU milliseconds go to `CPU_TIMES` (less
    disturbed when other work shares the machine), PostgreSQL's to `DATABASE_CPU_TIMES`."""
    latencies, cpu, database = [], [], []
    for item in inputs:
        used = DATABASE_CPU.seconds() if DATABASE_CPU else 0.0
        start, start_cpu = time.perf_counter(), time.thread_time()
        call(item)
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        if DATABASE_CPU:
            database.append((DATABASE_CPU.seconds() - used) * 1000)
    CPU_TIMES[id(latencies)] = cpu
    DATABASE_CPU_TIMES[id(latencies)] = database
    return latencies


#: Words of the demo data people search for: trades, cities, and common words of its texts.
COMMON_WORDS = ["site", "projet", "formation", "communication", "membre", "coopérative"]


def french_words() -> list[str]:
    words = [*WORDS, *COMMON_WORDS]
    for name, sector in mb.TRADES:
        words += [name, sector]
    words += [city for city, _postcode in mb.CITIES]
    return list(dict.fromkeys(w for text in words for w in re.findall(r"\w+", text) if len(w) > 3))


def frequent_words(app, count: int = 50) -> list[str]:
    """The `count` words whose stems are in the most documents of the index (titles and
    bodies), as typed (a word of the generated vocabulary or the demo data having that stem;
    else the stem itself)."""
    from network.search.backend import FRENCH
    from network.search.indexing import backend

    typed: dict[str, str] = {}
    for word in [*french_words(), *vocabulary()[0]]:
        for stem in FRENCH.analyse(word):
            typed.setdefault(stem, word)
    documents: Counter[str] = Counter()
    with app.app_context():
        if backend().name == "postgres":
            return postgres_frequent_words(count)
        reader = backend().searcher().reader()
        for field in ("title", "body"):
            for text, info in reader.iter_field(field):
                documents[text if isinstance(text, str) else text.decode()] += info.doc_frequency()
    return [typed.get(stem, stem) for stem, _n in documents.most_common(count)]


def postgres_frequent_words(count: int) -> list[str]:
    """`frequent_words` on PostgreSQL: the lexemes in the most documents (`ts_stat`), as typed
    (a word of the vocabulary or the demo data with that lexeme; else the lexeme)."""
    from sqlalchemy import text

    from network.extensions import db

    words = [*french_words(), *vocabulary()[0]]
    typed: dict[str, str] = {}
    rows = db.session.execute(
        text("SELECT w, to_tsvector('french_unaccent', w) FROM unnest(CAST(:w AS text[])) w"),
        {"w": words},
    )
    for word, vector in rows:
        for lexeme in re.findall(r"'([^']+)'", vector):
            typed.setdefault(lexeme, word)
    rows = db.session.execute(
        text(
            "SELECT word FROM ts_stat('SELECT terms FROM search_documents') "
            "ORDER BY ndoc DESC LIMIT :n"
        ),
        {"n": count},
    )
    return [typed.get(lexeme, lexeme) for (lexeme,) in rows]


def prepare_postgres(data_dir: Path, url: str, members: int) -> None:
    """The bench's cooperative in the PostgreSQL database `url` (built once: reused if it has
    members); the app and the servers it starts use it, searching with PostgreSQL."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy import text as sql

    os.environ["DATABASE_URL"] = url
    os.environ["TERREAU_SEARCH_BACKEND"] = "postgres"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        built = inspect(connection).has_table("members") and connection.scalar(
            sql("SELECT count(*) FROM members")
        )
    engine.dispose()
    if built:
        print(f"Reusing the PostgreSQL database ({built:,} members)", flush=True)
        return
    print(f"Building {members:,} members in PostgreSQL …", flush=True)
    mb.build_database(data_dir, members)


def query_classes(app, count: int, seed: int = 11) -> dict[str, list[str]]:
    """`count` varied queries of each class."""
    rng = random.Random(seed)
    vocab, _weights = vocabulary()
    # Content words as typed (the most frequent generated words play the part of the
    # function words a real text has, which the French analyser drops as stop words)…
    words = [w for w in vocab[200:3000] if len(w) > 4]
    # …and the hard cases: the words in the most documents, and real French words.
    frequent = frequent_words(app)
    french = french_words()
    return {
        "frequent term (1-50)": [rng.choice(frequent) for _ in range(count)],
        "French word": [rng.choice(french) for _ in range(count)],
        "two frequent terms": [" ".join(rng.sample(frequent, 2)) for _ in range(count)],
        "frequent prefix": [
            rng.choice([w for w in frequent if len(w) >= 3])[: rng.randint(3, 5)]
            for _ in range(count)
        ],
        "one term (200-3000)": [rng.choice(words) for _ in range(count)],
        "two terms (200-3000)": [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(count)],
        "prefix (as typed)": [rng.choice(words)[: rng.randint(3, 5)] for _ in range(count)],
    }


def search_latencies(app, count: int, parts: set[str]) -> dict[str, list[float]]:
    from sqlalchemy import select

    from network.extensions import db
    from network.members.models import Member
    from network.search.queries import search
    from network.skills.collaborators import find_collaborators
    from network.skills.models import Skill

    rng = random.Random(11)
    cases = query_classes(app, count)
    with app.test_request_context():
        viewer = db.session.scalar(select(Member).where(Member.email == mb.LOGIN_EMAIL))
        skill_names = list(db.session.scalars(select(Skill.name_fr)))
        words = [w for w in vocabulary()[0][200:3000] if len(w) > 4]
        for q in ("atelier", "coop", "jardin lyon"):  # warm-up: open the searcher
            search(viewer, q)
        results = {
            label: timed(lambda q: search(viewer, q), queries)
            for label, queries in cases.items()
            if "search" in parts
        }
        if "collaborators" not in parts:
            return results
        needs = [
            {
                "skills": rng.sample(skill_names, rng.randint(1, 3)),
                "text": " ".join(rng.sample(words, 2)),
                "postcode": rng.choice(["69003", "38000", "42000", "74000", ""]),
            }
            for _ in range(count)
        ]
        results["find collaborators"] = timed(
            lambda need: find_collaborators(viewer, **need), needs
        )
    return results


# --- over HTTP --------------------------------------------------------------------------------

#: Who searches over HTTP, in turns: an associate (the bench login), a staff member (who also
#: reads the staff documents) and a candidate.
SEARCHERS = (mb.LOGIN_EMAIL, mb.STAFF_EMAIL, "candidate")


def searcher_accounts(app) -> list[str]:
    """The e-mails of `SEARCHERS`, each given the bench password (the candidate: the first
    active one), with a plain UPDATE: the index is left as it is."""
    from sqlalchemy import select, update

    from network.extensions import db
    from network.members.models import Member
    from network.members.operations import _hash_password

    with app.app_context():
        emails = []
        for email in SEARCHERS:
            where = (
                Member.email == email
                if "@" in email
                else (Member.status == email) & Member.is_active.is_(True)
            )
            found = db.session.scalars(select(Member.email).where(where).order_by(Member.id))
            emails.append(found.first() or "")
        if not all(emails):
            raise RuntimeError(f"a searcher is missing from the database: {emails}")
        db.session.execute(
            update(Member)
            .where(Member.email.in_(emails))
            .values(password_hash=_hash_password(mb.LOGIN_PASSWORD))
        )
        db.session.commit()
    return emails


def server_cpu_seconds() -> float:
    """CPU time (user + system) used so far by this process's children: the server."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def search_path(query: str, api: bool) -> str:
    from urllib.parse import quote

    return f"{'/api/v1/search' if api else '/search'}?q={quote(query)}"


def http_latencies(data_dir: Path, app, count: int, cold: int) -> dict[str, dict]:
    """For each query class: wall-clock ms of `count` requests (API and page, each searcher in
    turns, kept-alive connections) and the server's CPU ms per request; then `cold` requests
    of random classes, each the first search of a freshly started server."""
    emails = searcher_accounts(app)
    cases = query_classes(app, max(count, cold), seed=13)
    results: dict[str, dict] = {}
    with mb.running_server(data_dir) as port:
        base = f"http://{mb.HOST}:{port}"
        targets = [mb.Target(port, mb.sign_in(base, e, mb.LOGIN_PASSWORD), True) for e in emails]
        clients = [mb.Client(t, api) for t in targets for api in (True, False)]
        for client in clients:  # warm-up: the searcher opened, templates compiled
            client.get(search_path("atelier", client.headers.get("Authorization") is not None))
        for label, queries in cases.items():
            print(f"  over HTTP: {label} … (load {load()})", flush=True)
            latencies: list[float] = []
            used = server_cpu_seconds()
            database_used = DATABASE_CPU.seconds() if DATABASE_CPU else 0.0
            for number, query in enumerate(queries[:count]):
                client = clients[number % len(clients)]
                path = search_path(query, "Authorization" in client.headers)
                start = time.perf_counter()
                client.get(path)
                latencies.append((time.perf_counter() - start) * 1000)
            cpu = (server_cpu_seconds() - used) * 1000 / count
            database = (
                (DATABASE_CPU.seconds() - database_used) * 1000 / count if DATABASE_CPU else None
            )
            results[label] = {"wall": latencies, "cpu": cpu, "database": database}
        for client in clients:
            client.close()
        results["write → searchable"] = {
            "wall": write_to_searchable(base, targets[0].credentials.token, 10),
            "cpu": None,
        }
    rng = random.Random(17)
    wall, cpu_cold = [], []
    for number in range(cold):
        with mb.running_server(data_dir) as port:
            target = targets[number % len(targets)]
            target = mb.Target(port, target.credentials, False)
            api = number % 2 == 0
            query = rng.choice(cases[rng.choice(list(cases))])
            with mb.Client(target, api) as client:
                used = server_cpu_seconds()
                start = time.perf_counter()
                client.get(search_path(query, api))
                wall.append((time.perf_counter() - start) * 1000)
                cpu_cold.append((server_cpu_seconds() - used) * 1000)
    if cold:
        results["cold (first search after a start)"] = {
            "wall": wall,
            "cpu": statistics.fmean(cpu_cold),
        }
    return results


def write_to_searchable(base: str, token: str, count: int) -> list[float]:
    """Milliseconds from publishing a post (`POST /api/v1/posts`, a word of its own) to the
    first search that finds it (`/api/v1/search`, asked again every 5 ms), `count` times
    (within the member's posts per hour)."""
    import requests

    rng = random.Random(19)
    headers = {"Authorization": f"Bearer {token}"}
    delays = []
    with requests.Session() as session:
        for _ in range(count):
            word = "zq" + "".join(rng.choices("bcdfgjklmnpvx", k=10))
            start = time.perf_counter()
            answer = session.post(
                f"{base}/api/v1/posts", json={"body": f"Essai {word} du banc"}, headers=headers
            )
            answer.raise_for_status()  # 429: the member's posts per hour (30 by default)
            post_id = answer.json()["id"]
            while True:
                found = session.get(f"{base}/api/v1/search?q={word}", headers=headers).json()
                if any(r["kind"] == "post" and r["id"] == post_id for r in found["results"]):
                    break
                if time.perf_counter() - start > 30:
                    raise RuntimeError(f"post {post_id} not searchable after 30 s")
                time.sleep(0.005)
            delays.append((time.perf_counter() - start) * 1000)
    return delays


def directory_ratio(data_dir: Path, clients: int, total: int) -> dict[str, float]:
    with mb.running_server(data_dir) as port:
        target = mb.Target(port, mb.sign_in(f"http://{mb.HOST}:{port}"), keep_alive=False)
        directory = mb.Scenario("directory", "/members?skill=1", api=False)
        trivial = mb.Scenario("trivial", "/ping", api=False)
        for scenario in (directory, trivial):
            mb.sequential(target, scenario, 10)  # warm-up
        return {
            "directory": mb.concurrent(target, directory, clients, total),
            "trivial": mb.concurrent(target, trivial, clients, total),
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--documents", type=int, default=300_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument(
        "--http-requests", type=int, default=2000, help="requests per query class over HTTP"
    )
    parser.add_argument(
        "--cold", type=int, default=30, help="searches over HTTP each on a freshly started server"
    )
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) this data folder")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="the cooperative in this PostgreSQL database, searched with PostgreSQL's "
        "full-text search (TERREAU_SEARCH_BACKEND=postgres) instead of Whoosh",
    )
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="search the index already in --data-dir instead of rebuilding it",
    )
    parser.add_argument(
        "--only",
        choices=["index", "search", "collaborators", "http", "directory"],
        action="append",
        help="run only these parts (repeatable); all by default",
    )
    args = parser.parse_args(argv)
    parts = set(args.only or ["index", "search", "collaborators", "http", "directory"])
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="terreau-search-bench-"))
    try:
        if args.postgres:
            data_dir.mkdir(parents=True, exist_ok=True)
            prepare_postgres(data_dir, args.postgres, args.members)
            global DATABASE_CPU
            DATABASE_CPU = DatabaseCpu(args.postgres)
        else:
            mb.prepare_data(data_dir, args.members)
        import network
        from network import create_app

        print(f"Code measured: {Path(network.__file__).parent}", flush=True)
        app = create_app(DATA_DIR=str(data_dir))
        with app.app_context():  # a reused database may predate the latest migrations
            from flask_migrate import upgrade

            upgrade()
        added = add_posts(app, args.documents)
        if added:
            print(f"Generated {added:,} feed posts in the database", flush=True)
        print(f"Load average: {load()}", flush=True)
        if "index" in parts and not (args.reuse_index and args.data_dir):
            print("Rebuilding the index from the database…", flush=True)
            built = build_index(app)
            print(
                f"  {built['documents']:.0f} documents in {built['seconds']:.1f} s "
                f"(CPU {built['cpu']:.1f} s): {built['per_second']:.0f} documents/s "
                f"({built['per_cpu_second']:.0f} per CPU second), "
                f"{built['megabytes']:.0f} MB (load average {load()})",
                flush=True,
            )
        if parts & {"search", "collaborators"}:
            print(f"Search latency ({args.queries} varied queries each, ms):", flush=True)
            for label, values in search_latencies(app, args.queries, parts).items():
                cpu = CPU_TIMES[id(values)]
                database = DATABASE_CPU_TIMES.get(id(values))
                both = [a + b for a, b in zip(cpu, database, strict=True)] if database else []
                print(
                    f"  {label:<22} p50 {statistics.median(values):7.1f}   "
                    f"p99 {percentile(values, 0.99):7.1f}   max {max(values):7.1f}   "
                    f"(CPU p50 {statistics.median(cpu):6.1f}   p99 {percentile(cpu, 0.99):6.1f})"
                    + (
                        f"   (CPU with PostgreSQL's p50 {statistics.median(both):6.1f}   "
                        f"p99 {percentile(both, 0.99):6.1f})"
                        if both
                        else ""
                    ),
                    flush=True,
                )
            print(f"  (load average {load()})")
        if "http" in parts:
            print(
                f"Search over HTTP ({args.http_requests} requests per class, API and page, "
                f"{len(SEARCHERS)} members in turns; ms):",
                flush=True,
            )
            for label, result in http_latencies(
                data_dir, app, args.http_requests, args.cold
            ).items():
                values = result["wall"]
                notes = [f"{len(values)} samples"]
                if result["cpu"] is not None:
                    notes.insert(0, f"server CPU {result['cpu']:6.1f} ms a request")
                if result.get("database") is not None:
                    notes.insert(1, f"PostgreSQL's {result['database']:6.1f}")
                print(
                    f"  {label:<34} p50 {statistics.median(values):7.1f}   "
                    f"p99 {percentile(values, 0.99):7.1f}   max {max(values):7.1f}   "
                    f"({', '.join(notes)})",
                    flush=True,
                )
            print(f"  (load average {load()})")
        if "directory" in parts:
            rates = directory_ratio(data_dir, args.clients, args.requests)
            print(
                f"Directory /members?skill=1: {rates['directory']:.0f} req/s; trivial /ping: "
                f"{rates['trivial']:.0f} req/s; ratio {rates['directory'] / rates['trivial']:.2f} "
                f"({args.clients} clients)"
            )
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
