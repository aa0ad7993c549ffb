"""Load test (issue 16): simulated members browsing, posting, chatting, booking and searching.

Seeds a cooperative (the demo cooperative of `flask seed-demo`, `--members` generated members
with skills, `--posts` posts and `--messages` chat messages written through the modules'
operations, extra desk areas) and `--accounts` load accounts, each with its own password
and API token, then starts the server(s), runs locust headless (`bench/load/locustfile.py`)
for each `--users` count, and prints per endpoint p50 / p95 / p99 (ms), requests and errors,
with the machine's load average before the run.

Two set-ups (`--mode`):

- `sqlite`: one `python -m network` process (gevent) on SQLite, no Redis;
- `nginx`: two `python -m network` processes behind nginx (a generated configuration, an
  `ip_hash` upstream, run in the foreground on a free port) on PostgreSQL (`--database-url`,
  a database of its own, re-created) and Redis (`--redis-url`, flushed before each run: rate
  limits, Socket.IO message queue, presence).

The load accounts' passwords are hashed with a cheap method (pbkdf2, 1,000 rounds) so that
300 sign-ins in the ramp-up measure the sign-in page, not scrypt; everything else is the
production configuration. Bookings of the load accounts are deleted before each run (a
member may hold only so many open bookings).

`--profile SECONDS` records the (first) server with py-spy during the run (`profile-*.txt`
in the data folder, raw collapsed stacks: `bench/load_bench.py --top FILE` sums them by
function). With `--mode nginx` and a database whose server preloads pg_stat_statements,
the statements' totals are reset before a run and the top ones printed after it.

Run from the project root, e.g.:

    .venv/bin/python bench/load_bench.py --mode sqlite --users 100,200,300
    .venv/bin/python bench/load_bench.py --mode nginx --users 100,200,300 \
        --database-url postgresql://postgres@127.0.0.1:55432/terreau_load
"""

import argparse
import csv
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
LOCUSTFILE = BENCH_DIR / "load" / "locustfile.py"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
ACCOUNT_DOMAIN = "load.terreau.example"
CHAT_CHANNELS = 6
EXTRA_DESKS = 4


# --- data -------------------------------------------------------------------------------------


