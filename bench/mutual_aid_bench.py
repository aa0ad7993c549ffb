"""Benchmark mutual aid at network scale (issue 15).

Builds once, in a SQLite database (`--data-dir` keeps it for other runs), the cooperative of
`members_bench` (`--members`, 20,000, with the demo skills taxonomy), then with Core inserts:

- `--entries` (10,000) ledger entries of the bench member (Camille Bench), each with its
  counterpart's opposite entry (so the ledger balances), and the balance rows;
- `--offers` (50,000) offers and needs by random members, 1–2 skills each, on site (30 %),
  remote (40 %) or in one of the bench cities (30 %), 85 % open and unexpired;
- `--endorsements` (30,000) endorsements of skills members hold, each on the ground of a
  collaboration row (one bench co-contract).

Then it starts `python -m network` (gevent, one process) and measures, with one client in
sequence on new connections (`--requests` each, after a warm-up), p50 / p95 / p99:

1. the ledger: `GET /api/v1/me/ledger` (balance and newest 50 entries), a page deep in the
   history (`before=` the cursor of entry ~5,000) and the page `/entraide/ledger`;
2. the offers list: `/api/v1/offers` filtered by skill, by place, by city, by skill and city,
   and the page `/entraide/?skill=…&place=remote`;
3. the directory with endorsement counts: `/members?skill=<id>` against `/ping`, throughput
   with `--clients` concurrent clients (best of two, in turns) and the server's CPU per
   request (as `collaborators_bench` measures it).

It is not a test: it prints figures. Run from the project root, under the benchmarks' lock:

    flock /tmp/bench.lock .venv/bin/python bench/mutual_aid_bench.py --data-dir /tmp/aidbench
"""

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this tree's `network`

import collaborators_bench as cb  # noqa: E402
import members_bench as mb  # noqa: E402

MARK = "aid-bench"  # the co-contract of the bench's collaborations
BENCH_CITIES = ["Lyon", "Saint-Étienne", "Grenoble", "Valence", "Villeurbanne", "Vienne"]


