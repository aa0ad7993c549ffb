"""Benchmark the feed at network scale (issue 5).

Builds, in a SQLite database in a temporary folder, a cooperative of `--members` members
(20,000 by default, with skills and the search index: `members_bench.build_database`), then
with bulk SQL inserts its feed:

- `--posts` posts (300,000) spread over three years, about 0.2 % of them official notices
  by the staff (acknowledged by ~150 members each; the two latest pinned), 1 in 3 tagged
  with one or two of 50 `#topics`, 1 % deleted and 0.2 % hidden by moderation (their feed
  items hidden), bodies rendered by the feed's own Markdown renderer;
- `--interactions` comments and reactions together (1,000,000: 40 % comments, a fifth of
  them replies, 60 % reactions), spread with a heavy tail over the posts (`comment_count`
  kept right);
- feed items of every kind, in the order they would have happened, each referencing a real
  object: one per post or notice, `member_joined` per member (hidden for the 2 % deactivated),
  `skills_added` per member with skills (and again later for a third of them), `open_to` per
  member open to something, `channel_created` per public channel (600 channels);
- 300 notifications of the bench member (30 unread), for the page's badge.

Then it starts `python -m network` (gevent, one process, as `members_bench`), signs one
ordinary member in (session cookie for the pages, bearer token for the API) and measures,
against that real server, the trivial authenticated page `/ping`, the feed page `/feed`,
`GET /api/v1/feed`, and deep pages (a `before=` cursor `--deep` visible items down):

- p50 / p95 / p99 latency of `--requests` sequential requests (after a warm-up), and
- throughput with `--clients` concurrent clients, `--rounds` times, the trivial route
  interleaved with the feed so that each ratio compares figures measured side by side, and
  the server process's CPU time per request in those rounds (from `/proc`: the throughput
  ratio on an idle core, much less noisy than req/s on a shared machine).

In process (Flask test client, same database) it counts the SQL statements of each page
with a SQLAlchemy event listener, and prints the slowest statements of `/feed` (`--explain`
adds SQLite's query plans).

It is not a test: it prints figures. The server is always stopped; the data folder is
removed unless `--keep` or `--data-dir` is given (an existing database there is reused).

Run from the project root (`--build-only` just builds the database, about 4 minutes):

    .venv/bin/python bench/feed_bench.py --data-dir /tmp/feed-bench-20k
"""

import argparse
import bisect
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import members_bench as mb  # noqa: E402

EMOJI_WEIGHTS = (("👍", 40), ("❤️", 25), ("🎉", 12), ("😄", 10), ("🙏", 8), ("💡", 5))
CHANNELS = 600
NOTICE_SHARE = 0.002
TOPIC_SHARE = 1 / 3
DELETED_SHARE = 0.01
HIDDEN_SHARE = 0.002
ACKS_PER_NOTICE = 150
VIEWER_NOTIFICATIONS = 300
# fmt: off
TOPIC_NAMES = (
    "entraide", "formation", "juridique", "financement", "gouvernance", "convivialité", "merci",
    "présentation", "marchéspublics", "prospection", "compta", "fiscalité", "tva", "devis",
    "assurance", "retraite", "numérique", "écologie", "bâtiment", "artisanat", "photo",
    "graphisme", "traduction", "communication", "réseau", "événement", "atelier", "salon",
    "coworking", "mutualisation", "achatsgroupés", "recrutement", "stage", "mentorat",
    "bienêtre", "alimentation", "circuitcourt", "lyon", "grenoble", "nantes", "rennes",
    "bordeaux", "toulouse", "lille", "strasbourg", "marseille", "outils", "logiciel", "site",
    "réseauxsociaux",
)
SUBJECTS = (
    "Je cherche un·e {trade} pour un projet à {city}", "Retour sur l'atelier d'hier",
    "Qui serait partant·e pour un déjeuner", "Besoin d'un conseil sur un devis",
    "Nouvelle cliente signée grâce à la coopérative", "Je partage un modèle de contrat",
    "Quelqu'un connaît un bon logiciel de facturation", "Appel à coopération sur un marché",
    "Je propose un créneau de mentorat", "Petit rappel pour vendredi",
    "Ravi·e de vous rejoindre", "Je lance une nouvelle offre",
)
DETAILS = (
    "Le cahier des charges est **prêt** et le budget validé.",
    "Merci à toutes les personnes présentes, le support est dans l'espace documents.",
    "On peut en parler jeudi au café, ou par message.",
    "Les retours de la dernière fois étaient *très* positifs.",
    "Deux jours de travail environ, à partir de la semaine prochaine.",
    "Toutes les idées sont bienvenues, même les plus folles.",
    "J'ai mis les détails dans le document partagé : [le lien](https://example.org/doc).",
    "",
)
COMMENTS = (
    "Super nouvelle, bravo !", "Je suis intéressée, tu peux me mettre dans la boucle ?",
    "Merci pour le partage, très utile.", "On en parle jeudi au café ?", "Je peux t'aider.",
    "Bienvenue parmi nous !", "Même question de mon côté.", "Je t'envoie un message.",
)
# fmt: on


