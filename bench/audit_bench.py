"""Benchmark the hash-chained audit log.

Records `--entries` entries (100,000) in batches of `--batch` per transaction (100) into
SQLite in a temporary folder, or the PostgreSQL database of `--database-url` (its schema is
dropped first), then:

- appending: entries per second, and transactions per second when each commits one entry
  (`--single`, 2,000), the chain sealed at each commit under the head's lock;
- `flask audit verify` on the whole log (seconds, entries per second);
- concurrent appenders: `--threads` (8) threads committing one entry each, `--single` in
  all, every commit queuing for the head (transactions per second), then the chain verified.

It is not a test: it prints figures. Run from the project root:

    .venv/bin/python bench/audit_bench.py
    .venv/bin/python bench/audit_bench.py --database-url postgresql://postgres@127.0.0.1:5432/terreau_audit_bench
"""

import argparse
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    return parser.parse_args()


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
    from network.core import audit
    from network.extensions import db

    app = create_app(Config, DATA_DIR=folder, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        engine = db.engine
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
            f"({verdict.checked / elapsed:,.0f}/s), ok={verdict.ok}"
        )
        db.session.rollback()

    per_thread = args.single // args.threads
    barrier = threading.Barrier(args.threads)

    def append(index: int) -> None:
        with app.app_context(), Session(engine) as session:
            barrier.wait()
            for n in range(per_thread):
                audit.record(session, "bench_thread", writer=index, n=n)
                session.commit()

    threads = [threading.Thread(target=append, args=(i,)) for i in range(args.threads)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    print(
        f"{args.threads} concurrent appenders, 1 per commit: "
        f"{per_thread * args.threads / elapsed:,.0f} commits/s"
    )
    with app.app_context():
        verdict = audit.verify(db.session)
        print(verdict.describe())


if __name__ == "__main__":
    main()
