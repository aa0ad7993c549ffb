"""Benchmark workspace bookings at network scale (issue 6).

Builds 200 spaces on 4 sites (a fifth desk areas of 10 seats, the rest single rooms) and
`--bookings` bookings (500,000 by default) spread over two years, in SQLite in a temporary
folder or in the PostgreSQL database of `--database-url` (its schema is dropped first), then:

- times `queries.availability` in process: one space for a week, and all 200 spaces for a day
  (p50 / p99 over `--samples` random weeks and days), the query behind the week grid, the day
  view and `GET /api/v1/spaces/<id>/availability`;
- serves the day view across all spaces as a member sees it (issue 11): starts
  `python -m network` (gevent, one process, as `members_bench`), signs `--members` members in
  and sends `--http-samples` requests in sequence, each for a random member and day (a week
  back to two months ahead) over kept-alive connections: 4 in 5 for all 200 spaces
  (`/workspaces?date=…`), 1 in 5 for one site (`&site=…`). Per request it reads the server's
  CPU time (the on-CPU nanoseconds of its threads in /proc/<pid>/task/*/schedstat; the
  utime + stime of /proc/<pid>/stat, 10 ms ticks, gives the mean as a check), the wall time
  and the body's size. Cold caches: `--cold-restarts` times, a fresh server answers
  `--cold-requests` day views right after the sign-in (templates not compiled, statement
  caches empty; the cooperative's settings are read once per request anyway), reported
  apart;
- starts two `python -m network` processes (gevent) and has `--clients` members (20) book
  random one-hour slots among a few spaces and days for `--seconds` seconds, all competing
  for the same seats: prints bookings made, 409 conflicts, throughput, and the number of
  over-capacity instants found afterwards (must be 0).

It is not a test: it prints figures. Run from the project root:

    .venv/bin/python bench/workspaces_bench.py
    .venv/bin/python bench/workspaces_bench.py --database-url postgresql://postgres@127.0.0.1:5432/terreau_ws_bench
    # the day view over HTTP only, on a database built once in that folder:
    .venv/bin/python bench/workspaces_bench.py --data-dir /tmp/ws-bench-sqlite --only http
"""

import argparse
import contextlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(PROJECT_DIR / "bench"))

import members_bench as mb  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

HOURS = {str(d): [8 * 60, 19 * 60] for d in range(7)}
PASSWORD = "bench-password-2026"


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


def site_ids(app) -> list[int]:
    from network.extensions import db
    from network.workspaces.models import Site

    with app.app_context():
        return list(db.session.scalars(select(Site.id).order_by(Site.id)))


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