def build(
    data_dir: Path, database_url: str | None, members: int, accounts: int, posts: int, messages: int
) -> dict:
    """Seed the database and the search index in `data_dir`; return what the locust users
    need (accounts with their token, channel, post and space ids), also saved as load.json."""
    os.environ["TERREAU_DATA_DIR"] = str(data_dir)
    os.environ.pop("REDIS_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(BENCH_DIR))
    import logging

    from flask_migrate import upgrade
    from members_bench import create_taxonomy, entry_stages, insert_rows, member_rows
    from members_bench import member_skills as skill_rows
    from sqlalchemy import select, text
    from werkzeug.security import generate_password_hash

    from network import create_app
    from network.chat.models import Channel, ChannelKind, ChannelMember
    from network.chat.operations import post_message
    from network.cooperative.settings import load_cooperative
    from network.demo import seed_demo
    from network.extensions import db
    from network.feed.operations import create_post
    from network.members.models import ApiToken, CareerStage, Member
    from network.search.indexing import rebuild as rebuild_search_index
    from network.skills.models import MemberSkill, Skill
    from network.workspaces.models import Granularity, Site, Space, SpaceKind

    for noisy in ("terreau.audit", "network.core.mail"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = create_app(SEARCH_WRITE_DELAY=None)  # no writer process: the index is rebuilt last
    rng = random.Random(16)
    started = time.monotonic()
    with app.app_context(), app.test_request_context(base_url="http://127.0.0.1:5000"):
        upgrade()
        load_cooperative()
        seed_demo()
        db.session.commit()
        print(f"  demo cooperative: {time.monotonic() - started:.0f} s", flush=True)
        staff = db.session.scalar(select(Member).where(Member.role == "staff").limit(1))
        skills = {s.name_fr: s.id for s in db.session.scalars(select(Skill))} or create_taxonomy(
            staff
        )
        insert_rows(db, Member, member_rows(members))
        generated = db.session.execute(
            select(Member.id, Member.status, Member.trade, Member.created_at).where(
                Member.email.like("%@bench.terreau.example")
            )
        ).all()
        insert_rows(db, CareerStage, entry_stages(generated))
        insert_rows(db, MemberSkill, skill_rows(generated, skills))
        # the load accounts: ordinary members, welcomed, a cheap password hash, an API token
        password = "load-password-2026"
        cheap = generate_password_hash(password, method="pbkdf2:sha256:1000")
        rows = []
        for n, row in enumerate(member_rows(accounts, seed=16)):
            row.update(
                email=f"membre{n}@{ACCOUNT_DOMAIN}",
                password_hash=cheap,
                is_active=True,
                status=rng.choice(("employee_entrepreneur", "associate", "support_contract")),
                welcomed_at=datetime.now(UTC),
            )
            rows.append(row)
        insert_rows(db, Member, rows)
        loaders = db.session.execute(
            select(Member.id, Member.email)
            .where(Member.email.like(f"%@{ACCOUNT_DOMAIN}"))
            .order_by(Member.id)
        ).all()
        tokens = {m.id: f"load-{m.id}-{secrets.token_hex(12)}" for m in loaders}
        now = datetime.now(UTC)
        insert_rows(
            db,
            ApiToken,
            (
                {
                    "member_id": member_id,
                    "name": "load bench",
                    "is_personal": False,
                    "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                    "created_at": now,
                    "expires_at": None,
                    "revoked_at": None,
                }
                for member_id, token in tokens.items()
            ),
        )
        # chat: channels holding every load account and some other members
        others = [g.id for g in generated]
        channels = []
        for n in range(CHAT_CHANNELS):
            name = f"charge-{n}"
            channel = Channel(
                kind=ChannelKind.PUBLIC, name=name, name_key=name, created_by_id=staff.id
            )
            db.session.add(channel)
            db.session.flush()
            channels.append(channel)
            insert_rows(
                db,
                ChannelMember,
                (
                    {
                        "channel_id": channel.id,
                        "member_id": m,
                        "role": "member",
                        "last_read_id": 0,
                        "joined_at": now,
                    }
                    for m in [*tokens, *rng.sample(others, min(200, len(others)))]
                ),
            )
        channel_ids = [c.id for c in channels]
        # workspaces: more desk areas, so that 300 members find desks most of the time
        site = db.session.scalar(select(Site).limit(1))
        week = {str(d): [8 * 60, 19 * 60] for d in range(5)}
        desks = []
        for n in range(EXTRA_DESKS):
            desk = Space(
                site=site,
                name=f"Plateau {n + 2}",
                kind=SpaceKind.DESK_AREA,
                capacity=20,
                granularity=Granularity.HALF_DAYS,
                slot_minutes=30,
                min_minutes=60,
                max_minutes=660,
                needs_approval=False,
                check_in_required=False,
                equipment=["wifi"],
                opening_hours=week,
                description="Plateau de postes.",
            )
            db.session.add(desk)
            desks.append(desk)
        db.session.commit()
        print(f"  members, accounts, channels: {time.monotonic() - started:.0f} s", flush=True)
        # posts and messages through the operations (rendering, topics, feed items, mentions)
        authors = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(tokens)))}
        author_ids = list(authors)
        post_ids = []
        for n in range(posts):
            author = authors[author_ids[n % len(author_ids)]]
            post = create_post(author, _post_body(rng))
            post_ids.append(post.id)
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
        for n in range(messages):
            author = authors[author_ids[n % len(author_ids)]]
            channel = channels[n % len(channels)]
            post_message(author, channel, _message_body(rng), f"seed-{n}")
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
        print(f"  posts and messages: {time.monotonic() - started:.0f} s", flush=True)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        indexed = rebuild_search_index()
        print(f"  search index: {indexed} documents", flush=True)
        spaces = list(
            db.session.scalars(
                select(Space.id).where(Space.kind == SpaceKind.DESK_AREA).order_by(Space.id)
            )
        )
        directory = list(  # profiles members open: active ones (others answer 404)
            db.session.scalars(
                select(Member.id).where(
                    Member.is_active.is_(True), Member.email.like("%@bench.terreau.example")
                )
            )
        )
    data = {
        "password": password,
        "accounts": [
            {
                "id": m.id,
                "email": m.email,
                "token": tokens[m.id],
                "channel": channel_ids[i % len(channel_ids)],
            }
            for i, m in enumerate(loaders)
        ],
        "channels": channel_ids,
        "posts": post_ids[-500:],
        "desks": spaces,
        "profiles": directory,
        "words": sorted({w for name in skills for w in name.split() if len(w) > 4 and w.isalpha()}),
    }
    (data_dir / "load.json").write_text(json.dumps(data))
    return data


