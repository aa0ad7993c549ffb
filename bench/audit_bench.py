"""Benchmark the hash-chained audit log.

Records `--entries` entries (100,000) in batches of `--batch` per transaction (100) into
SQLite in a temporary folder, or the PostgreSQL database of `--database-url` (its schema is
dropped first), then:

- appending: entries per second, and transactions per second when each commits one entry
  (`--single`, 2,000), the chain sealed at each commit under the head's lock;
- `flask audit verify` on the whole log (seconds, entries per second);
- concurrent appenders: for each count of `--threads` (8; a list: 1,8,32) threads committing
  one entry per commit, `--single` commits in all, every commit queuing for the head: commits per
  second, the latency of a commit (p50, p99), and the round trips of a sealed commit counted
  by an SQLAlchemy event (all of its statements and the COMMIT; those sent while the head is
  locked: the statement that takes the lock, those after it, the COMMIT; psycopg's implicit
  BEGIN is not seen), then the chain verified. `--gevent`: greenlets instead of threads (the
  standard library patched, as in the servers). `--only-concurrent` skips the other phases.

It is not a test: it prints figures. Run from the project root:

    .venv/bin/python bench/audit_bench.py
    .venv/bin/python bench/audit_bench.py --database-url postgresql://postgres@127.0.0.1:5432/terreau_audit_bench
"""

import sys

if "--gevent" in sys.argv:  # before anything opens a socket
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from sqlalchemy import Engine, create_engine, event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

#: A statement that takes the head's lock: a locking read of it (the seal's statement on
#: PostgreSQL is one too); the seal's statements are counted too.
LOCKING_READ = re.compile(r"FOR UPDATE", re.IGNORECASE)
SEALING = re.compile(r"^\s*WITH (RECURSIVE )?head AS", re.IGNORECASE)


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--threads", default="8", help="counts of appenders, e.g. 1,8,32")
    parser.add_argument("--gevent", action="store_true")
    parser.add_argument("--only-concurrent", action="store_true")
    return parser.parse_args()


class RoundTrips:
    """Per sealed commit (one whose connection sent a statement touching the head): its
    statements plus the COMMIT, those sent while the head was locked, the seal's attempts."""

    def __init__(self, engine: Engine) -> None:
        self.total: list[int] = []
        self.locked: list[int] = []
        self.attempts: list[int] = []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", lambda conn: conn.info.pop("bench", None))

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counts = conn.info.setdefault("bench", {"statements": 0, "locked_at": 0, "seals": 0})
        counts["statements"] += 1
        counts["seals"] += bool(SEALING.match(statement))
        locking = LOCKING_READ.search(statement) and "audit_chain_head" in statement
        if locking and not counts["locked_at"]:
            counts["locked_at"] = counts["statements"]

    def _commit(self, conn: Any) -> None:
        counts = conn.info.pop("bench", None)
        if counts and counts["locked_at"]:
            self.total.append(counts["statements"] + 1)
            self.locked.append(counts["statements"] - counts["locked_at"] + 2)
            self.attempts.append(counts["seals"])

    def reset(self) -> None:
        self.total.clear()
        self.locked.clear()
        self.attempts.clear()

    def describe(self) -> str:
        if not self.total:
            return "no sealed commit seen"
        retried = sum(1 for n in self.attempts if n > 1)
        return (
            f"round trips per sealed commit: {statistics.mean(self.total):.2f} "
            f"(head locked for {statistics.mean(self.locked):.2f}, max {max(self.locked)}); "
            f"seal statements per commit {statistics.mean(self.attempts):.2f}, "
            f"{retried} commits with more than one"
        )


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    args = _args()
    logging.getLogger("terreau.audit").setLevel(logging.WARNING)  # one line per entry
    folder = tempfile.mkdtemp(prefix="terreau-audit-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    if args.database_url:
        _reset_postgres(url)
    from flask_migrate import upgrade

    from config import Config
    from network import create_app
    from network.extensions import db

    app = create_app(Config, DATA_DIR=folder, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        engine = db.engine
        if not args.only_concurrent:
            _serial(args)
        db.session.rollback()
    round_trips = RoundTrips(engine)
    for threads in (int(n) for n in args.threads.split(",")):
        _concurrent(app, engine, threads, args.single, round_trips)


def _serial(args: argparse.Namespace) -> None:
    """Appending in batches, then one entry per commit, then verifying the whole log."""
    from network.core import audit
    from network.extensions import db

    start = time.perf_counter()
    for first in range(0, args.entries, args.batch):
        for n in range(first, min(first + args.batch, args.entries)):
            audit.record(db.session, "bench_event", actor_id=None, n=n, note="x" * 40)
        db.session.commit()
    elapsed = time.perf_counter() - start
    print(f"append, {args.batch} per commit: {args.entries / elapsed:,.0f} entries/s")
    start = time.perf_counter()
    for n in range(args.single):
        audit.record(db.session, "bench_single", n=n)
        db.session.commit()
    elapsed = time.perf_counter() - start
    print(f"append, 1 per commit: {args.single / elapsed:,.0f} commits/s")
    start = time.perf_counter()
    verdict = audit.verify(db.session)
    elapsed = time.perf_counter() - start
    print(
        f"verify: {verdict.checked:,} entries in {elapsed:.2f} s "
        f"({verdict.checked / max(elapsed, 1e-9):,.0f}/s), ok={verdict.ok}"
    )


def _concurrent(app: Any, engine: Engine, threads: int, commits: int, trips: RoundTrips) -> None:
    from network.core import audit
    from network.extensions import db

    per_thread = max(1, commits // threads)
    barrier = threading.Barrier(threads)
    latencies: list[float] = []
    trips.reset()

    def append(index: int) -> None:
        with app.app_context(), Session(engine) as session:
            barrier.wait()
            for n in range(per_thread):
                audit.record(session, "bench_thread", writer=index, n=n)
                start = time.perf_counter()
                session.commit()
                latencies.append(time.perf_counter() - start)

    workers = [threading.Thread(target=append, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    print(
        f"{threads} concurrent appenders, 1 per commit: "
        f"{per_thread * threads / elapsed:,.0f} commits/s, commit p50 "
        f"{_percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {_percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    print(f"  {trips.describe()}")
    with app.app_context():
        verdict = audit.verify(db.session)
        print(f"  {verdict.describe()}")
        db.session.rollback()


if __name__ == "__main__":
    main()