def server_cpu_ns(pid: int) -> int:
    """On-CPU nanoseconds of the server's threads so far (/proc/<pid>/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread ended
            total += int((task / "schedstat").read_text().split()[0])
    return total


def server_cpu_seconds(pid: int) -> float:
    """utime + stime of the server process (/proc/<pid>/stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Samples:
    """Server CPU (ms), wall time (ms) and body size (bytes) of each request of one kind."""

    def __init__(self) -> None:
        self.cpu: list[float] = []
        self.wall: list[float] = []
        self.size: list[int] = []

    def measure(self, client: "mb.Client", pid: int, path: str) -> None:
        cpu, started = server_cpu_ns(pid), time.perf_counter()
        body = client.get(path)
        self.wall.append((time.perf_counter() - started) * 1000)
        self.cpu.append((server_cpu_ns(pid) - cpu) / 1e6)
        self.size.append(len(body))

    def line(self, label: str) -> str:
        cpu, wall = self.cpu, self.wall
        return (
            f"| {label} | {len(wall)} | {statistics.median(cpu):.1f} | {percentile(cpu, 0.99):.1f} "
            f"| {statistics.median(wall):.1f} | {percentile(wall, 0.99):.1f} "
            f"| {statistics.fmean(self.size) / 1024:.0f} | {max(self.size) / 1024:.0f} |"
        )


def day_paths(rng: random.Random, site_ids: list[int]) -> Iterator[tuple[str, str]]:
    """(kind, path) of day views: a random day from a week back to two months ahead, all
    spaces 4 times in 5, else one site."""
    today = datetime.now(UTC).date()
    while True:
        day = (today + timedelta(days=rng.randrange(-7, 61))).isoformat()
        if rng.random() < 0.8:
            yield "all", f"/workspaces?date={day}"
        else:
            yield "site", f"/workspaces?date={day}&site={rng.choice(site_ids)}"


def http_day_view(folder: Path, site_ids: list[int], args: argparse.Namespace) -> None:
    emails = [f"m{i}@bench.example" for i in range(args.members)]
    rng = random.Random(11)
    paths = day_paths(rng, site_ids)
    warm = {"all": Samples(), "site": Samples()}
    load_before = os.getloadavg()
    with mb.server_process(folder) as (port, proc):
        base = f"http://{mb.HOST}:{port}"
        clients = [
            mb.Client(mb.Target(port, mb.sign_in(base, email, PASSWORD), True), api=False)
            for email in emails
        ]
        for index in range(mb.WARMUP):
            clients[index % len(clients)].get(next(paths)[1])
        cpu_before, started = server_cpu_seconds(proc.pid), time.perf_counter()
        for index in range(args.http_samples):
            kind, path = next(paths)
            warm[kind].measure(clients[index % len(clients)], proc.pid, path)
        elapsed = time.perf_counter() - started
        stat_cpu = server_cpu_seconds(proc.pid) - cpu_before
        for client in clients:
            client.close()
    cold = {"first": Samples(), "next": Samples()}
    for restart in range(args.cold_restarts):
        with mb.server_process(folder) as (port, proc):
            credentials = mb.sign_in(
                f"http://{mb.HOST}:{port}", emails[restart % len(emails)], PASSWORD
            )
            with mb.Client(mb.Target(port, credentials, True), api=False) as client:
                for index in range(args.cold_requests):
                    cold["first" if index == 0 else "next"].measure(
                        client, proc.pid, next(paths)[1]
                    )
    load_after = os.getloadavg()
    print(
        f"\nDay view over HTTP: {args.http_samples} requests in sequence, {len(emails)} members, "
        f"days from a week back to two months ahead; load average {load_before[0]:.1f} / "
        f"{load_before[1]:.1f} before, {load_after[0]:.1f} / {load_after[1]:.1f} after "
        f"({os.cpu_count()} CPUs). Server CPU from /proc/<pid>/stat over the warm requests: "
        f"{stat_cpu * 1000 / args.http_samples:.1f} ms per request (mean), "
        f"{args.http_samples / elapsed:.0f} req/s.\n"
    )
    print(
        "| Requests | n | CPU p50 ms | CPU p99 ms | wall p50 ms | wall p99 ms "
        "| KiB mean | KiB max |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    print(warm["all"].line("warm, all 200 spaces"))
    print(warm["site"].line("warm, one site"))
    if cold["first"].wall:
        print(cold["first"].line(f"cold: 1st request after a restart (×{args.cold_restarts})"))
    if cold["next"].wall:
        print(cold["next"].line(f"cold: requests 2–{args.cold_requests} after a restart"))


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
    parser.add_argument(
        "--only",
        default="availability,http,race",
        help="comma-separated parts to run among availability, http and race (default: all)",
    )
    parser.add_argument("--no-race", action="store_true", help="same as --only availability")
    parser.add_argument("--http-samples", type=int, default=2500)
    parser.add_argument("--members", type=int, default=8, help="members signed in (http)")
    parser.add_argument("--cold-restarts", type=int, default=20)
    parser.add_argument("--cold-requests", type=int, default=5)
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
        parts = {"availability"} if args.no_race else set(args.only.split(","))
        if "availability" in parts:
            time_availability(app, space_ids, first, args.samples)
        if "http" in parts:
            http_day_view(folder, site_ids(app), args)
        if "race" in parts:
            race(app, env, space_ids, args.clients, args.seconds)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