SUBJECTS = (
    "Je cherche un·e graphiste pour un projet à Lyon",
    "Retour sur l'atelier d'hier",
    "Qui serait partant·e pour un déjeuner jeudi",
    "Besoin d'un conseil sur un devis",
    "Nouvelle cliente signée grâce à la coopérative",
    "Je partage un modèle de contrat",
    "Quelqu'un connaît un bon logiciel de facturation",
    "Appel à coopération sur un marché",
    "Je propose un créneau de mentorat",
    "Petit rappel pour vendredi",
)
DETAILS = (
    "Le cahier des charges est **prêt** et le budget validé.",
    "Merci à toutes les personnes présentes, le support est dans l'espace documents.",
    "On peut en parler au café, ou par message.",
    "Toutes les idées sont bienvenues.",
    "Deux jours de travail environ, à partir de la semaine prochaine.",
    "",
)
TAGS = ("#entraide", "#formation", "#compta", "#coworking", "#réseau", "#atelier", "")
CHAT = (
    "Bonjour à toutes et tous !",
    "Quelqu'un a la clé de la salle Jaurès ?",
    "Je serai au plateau demain matin.",
    "Merci pour l'info 👍",
    "On se retrouve à midi ?",
    "Le devis est parti, je croise les doigts.",
    "Qui connaît un bon imprimeur à Lyon ?",
)


def _post_body(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)}. {rng.choice(DETAILS)} {rng.choice(TAGS)}".strip()


def _message_body(rng: random.Random) -> str:
    return rng.choice(CHAT)


# --- processes --------------------------------------------------------------------------------


