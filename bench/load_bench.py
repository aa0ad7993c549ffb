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
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
LOCUSTFILE = BENCH_DIR / "load" / "locustfile.py"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
ACCOUNT_DOMAIN = "load.terreau.example"
CHAT_CHANNELS = 6
EXTRA_DESKS = 4


# --- data -------------------------------------------------------------------------------------


def build(data_dir: Path, database_url: str | None, members: int, accounts: int, posts: int,
          messages: int) -> dict:  # fmt: skip
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
    app = create_app()
    app.config["SEARCH_WRITE_DELAY"] = None
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
                {"member_id": member_id, "name": "load bench", "is_personal": False,
                 "token_hash": hashlib.sha256(token.encode()).hexdigest(), "created_at": now,
                 "expires_at": None, "revoked_at": None}  # fmt: skip
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
                    {"channel_id": channel.id, "member_id": m, "role": "member",
                     "last_read_id": 0, "joined_at": now}  # fmt: skip
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
                site=site, name=f"Plateau {n + 2}", kind=SpaceKind.DESK_AREA, capacity=20,
                granularity=Granularity.HALF_DAYS, slot_minutes=30, min_minutes=60,
                max_minutes=660, needs_approval=False, check_in_required=False,
                equipment=["wifi"], opening_hours=week, description="Plateau de postes.",
            )  # fmt: skip
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
        directory = [g.id for g in generated if g.status != "alumnus"][:2000]
    data = {
        "password": password,
        "accounts": [
            {"id": m.id, "email": m.email, "token": tokens[m.id], "channel": channel_ids[i % len(channel_ids)]}
            for i, m in enumerate(loaders)
        ],  # fmt: skip
        "channels": channel_ids,
        "posts": post_ids[-500:],
        "desks": spaces,
        "profiles": directory,
        "words": sorted({w for name in skills for w in name.split() if len(w) > 4 and w.isalpha()}),
    }
    (data_dir / "load.json").write_text(json.dumps(data))
    return data


SUBJECTS = (
    "Je cherche un·e graphiste pour un projet à Lyon", "Retour sur l'atelier d'hier",
    "Qui serait partant·e pour un déjeuner jeudi", "Besoin d'un conseil sur un devis",
    "Nouvelle cliente signée grâce à la coopérative", "Je partage un modèle de contrat",
    "Quelqu'un connaît un bon logiciel de facturation", "Appel à coopération sur un marché",
    "Je propose un créneau de mentorat", "Petit rappel pour vendredi",
)  # fmt: skip
DETAILS = (
    "Le cahier des charges est **prêt** et le budget validé.",
    "Merci à toutes les personnes présentes, le support est dans l'espace documents.",
    "On peut en parler au café, ou par message.", "Toutes les idées sont bienvenues.",
    "Deux jours de travail environ, à partir de la semaine prochaine.", "",
)  # fmt: skip
TAGS = ("#entraide", "#formation", "#compta", "#coworking", "#réseau", "#atelier", "")
CHAT = (
    "Bonjour à toutes et tous !", "Quelqu'un a la clé de la salle Jaurès ?",
    "Je serai au plateau demain matin.", "Merci pour l'info 👍", "On se retrouve à midi ?",
    "Le devis est parti, je croise les doigts.", "Qui connaît un bon imprimeur à Lyon ?",
)  # fmt: skip


def _post_body(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)}. {rng.choice(DETAILS)} {rng.choice(TAGS)}".strip()


def _message_body(rng: random.Random) -> str:
    return rng.choice(CHAT)
