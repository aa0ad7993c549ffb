"""Benchmark find collaborators and the skills directory at network scale (issue 3).

Builds (or reuses, with `--data-dir`) the cooperative of `bench/members_bench.py` (20,000
members with ~5 skills each by default), then measures:

1. Find collaborators latency (p50/p95/p99), in process, through the function the page and
   the API call (`network.skills.collaborators.find_collaborators`), over `--needs` varied
   needs as `bench/search_bench.py` makes them: 1–3 skills, 2 free-text words, a postcode
   (or none). `--profile` prints where the time goes (cProfile, cumulative).
2. Directory throughput: `python -m network` serving `/members?skill=<id>` and the trivial
   authenticated `/ping`, `--clients` concurrent clients each, one connection per request;
   the ratio isolates the directory's own cost. Also its sequential latency.

Run from the project root:

    .venv/bin/python bench/collaborators_bench.py --data-dir /tmp/mb20k
"""

import argparse
import cProfile
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import members_bench as mb  # noqa: E402
from search_bench import vocabulary  # noqa: E402


def needs(count: int, skill_names: list[str], seed: int = 11) -> list[dict]:
    """Varied needs, as `search_bench.search_latencies` makes them."""
    rng = random.Random(seed)
    vocab, _weights = vocabulary()
    words = [w for w in vocab[200:3000] if len(w) > 4]
    return [
        {
            "skills": rng.sample(skill_names, rng.randint(1, 3)),
            "text": " ".join(rng.sample(words, 2)),
            "postcode": rng.choice(["69003", "38000", "42000", "74000", ""]),
        }
        for _ in range(count)
    ]


def collaborators_latencies(
    data_dir: Path, count: int, profile: bool
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each need (CPU time: what the call itself used,
    whatever else runs on the machine)."""
    os.environ["TERREAU_DATA_DIR"] = str(data_dir)
    from sqlalchemy import select

    from network import create_app
    from network.extensions import db
    from network.members.models import Member
    from network.skills.collaborators import find_collaborators
    from network.skills.models import Skill

    app = create_app(DATA_DIR=str(data_dir))
    latencies, cpu = [], []
    with app.test_request_context():
        viewer = db.session.scalar(select(Member).where(Member.email == mb.LOGIN_EMAIL))
        cases = needs(count, sorted(db.session.scalars(select(Skill.name_fr))))
        for need in cases[:10]:  # warm-up
            find_collaborators(viewer, **need)
        profiler = cProfile.Profile() if profile else None
        for need in cases:
            if profiler:
                profiler.enable()
            start, start_cpu = time.perf_counter(), time.process_time()
            find_collaborators(viewer, **need)
            latencies.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            if profiler:
                profiler.disable()
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return latencies, cpu


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


def directory(data_dir: Path, path: str, clients: int, total: int, requests: int) -> dict:
    """Sequential latency of `path`, then throughput of `path` and `/ping` in turns (the best
    of two each: the machine is shared) with the server's CPU time per request, which other
    jobs on the machine disturb much less than the throughput."""
    with mb.running_server(data_dir) as port:
        target = mb.Target(port, mb.sign_in(f"http://{mb.HOST}:{port}"), keep_alive=False)
        page = mb.Scenario("directory", path, api=False)
        trivial = mb.Scenario("trivial", "/ping", api=False)
        latencies, size = mb.sequential(target, page, requests)
        mb.sequential(target, trivial, 10)
        rates: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for scenario in (page, trivial, page, trivial):  # alternate: load drifts
            before = server_cpu_seconds()
            rate = mb.concurrent(target, scenario, clients, total)
            used = (server_cpu_seconds() - before) / total * 1000
            rates[scenario.label] = max(rates.get(scenario.label, 0.0), rate)
            cpu[scenario.label] = min(cpu.get(scenario.label, float("inf")), used)
        return {"latencies": latencies, "size": size, "rates": rates, "cpu_ms": cpu}


def report(label: str, values: list[float]) -> str:
    return (
        f"{label}: p50 {statistics.median(values):.1f} ms, "
        f"p95 {mb.percentile(values, 0.95):.1f} ms, p99 {mb.percentile(values, 0.99):.1f} ms, "
        f"max {max(values):.1f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000, help="members to generate")
    parser.add_argument("--needs", type=int, default=200, help="find-collaborators needs")
    parser.add_argument("--profile", action="store_true", help="profile find collaborators")
    parser.add_argument("--skill", type=int, default=1, help="skill id of the directory filter")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=1000, help="requests per throughput run")
    parser.add_argument("--latency-requests", type=int, default=200, help="sequential requests")
    parser.add_argument("--skip", choices=("collaborators", "directory"), action="append")
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) this data folder")
    args = parser.parse_args(argv)
    skip = set(args.skip or ())
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="terreau-collab-bench-"))
    try:
        members = mb.prepare_data(data_dir, args.members)
        print(f"Members: {members:,}; load average {os.getloadavg()[0]:.2f}", flush=True)
        if "collaborators" not in skip:
            values, cpu = collaborators_latencies(data_dir, args.needs, args.profile)
            print(report(f"Find collaborators ({args.needs} varied needs)", values), flush=True)
            print(report("  CPU time of the same calls", cpu), flush=True)
        if "directory" not in skip:
            path = f"/members?skill={args.skill}"
            found = directory(data_dir, path, args.clients, args.requests, args.latency_requests)
            print(report(f"Directory {path} ({found['size'] / 1024:.1f} KiB)", found["latencies"]))
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
