"""Benchmark money requests at the scale of a large cooperative.

Builds `--members` members (500), a committee of 5, and `--requests` money requests (5,000)
with 24 monthly instalments each, in SQLite in a temporary folder or in the PostgreSQL
database of `--database-url` (its schema is dropped first): 3 in 5 approved and partly repaid,
the rest under review, refused or repaid. Then, in process (Flask's test client, no HTTP):

- `queries.outstanding_by_month()`, the sums behind the support team's chart (p50 / p99);
- the pages: the staff overview (chart, table, the list being repaid), the committee's review
  list and a request's page; the API's list for the committee and one request (p50 / p99);
- submitting: `--submits` requests (200) one after the other through the API, each with its
  schedule of 24 instalments (requests per second).

It is not a test: it prints figures. Run from the project root:

    .venv/bin/python bench/money_bench.py
    .venv/bin/python bench/money_bench.py --database-url postgresql://postgres@127.0.0.1:5432/terreau_money_bench
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

PASSWORD = "bench-password-2026"


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--profile", default="", help="cProfile this page (a path) and stop")
    return parser.parse_args()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _timed(run, samples: int) -> tuple[float, float]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def _build(app, args: argparse.Namespace) -> dict:
    from flask_migrate import upgrade

    from network.cooperative import cooperative_today
    from network.core.models import utcnow
    from network.core.money import Money
    from network.extensions import db
    from network.members import operations as members
    from network.members.models import Member
    from network.services.money.models import (
        CommitteeMember,
        Instalment,
        MoneyRequest,
        Repayment,
        RequestState,
        Schedule,
    )

    rng = random.Random(7)
    with app.test_request_context():
        upgrade()
        staff = members.create_member(
            email="staff@bench.example",
            display_name="Bench staff",
            status="associate",
            role="staff",
            password=PASSWORD,
        )
        members.create_member(
            email="asker@bench.example",
            display_name="Bench asker",
            status="employee_entrepreneur",
            role="member",
            password=PASSWORD,
        )
        reviewer = members.create_member(
            email="reviewer@bench.example",
            display_name="Bench reviewer",
            status="associate",
            role="member",
            password=PASSWORD,
        )
        db.session.flush()
        rows = [
            {
                "email": f"m{n}@bench.example",
                "display_name": f"Membre {n}",
                "name_key": f"membre {n}",
                "status": rng.choice(["support_contract", "employee_entrepreneur", "associate"]),
            }
            for n in range(args.members)
        ]
        db.session.execute(insert(Member), rows)
        ids = list(db.session.scalars(select(Member.id).where(Member.email.like("m%@bench%"))))
        db.session.add(CommitteeMember(member_id=reviewer.id, added_by_id=staff.id))
        for member_id in ids[:4]:
            db.session.add(CommitteeMember(member_id=member_id, added_by_id=staff.id))
        today = cooperative_today()
        states = [RequestState.APPROVED] * 3 + [
            RequestState.UNDER_REVIEW,
            RequestState.REFUSED,
        ]
        requests_rows, instalments, repayments = [], [], []
        for n in range(1, args.requests + 1):
            amount = Money(rng.randint(200, 8000) * 100)
            state = rng.choice(states) if n % 10 else RequestState.REPAID
            approved = state in (RequestState.APPROVED, RequestState.REPAID)
            first = today.replace(day=5) + timedelta(days=31 * rng.randint(-20, 1))
            plan = amount.allocate(24)
            paid = 0
            if state == RequestState.REPAID:
                paid = amount.cents
            elif approved:
                paid = sum(p.cents for p in plan[: rng.randint(0, 23)])
            requests_rows.append(
                {
                    "id": n,
                    "requester_id": rng.choice(ids),
                    "client_id": f"bench-{n}",
                    "kind": rng.choice(["advance", "loan"]),
                    "amount": amount,
                    "purpose": "Trésorerie en attendant le paiement d'un client.",
                    "state": state,
                    "approved_amount": amount if approved else None,
                    "decision_reason": "",
                    "repaid": Money(paid),
                    "decided_at": utcnow() if state != RequestState.UNDER_REVIEW else None,
                }
            )
            for which in (Schedule.PROPOSED, Schedule.AGREED) if approved else (Schedule.PROPOSED,):
                for k, part in enumerate(plan):
                    instalments.append(
                        {
                            "request_id": n,
                            "schedule": which,
                            "number": k + 1,
                            "due_on": first + timedelta(days=30 * k),
                            "amount": part,
                        }
                    )
            if paid:
                repayments.append(
                    {
                        "request_id": n,
                        "amount": Money(paid),
                        "paid_on": today,
                        "note": "",
                        "recorded_by_id": staff.id,
                    }
                )
        db.session.execute(insert(MoneyRequest), requests_rows)
        for start in range(0, len(instalments), 20_000):
            db.session.execute(insert(Instalment), instalments[start : start + 20_000])
        db.session.execute(insert(Repayment), repayments)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                text("SELECT setval('money_requests_id_seq', (SELECT max(id) FROM money_requests))")
            )
        db.session.commit()
        return {"staff": staff.email, "reviewer": reviewer.email, "instalments": len(instalments)}


def _login(app, email: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    answer = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    return client, token


def main() -> None:
    args = _args()
    folder = tempfile.mkdtemp(prefix="money-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    if args.database_url:
        _reset_postgres(url)
    os.environ.setdefault("TERREAU_DATA_DIR", folder)
    from config import TestingConfig
    from network import create_app

    app = create_app(
        TestingConfig,
        DATA_DIR=folder,
        SQLALCHEMY_DATABASE_URI=url,
        RATELIMIT_ENABLED=False,
        WTF_CSRF_ENABLED=True,
    )
    start = time.perf_counter()
    built = _build(app, args)
    print(
        f"backend {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: {args.requests} "
        f"requests, {built['instalments']} instalments, {args.members} members "
        f"(built in {time.perf_counter() - start:.1f} s)"
    )
    from network.services.money import queries

    with app.test_request_context():
        p50, p99 = _timed(queries.outstanding_by_month, args.samples)
        months = len(queries.outstanding_by_month())
    print(f"outstanding_by_month ({months} months): p50 {p50:.1f} ms, p99 {p99:.1f} ms")

    staff, _token = _login(app, built["staff"])
    reviewer, _token = _login(app, built["reviewer"])
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(lambda: [reviewer.get(args.profile) for _ in range(3)])
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        return
    some = random.Random(3).sample(range(1, args.requests + 1), args.samples)
    pages = {
        "staff overview /money/overview": (staff, lambda: "/money/overview"),
        "committee review /money/review": (reviewer, lambda: "/money/review"),
        "a request /money/<id>": (reviewer, lambda: f"/money/{some[len(some) // 2]}"),
        "API list /api/v1/money-requests": (reviewer, lambda: "/api/v1/money-requests"),
        "API one /api/v1/money-requests/<id>": (
            reviewer,
            lambda: f"/api/v1/money-requests/{random.choice(some)}",
        ),
    }
    for name, (client, path) in pages.items():

        def fetch(client=client, path=path) -> None:
            answer = client.get(path())
            assert answer.status_code == 200, answer.status_code

        p50, p99 = _timed(fetch, args.samples)
        print(f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")

    member, token = _login(app, "asker@bench.example")
    start = time.perf_counter()
    for n in range(args.submits):
        answer = member.post(
            "/api/v1/money-requests",
            json={
                "kind": "loan",
                "amount": "2 400,00",
                "purpose": "Banc d'essai",
                "months": 24,
                "client_id": f"submit-{n}",
            },
            headers={"X-CSRFToken": token},
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
    elapsed = time.perf_counter() - start
    print(
        f"submit with 24 instalments: {args.submits} in {elapsed:.2f} s, "
        f"{args.submits / elapsed:.0f} requests/s"
    )


if __name__ == "__main__":
    main()