def stamp(moment: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# --- data -------------------------------------------------------------------------------------


def rendered_bodies(app, rng: random.Random, topics: list[str], count: int = 1500):
    """`count` post bodies (text, HTML, topic names) rendered as the feed renders them."""
    from network.feed.operations import _render

    bodies = []
    with app.test_request_context():
        for n in range(count):
            subject = rng.choice(SUBJECTS).format(
                trade=rng.choice(mb.TRADES)[0].lower(), city=rng.choice(mb.CITIES)[0]
            )
            tags = rng.sample(topics, rng.choice((1, 1, 2))) if n % 3 == 0 else []
            text = f"{subject}. {rng.choice(DETAILS)}".strip()
            if tags:
                text += " " + " ".join(f"#{t}" for t in tags)
            bodies.append((text, _render(text, {}), tags))
    return bodies


def build_feed(data_dir: Path, posts: int, interactions: int, seed: int = 5) -> dict[str, int]:
    """The feed's rows, bulk-inserted with sqlite3; {table or kind: rows}."""
    from network import create_app
    from network.core.text import fold

    os.environ["TERREAU_DATA_DIR"] = str(data_dir)
    app = create_app()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    start = now - timedelta(days=3 * 365)
    con = sqlite3.connect(data_dir / mb.DB_FILE)
    con.execute("PRAGMA synchronous=OFF")
    members = con.execute(
        "SELECT id, email, is_active, created_at, open_to FROM members ORDER BY id"
    ).fetchall()
    member_ids = [m[0] for m in members]
    viewer = con.execute("SELECT id FROM members WHERE email=?", (mb.LOGIN_EMAIL,)).fetchone()[0]
    staff = con.execute("SELECT id FROM members WHERE email=?", (mb.STAFF_EMAIL,)).fetchone()[0]
    with_skills = {row[0] for row in con.execute("SELECT DISTINCT member_id FROM member_skills")}
    counts: dict[str, int] = {}

    # topics and bodies
    con.executemany(
        "INSERT INTO topics (key, name) VALUES (?, ?)", [(fold(t), t) for t in TOPIC_NAMES]
    )
    topic_ids = dict(con.execute("SELECT key, id FROM topics"))
    bodies = rendered_bodies(app, rng, list(TOPIC_NAMES))

    events: list[tuple[str, str, int, int | None, bool]] = []  # (time, kind, object, actor, hid.)

    # members' items (already in the feed: the two members made through operations)
    existing = {(k, o) for k, o in con.execute("SELECT kind, object_id FROM feed_items")}
    for member_id, _email, active, created, open_to in members:
        joined = datetime.fromisoformat(created).replace(tzinfo=UTC)
        hidden = not active
        if ("member_joined", member_id) not in existing:
            events.append((stamp(joined), "member_joined", member_id, member_id, hidden))
        if member_id in with_skills:
            first = joined + timedelta(hours=rng.randint(1, 72))
            events.append((stamp(first), "skills_added", member_id, member_id, False))
            if rng.random() < 1 / 3:
                later = joined + timedelta(days=rng.randint(30, 700))
                if later < now:
                    events.append((stamp(later), "skills_added", member_id, member_id, False))
        if json.loads(open_to or "[]"):
            when = joined + timedelta(days=rng.randint(0, 200))
            if when < now:
                events.append((stamp(when), "open_to", member_id, member_id, hidden))

    # channels
    channel_rows = []
    for n in range(CHANNELS):
        when = start + (now - start) * rng.random()
        name = f"{rng.choice(TOPIC_NAMES)}-{n}"
        channel_rows.append(
            (
                "public",
                name,
                fold(name),
                f"Pour parler de {name}",
                "",
                0,
                None,
                rng.choice(member_ids),
                stamp(when),
                None,
                0,
                None,
            )  # fmt: skip
        )
    channel_rows.sort(key=lambda row: row[8])
    con.executemany(
        "INSERT INTO channels (kind, name, name_key, topic, description, announcement,"
        " direct_key, created_by_id, created_at, archived_at, last_message_id, last_message_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        channel_rows,
    )
    first_channel = con.execute("SELECT max(id) FROM channels").fetchone()[0] - CHANNELS + 1
    for index, row in enumerate(channel_rows):
        events.append((row[8], "channel_created", first_channel + index, row[7], False))
    counts["channels"] = len(channel_rows)

    # posts, in time order (more in recent months)
    times = sorted(start + (now - start) * (rng.random() ** 0.7) for _ in range(posts))
    post_rows, post_topic_rows, notices, post_time = [], [], [], []
    for post_id, when in enumerate(times, start=1):
        notice = rng.random() < NOTICE_SHARE
        text, html, tags = rng.choice(bodies)
        deleted = rng.random() < DELETED_SHARE
        hidden = not deleted and rng.random() < HIDDEN_SHARE
        author = staff if notice else rng.choice(member_ids)
        post_rows.append(
            [
                post_id,
                "notice" if notice else "post",
                author,
                text,
                html,
                "[]",
                0,
                stamp(when),
                None,
                stamp(when + timedelta(days=1)) if deleted else None,
                None,
                stamp(when + timedelta(hours=5)) if hidden else None,
                "Hors charte" if hidden else "",
            ]  # fmt: skip
        )
        post_topic_rows += [(post_id, topic_ids[fold(t)]) for t in tags]
        if notice:
            notices.append(post_id)
        post_time.append(when)
        events.append(
            (stamp(when), "notice" if notice else "post", post_id, author, deleted or hidden)
        )
    for post_id in notices[-2:]:
        post_rows[post_id - 1][10] = stamp(post_time[post_id - 1] + timedelta(minutes=5))

    # comments and reactions, a heavy tail over the posts
    weights = list(accumulate(rng.paretovariate(1.2) for _ in range(posts)))
    total = weights[-1]

    def some_post() -> int:
        return bisect.bisect_left(weights, rng.random() * total) + 1

    comment_rows, tops_of = [], {}
    for comment_id in range(1, int(interactions * 0.4) + 1):
        post_id = some_post()
        tops = tops_of.setdefault(post_id, [])
        parent = rng.choice(tops) if tops and rng.random() < 0.2 else None
        if parent is None:
            tops.append(comment_id)
        body = rng.choice(COMMENTS)
        when = post_time[post_id - 1] + timedelta(minutes=rng.randint(1, 4000))
        comment_rows.append(
            (
                comment_id,
                post_id,
                rng.choice(member_ids),
                parent,
                body,
                f"<p>{body}</p>",
                stamp(when),
                None,
                None,
                None,
                "",
            )  # fmt: skip
        )
        post_rows[post_id - 1][6] += 1
    emoji, emoji_weights = zip(*EMOJI_WEIGHTS, strict=True)
    emoji_cum = list(accumulate(emoji_weights))
    reactions: set[tuple[int, int, str]] = set()
    target = interactions - len(comment_rows)
    while len(reactions) < target:
        reactions.add(
            (some_post(), rng.choice(member_ids), rng.choices(emoji, cum_weights=emoji_cum)[0])
        )
    for post_id in range(posts, max(0, posts - 2000), -1):  # the viewer reacts to recent posts
        if rng.random() < 0.05:
            reactions.add((post_id, viewer, "👍"))
    reaction_rows = [
        (p, m, e, stamp(post_time[p - 1] + timedelta(minutes=rng.randint(1, 3000))))
        for p, m, e in reactions
    ]
    ack_rows = []
    for post_id in notices:
        for member_id in rng.sample(member_ids, min(len(member_ids), ACKS_PER_NOTICE)):
            ack_rows.append((post_id, member_id, stamp(post_time[post_id - 1])))

    con.executemany(
        "INSERT INTO posts (id, kind, author_id, body, body_html, images, comment_count,"
        " created_at, edited_at, deleted_at, pinned_at, hidden_at, hidden_reason)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        post_rows,
    )
    con.executemany("INSERT INTO post_topics (post_id, topic_id) VALUES (?,?)", post_topic_rows)
    con.executemany(
        "INSERT INTO comments (id, post_id, author_id, parent_id, body, body_html, created_at,"
        " edited_at, deleted_at, hidden_at, hidden_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        comment_rows,
    )
    con.executemany(
        "INSERT INTO post_reactions (post_id, member_id, emoji, created_at) VALUES (?,?,?,?)",
        sorted(reaction_rows),
    )
    con.executemany(
        "INSERT INTO notice_acks (post_id, member_id, acknowledged_at) VALUES (?,?,?)", ack_rows
    )
    counts.update(
        posts=len(post_rows),
        notices=len(notices),
        post_topics=len(post_topic_rows),
        comments=len(comment_rows),
        post_reactions=len(reaction_rows),
        notice_acks=len(ack_rows),
    )

    # feed items, in the order things happened
    events.sort()
    con.executemany(
        "INSERT INTO feed_items (kind, object_id, actor_id, created_at, hidden) VALUES (?,?,?,?,?)",
        [(kind, obj, actor, when, int(hidden)) for when, kind, obj, actor, hidden in events],
    )
    for kind, n in con.execute("SELECT kind, count(*) FROM feed_items GROUP BY kind"):
        counts[f"feed_items:{kind}"] = n

    # the viewer's notifications (the badge counts the unread ones on every page)
    con.executemany(
        "INSERT INTO notifications (member_id, kind, actor_id, msgid, params, url, created_at,"
        " read_at, email_state) VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (
                viewer,
                "comment",
                rng.choice(member_ids),
                "%(name)s commented on your post",
                json.dumps({"name": "Marie Martin"}),
                f"/feed/posts/{posts - n}",
                stamp(now - timedelta(hours=n)),
                None if n < 30 else stamp(now),
                "none",
            )
            for n in range(VIEWER_NOTIFICATIONS)
        ],  # fmt: skip
    )
    con.commit()
    con.execute("ANALYZE")
    con.commit()
    con.close()
    return counts