def build_mutual_aid(data_dir: Path, entries: int, offers: int, endorsements: int) -> None:
    os.environ["TERREAU_DATA_DIR"] = str(data_dir)
    from sqlalchemy import select

    from network import create_app
    from network.core.text import fold
    from network.extensions import db
    from network.members.models import Member
    from network.mutual_aid.models import (
        Balance,
        CoContract,
        Collaboration,
        Endorsement,
        LedgerEntry,
        Offer,
        OfferSkill,
    )
    from network.skills.models import MemberSkill

    rng = random.Random(15)
    app = create_app()
    with app.app_context():
        if db.session.scalar(select(CoContract.id).where(CoContract.client == MARK)):
            print("  mutual aid data already there", flush=True)
            return
        me = db.session.scalar(select(Member.id).where(Member.email == mb.LOGIN_EMAIL))
        ids = list(db.session.scalars(select(Member.id).where(Member.id != me)))
        skill_ids = sorted(set(db.session.scalars(select(MemberSkill.skill_id))))
        now = datetime.now(UTC)
        # the ledger: `entries` entries of the bench member, each with its counterpart's
        balances: dict[int, int] = {}
        rows = []
        for n in range(entries):
            other = rng.choice(ids)
            minutes = rng.choice((30, 45, 60, 90, 120, 180))
            sign = 1 if balances.get(me, 0) < 600 and rng.random() < 0.55 else -1
            moment = now - timedelta(minutes=(entries - n) * 37)
            for member_id, amount, counterpart in (
                (me, sign * minutes, other),
                (other, -sign * minutes, me),
            ):
                balances[member_id] = balances.get(member_id, 0) + amount
                rows.append(
                    {
                        "member_id": member_id,
                        "kind": "correction",
                        "minutes": amount,
                        "balance_after": balances[member_id],
                        "counterpart_id": counterpart,
                        "exchange_id": None,
                        "note": "bench",
                        "created_by_id": None,
                        "created_at": moment,
                    }
                )
        mb.insert_rows(db, LedgerEntry, rows)
        counts: dict[int, int] = {}
        for row in rows:
            counts[row["member_id"]] = counts.get(row["member_id"], 0) + 1
        mb.insert_rows(
            db,
            Balance,
            [{"member_id": m, "minutes": v, "entry_count": counts[m]} for m, v in balances.items()],
        )
        print(f"  ledger: {len(rows):,} entries ({entries:,} of the bench member)", flush=True)
        # offers and needs
        today = datetime.now(UTC).date()
        offer_rows = []
        for n in range(offers):
            place = rng.choices(("on_site", "remote", "city"), weights=(3, 4, 3))[0]
            city = rng.choice(BENCH_CITIES) if place == "city" else ""
            is_open = rng.random() < 0.85
            offer_rows.append(
                {
                    "kind": rng.choice(("offer", "offer", "need")),
                    "state": "open" if is_open else "closed",
                    "author_id": rng.choice(ids),
                    "title": f"Coup de main n°{n}",
                    "body": "",
                    "place": place,
                    "city": city,
                    "city_key": fold(city),
                    "estimate_minutes": rng.choice((30, 60, 120)),
                    "expires_on": today + timedelta(days=rng.randint(-20, 60) if is_open else -5),
                    "response_count": 0,
                    "created_at": now - timedelta(minutes=(offers - n) * 3),
                    "updated_at": now,
                }
            )
        mb.insert_rows(db, Offer, offer_rows)
        offer_ids = list(db.session.scalars(select(Offer.id)))
        mb.insert_rows(
            db,
            OfferSkill,
            (
                {"offer_id": o, "skill_id": s}
                for o in offer_ids
                for s in rng.sample(skill_ids, rng.choice((1, 1, 2)))
            ),
        )
        print(f"  offers: {len(offer_ids):,}", flush=True)
        # endorsements, each on the ground of a collaboration (a bench co-contract)
        cocontract = CoContract(
            kind="co_contracting",
            client=MARK,
            lead_id=me,
            total_cents=100,
            starts_on=today,
            ends_on=today,
            declared_by_id=me,
        )
        db.session.add(cocontract)
        db.session.flush()
        held = db.session.execute(select(MemberSkill.member_id, MemberSkill.skill_id)).all()
        chosen = rng.sample(held, min(endorsements, len(held)))
        pairs, seen = [], set()
        for member_id, skill_id in chosen:
            endorser = rng.choice(ids)
            if endorser == member_id or (endorser, member_id, skill_id) in seen:
                continue
            seen.add((endorser, member_id, skill_id))
            pairs.append((endorser, member_id, skill_id))
        mb.insert_rows(
            db,
            Collaboration,
            (
                {
                    "member_a_id": min(a, b),
                    "member_b_id": max(a, b),
                    "cocontract_id": cocontract.id,
                    "exchange_id": None,
                    "created_at": now,
                }
                for a, b, _s in pairs
            ),
        )
        collab_ids = list(db.session.scalars(select(Collaboration.id).order_by(Collaboration.id)))
        mb.insert_rows(
            db,
            Endorsement,
            (
                {
                    "endorser_id": a,
                    "member_id": b,
                    "skill_id": s,
                    "collaboration_id": c,
                    "comment": "",
                    "created_at": now,
                }
                for (a, b, s), c in zip(pairs, collab_ids, strict=True)
            ),
        )
        db.session.commit()
        print(f"  endorsements: {len(pairs):,}", flush=True)
    with sqlite3.connect(data_dir / mb.DB_FILE) as connection:
        connection.execute("ANALYZE")