def migrate(data_dir: Path, database_url: str | None) -> None:
    """Bring a reused data set's database to the code's schema."""
    env = {**server_env(data_dir, database_url, None, 0), "FLASK_APP": "network:create_app"}
    flask = str(VENV_BIN / "flask")
    subprocess.run([flask, "db", "upgrade"], env=env, check=True, capture_output=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    import requests
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # self-signed

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with code {proc.returncode}")
        try:
            if requests.get(f"{url}/login", timeout=2, verify=False).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def process(command: list[str], log: Path, env: dict[str, str] | None = None):
    """A child process in a session of its own, logging to `log`; always stopped."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def server_env(
    data_dir: Path, database_url: str | None, redis_url: str | None, proxies: int
) -> dict[str, str]:
    env = {
        **os.environ,
        "TERREAU_DATA_DIR": str(data_dir),
        "SECRET_KEY": "load-bench-secret",
        "TERREAU_PROXY_COUNT": str(proxies),
        "TERREAU_ENV": "production",
        "TERREAU_SECURE_COOKIES": "0",  # plain HTTP on the loopback
        "PYTHONPATH": str(PROJECT_DIR),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; "" ""; }}
    upstream terreau {{
        {balance};
{servers}
        keepalive 64;
    }}
    server {{
        listen {host}:{port};
        client_max_body_size 8m;
        location / {{
            proxy_pass http://terreau;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


def nginx_config(folder: Path, port: int, upstreams: list[int], balance: str) -> Path:
    """An nginx configuration in `folder`: one upstream of `upstreams`, balanced by `balance`
    ("ip_hash", or "hash $http_x_load_member consistent": each simulated member stands for
    one client address, as ip_hash sees real members; the load generator has only one)."""
    folder.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server {HOST}:{p};" for p in upstreams)
    path = folder / "nginx.conf"
    path.write_text(
        NGINX_CONF.format(dir=folder, balance=balance, servers=servers, host=HOST, port=port)
    )
    return path


DEPLOY_SITE = PROJECT_DIR / "deploy" / "nginx" / "terreau.conf"
DEPLOY_GUNICORN = PROJECT_DIR / "deploy" / "gunicorn.conf.py"


def deploy_site(folder: Path, upstreams: list[int], http: int, https: int, balance: str) -> Path:
    """deploy/nginx/terreau.conf served from `folder` on loopback ports (the replacements of
    tests/core/test_deploy.py), with a self-signed certificate, inside a main configuration
    like Debian's; the upstream's `hash $remote_addr` becomes `balance` unless it is
    "remote_addr" (the load generator has one address; each simulated member stands for one)."""
    folder.mkdir(parents=True, exist_ok=True)
    site = DEPLOY_SITE.read_text()
    replacements = {
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{upstreams[0]} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{upstreams[1]} ",
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "/etc/letsencrypt/live/terreau.example.org/fullchain.pem": str(folder / "cert.pem"),
        "/etc/letsencrypt/live/terreau.example.org/privkey.pem": str(folder / "key.pem"),
        "/var/log/nginx/": f"{folder}/",
        "/var/www/letsencrypt": str(folder),
        "/srv/terreau/app/static/": f"{PROJECT_DIR}/static/",
        "terreau.example.org": "127.0.0.1",
    }
    if balance != "remote_addr":
        replacements["hash $remote_addr consistent;"] = f"{balance};"
    for old, new in replacements.items():
        if old not in site:
            raise RuntimeError(f"{old!r} is no longer in {DEPLOY_SITE}: update the bench")
        site = site.replace(old, new)
    (folder / "terreau.conf").write_text(site)
    if not (folder / "cert.pem").exists():
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                str(folder / "key.pem"),
                "-out",
                str(folder / "cert.pem"),
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )
    temp = " ".join(
        f"{name}_temp_path {folder / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = f"""user root;
daemon off;
worker_processes auto;
pid {folder / "nginx.pid"};
error_log {folder / "nginx.error.log"} warn;
events {{ worker_connections 2048; }}
http {{
    include /etc/nginx/mime.types;
    sendfile on;
    tcp_nopush on;
    {temp}
    include {folder / "terreau.conf"};
}}
"""
    path = folder / "nginx.conf"
    path.write_text(main)
    return path


# --- database ---------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    admin = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{parsed.database}"')


def reset_state(
    data: dict, database_url: str | None, data_dir: Path, redis_url: str | None
) -> None:
    """Before a run: no bookings held by the load accounts; Redis's db emptied."""
    ids = [a["id"] for a in data["accounts"]]
    if database_url:
        import psycopg

        with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as con:
            con.execute("DELETE FROM workspace_bookings WHERE member_id = ANY(%s)", (ids,))
    else:
        import sqlite3

        with sqlite3.connect(data_dir / "terreau.sqlite3") as con:
            con.execute(
                f"DELETE FROM workspace_bookings WHERE member_id IN ({','.join(map(str, ids))})"
            )
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()


class Statements:
    """pg_stat_statements of the bench's database, when its server preloads it."""

    def __init__(self, url: str | None) -> None:
        self.url = url.replace("+psycopg", "") if url else None
        self.ok = False
        self.opened = 0
        self._sampling: Any = None
        if self.url:
            import psycopg

            try:
                with psycopg.connect(self.url, autocommit=True) as con:
                    con.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                    con.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
                self.ok = True
            except psycopg.Error as error:
                print(f"  (no pg_stat_statements: {str(error).strip()})")

    def postmaster(self) -> int | None:
        """The server's main process id when it runs on this machine (its CPU time counts
        its backends')."""
        if not self.url:
            return None
        folder = Path(self._query("SHOW data_directory")[0][0])
        try:
            return int((folder / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError):
            return None

    def sample(self) -> dict[str, int]:
        """The database's connections by state, and those waiting (pg_stat_activity)."""
        import psycopg

        if self._sampling is None:  # one connection for all the samples
            self._sampling = psycopg.connect(self.url, autocommit=True)
        rows = self._sampling.execute(
            "SELECT state, wait_event_type IS NOT NULL AND state = 'active', count(*)"
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() GROUP BY 1, 2"
        ).fetchall()
        found: dict[str, int] = Counter()
        for state, waiting, count in rows:
            found[state or "none"] += count
            found["total"] += count
            if waiting:
                found["waiting"] += count
        return dict(found)

    def sessions(self) -> int:
        """Sessions opened in the database so far (pg_stat_database)."""
        return int(
            self._query("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")[
                0
            ][0]
        )

    def reset(self) -> None:
        self.opened = self.sessions() if self.url else 0
        if self.ok:
            self._query("SELECT pg_stat_statements_reset()")

    def top(self, count: int = 12) -> list[str]:
        if not self.ok:
            return []
        rows = self._query(
            "SELECT calls, total_exec_time, mean_exec_time, rows, query FROM pg_stat_statements"
            " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " ORDER BY total_exec_time DESC LIMIT %s",
            (count,),
        )
        total = self._query(
            "SELECT coalesce(sum(calls), 0), coalesce(sum(total_exec_time), 0) FROM"
            " pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
            " WHERE datname = current_database())"
        )[0]
        opened = self.sessions() - self.opened
        lines = [
            f"pg_stat_statements: {int(total[0])} statements, {total[1] / 1000:.1f} s in all;"
            f" {opened} database sessions opened during the run.",
            "| calls | total ms | mean ms | rows | statement |",
            "| ---: | ---: | ---: | ---: | --- |",
        ]
        for calls, spent, mean, rows_, query in rows:
            text = " ".join(query.split())[:150].replace("|", "\\|")
            lines.append(f"| {calls} | {spent:.0f} | {mean:.2f} | {rows_} | `{text}` |")
        return lines

    def _query(self, sql: str, args: tuple = ()) -> list:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as con:
            return con.execute(sql, args).fetchall()


# --- measuring --------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (the index writer process of a server)."""
    found = [pid]
    for child in (
        Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if Path(f"/proc/{pid}/task/{pid}/children").exists()
        else []
    ):
        found += tree(int(child))
    return found


def tree_cpu(pid: int) -> float:
    return sum(cpu_seconds(p) for p in tree(pid))


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_locust(
    url: str,
    data_path: Path,
    users: int,
    seconds: int,
    spawn: int,
    prefix: Path,
    profile: tuple[int, int] | None,
    watched: dict[str, int],
    sampler: "Callable[[], dict[str, int]] | None" = None,
    ramp: int = 0,
    on_steady: "Callable[[], None] | None" = None,
) -> dict:
    """Run locust headless; return its CSV rows, the CPU time of the watched processes and of
    the whole machine during the run, and `sampler`'s figures every half second.

    `ramp` (seconds): the members arrive evenly over this long, then the figures start again
    from zero (locust's `--reset-stats`, the CPU times, `on_steady`) and `seconds` of steady
    state are measured; 0: the members arrive at `spawn` a second, all of the run measured."""
    env = {**os.environ, "LOAD_DATA": str(data_path)}
    rate = f"{users / ramp:.2f}" if ramp else str(spawn)
    command = [
        str(VENV_BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(users),
        "-r",
        rate,
        "-t",
        f"{seconds + ramp}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "-H",
        url,
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
    ] + (["--reset-stats"] if ramp else [])
    load = load_average()
    spy = None
    with process(command, prefix.with_suffix(".log"), env) as proc:
        locust_start = 0.0
        if ramp:
            time.sleep(ramp + 1)  # locust starts, then spawns for `ramp` seconds
            locust_start = tree_cpu(proc.pid)
            if on_steady:
                on_steady()
        before = {name: tree_cpu(pid) for name, pid in watched.items()}
        busy0, total0 = machine_cpu()
        locust_cpu = 0.0
        if profile:
            pid, duration = profile
            time.sleep(min(15, seconds / 3))
            spy = subprocess.Popen(
                [
                    str(VENV_BIN / "py-spy"),
                    "record",
                    "-d",
                    str(duration),
                    "-p",
                    str(pid),
                    "-o",
                    str(prefix) + "-profile.txt",
                    "--format",
                    "raw",
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        samples: list[dict[str, int]] = []
        while proc.poll() is None:
            locust_cpu = max(locust_cpu, tree_cpu(proc.pid))
            if sampler:
                samples.append(sampler())
            time.sleep(0.5)
    if spy is not None:
        spy.wait()
    busy1, total1 = machine_cpu()
    cpu = {name: tree_cpu(pid) - before[name] for name, pid in watched.items()}
    cpu["locust"] = locust_cpu - locust_start
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(f"{prefix}_stats_history.csv", newline="", encoding="utf-8") as handle:
        history = [r for r in csv.DictReader(handle) if r["Name"] == "Aggregated"]
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as handle:
            failures = list(csv.DictReader(handle))
    return {
        "history": history,
        "samples": samples,
        "rows": rows,
        "failures": failures,
        "cpu": cpu,
        "load": load,
        "users": users,
        "machine_busy": (busy1 - busy0) / max(total1 - total0, 1),
        "seconds": seconds,
        "ramp": ramp,
    }


PAGE_PREFIXES = ("/feed", "/members", "/notifications", "/chat", "/workspaces", "/search")


def is_page(row: dict) -> bool:
    return row["Type"] == "GET" and row["Name"].startswith(PAGE_PREFIXES)


def table(result: dict) -> list[str]:
    """A Markdown table of one run: per endpoint requests, errors, p50, p95, p99 (ms)."""
    cpu = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in result["cpu"].items())
    lines = [
        f"{result['users']} users, {result['seconds']} s; load average before: {result['load']};"
        f" machine CPU busy {result['machine_busy'] * 100:.0f} %; CPU time: {cpu}",
        "",
    ]
    served = result.get("served")  # {(method, name): [ms, ...]} as nginx timed them
    if served:
        lines += [
            "| endpoint | requests | errors | p50 ms | p95 ms | p99 ms | nginx p50 | p95 | p99 |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
    else:
        lines += [
            "| endpoint | requests | errors | p50 ms | p95 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
    rows = sorted(result["rows"], key=lambda r: (r["Name"] == "Aggregated", r["Name"], r["Type"]))
    pages = [r for r in rows if is_page(r)]
    for row in rows:
        label = "**all**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        line = (
            f"| {label} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} |"
            f" {row['95%']} | {row['99%']} |"
        )
        if served:
            times = sorted(
                served.get((row["Type"], row["Name"]), [])
                if row["Name"] != "Aggregated"
                else [t for ts in served.values() for t in ts]
            )
            line += "".join(
                f" {percentile(times, q):.0f} |" if times else " |" for q in (0.5, 0.95, 0.99)
            )
        lines.append(line)
    if result.get("samples"):
        keys = sorted({k for sample in result["samples"] for k in sample})
        summary = ", ".join(
            f"{k} mean {sum(x.get(k, 0) for x in result['samples']) / len(result['samples']):.1f}"
            f" max {max(x.get(k, 0) for x in result['samples'])}"
            for k in keys
        )
        lines += ["", f"Database connections (pg_stat_activity every 0.5 s): {summary}."]
    worst = max(pages, key=lambda r: float(r["95%"] or 0), default=None)
    if worst:
        lines.append("")
        lines.append(
            f"Pages: worst p95 {worst['95%']} ms ({worst['Name']}); errors "
            f"{sum(int(r['Failure Count']) for r in pages)}."
        )
    lines += [
        "",
        "Over time (locust's current figures, all requests, a 10 s window): " + timeline(result),
    ]
    for failure in result["failures"][:8]:
        lines.append(
            f"- error ×{failure['Occurrences']}: {failure['Method']} {failure['Name']}:"
            f" {failure['Error'][:160]}"
        )
    return lines


def timeline(result: dict) -> str:
    """Every 10 s of the run: users, requests/s, p50/p95 of the last 10 s."""
    history = result.get("history", [])
    if not history:
        return "none"
    start = int(history[0]["Timestamp"])
    marks = []
    for second in range(10, result["seconds"] + 1, 10):
        row = next((r for r in history if int(r["Timestamp"]) - start >= second), history[-1])
        marks.append(
            f"{second} s: {row['User Count']} users, {float(row['Requests/s']):.0f} req/s,"
            f" p50 {row['50%']} p95 {row['95%']} ms"
        )
    return "; ".join(marks) + "."


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank of sorted `values`."""
    return values[min(len(values) - 1, max(0, round(fraction * len(values) + 0.5) - 1))]


def served_times(access_log: Path) -> dict[tuple[str, str], list[float]]:
    """Request times (ms) nginx logged (deploy's `terreau` format: `$request_time` after the
    status and size), by method and the locust name of the path; WebSockets left out."""
    found: dict[tuple[str, str], list[float]] = defaultdict(list)
    if not access_log.exists():
        return found
    for line in access_log.read_text(errors="replace").splitlines():
        try:
            request = line.split('"')[1]
            status, _size, seconds = line.split('"')[2].split()[:3]
            method, target = request.split()[:2]
        except (IndexError, ValueError):
            continue
        if status == "101" or target.startswith("/socket.io"):
            continue
        found[(method, locust_name(target))].append(float(seconds) * 1000)
    return found


def locust_name(target: str) -> str:
    """/members/12 → /members/[id]; /search?q=lyon → /search?q=; as the locustfile names."""
    path, _, query = target.partition("?")
    parts = path.split("/")
    named = []
    for n, part in enumerate(parts):
        if part.isdigit():
            named.append("[id]")
        elif n > 0 and parts[n - 1] == "reactions":
            named.append("[emoji]")
        else:
            named.append(part)
    path = "/".join(named)
    key = query.split("=", 1)[0] if query else ""
    if key in ("q", "before"):
        return f"{path}?{key}="
    return path


def top_functions(path: Path, count: int = 25) -> list[str]:
    """The functions of a py-spy raw profile by inclusive share of samples (project code and
    the libraries' main entry points), and the leaf functions by self share."""
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    handlers: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        n = int(samples)
        total += n
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[_short(frame)] += n
        leaf[_short(frames[-1])] += n
        handlers[_handler(frames)] += n
    lines = [
        f"py-spy: {total} samples (100 a second of CPU)",
        "",
        "| by handler | samples | share |",
        "| --- | ---: | ---: |",
    ]
    for name, n in handlers.most_common(count):
        lines.append(f"| `{name}` | {n} | {n / total * 100:.1f} % |")
    lines += ["", "| inclusive | function |", "| ---: | --- |"]
    shown = [name for name, _n in inclusive.most_common() if "network/" in name][:count]
    lines += [f"| {inclusive[name] / total * 100:.1f} % | `{name}` |" for name in shown]
    lines += ["", "| self | function |", "| ---: | --- |"]
    for name, n in leaf.most_common(count):
        lines.append(f"| {n / total * 100:.1f} % | `{name}` |")
    return lines


HANDLER_FILES = ("views.py", "api.py", "events.py", "staff_views.py")


def _handler(frames: list[str]) -> str:
    """The view, API or Socket.IO handler a stack runs (its outermost frame in such a file of
    network/), or what runs outside requests."""
    for frame in frames:
        where = frame.partition(" (")[2]
        if "network/" in where and where.split(":")[0].endswith(HANDLER_FILES):
            return _short(frame)
    for frame in frames:
        if "network/" in frame.partition(" (")[2]:
            return "(other) " + _short(frame)
    return "(outside the app) " + _short(frames[-1])


def _short(frame: str) -> str:
    """`function (file:line)` → `function (file)` with the path shortened."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/wt/load/", "lib/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


# --- modes ------------------------------------------------------------------------------------


def run_sqlite(args: argparse.Namespace, data_dir: Path, data: dict) -> list[dict]:
    port = free_port()
    url = f"http://{HOST}:{port}"
    env = server_env(data_dir, None, None, 0)
    results = []
    with process(
        [sys.executable, "-m", "network", "--host", HOST, "--port", str(port)],
        data_dir / "server.log",
        env,
    ) as server:
        wait_until_up(url, server)
        for users in args.users:
            reset_state(data, None, data_dir, None)
            results.append(measure(args, url, data_dir, users, {"server": server.pid}, server.pid))
    return results


def run_nginx(args: argparse.Namespace, data_dir: Path, data: dict) -> list[dict]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    ports = [free_port(), free_port()]
    deployed = args.front == "deploy"
    statements = Statements(args.database_url)
    results = []
    with ExitStack() as stack:
        servers = []
        for n, port in enumerate(ports):
            folder = data_dir / f"server{n + 1}"
            if not folder.exists():  # one Whoosh index per server (a folder each)
                folder.mkdir()
                if (data_dir / "search-index").exists():
                    shutil.copytree(data_dir / "search-index", folder / "search-index")
            env = server_env(folder, args.database_url, args.redis_url, 1)
            if deployed:
                env["TERREAU_BIND"] = f"{HOST}:{port}"
                command = [
                    str(VENV_BIN / "gunicorn"),
                    "-c",
                    str(DEPLOY_GUNICORN),
                    "network.wsgi:app",
                ]
            else:
                command = [sys.executable, "-m", "network", "--host", HOST, "--port", str(port)]
            servers.append(stack.enter_context(process(command, folder / "server.log", env)))
        for server, port in zip(servers, ports, strict=True):
            wait_until_up(f"http://{HOST}:{port}", server)
        front = free_port()
        if deployed:
            config = deploy_site(data_dir / "nginx", ports, free_port(), front, args.balance)
            url = f"https://{HOST}:{front}"
        else:
            config = nginx_config(data_dir / "nginx", front, ports, args.balance)
            url = f"http://{HOST}:{front}"
        command = [
            nginx,
            "-p",
            str(config.parent),
            "-e",
            str(config.parent / "error.log"),
            "-c",
            str(config),
        ]
        proxy = stack.enter_context(process(command, data_dir / "nginx.log"))
        wait_until_up(url, proxy)
        # the processes that serve: gunicorn's worker, not its arbiter
        workers = [tree(s.pid)[-1] if deployed else s.pid for s in servers]
        watched = {"server 1": servers[0].pid, "server 2": servers[1].pid, "nginx": proxy.pid}
        postmaster = statements.postmaster()
        if postmaster:
            watched["postgres"] = postmaster
        for users in args.users:
            reset_state(data, args.database_url, data_dir, args.redis_url)
            log = data_dir / "nginx" / "terreau.access.log" if deployed else None
            results.append(
                measure(args, url, data_dir, users, watched, workers[0], statements, log)
            )
    return results


def measure(
    args: argparse.Namespace,
    url: str,
    data_dir: Path,
    users: int,
    watched: dict[str, int],
    profiled: int,
    statements: "Statements | None" = None,
    access_log: Path | None = None,
) -> dict:
    def start_counting() -> None:
        if statements:
            statements.reset()
        if access_log and access_log.exists():
            access_log.write_text("")  # nginx appends: this run's requests only

    start_counting()
    ramp = args.ramp
    prefix = data_dir / (f"{args.mode}-{users}" + (f"-ramp{ramp}" if ramp else ""))
    profile = (profiled, args.profile) if args.profile else None
    result = run_locust(
        url,
        data_dir / "load.json",
        users,
        args.seconds,
        args.spawn_rate,
        prefix,
        profile,
        watched,
        statements.sample if statements and statements.url else None,
        ramp,
        start_counting,
    )
    if access_log:
        result["served"] = served_times(access_log)
    lines = table(result)
    if statements:
        result["statements"] = statements.top()
    spy = Path(str(prefix) + "-profile.txt")
    if profile and spy.exists():
        result["profile"] = top_functions(spy)
    arrival = f", arriving over {ramp} s, then {args.seconds} s measured" if ramp else ""
    print(f"\n### {args.mode}, {users} users{arrival}\n", flush=True)
    print(
        "\n".join(lines + [""] + result.get("statements", []) + [""] + result.get("profile", [])),
        flush=True,
    )
    return result


def growth(results: list[dict]) -> list[str]:
    """How the cost grows with the users: requests/s, CPU s per 1,000 requests, p95 pages."""
    lines = [
        "| users | requests/s | CPU s per 1,000 requests (servers) | pages p50 | pages p95 |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        total = next(r for r in result["rows"] if r["Name"] == "Aggregated")
        count = int(total["Request Count"])
        servers = sum(v for k, v in result["cpu"].items() if k.startswith("server"))
        pages = [r for r in result["rows"] if is_page(r)]
        weighted = sorted((float(r[q]), int(r["Request Count"])) for r in pages for q in ("50%",))
        p50 = _weighted_median(weighted)
        p95 = max((float(r["95%"]) for r in pages), default=0)
        lines.append(
            f"| {result['users']} | {float(total['Requests/s']):.1f} |"
            f" {servers / max(count, 1) * 1000:.1f} | {p50:.0f} | {p95:.0f} (worst page) |"
        )
    return lines


def _weighted_median(values: list[tuple[float, int]]) -> float:
    total = sum(n for _, n in values)
    seen = 0
    for value, n in values:
        seen += n
        if seen * 2 >= total:
            return value
    return 0.0


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("sqlite", "nginx"), default="sqlite")
    parser.add_argument(
        "--users", default="100,200,300", type=lambda v: [int(u) for u in v.split(",")]
    )
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=int, default=30)
    parser.add_argument(
        "--ramp",
        type=int,
        default=0,
        metavar="SECONDS",
        help="the members sign in evenly over this long, then --seconds of steady state are"
        " measured (figures reset); 0: --spawn-rate a second, the sign-ins measured",
    )
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--data-dir", type=Path, help="reused when it holds load.json")
    parser.add_argument("--database-url", help="PostgreSQL (nginx mode; re-created)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument(
        "--balance",
        default="hash $http_x_load_member consistent",
        help='the upstream balancing: "ip_hash" sends everything from one'
        " load generator to one server",
    )
    parser.add_argument(
        "--front",
        choices=("deploy", "bench"),
        default="deploy" if DEPLOY_SITE.exists() else "bench",
        help="nginx mode: deploy/'s nginx site (TLS) and gunicorn servers, or the bench's"
        " plain-HTTP nginx configuration and `python -m network` servers",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="SECONDS",
        help="py-spy the (first) server this long during each run",
    )
    parser.add_argument("--top", type=Path, help="only summarise this py-spy raw profile")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.top:
        print("\n".join(top_functions(args.top)))
        return
    if args.mode == "nginx" and not args.database_url:
        raise SystemExit("--mode nginx needs --database-url (PostgreSQL)")
    data_dir = args.data_dir or Path(f"/tmp/terreau-load-{args.mode}")
    data_dir.mkdir(parents=True, exist_ok=True)
    data_path = data_dir / "load.json"
    if data_path.exists():
        data = json.loads(data_path.read_text())
        print(f"Reusing the data set in {data_dir}", flush=True)
        migrate(data_dir, args.database_url if args.mode == "nginx" else None)
    else:
        print(f"Seeding {data_dir} …", flush=True)
        if args.database_url:
            recreate_database(args.database_url)
        database_url = args.database_url if args.mode == "nginx" else None
        data = build(data_dir, database_url, args.members, args.accounts, args.posts, args.messages)
    run = run_nginx if args.mode == "nginx" else run_sqlite
    results = run(args, data_dir, data)
    print("\n### growth\n")
    print("\n".join(growth(results)))


if __name__ == "__main__":
    main()