def table_counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in (
                "members",
                "posts",
                "comments",
                "post_reactions",
                "post_topics",
                "notice_acks",
                "channels",
            )  # fmt: skip
        }
        for kind, n in con.execute("SELECT kind, count(*) FROM feed_items GROUP BY kind"):
            counts[f"feed_items:{kind}"] = n
    return counts


def deep_cursor(data_dir: Path, depth: int) -> str:
    """The cursor `depth` visible items down the feed (as the `Older items` links give)."""
    from network.core.pagination import encode_cursor

    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        row = con.execute(
            "SELECT id FROM feed_items WHERE hidden=0 ORDER BY id DESC LIMIT 1 OFFSET ?", (depth,)
        ).fetchone()
    return encode_cursor([row[0]])


def popular_topic(data_dir: Path) -> str:
    with sqlite3.connect(data_dir / mb.DB_FILE) as con:
        return con.execute(
            "SELECT t.key FROM topics t JOIN post_topics pt ON pt.topic_id=t.id"
            " GROUP BY t.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]


# --- in process: SQL statements per page ---------------------------------------------------


def statements_per_page(data_dir: Path, paths: list[str], explain: bool) -> dict[str, tuple]:
    """{path: (statements, in-process ms median of 10)} for `paths`, signed in as the bench
    member; prints /feed's slowest statements."""
    from sqlalchemy import event

    from network import create_app
    from network.extensions import db

    os.environ["TERREAU_DATA_DIR"] = str(data_dir)
    app = create_app()
    client = app.test_client()
    page = client.get("/login")
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
    answer = client.post(
        "/login",
        data={"csrf_token": csrf.group(1), "email": mb.LOGIN_EMAIL, "password": mb.LOGIN_PASSWORD},
    )
    assert answer.status_code == 302, answer.status_code
    token = client.post(
        "/api/v1/auth/token", json={"email": mb.LOGIN_EMAIL, "password": mb.LOGIN_PASSWORD}
    ).get_json()["token"]
    with app.app_context():
        engine = db.engine
    timings: list[list] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_start"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        elapsed = (time.perf_counter() - conn.info.pop("bench_start")) * 1000
        timings.append([statement, parameters, elapsed])

    results = {}
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for path in paths:
            headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
            durations = []
            for _ in range(11):
                timings.clear()
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                durations.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            sql_ms = sum(t[2] for t in timings)
            results[path] = (len(timings), statistics.median(durations[1:]), sql_ms)
            if path == "/feed":
                slowest = sorted(timings, key=lambda t: -t[2])[:5]
                print("  slowest statements of /feed (last run):")
                for statement, parameters, ms in slowest:
                    flat = " ".join(statement.split())
                    print(f"    {ms:6.2f} ms  {flat[:150]}")
                    if explain:
                        with engine.connect() as conn:
                            plan = conn.exec_driver_sql(
                                "EXPLAIN QUERY PLAN " + statement, parameters
                            ).all()
                        for row in plan:
                            print(f"               plan: {row[-1]}")
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return results


# --- over HTTP --------------------------------------------------------------------------------


def server_pid() -> int:
    """The `python -m network` process this script started (a child of this process)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"network" in cmdline:
            return int(stat.parent.name)
    raise RuntimeError("no server process found")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by process `pid` (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(data_dir: Path, scenarios: list[mb.Scenario], args) -> tuple[dict, dict, dict]:
    """Sequential latencies {label: (latencies, size)}, throughput rounds {label: [req/s per
    round]} with /ping interleaved, and the server's CPU time per request {label: [ms per
    round]} during those rounds (what throughput would be on an otherwise idle core)."""
    latencies, rates, cpu = {}, {}, {}
    with mb.running_server(data_dir) as port:
        print(f"Server up on port {port}", flush=True)
        pid = server_pid()
        target = mb.Target(port, mb.sign_in(f"http://{mb.HOST}:{port}"), args.keep_alive)
        for scenario in scenarios:
            print(f"  latency {scenario.label} … (load {os.getloadavg()[0]:.1f})", flush=True)
            latencies[scenario.label] = mb.sequential(target, scenario, args.requests)
        throughput = [s for s in scenarios if s.label in THROUGHPUT]
        for round_ in range(args.rounds):
            for scenario in throughput:
                print(
                    f"  throughput {scenario.label}, round {round_ + 1} … "
                    f"(load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
                used = cpu_seconds(pid)
                rate = mb.concurrent(target, scenario, args.clients, args.concurrent_requests)
                used = cpu_seconds(pid) - used
                rates.setdefault(scenario.label, []).append(rate)
                cpu.setdefault(scenario.label, []).append(used * 1000 / args.concurrent_requests)
    return latencies, rates, cpu


THROUGHPUT = ("/ping", "/feed", "/api/v1/feed")


def scenarios(cursor: str, topic: str) -> list[mb.Scenario]:
    return [
        mb.Scenario("/ping", "/ping", api=False),
        mb.Scenario("/feed", "/feed", api=False),
        mb.Scenario("/feed?before=<deep>", f"/feed?before={cursor}", api=False),
        mb.Scenario("/api/v1/feed", "/api/v1/feed", api=True),
        mb.Scenario("/api/v1/feed?before=<deep>", f"/api/v1/feed?before={cursor}", api=True),
        mb.Scenario("/api/v1/feed?limit=50", "/api/v1/feed?limit=50", api=True),
        mb.Scenario("/feed?kind=notice", "/feed?kind=notice", api=False),
        mb.Scenario(f"/topics/{topic}", f"/topics/{topic}", api=False),
    ]


def report(latencies: dict, rates: dict, cpu: dict, sql: dict, scenarios_: list, args) -> None:
    print(
        f"\nSequential: {args.requests} requests after {mb.WARMUP} warm-up; concurrent: "
        f"{args.concurrent_requests} requests over {args.clients} clients, {args.rounds} rounds "
        f"(req/s: median of the rounds); connections "
        f"{'kept alive' if args.keep_alive else 'one per request'}; "
        f"load average now {os.getloadavg()[0]:.1f}.\n"
    )
    heads = ["Scenario", "KiB", "p50 ms", "p95 ms", "p99 ms", "req/s", "CPU ms/req", "SQL",
             "in-proc ms"]  # fmt: skip
    rows = [heads]
    for scenario in scenarios_:
        lat, size = latencies[scenario.label]
        statements, in_process, _sql_ms = sql.get(scenario.path, ("", None, None))
        rows.append(
            [scenario.label, f"{size / 1024:.1f}"]
            + [f"{mb.percentile(lat, f):.1f}" for f in (0.5, 0.95, 0.99)]
            + [f"{statistics.median(rates[scenario.label]):.0f}" if scenario.label in rates else ""]
            + [f"{statistics.median(cpu[scenario.label]):.1f}" if scenario.label in cpu else ""]
            + [str(statements), f"{in_process:.1f}" if in_process is not None else ""]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(heads))]
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("| " + " | ".join(cells) + " |")
        if n == 0:
            print(
                "|"
                + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]])
                + "|"
            )
    ping = rates["/ping"]
    print()
    for label in ("/feed", "/api/v1/feed"):
        ratios = [r / p for r, p in zip(rates[label], ping, strict=True)]
        print(
            f"Throughput {label} / /ping per round: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f" (median {statistics.median(ratios):.2f}; target ≥ 0.33)"
        )
    for label in ("/feed", "/api/v1/feed"):
        ratios = [p / f for p, f in zip(cpu["/ping"], cpu[label], strict=True)]
        print(
            f"Server CPU per request, /ping / {label} per round (the throughput ratio on an "
            "idle core): "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f" (median {statistics.median(ratios):.2f})"
        )
    feed_p99 = mb.percentile(latencies["/feed"][0], 0.99)
    print(f"/feed p99: {feed_p99:.1f} ms (target < 60 ms)")


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--posts", type=int, default=300_000)
    parser.add_argument(
        "--interactions", type=int, default=1_000_000, help="comments and reactions together"
    )
    parser.add_argument("--deep", type=int, default=250_000, help="visible items down the feed")
    parser.add_argument("--requests", type=int, default=300, help="sequential, per scenario")
    parser.add_argument(
        "--concurrent-requests", type=int, default=1000, help="per scenario and round"
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    parser.add_argument("--keep-alive", action="store_true")
    parser.add_argument("--explain", action="store_true", help="query plans of /feed's slowest")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--data-dir", type=Path, help="kept; an existing database is reused")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args(argv)


def prepare(data_dir: Path, args) -> dict[str, int]:
    if (data_dir / mb.DB_FILE).exists():
        print(f"Reusing the database in {data_dir}", flush=True)
        return table_counts(data_dir)
    started = time.perf_counter()
    print(f"Building {args.members:,} members in {data_dir} …", flush=True)
    mb.build_database(data_dir, args.members)
    print(f"  members built in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"Building the feed: {args.posts:,} posts, {args.interactions:,} interactions …")
    build_feed(data_dir, args.posts, args.interactions)
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return table_counts(data_dir)


def run(args, data_dir: Path) -> None:
    counts = prepare(data_dir, args)
    print("Rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
    if args.build_only:
        return
    cursor, topic = deep_cursor(data_dir, args.deep), popular_topic(data_dir)
    chosen = scenarios(cursor, topic)
    print(f"Statements per page (in process; load {os.getloadavg()[0]:.1f}) …", flush=True)
    sql = statements_per_page(data_dir, [s.path for s in chosen], args.explain)
    latencies, rates, cpu = measure(data_dir, chosen, args)
    report(latencies, rates, cpu, sql, chosen, args)


def main(argv: list[str] | None = None) -> None:
    def start(args: argparse.Namespace, data_dir: Path) -> None:
        os.environ["TERREAU_DATA_DIR"] = str(data_dir)  # before anything imports the config
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()}", flush=True)
        run(args, data_dir)

    mb.in_data_dir(parse_args(argv), "terreau-feed-bench-", start)


if __name__ == "__main__":
    main()
