"""The feed's follow-up list on the staff home: official notices and who has not read them
(see `network.core.staff_lists`), with a reminder to send."""

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from network.core.staff_lists import Column, StaffList, register_staff_list
from network.extensions import db
from network.feed.models import NoticeAck, Post, PostKind
from network.feed.operations import unread_by
from network.members.models import Member

NOTICES = 20  # the latest notices listed
NAMES_SHOWN = 30  # names of members who have not read, on the page (all in CSV and API)


def _title(body: str) -> str:
    first = next((line.strip(" #*>-") for line in body.splitlines() if line.strip()), "")
    return first[:80] + ("…" if len(first) > 80 else "")


def unread_notices(full: bool = False) -> list[dict[str, Any]]:
    """The latest live notices with how many active members have read them and who has not
    (two queries, then one a notice for the names)."""
    posts = list(
        db.session.scalars(
            select(Post)
            .where(
                Post.kind == PostKind.NOTICE, Post.deleted_at.is_(None), Post.hidden_at.is_(None)
            )
            .order_by(Post.id.desc())
            .limit(NOTICES)
        )
    )
    read = dict(
        db.session.execute(
            select(NoticeAck.post_id, func.count())
            .join(Member, Member.id == NoticeAck.member_id)
            .where(NoticeAck.post_id.in_([p.id for p in posts]), Member.is_active.is_(True))
            .group_by(NoticeAck.post_id)
        ).all()
    )
    rows = []
    for post in posts:
        query = (
            select(Member.display_name)
            .where(Member.id.in_(unread_by(post).scalar_subquery()))
            .order_by(Member.name_key, Member.id)
        )
        names = list(db.session.scalars(query if full else query.limit(NAMES_SHOWN + 1)))
        unread = (
            len(names)
            if full or len(names) <= NAMES_SHOWN
            else db.session.scalar(select(func.count()).select_from(unread_by(post).subquery()))
            or 0
        )
        rows.append(
            {
                "post_id": post.id,
                "notice": _title(post.body),
                "published_on": post.created_at.date(),
                "read": read.get(post.id, 0),
                "not_read": unread,
                "not_read_by": names[:NAMES_SHOWN] if not full else names,
                "reminded_at": post.reminded_at.isoformat() if post.reminded_at else None,
                "_more": unread - len(names[:NAMES_SHOWN]) if not full else 0,
                "_url": url_for("feed.post", post_id=post.id),
                "_action": url_for("feed.remind_notice", post_id=post.id) if unread else None,
            }
        )
    return rows


register_staff_list(
    StaffList(
        name="unread-notices",
        title=_l("Official notices not read"),
        description=_l(
            "Who has not yet said « J'ai lu » on the latest notices. A reminder notifies them "
            "again (at most once a day per notice)."
        ),
        columns=(
            Column("notice", _l("Notice")),
            Column("published_on", _l("Published"), "date"),
            Column("read", _l("Read"), "count"),
            Column("not_read", _l("Not read"), "count"),
            Column("not_read_by", _l("Not read by"), "names"),
        ),
        load=unread_notices,
        empty=_l("No official notice yet."),
        action=_l("Send a reminder"),
    )
)
