"""Build one member's data export (the ZIP) and run the exit of another, at scale.

A member with `--messages` chat messages, `--posts` posts and as many comments, in a fresh
SQLite database; prints the export's build time and size, and the exit's time. In process
(no server): the export and the exit run outside any page (the cron's tick, a staff action).

    .venv/bin/python bench/privacy_bench.py --messages 20000 --posts 2000
"""

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--posts", type=int, default=2000)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from config import TestingConfig
    from network import create_app
    from network.chat.models import Channel, ChannelKind, Message
    from network.core.models import utcnow
    from network.extensions import db
    from network.feed.models import Comment, Post
    from network.members import operations as members
    from network.privacy import operations
    from network.privacy.models import DataExport

    folder = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    app = create_app(
        TestingConfig,
        DATA_DIR=str(folder),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench.sqlite3'}",
        PRIVACY_EXPORT_THREAD=False,
    )
    with app.test_request_context():
        upgrade()
        people = [
            members.create_member(
                email=f"m{n}@example.org",
                display_name=f"Membre {n}",
                status="associate",
                role="staff" if n == 0 else "member",
            )
            for n in range(3)
        ]
        staff, member, other = people
        channel = Channel(kind=ChannelKind.PUBLIC, name="Général", created_by_id=staff.id)
        db.session.add(channel)
        db.session.flush()
        now = utcnow()
        db.session.execute(
            insert(Message),
            [
                {
                    "channel_id": channel.id,
                    "author_id": member.id,
                    "client_id": f"c{n}",
                    "body": f"Message {n} " * 8,
                    "body_html": f"<p>Message {n}</p>",
                    "created_at": now,
                }
                for n in range(args.messages)
            ],
        )
        db.session.execute(
            insert(Post),
            [
                {
                    "author_id": member.id,
                    "body": f"Post {n} " * 20,
                    "body_html": f"<p>{n}</p>",
                    "created_at": now,
                }
                for n in range(args.posts)
            ],
        )
        db.session.commit()
        post_ids = [p for (p,) in db.session.query(Post.id)]
        db.session.execute(
            insert(Comment),
            [
                {
                    "post_id": p,
                    "author_id": member.id,
                    "body": "Bravo",
                    "body_html": "Bravo",
                    "created_at": now,
                }
                for p in post_ids
            ],
        )
        db.session.commit()
        started = time.perf_counter()
        export = DataExport(member_id=member.id)
        db.session.add(export)
        db.session.flush()
        operations.build_export(export)
        db.session.commit()
        built = time.perf_counter() - started
        print(f"rows: {operations.export_size(member.id)}")
        print(f"export: {built:.2f} s, {export.size / 1024:.0f} KiB")
        started = time.perf_counter()
        operations.run_exit(db.session.get(type(staff), staff.id), member, "erasure", True)
        db.session.commit()
        print(f"exit (writings deleted): {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
