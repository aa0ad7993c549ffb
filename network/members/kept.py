"""The member behind each socket event, kept in memory between events (one process only).

Loading the member from the database was about a quarter of the CPU of a chat message's send
path (docs/benchmarks.md, live channels). The first event of a member loads them and keeps a
detached copy of their columns; the next events merge that copy into their session without
a query (`Session.merge(load=False)`: a persistent object like any other, its relationships
loaded on demand).

A member is forgotten whenever their row changes (any ORM update or delete of a `Member`:
at the flush, and again once the transaction commits, so that no event reading the row
before the commit keeps the old version) and when one of their connections closes. With
several processes (`REDIS_URL`) a change made by one process would not reach the others'
memories: nothing is kept then, every event loads its member.
"""

from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import make_transient_to_detached, object_session
from sqlalchemy.orm.attributes import set_committed_value

from network.core.events import after_commit
from network.core.kept import Kept
from network.extensions import db
from network.members.models import Member

KEY = "terreau_kept_members"
_MISSING = object()


def init_kept(app: Flask) -> None:
    # member id → a detached copy of their columns
    app.extensions[KEY] = None if app.config["REDIS_URL"] else Kept[int, Member]()


def _kept() -> Kept[int, Member] | None:
    return current_app.extensions.get(KEY) if has_app_context() else None


def load_member(member_id: int) -> Member | None:
    """The member of a socket event, as `db.session.get` would give it."""
    kept = _kept()
    if kept is None:
        return db.session.get(Member, member_id)
    copy = kept.get(member_id)
    if copy is not None:
        return db.session.merge(copy, load=False)
    generation = kept.generation(member_id)
    member = db.session.get(Member, member_id)
    if member is not None:
        kept.keep(member_id, _detached_copy(member), generation)
    return member


def forget_member(member_id: int) -> None:
    kept = _kept()
    if kept is not None:
        kept.forget(member_id)


def _detached_copy(member: Member) -> Member:
    """A new `Member` holding the loaded columns of `member`, detached, with no changes.

    Lists and dicts (languages, links…) are left out: a merged copy would share them with
    every later event, so one changed in place would change the kept copy. They are loaded
    on first use instead."""
    loaded = inspect(member).dict
    copy: Member = Member.__mapper__.class_manager.new_instance()
    for attribute in Member.__mapper__.column_attrs:
        value = loaded.get(attribute.key, _MISSING)
        if value is not _MISSING and not isinstance(value, list | dict | set):
            set_committed_value(copy, attribute.key, value)
    make_transient_to_detached(copy)
    return copy


def _changed(_mapper: Any, _connection: Any, member: Member) -> None:
    forget_member(member.id)
    session = object_session(member)
    if session is not None:
        after_commit(session, forget_member, member.id)


event.listen(Member, "after_update", _changed)
event.listen(Member, "after_delete", _changed)
