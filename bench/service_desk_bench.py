"""Benchmark the service desk at network scale (issue 14).

Builds once, in a SQLite database (`--data-dir` keeps it for other runs): `--members` (5,000)
members as `members_bench` makes them, a staff member and a bench member who sign in,
`--services` (200) services and `--requests` (50,000) requests over the last two years
(Core inserts: most resolved or closed with their first-answer and resolution times and a
satisfaction mark, about 3 % still open, some overdue), `--mine` (60) of them the bench
member's.

Each run then starts `python -m network` (gevent, one process) and measures, over HTTP:

1. sequential requests (`--samples` each, kept-alive): latency p50 / p99 and the server's
   CPU per request (on-CPU time of its threads, `/proc/<pid>/task/*/schedstat`) for `/ping`,
   the staff queue page `/services/desk` (and filtered: a service, overdue, mine), the queue
   API `/api/v1/requests`, the dashboard over two years
   `/services/desk/dashboard?weeks=104` (and 26 weeks), and the member's list
   (`/services/requests`, `/api/v1/requests`);
2. throughput with `--clients` (8) concurrent clients, `--rounds` rounds in turns, of the
   queue page and API against `/ping` (target ≥ 1/3 of `/ping`), with server CPU per request.

Targets: queue page and API p99 < 60 ms, dashboard p99 < 200 ms. It is not a test: it
prints figures.

Run from the project root (2 shared cores: under the benchmarks' lock):

    flock /tmp/bench.lock .venv/bin/python bench/service_desk_bench.py --data-dir /tmp/deskbench
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this tree's `network`

import governance_bench as gb  # noqa: E402
import members_bench as mb  # noqa: E402

TEAMS = ("accounting", "payroll", "legal", "support", "training", "treasury", "other")


def add_working_days(start: date, count: int) -> date:
    day = start
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def build(data_dir: Path, args) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from network import create_app
    from network.cooperative.settings import load_cooperative
    from network.extensions import db
    from network.members.models import Member
    from network.members.operations import create_member
    from network.services.desk.models import Service, ServiceRequest

    app = create_app()
    with app.app_context():
        upgrade()
        load_cooperative()
        me = create_member(
            email=mb.LOGIN_EMAIL,
            display_name="Camille Bench",
            status="associate",
            password=mb.LOGIN_PASSWORD,
        )
        staff = create_member(
            email=mb.STAFF_EMAIL,
            display_name="Équipe Bench",
            status="associate",
            role="staff",
            password=mb.LOGIN_PASSWORD,
        )
        mb.insert_rows(db, Member, mb.member_rows(args.members))
        db.session.commit()
        members = list(db.session.scalars(select(Member.id).where(Member.role == "member")))
        team = [staff.id]
        for n in range(6):
            team.append(
                create_member(
                    email=f"staff{n}@bench.terreau.example",
                    display_name=f"Appui {n}",
                    status="associate",
                    role="staff",
                ).id
            )
        rng = random.Random(14)
        db.session.execute(
            insert(Service),
            [
                {
                    "name_fr": f"Service {n:03d}",
                    "name_en": f"Service {n:03d}",
                    "description_fr": "Un service de la coopérative.",
                    "description_en": "A service of the cooperative.",
                    "team": TEAMS[n % len(TEAMS)],
                    "response_days": rng.choice((1, 2, 3, 5)),
                    "fields": [{"key": "f1", "kind": "text", "label_fr": "Détail"}],
                    "position": n + 1,
                    "is_hidden": False,
                    "created_at": datetime.now(UTC) - timedelta(days=800),
                }
                for n in range(args.services)
            ],
        )
        db.session.commit()
        services = dict(db.session.execute(select(Service.id, Service.response_days)).all())
        ids = list(services)
        now = datetime.now(UTC)
        rows = []
        for n in range(args.requests):
            opened_at = now - timedelta(minutes=rng.randint(0, 730 * 24 * 60))
            age_days = (now - opened_at).days
            service_id = rng.choice(ids)
            opened_on = opened_at.date()
            member_id = me.id if n < args.mine else rng.choice(members)
            row = {
                "service_id": service_id,
                "member_id": member_id,
                "client_id": f"b{n}",
                "subject": f"Question {n} sur ma facture",
                "answers": {"f1": "détail"},
                "opened_at": opened_at,
                "opened_on": opened_on,
                "due_on": add_working_days(opened_on, services[service_id]),
                "updated_at": opened_at,
                "message_count": 2,
                "satisfaction_comment": "",
                "assignee_id": rng.choice(team) if rng.random() < 0.8 else None,
            }
            still_open = age_days < 40 and rng.random() < 0.6 or rng.random() < 0.005
            answered = not still_open or rng.random() < 0.6
            if answered:
                first = rng.randint(30, 4 * 24 * 60)
                row["first_answer_at"] = opened_at + timedelta(minutes=first)
                row["first_answer_minutes"] = first
            if still_open:
                row["state"] = rng.choice(("new", "in_progress", "waiting_member"))
                row["is_open"] = True
                if row["state"] != "new" and not answered:
                    row["state"] = "new"
            else:
                spent = rng.randint(2 * 60, 20 * 24 * 60)
                resolved_at = opened_at + timedelta(minutes=spent)
                row.update(
                    state="closed" if rng.random() < 0.9 else "resolved",
                    is_open=False,
                    resolved_at=resolved_at,
                    resolved_on=resolved_at.date(),
                    resolution_minutes=spent,
                    closed_at=resolved_at + timedelta(days=2),
                    satisfaction=rng.choice((None, 3, 4, 4, 5, 5)),
                )
            rows.append(row)
        keys = set().union(*(r.keys() for r in rows))
        for row in rows:
            for key in keys:
                row.setdefault(key, None)
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(ServiceRequest), rows[start : start + 5000])
        db.session.commit()
        db.session.remove()


def counts(data_dir: Path) -> str:
    import sqlite3

    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        total, opened = con.execute(
            "SELECT count(*), sum(is_open) FROM service_requests"
        ).fetchone()
        services = con.execute("SELECT count(*) FROM services").fetchone()[0]
        overdue = con.execute(
            "SELECT count(*) FROM service_requests WHERE is_open = 1 AND due_on < date('now')"
            " AND first_answer_at IS NULL"
        ).fetchone()[0]
    return f"{services} services, {total:,} requests ({opened:,} open, {overdue:,} overdue)"


def sequential(
    port: int, pid: int, headers: dict, paths: list[tuple[str, str]], n: int
) -> list[str]:
    lines = []
    client = gb.Http(port, headers)
    try:
        for label, path in paths:
            for _ in range(mb.WARMUP):
                client.get(path)
            samples = gb.Samples()
            for _ in range(n):
                samples.measure(client, pid, path)
            lines.append(samples.row(label))
    finally:
        client.close()
    return lines


def throughput(port: int, pid: int, credentials, args) -> list[str]:
    target = mb.Target(port, credentials, keep_alive=True)
    scenarios = [
        mb.Scenario("/ping", "/ping", api=False),
        mb.Scenario("queue page", "/services/desk", api=False),
        mb.Scenario("queue API", "/api/v1/requests", api=True),
    ]
    rates: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for round_ in range(args.rounds):
        for scenario in scenarios:
            print(
                f"  throughput {scenario.label}, round {round_ + 1} (load {gb.load()})", flush=True
            )
            used = gb.server_cpu_ns(pid)
            rate = mb.concurrent(target, scenario, args.clients, args.concurrent)
            rates.setdefault(scenario.label, []).append(rate)
            cpu.setdefault(scenario.label, []).append(
                (gb.server_cpu_ns(pid) - used) / 1e6 / args.concurrent
            )
    lines = [
        f"\nThroughput, {args.clients} concurrent clients, {args.concurrent} requests per round "
        f"and kind, {args.rounds} rounds in turns:",
        "| Request | req/s per round | req/s median | ÷ /ping (median) | server CPU ms/req "
        "(median) | /ping CPU ÷ its CPU |\n|---|---|--:|--:|--:|--:|",
    ]
    for scenario in scenarios:
        label = scenario.label
        ratios = [r / p for r, p in zip(rates[label], rates["/ping"], strict=True)]
        cpu_ratio = statistics.median(cpu["/ping"]) / statistics.median(cpu[label])
        lines.append(
            f"| {label} | {', '.join(f'{r:.0f}' for r in rates[label])}"
            f" | {statistics.median(rates[label]):.0f} | {statistics.median(ratios):.2f}"
            f" | {statistics.median(cpu[label]):.2f} | {cpu_ratio:.2f} |"
        )
    return lines


def first_service(data_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        return con.execute("SELECT min(id) FROM services").fetchone()[0]


def run(args, data_dir: Path) -> None:
    from flask_migrate import upgrade

    from network import create_app

    if not (data_dir / mb.DB_FILE).exists():
        started = time.perf_counter()
        print(f"Building in {data_dir} …", flush=True)
        build(data_dir, args)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        print(f"Reusing the database in {data_dir}", flush=True)
        with create_app().app_context():
            upgrade()
    print("Rows: " + counts(data_dir), flush=True)
    service = first_service(data_dir)
    report = []
    with mb.server_process(data_dir) as (port, proc):
        base = f"http://{mb.HOST}:{port}"
        print(f"Server up on port {port} (load {gb.load()})", flush=True)
        staff = mb.sign_in(base, mb.STAFF_EMAIL, mb.LOGIN_PASSWORD)
        member = mb.sign_in(base)
        report.append(
            f"Sequential, kept-alive, {args.samples} requests each after {mb.WARMUP} warm-up:\n"
            + gb.SAMPLE_HEAD
        )
        staff_pages = [
            ("/ping", "/ping"),
            ("queue page", "/services/desk"),
            ("queue page, one service", f"/services/desk?service={service}"),
            ("queue page, overdue", "/services/desk?overdue=1"),
            ("queue page, mine", "/services/desk?assignee=me"),
            ("dashboard, 104 weeks", "/services/desk/dashboard?weeks=104"),
            ("dashboard, 26 weeks", "/services/desk/dashboard?weeks=26"),
        ]
        report[-1] = report[-1].replace("\n", f" (dashboard cache {args.dashboard_cache} s)\n", 1)
        if "staff" in args.only:
            print(f"  sequential, staff pages (load {gb.load()})", flush=True)
            report += sequential(port, proc.pid, gb.cookie_header(staff), staff_pages, args.samples)
        if "api" in args.only:
            print(f"  sequential, API (load {gb.load()})", flush=True)
            report += sequential(
                port,
                proc.pid,
                gb.bearer(staff.token),
                [
                    ("queue API", "/api/v1/requests"),
                    ("queue API, overdue", "/api/v1/requests?overdue=1"),
                ],
                args.samples,
            )
        if "member" in args.only:
            print(f"  sequential, member (load {gb.load()})", flush=True)
            report += sequential(
                port,
                proc.pid,
                gb.cookie_header(member),
                [("member's requests page", "/services/requests")],
                args.samples,
            )
            report += sequential(
                port,
                proc.pid,
                gb.bearer(member.token),
                [("member's requests API", "/api/v1/requests")],
                args.samples,
            )
        if "throughput" in args.only:
            report += throughput(port, proc.pid, staff, args)
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average now {gb.load()}\n")
    print("\n".join(report))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--mine", type=int, default=60, help="the bench member's requests")
    parser.add_argument("--samples", type=int, default=500, help="sequential, per request")
    parser.add_argument("--concurrent", type=int, default=1000, help="per round and kind")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--dashboard-cache",
        type=int,
        default=0,
        help="the server's DESK_DASHBOARD_CACHE_SECONDS (default 0: every dashboard is computed)",
    )
    parser.add_argument(
        "--only",
        default="staff,api,member,throughput",
        type=lambda s: set(s.split(",")),
        help="phases: staff,api,member,throughput",
    )
    parser.add_argument("--data-dir", type=Path, help="kept; an existing database is reused")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    def start(args: argparse.Namespace, data_dir: Path) -> None:
        os.environ["TERREAU_DATA_DIR"] = str(data_dir)  # before anything imports the config
        os.environ["TERREAU_DESK_DASHBOARD_CACHE_SECONDS"] = str(args.dashboard_cache)
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {gb.load()}", flush=True)
        run(args, data_dir)

    mb.in_data_dir(parse_args(argv), "terreau-desk-bench-", start)


if __name__ == "__main__":
    main()
