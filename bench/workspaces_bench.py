"""Benchmark workspace bookings at network scale (issue 6).

Builds 200 spaces on 4 sites (a fifth desk areas of 10 seats, the rest single rooms) and
`--bookings` bookings (500,000 by default) spread over two years, in SQLite in a temporary
folder or in the PostgreSQL database of `--database-url` (its schema is dropped first), then:

- times `queries.availability` in process: one space for a week, and all 200 spaces for a day
  (p50 / p99 over `--samples` random weeks and days), the query behind the week grid, the day
  view and `GET /api/v1/spaces/<id>/availability`;
- starts two `python -m network` processes (gevent) and has `--clients` members (20) book
  random one-hour slots among a few spaces and days for `--seconds` seconds, all competing
  for the same seats: prints bookings made, 409 conflicts, throughput, and the number of
  over-capacity instants found afterwards (must be 0).

It is not a test: it prints figures. Run from the project root:

    .venv/bin/python bench/workspaces_bench.py
    .venv/bin/python bench/workspaces_bench.py --database-url postgresql://postgres@127.0.0.1:5432/terreau_ws_bench
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from sqlalchemy import insert, select, text  # noqa: E402

HOURS = {str(d): [8 * 60, 19 * 60] for d in range(7)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def build(app, bookings_wanted: int) -> tuple[list[int], date]:
    from network.extensions import db
    from network.members import operations as members
    from network.workspaces.models import Booking, BookingStatus, Site, Space, SpaceKind

    with app.test_request_context():
        staff = members.create_member(
            email="equipe.bench@bench.example",
            display_name="Équipe",
            status="associate",
            role="staff",
            password="bench-password-2026",
        )
        people = [
            members.create_member(
                email=f"m{i}@bench.example",
                display_name=f"Membre {i}",
                status="employee_entrepreneur",
                password="bench-password-2026",
            )
            for i in range(40)
        ]
        db.session.flush()
        sites = [Site(name=f"Site {i}") for i in range(4)]
        db.session.add_all(sites)
        spaces = []
        for i in range(200):
            desk = i % 5 == 0
            spaces.append(
                Space(
                    site=sites[i % 4],
                    name=f"Espace {i}",
                    kind=SpaceKind.DESK_AREA if desk else SpaceKind.MEETING_ROOM,
                    capacity=10 if desk else 1,
                    opening_hours=HOURS,
                    slot_minutes=60,
                    min_minutes=60,
                    max_minutes=600,
                    max_days_ahead=730,
                )
            )
        db.session.add_all(spaces)
        db.session.commit()
        space_rows = [(s.id, s.capacity) for s in spaces]
        member_ids = [p.id for p in people]
        staff_id = staff.id
    first = datetime.now(UTC).date() - timedelta(days=365)
    per_space_day = bookings_wanted / (200 * 730)
    rng = random.Random(6)
    rows, started = [], time.perf_counter()
    with app.app_context():
        for day_index in range(730):
            day = first + timedelta(days=day_index)
            base = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)  # 08:00/09:00 Paris
            for space_id, capacity in space_rows:
                count = int(per_space_day) + (rng.random() < per_space_day % 1)
                hours = (
                    rng.sample(range(10), min(count, 10))
                    if capacity == 1
                    else [rng.randrange(10) for _ in range(count)]
                )
                for hour in hours:
                    start = base + timedelta(hours=hour)
                    rows.append(
                        {
                            "space_id": space_id,
                            "member_id": rng.choice(member_ids),
                            "created_by_id": staff_id,
                            "start_at": start,
                            "end_at": start + timedelta(hours=1),
                            "seats": 1,
                            "status": BookingStatus.CONFIRMED,
                            "title": "",
                            "overridden": False,
                        }
                    )
            if len(rows) >= 20000:
                db.session.execute(insert(Booking), rows)
                db.session.commit()
                rows = []
        if rows:
            db.session.execute(insert(Booking), rows)
            db.session.commit()
        total = db.session.scalar(select(text("count(*)")).select_from(Booking))
    print(f"built {total} bookings on 200 spaces in {time.perf_counter() - started:.1f} s")
    return [s for s, _c in space_rows], first


def reused(app) -> tuple[list[int], date]:
    """The spaces and first day of a database `build` made before (`--data-dir`)."""
    from network.extensions import db
    from network.workspaces.models import Booking, Space

    with app.app_context():
        space_ids = list(db.session.scalars(select(Space.id).order_by(Space.id)))
        first = db.session.scalar(select(text("min(start_at)")).select_from(Booking))
        total = db.session.scalar(select(text("count(*)")).select_from(Booking))
    first_day = (
        first if isinstance(first, datetime) else datetime.fromisoformat(str(first))
    ).date()
    print(f"reused {total} bookings on {len(space_ids)} spaces")
    return space_ids, first_day


def time_availability(app, space_ids: list[int], first: date, samples: int) -> None:
    import gc

    from network.workspaces import queries
    from network.workspaces.models import Space

    rng = random.Random(1)
    week, day, week_cpu, day_cpu = [], [], [], []
    full = {"count": 0, "ms": 0.0, "began": 0.0}

    def watch(phase: str, info: dict) -> None:  # full collections: the cause of the tail
        if info["generation"] == 2:
            if phase == "start":
                full["began"] = time.process_time()
            else:
                full["count"] += 1
                full["ms"] += (time.process_time() - full["began"]) * 1000

    gc.callbacks.append(watch)
    with app.test_request_context():
        from network.extensions import db

        for _ in range(samples):
            db.session.expire_all()  # every sample loads its spaces, as a request does
            space = db.session.get(Space, rng.choice(space_ids))
            monday = first + timedelta(days=rng.randrange(700))
            started, cpu = time.perf_counter(), time.process_time()
            queries.availability([space], monday, 7)
            week.append((time.perf_counter() - started) * 1000)
            week_cpu.append((time.process_time() - cpu) * 1000)
            one_day = first + timedelta(days=rng.randrange(728))
            started, cpu = time.perf_counter(), time.process_time()
            queries.availability(queries.active_spaces(), one_day, 1)
            day.append((time.perf_counter() - started) * 1000)
            day_cpu.append((time.process_time() - cpu) * 1000)
    gc.callbacks.remove(watch)
    for name, values, cpu_values in (
        ("one space, one week", week, week_cpu),
        ("all 200 spaces, one day", day, day_cpu),
    ):
        print(
            f"availability {name}: p50 {statistics.median(values):.1f} ms, "
            f"p99 {percentile(values, 0.99):.1f} ms wall; CPU p50 "
            f"{statistics.median(cpu_values):.1f} ms, p99 {percentile(cpu_values, 0.99):.1f} ms "
            f"({len(values)} samples; load average {os.getloadavg()[0]:.1f})"
        )
    print(
        f"full garbage collections while timing: {full['count']}, "
        f"{full['ms'] / max(full['count'], 1):.0f} ms CPU each, "
        f"{len(gc.get_objects())} objects tracked ({gc.get_freeze_count()} frozen)"
    )


def race(app, env: dict, space_ids: list[int], clients: int, seconds: float) -> None:
    from network.extensions import db
    from network.members import operations as members
    from network.workspaces import queries
    from network.workspaces.models import HOLDING, Booking, Space
    from tests.servers import running_servers

    with app.test_request_context():
        people = [  # fresh members: the generated ones hold thousands of open bookings
            members.create_member(
                email=f"racer{i}@bench.example",
                display_name=f"Racer {i}",
                status="employee_entrepreneur",
                password="bench-password-2026",
            )
            for i in range(clients)
        ]
        db.session.flush()
        tokens = [members.create_api_token(m)[1] for m in people]
        db.session.commit()
    contested = space_ids[:4]  # one desk area of 10 seats and three single rooms
    days = [datetime.now(UTC).date() + timedelta(days=d) for d in range(3, 6)]
    counts = {"201": 0, "409": 0, "other": 0}
    lock = threading.Lock()
    with running_servers(2, env) as urls:
        stop = time.perf_counter() + seconds

        def client(index: int) -> None:
            rng = random.Random(index)
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {tokens[index]}"
            url = urls[index % 2]
            while time.perf_counter() < stop:
                day = rng.choice(days)
                hour = rng.randrange(9, 18)
                body = {
                    "space_id": rng.choice(contested),
                    "start": f"{day.isoformat()}T{hour:02d}:00",
                    "end": f"{day.isoformat()}T{hour + 1:02d}:00",
                }
                status = session.post(f"{url}/api/v1/bookings", json=body, timeout=30).status_code
                with lock:
                    counts[str(status) if status in (201, 409) else "other"] += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    over = 0
    with app.test_request_context():
        db.session.expire_all()
        for space_id in contested:
            space = db.session.get(Space, space_id)
            for day in days:
                start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                held = queries.held([space_id], start, start + timedelta(days=1))[space_id]
                for h in held:
                    if queries.peak(held, h.start_at, h.end_at) > space.capacity:
                        over += 1
        made = db.session.scalar(
            select(text("count(*)"))
            .select_from(Booking)
            .where(
                Booking.space_id.in_(contested),
                Booking.status.in_(HOLDING),
                Booking.start_at >= datetime.combine(days[0], datetime.min.time(), tzinfo=UTC),
            )
        )
    total = sum(counts.values())
    print(
        f"race: {clients} clients, 2 processes, {elapsed:.1f} s: {total} requests "
        f"({total / elapsed:.0f} req/s), {counts['201']} booked, {counts['409']} conflicts (409), "
        f"{counts['other']} other; {made} holding bookings in the contested slots; "
        f"over-capacity instants: {over}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=500_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--data-dir",
        default="",
        help="keep the SQLite database in this folder and reuse it when it is already built "
        "(default: a temporary folder, removed afterwards)",
    )
    parser.add_argument("--no-race", action="store_true", help="only time availability")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() the process's objects before timing, as a server would after start-up "
        "(full collections then skip the ~180,000 objects of the app)",
    )
    args = parser.parse_args()
    keep = bool(args.data_dir)
    folder = Path(args.data_dir) if keep else Path(tempfile.mkdtemp(prefix="terreau-ws-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{folder / 'terreau.sqlite3'}"
    env = {
        **os.environ,
        "TERREAU_DATA_DIR": str(folder),
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
    }
    os.environ.update({"TERREAU_DATA_DIR": str(folder), "DATABASE_URL": url})
    reuse = keep and not url.startswith("postgresql") and (folder / "built").exists()
    try:
        if url.startswith("postgresql"):
            from sqlalchemy import create_engine

            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        from flask_migrate import upgrade

        from network import create_app

        app = create_app(SOCKETIO_ASYNC_MODE="threading")
        with app.app_context():
            upgrade()
        print(f"backend: {url.split(':')[0]}")
        if reuse:
            space_ids, first = reused(app)
        else:
            space_ids, first = build(app, args.bookings)
            if keep:
                (folder / "built").write_text("")
        with app.app_context():
            from network.extensions import db

            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
        if args.gc_freeze:
            import gc

            gc.collect()
            gc.freeze()
        time_availability(app, space_ids, first, args.samples)
        if not args.no_race:
            race(app, env, space_ids, args.clients, args.seconds)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