def report(label: str, values: list[float], size: int | None = None) -> str:
    kib = f" ({size / 1024:.1f} KiB)" if size else ""
    return (
        f"{label}{kib}: p50 {statistics.median(values):.1f} ms, "
        f"p95 {mb.percentile(values, 0.95):.1f} ms, p99 {mb.percentile(values, 0.99):.1f} ms, "
        f"max {max(values):.1f} ms"
    )


def deep_ledger_cursor(data_dir: Path) -> str:
    from network.core.pagination import encode_cursor

    with sqlite3.connect(data_dir / mb.DB_FILE) as connection:
        me = connection.execute(
            "SELECT id FROM members WHERE email = ?", (mb.LOGIN_EMAIL,)
        ).fetchone()[0]
        ids = [
            r[0]
            for r in connection.execute(
                "SELECT id FROM aid_ledger_entries WHERE member_id = ? ORDER BY id", (me,)
            )
        ]
    return encode_cursor([ids[len(ids) // 2]])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=50_000)
    parser.add_argument("--endorsements", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=300, help="sequential requests each")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--throughput-requests", type=int, default=1000)
    parser.add_argument("--skill", type=int, default=1, help="skill id of the filters")
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) this data folder")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="terreau-aid-bench-"))
    try:
        members = mb.prepare_data(data_dir, args.members)
        start = time.perf_counter()
        build_mutual_aid(data_dir, args.entries, args.offers, args.endorsements)
        print(f"  mutual aid data ready in {time.perf_counter() - start:.1f} s", flush=True)
        print(f"Members: {members:,}; load average {os.getloadavg()[0]:.2f}", flush=True)
        cursor = deep_ledger_cursor(data_dir)
        skill = args.skill
        scenarios = [
            mb.Scenario("ledger API, balance + newest 50", "/api/v1/me/ledger", True),
            mb.Scenario(
                "ledger API, a page in the middle", f"/api/v1/me/ledger?before={cursor}", True
            ),
            mb.Scenario("ledger page /entraide/ledger", "/entraide/ledger", False),
            mb.Scenario("offers API, all open", "/api/v1/offers", True),
            mb.Scenario("offers API, skill", f"/api/v1/offers?skill={skill}", True),
            mb.Scenario("offers API, place=remote", "/api/v1/offers?place=remote", True),
            mb.Scenario("offers API, city=Vienne", "/api/v1/offers?city=Vienne", True),
            mb.Scenario(
                "offers API, skill + city", f"/api/v1/offers?skill={skill}&city=Lyon", True
            ),
            mb.Scenario(
                "offers API, need + skill + on site",
                f"/api/v1/offers?kind=need&skill={skill}&place=on_site",
                True,
            ),
            mb.Scenario(
                "offers page, skill + remote", f"/entraide/?skill={skill}&place=remote", False
            ),
        ]
        with mb.running_server(data_dir) as port:
            target = mb.Target(port, mb.sign_in(f"http://{mb.HOST}:{port}"), keep_alive=False)
            for scenario in scenarios:
                mb.sequential(target, scenario, mb.WARMUP)
                values, size = mb.sequential(target, scenario, args.requests)
                print(report(f"{scenario.label} {scenario.path}", values, size), flush=True)
        path = f"/members?skill={skill}"
        found = cb.directory(data_dir, path, args.clients, args.throughput_requests, args.requests)
        print(report(f"Directory with endorsements {path}", found["latencies"], found["size"]))
        rates, cpu = found["rates"], found["cpu_ms"]
        print(
            f"Throughput ({args.clients} clients, best of 2): {path} "
            f"{rates['directory']:.0f} req/s; /ping {rates['trivial']:.0f} req/s; "
            f"ratio {rates['directory'] / rates['trivial']:.2f}"
        )
        print(
            f"Server CPU per request: {path} {cpu['directory']:.2f} ms; /ping "
            f"{cpu['trivial']:.2f} ms; ratio {cpu['trivial'] / cpu['directory']:.2f}"
        )
        print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
