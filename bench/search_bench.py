"""Benchmark skills, find collaborators and search at network scale (issue 3).

1. Builds (or reuses, with `--data-dir`) a cooperative of `--members` members with ~5 skills
   each, as `bench/members_bench.py` does.
2. Index: rebuilds the search index from the database, plus generated French notes up to
   `--documents` documents in all (300,000 by default), and reports the build time,
   documents per second and index size.
3. Search latency (p50/p99), in process, through the same function as the page and the API
   (`network.search.queries.search`, permissions re-checked): one term, two terms, a prefix
   as typed, and a find-collaborators query (`find_collaborators`), each with varied inputs.
4. Directory throughput: `python -m network` serving the members directory filtered by a
   skill (`/members?skill=…`, with facets) and a trivial authenticated page (`/ping`),
   `--clients` concurrent clients each; the ratio isolates the directory's own cost.

Run from the project root:

    .venv/bin/python bench/search_bench.py --members 20000 --documents 300000
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

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


def notes(count: int, seed: int = 7):
    """Generated notes (title + 40 words) standing for posts and messages of later modules."""
    from network.core.registries import MEMBERS, Document

    rng = random.Random(seed)
    words, weights = vocabulary()
    for number in range(1, count + 1):
        text = rng.choices(words, weights=weights, k=46)
        yield Document("note", number, MEMBERS, " ".join(text[:6]), body=" ".join(text[6:]))


def register_notes() -> None:
    """Notes are visible to every member; loading one is free (they live only in the index)."""
    from network.core.registries import SearchKind
    from network.core.registries import register_search_kind as register_kind

    register_kind(
        SearchKind(
            "note",
            "Notes",
            lambda ids: iter(()),
            lambda: [],
            lambda ids: {i: i for i in ids},
            lambda viewer, obj: True,
            lambda obj: "/",
        )
    )


def build_index(app, total: int) -> dict[str, float]:
    from network.search.indexing import all_documents, backend

    with app.app_context():
        real = list(all_documents())
        start = time.perf_counter()
        with backend().rebuilding():
            count = backend().rebuild(iter(real + list(notes(max(0, total - len(real))))))
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in backend().folder.iterdir())
    return {
        "documents": count,
        "seconds": seconds,
        "per_second": count / seconds,
        "megabytes": size / 1e6,
        "real": len(real),
    }


def load() -> str:
    """The 1, 5 and 15-minute load averages (the machine may be busy with other work)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


CPU_TIMES: dict[int, list[float]] = {}  # id(wall-clock list) → CPU times, in the same order


def timed(call, inputs: list) -> list[float]:
    """Wall-clock milliseconds of each call; its CPU milliseconds go to `CPU_TIMES` (less
    disturbed when other work shares the machine)."""
    latencies, cpu = [], []
    for item in inputs:
        start, start_cpu = time.perf_counter(), time.thread_time()
        call(item)
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    CPU_TIMES[id(latencies)] = cpu
    return latencies


def search_latencies(app, count: int, parts: set[str]) -> dict[str, list[float]]:
    from sqlalchemy import select

    from network.extensions import db
    from network.members.models import Member
    from network.search.queries import search
    from network.skills.collaborators import find_collaborators
    from network.skills.models import Skill

    rng = random.Random(11)
    with app.test_request_context():
        viewer = db.session.scalar(select(Member).where(Member.email == mb.LOGIN_EMAIL))
        skill_names = list(db.session.scalars(select(Skill.name_fr)))
        vocab, _weights = vocabulary()
        # What people type: content words (the most frequent ones play the part of the
        # function words a real text has, which the French analyser drops as stop words).
        words = [w for w in vocab[200:3000] if len(w) > 4]
        cases = {
            "one term": [rng.choice(words) for _ in range(count)],
            "two terms": [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(count)],
            "prefix (as typed)": [rng.choice(words)[: rng.randint(3, 5)] for _ in range(count)],
        }
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
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) this data folder")
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="search the index already in --data-dir instead of rebuilding it",
    )
    parser.add_argument(
        "--only",
        choices=["index", "search", "collaborators", "directory"],
        action="append",
        help="run only these parts (repeatable); all by default",
    )
    args = parser.parse_args(argv)
    parts = set(args.only or ["index", "search", "collaborators", "directory"])
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="terreau-search-bench-"))
    try:
        mb.prepare_data(data_dir, args.members)
        from network import create_app

        register_notes()
        app = create_app(DATA_DIR=str(data_dir))
        with app.app_context():  # a reused database may predate the latest migrations
            from flask_migrate import upgrade

            upgrade()
        print(f"Load average: {load()}", flush=True)
        if "index" in parts and not (args.reuse_index and args.data_dir):
            print(f"Indexing up to {args.documents} documents…", flush=True)
            built = build_index(app, args.documents)
            print(
                f"  {built['documents']:.0f} documents ({built['real']:.0f} from the database) "
                f"in {built['seconds']:.1f} s: {built['per_second']:.0f} documents/s, "
                f"{built['megabytes']:.0f} MB (load average {load()})",
                flush=True,
            )
        if parts & {"search", "collaborators"}:
            print(f"Search latency ({args.queries} varied queries each, ms):", flush=True)
            for label, values in search_latencies(app, args.queries, parts).items():
                cpu = CPU_TIMES[id(values)]
                print(
                    f"  {label:<20} p50 {statistics.median(values):7.1f}   "
                    f"p99 {percentile(values, 0.99):7.1f}   max {max(values):7.1f}   "
                    f"(CPU p50 {statistics.median(cpu):6.1f}   p99 {percentile(cpu, 0.99):6.1f})",
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
