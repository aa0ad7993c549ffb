"""Chat operations: channels, membership, messages, reactions, read markers.

Operations check permissions, change the session and queue live events after commit; the
boundary (view, API route, socket handler) commits once.
"""

from typing import Any, cast

from flask import url_for
from flask_babel import lazy_gettext as _l
from limits import RateLimitItemPerMinute
from sqlalchemy import Table, and_, bindparam, delete, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from network.chat import live
from network.chat.models import (
    Channel,
    ChannelKind,
    ChannelMember,
    ChannelRole,
    Mention,
    Message,
    MessageEdit,
    Reaction,
)
from network.chat.permissions import may_manage, may_post, may_read
from network.cooperative import current_settings
from network.core import images, ratelimit, signals
from network.core.client_ids import CLIENT_ID
from network.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    TooManyRequests,
)
from network.core.events import after_commit, before_commit
from network.core.ids import is_id
from network.core.markup import render_markdown
from network.core.mentions import link_mentions, resolve
from network.core.models import utcnow
from network.core.permissions import require_staff
from network.core.registries import index_later
from network.core.text import fold
from network.extensions import db
from network.members.models import Member

MAX_BODY = 4000
MAX_IMAGES = 4
IMAGE_SIZES = {"full": 1600}
MAX_DIRECT_OTHERS = 8
#: The reactions members can add: a small set, as in the feed.
EMOJI = ("👍", "❤️", "😄", "🎉", "🙏", "👀", "✅", "🤔")
CHANNEL_MENTION = "@channel"
#: "@" and the characters folded into it ("＠", "﹫"): a text without them mentions no one.
AT_SIGNS = ("@", "\uff20", "\ufe6b")

UNKNOWN: Any = object()  # an argument not given

CHANNEL_NOT_FOUND = _l("This channel does not exist or you cannot see it.")
MESSAGE_NOT_FOUND = _l("This message does not exist or you cannot see it.")


# --- lookups -------------------------------------------------------------------------------


def membership_of(channel_id: int, member_id: int) -> ChannelMember | None:
    return db.session.get(ChannelMember, (channel_id, member_id))


#: A channel with one member's membership, if any (one statement on every event).
_CHANNEL_AND_MEMBERSHIP = (
    select(Channel, ChannelMember)
    .outerjoin(
        ChannelMember,
        and_(
            ChannelMember.channel_id == Channel.id,
            ChannelMember.member_id == bindparam("member_id"),
        ),
    )
    .where(Channel.id == bindparam("channel_id"))
)


def readable_channel(viewer: Any, channel_id: Any) -> tuple[Channel, ChannelMember | None]:
    """The channel and the viewer's membership; a forbidden channel is answered as missing."""
    found = None
    if is_id(channel_id):
        found = db.session.execute(
            _CHANNEL_AND_MEMBERSHIP, {"channel_id": channel_id, "member_id": viewer.id}
        ).first()
    if found is None or not may_read(viewer, found[0], found[1]):
        raise NotFound(CHANNEL_NOT_FOUND)
    return found[0], found[1]


def readable_message(viewer: Any, message_id: Any) -> tuple[Message, Channel, ChannelMember | None]:
    message = db.session.get(Message, message_id) if is_id(message_id) else None
    if message is None:
        raise NotFound(MESSAGE_NOT_FOUND)
    try:
        channel, membership = readable_channel(viewer, message.channel_id)
    except NotFound:
        raise NotFound(MESSAGE_NOT_FOUND) from None
    return message, channel, membership


def _active_members(ids: Any) -> list[Member]:
    if not isinstance(ids, list) or not all(is_id(i) for i in ids):
        raise Invalid(fields={"member_ids": _l("Give a list of member ids.")})
    found = list(
        db.session.scalars(select(Member).where(Member.id.in_(ids), Member.is_active.is_(True)))
    )
    if len(found) != len(set(ids)):
        raise Invalid(fields={"member_ids": _l("Some of these members do not exist.")})
    return found


# --- channels ------------------------------------------------------------------------------


def _channel_fields(data: dict[str, Any], *, partial: bool) -> dict[str, str]:
    limits = {"name": 80, "topic": 250, "description": 2000}
    fields, errors = {}, {}
    for key, maximum in limits.items():
        if key not in data:
            continue
        value = data[key]
        if not isinstance(value, str):
            errors[key] = _l("Must be text.")
            continue
        value = " ".join(value.split()) if key != "description" else value.strip()
        if len(value) > maximum:
            errors[key] = _l("At most %(max)s characters.", max=maximum)
        fields[key] = value
    if not partial and not fields.get("name"):
        errors["name"] = _l("Give the channel a name.")
    if partial and "name" in fields and not fields["name"]:
        errors["name"] = _l("Give the channel a name.")
    if errors:
        raise Invalid(fields=errors)
    return fields


def _check_name_free(name: str, except_id: int | None = None) -> str:
    key = fold(name)
    clash = db.session.scalar(
        select(Channel).where(
            Channel.name_key == key, Channel.kind != ChannelKind.DIRECT, Channel.id != except_id
        )
    )
    if clash:
        raise Conflict(
            _l("A channel is already called “%(name)s”.", name=clash.name),
            fields={"name": _l("Choose another name.")},
        )
    return key


def create_channel(actor: Member, data: dict[str, Any]) -> Channel:
    kind = data.get("kind", "public")
    if kind not in (ChannelKind.PUBLIC, ChannelKind.PRIVATE):
        raise Invalid(fields={"kind": _l("Choose public or private.")})
    fields = _channel_fields(data, partial=False)
    announcement = data.get("announcement", False) in (True, "1", "on", "true")
    if announcement:
        require_staff(actor)
    invited = _active_members(data.get("member_ids") or [])
    channel = Channel(
        kind=ChannelKind(kind),
        name_key=_check_name_free(fields["name"]),
        announcement=announcement,
        created_by_id=actor.id,
        **fields,
    )
    db.session.add(channel)
    db.session.flush()
    db.session.add(ChannelMember(channel=channel, member_id=actor.id, role=ChannelRole.OWNER))
    for member in invited:
        if member.id != actor.id:
            db.session.add(ChannelMember(channel=channel, member_id=member.id))
    db.session.flush()
    if channel.kind == ChannelKind.PUBLIC:
        signals.channel_created.send(channel, actor=actor)
    for member in invited:
        live.channel_added(member.id, channel.id)
    return channel


def update_channel(actor: Member, channel: Channel, data: dict[str, Any]) -> Channel:
    if not may_manage(actor, channel, membership_of(channel.id, actor.id)):
        raise Forbidden(_l("Only the channel's owners and the support team can change it."))
    fields = _channel_fields(data, partial=True)
    if "name" in fields:
        channel.name_key = _check_name_free(fields["name"], except_id=channel.id)
    for key, value in fields.items():
        setattr(channel, key, value)
    if "archived" in data:
        archived = data["archived"]
        if not isinstance(archived, bool):
            raise Invalid(fields={"archived": _l("Must be true or false.")})
        channel.archived_at = (channel.archived_at or utcnow()) if archived else None
    if "auto_join" in data:
        if not isinstance(data["auto_join"], bool):
            raise Invalid(fields={"auto_join": _l("Must be true or false.")})
        if data["auto_join"] and channel.kind != ChannelKind.PUBLIC:
            raise Invalid(fields={"auto_join": _l("Only public channels are joined on arrival.")})
        require_staff(actor)
        channel.auto_join = data["auto_join"]
    live.channel_changed(channel)
    return channel


def add_member(actor: Member, channel: Channel, member_id: Any) -> ChannelMember:
    """Join a public channel yourself; owners and staff invite members to theirs."""
    if channel.is_direct:
        raise Conflict(_l("Start a new conversation to talk with more people."))
    if channel.is_archived:
        raise Conflict(_l("This channel is archived: it is read-only."))
    (member,) = _active_members([member_id])
    joining_public = member.id == actor.id and channel.kind == ChannelKind.PUBLIC
    if not joining_public and not may_manage(actor, channel, membership_of(channel.id, actor.id)):
        raise Forbidden(_l("Only the channel's owners and the support team can invite members."))
    existing = membership_of(channel.id, member.id)
    if existing:
        return existing
    # History from before one joined counts as read: unread counts only what comes next.
    membership = ChannelMember(
        channel_id=channel.id, member_id=member.id, last_read_id=channel.last_message_id
    )
    db.session.add(membership)
    db.session.flush()
    live.channel_added(member.id, channel.id)
    live.member_joined(channel.id, member)
    return membership


def join_arrival_channels(member: Member) -> list[int]:
    """The new member joins every open auto-join channel (the general and announcement
    channels); return their ids."""
    last = dict(
        db.session.execute(
            select(Channel.id, Channel.last_message_id).where(
                Channel.auto_join.is_(True),
                Channel.kind == ChannelKind.PUBLIC,
                Channel.archived_at.is_(None),
            )
        ).all()
    )
    ids = sorted(last)
    mine = set(
        db.session.scalars(
            select(ChannelMember.channel_id).where(
                ChannelMember.member_id == member.id, ChannelMember.channel_id.in_(ids)
            )
        )
    )
    for channel_id in ids:
        if channel_id not in mine:
            db.session.add(
                ChannelMember(
                    channel_id=channel_id, member_id=member.id, last_read_id=last[channel_id]
                )
            )
            live.member_joined(channel_id, member)
    db.session.flush()
    return ids


def remove_member(actor: Member, channel: Channel, member_id: Any) -> None:
    """Leave a channel, or (owners and staff) remove someone: they stop hearing it at once."""
    membership = membership_of(channel.id, member_id) if is_id(member_id) else None
    if membership is None:
        raise NotFound(_l("This member is not in the channel."))
    if member_id != actor.id and not may_manage(
        actor, channel, membership_of(channel.id, actor.id)
    ):
        raise Forbidden(_l("Only the channel's owners and the support team can remove members."))
    db.session.delete(membership)
    db.session.flush()
    live.channel_removed(member_id, channel.id)
    live.member_left(channel.id, member_id)


def set_role(actor: Member, channel: Channel, member_id: Any, role: Any) -> ChannelMember:
    """Owners and staff make a member an owner, a poster (announcement channels) or plain."""
    if not may_manage(actor, channel, membership_of(channel.id, actor.id)):
        raise Forbidden(_l("Only the channel's owners and the support team can change roles."))
    membership = membership_of(channel.id, member_id) if is_id(member_id) else None
    if membership is None:
        raise NotFound(_l("This member is not in the channel."))
    if not isinstance(role, str) or role not in set(ChannelRole):
        raise Invalid(fields={"role": _l("Choose owner, poster or member.")})
    membership.role = ChannelRole(role)
    return membership


def open_direct(actor: Member, member_ids: Any) -> tuple[Channel, bool]:
    """The direct conversation between the actor and these members, created when new."""
    others = [m for m in _active_members(member_ids) if m.id != actor.id]
    if not others:
        raise Invalid(fields={"member_ids": _l("Choose at least one other member.")})
    if len(others) > MAX_DIRECT_OTHERS:
        raise Invalid(
            fields={
                "member_ids": _l(
                    "At most %(max)s people; create a channel for more.", max=MAX_DIRECT_OTHERS
                )
            }
        )
    ids = sorted({actor.id, *(m.id for m in others)})
    key = ",".join(map(str, ids))
    existing = db.session.scalar(select(Channel).where(Channel.direct_key == key))
    if existing:
        if membership_of(existing.id, actor.id) is None:  # the actor had left it: back in
            db.session.add(
                ChannelMember(
                    channel_id=existing.id,
                    member_id=actor.id,
                    last_read_id=existing.last_message_id,
                )
            )
        return existing, False
    channel = Channel(kind=ChannelKind.DIRECT, direct_key=key, created_by_id=actor.id)
    db.session.add(channel)
    db.session.flush()
    for member_id in ids:
        db.session.add(ChannelMember(channel_id=channel.id, member_id=member_id))
    db.session.flush()
    for member in others:
        live.channel_added(member.id, channel.id)
    return channel, True


# --- messages ------------------------------------------------------------------------------


def _body(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid(fields={"body": _l("Write a message.")})
    body = raw.strip()
    if len(body) > MAX_BODY:
        raise Invalid(fields={"body": _l("At most %(max)s characters.", max=MAX_BODY)})
    return body


def _check_rate(actor: Member) -> None:
    per_minute = current_settings()["chat_messages_per_minute"]
    if not ratelimit.allow(RateLimitItemPerMinute(per_minute), "chat-send", actor.id):
        raise TooManyRequests(_l("You are sending messages too fast: wait a moment and try again."))


def _mentioned(channel: Channel, body: str) -> tuple[dict[str, int], bool]:
    """`@Name` of the channel's members (name as written → member id), and whether
    `@channel` is used."""
    if not any(at in body for at in AT_SIGNS):  # most messages: nothing to look for
        return {}, False
    everyone = CHANNEL_MENTION in fold(body)

    def lookup(keys: list[str]) -> dict[str, int]:
        rows = db.session.execute(
            select(Member.name_key, Member.id)
            .join(ChannelMember, ChannelMember.member_id == Member.id)
            .where(ChannelMember.channel_id == channel.id, Member.name_key.in_(keys))
        )
        return {key: member_id for key, member_id in rows}

    return resolve(body, lookup), everyone


def _render(body: str, mentioned: dict[str, int]) -> str:
    urls = {name: url_for("members.profile", member_id=i) for name, i in mentioned.items()}
    return render_markdown(link_mentions(body, urls))


def _thread_root(channel: Channel, thread_id: Any) -> Message | None:
    if thread_id in (None, ""):
        return None
    root = db.session.get(Message, thread_id) if is_id(thread_id) else None
    if root is None or root.channel_id != channel.id:
        raise Invalid(fields={"thread_id": _l("This message is not in the channel.")})
    if root.thread_id:
        root = db.session.get(Message, root.thread_id)
    return root


def _store_images(uploads: list[bytes]) -> list[str]:
    if len(uploads) > MAX_IMAGES:
        raise Invalid(fields={"images": _l("At most %(max)s images per message.", max=MAX_IMAGES)})
    try:
        return images.store_images_saved_with(db.session, uploads, "chat", IMAGE_SIZES)
    except Invalid as error:
        raise Invalid(fields={"images": error.message}) from None


#: The columns of a new message written by `post_message` (Core statements: the ORM's unit of
#: work cost more than the rest of sending; see docs/benchmarks.md, live channels).
_MESSAGES = cast(Table, Message.__table__)
_CHANNELS = cast(Table, Channel.__table__)
_MEMBERSHIPS = cast(Table, ChannelMember.__table__)
_INSERT_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)
_PREVIOUS = select(_MESSAGES.c.id, _MESSAGES.c.channel_id).where(
    _MESSAGES.c.author_id == bindparam("author_id"),
    _MESSAGES.c.client_id == bindparam("client_id"),
)
#: Run just before the commit (`before_commit`): the channel's row stays locked only for the
#: commit, not the whole send; and never backwards (a later message may commit first).
_MOVE_CHANNEL = (
    update(_CHANNELS)
    .where(
        _CHANNELS.c.id == bindparam("channel"), _CHANNELS.c.last_message_id < bindparam("message")
    )
    .values(last_message_id=bindparam("message"), last_message_at=bindparam("at"))
)
_MOVE_READ_MARKER = (
    update(_MEMBERSHIPS)
    .where(
        _MEMBERSHIPS.c.channel_id == bindparam("channel"),
        _MEMBERSHIPS.c.member_id == bindparam("member"),
    )
    .values(last_read_id=bindparam("message"))
)


def _previous(actor: Member, client_id: str) -> tuple[int, int] | None:
    """(id, channel id) of the actor's message sent with this `client_id`, if any."""
    row = db.session.execute(_PREVIOUS, {"author_id": actor.id, "client_id": client_id}).first()
    return (row[0], row[1]) if row else None


def _set_loaded(obj: Any, key: str, value: Any) -> None:
    """Give an object of the session the value a Core statement wrote (no second write)."""
    if inspect(obj, raiseerr=False) is not None:
        set_committed_value(obj, key, value)
    else:
        setattr(obj, key, value)


def post_message(
    actor: Member,
    channel: Channel,
    body: Any,
    client_id: Any,
    thread_id: Any = None,
    uploads: list[bytes] | None = None,
    membership: Any = UNKNOWN,
) -> tuple[Message, bool]:
    """Post, or return the message already sent with this `client_id` (never twice); with
    `uploads` (images) the text may be empty. `membership`: the actor's, when the caller
    already has it (None: not a member).

    The new message is written with Core statements and returned as a transient `Message`
    (not in the session) holding every field of it."""
    _check_client_id(client_id)
    previous = _previous(actor, client_id)
    if previous is not None:
        return _sent_before(channel, previous), False
    if membership is UNKNOWN:
        membership = membership_of(channel.id, actor.id)
    draft = _draft(actor, channel, membership, body, client_id, thread_id, uploads)
    try:
        draft.message.id = db.session.execute(_INSERT_MESSAGE, _row(draft.message)).scalar_one()
    except IntegrityError:  # the same client id, sent twice at once (another process)
        db.session.rollback()  # nothing else was written yet
        previous = _previous(actor, client_id)
        if previous is None:
            raise
        return db.session.get_one(Message, previous[0]), False
    previous_id = channel.last_message_id
    _move_markers([draft])
    _published(draft, previous_id)
    return draft.message, True


class _Draft:
    """A message checked and ready to be written, with what its publication needs."""

    __slots__ = ("actor", "channel", "everyone", "membership", "mentioned", "message", "root")

    def __init__(
        self,
        actor: Member,
        channel: Channel,
        membership: ChannelMember,
        message: Message,
        root: Message | None,
        mentioned: set[int],
        everyone: bool,
    ) -> None:
        self.actor, self.channel, self.membership = actor, channel, membership
        self.message, self.root = message, root
        self.mentioned, self.everyone = mentioned, everyone


def _check_client_id(client_id: Any) -> None:
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise Invalid(fields={"client_id": _l("Give a unique id of 1 to 64 letters or digits.")})


def _sent_before(channel: Channel, previous: tuple[int, int]) -> Message:
    """The message already sent with a client id (in another channel: a conflict)."""
    if previous[1] != channel.id:
        raise Conflict(fields={"client_id": _l("This id was used for another message.")})
    return db.session.get_one(Message, previous[0])


def _draft(
    actor: Member,
    channel: Channel,
    membership: ChannelMember | None,
    body: Any,
    client_id: str,
    thread_id: Any,
    uploads: list[bytes] | None,
) -> _Draft:
    """Check a new message (channel, rights, text, thread, mentions, rate) and build it."""
    if channel.is_archived:
        raise Conflict(_l("This channel is archived: it is read-only."))
    if membership is None or not may_post(actor, channel, membership):
        if membership is None:
            raise Forbidden(_l("Join the channel to post in it."))
        raise Forbidden(_l("Only some members can post in this announcement channel."))
    text = "" if uploads and not (isinstance(body, str) and body.strip()) else _body(body)
    root = _thread_root(channel, thread_id)
    named, everyone = _mentioned(channel, text)
    if everyone and not may_manage(actor, channel, membership):
        raise Forbidden(
            _l("Only the channel's owners and the support team can notify everyone with @channel.")
        )
    _check_rate(actor)
    message = Message(
        channel_id=channel.id,
        author_id=actor.id,
        client_id=client_id,
        thread_id=root.id if root else None,
        body=text,
        body_html=_render(text, named) if text else "",
        images=_store_images(uploads) if uploads else [],
        reply_count=0,
        created_at=utcnow(),
        edited_at=None,
        deleted_at=None,
    )
    return _Draft(actor, channel, membership, message, root, set(named.values()), everyone)


_ROW = (
    "channel_id",
    "author_id",
    "client_id",
    "thread_id",
    "body",
    "body_html",
    "images",
    "reply_count",
    "created_at",
)


def _row(message: Message) -> dict[str, Any]:
    return {key: getattr(message, key) for key in _ROW}


def _move_markers(drafts: list[_Draft]) -> None:
    """Written messages (ids known) become their channel's last message and their author's
    read marker: one statement per channel, one per author and channel."""
    last: dict[int, _Draft] = {}
    read: dict[tuple[int, int], _Draft] = {}
    for draft in drafts:  # in the order written: the last one wins
        last[draft.channel.id] = draft
        read[(draft.channel.id, draft.actor.id)] = draft
    moves = [
        {"channel": channel_id, "message": d.message.id, "at": d.message.created_at}
        for channel_id, d in sorted(last.items())  # rows locked in one order by every batch
    ]
    before_commit(db.session, db.session.execute, _MOVE_CHANNEL, moves)
    markers = [
        {"channel": channel_id, "member": member_id, "message": d.message.id}
        for (channel_id, member_id), d in read.items()
    ]
    db.session.execute(_MOVE_READ_MARKER, markers)
    for d in last.values():
        _set_loaded(d.channel, "last_message_id", d.message.id)
        _set_loaded(d.channel, "last_message_at", d.message.created_at)
    for d in read.values():
        _set_loaded(d.membership, "last_read_id", d.message.id)


def _published(draft: _Draft, previous_id: int | None) -> None:
    """What follows a written message: its thread's count, mentions, search, live event
    and signal (`previous_id`: the channel's last message before it)."""
    message, channel, actor, root = draft.message, draft.channel, draft.actor, draft.root
    message.author = actor  # the message stays transient: no cascade into the session
    message.channel = channel
    if root:
        root.reply_count = (root.reply_count or 0) + 1
    _record_mentions(channel, message, draft.mentioned, draft.everyone, actor)
    index_later("message", message.id, new=True, obj=message)
    live.message_posted(
        message, sorted(draft.mentioned), draft.everyone, root.reply_count if root else None
    )
    signals.message_posted.send(
        message,
        channel=channel,
        mentioned=sorted(draft.mentioned - {actor.id}),
        everyone=draft.everyone,
        actor=actor,
        previous_id=previous_id,
    )


_INSERT_MESSAGES = insert(_MESSAGES).returning(_MESSAGES.c.id, sort_by_parameter_order=True)


def post_messages(
    sends: list[tuple[Member, dict[str, Any]]],
) -> list[tuple[Message, bool] | DomainError]:
    """Several `send` events of socket connections (actor, {channel_id, body, client_id,
    thread_id}) in the current transaction: each checked as `post_message` checks one (a
    refused send is answered by its error and does not stop the others), the new ones
    written together (one insert, one move of each channel's last message and of each
    author's read marker). A `client_id` sent twice in the batch gives the same message.

    The caller commits; a database error (say a client id written meanwhile by another
    process) propagates: write the sends one at a time then."""
    channels, memberships = _channels_and_memberships(sends)
    previous = _previous_many(sends)
    outcomes: list[Any] = []
    drafts: dict[tuple[int, str], _Draft] = {}
    for actor, data in sends:
        try:
            outcomes.append(_one_of_many(actor, data, channels, memberships, previous, drafts))
        except DomainError as error:
            outcomes.append(error)
    written = list(drafts.values())
    if written:
        rows = [_row(d.message) for d in written]
        for d, message_id in zip(written, db.session.scalars(_INSERT_MESSAGES, rows), strict=True):
            d.message.id = message_id
        before = {d.channel.id: d.channel.last_message_id for d in written}
        _move_markers(written)
        for d in written:
            _published(d, before[d.channel.id])
            before[d.channel.id] = d.message.id
    return [
        (outcome[0].message, outcome[1])
        if isinstance(outcome, tuple) and isinstance(outcome[0], _Draft)
        else outcome
        for outcome in outcomes
    ]


def _channels_and_memberships(
    sends: list[tuple[Member, dict[str, Any]]],
) -> tuple[dict[int, Channel], dict[tuple[int, int], ChannelMember]]:
    """The channels the sends name, and their authors' memberships of them (two statements
    for the batch)."""
    ids = {data.get("channel_id") for _actor, data in sends if is_id(data.get("channel_id"))}
    if not ids:
        return {}, {}
    channels = {c.id: c for c in db.session.scalars(select(Channel).where(Channel.id.in_(ids)))}
    authors = {actor.id for actor, _data in sends}
    found = db.session.scalars(
        select(ChannelMember).where(
            ChannelMember.channel_id.in_(channels), ChannelMember.member_id.in_(authors)
        )
    )
    return channels, {(m.channel_id, m.member_id): m for m in found}


def _previous_many(
    sends: list[tuple[Member, dict[str, Any]]],
) -> dict[tuple[int, str], tuple[int, int]]:
    """(author id, client id) → (id, channel id) of the messages already sent with the
    client ids of the sends (one statement)."""
    keys = {
        (actor.id, data.get("client_id"))
        for actor, data in sends
        if isinstance(data.get("client_id"), str) and CLIENT_ID.fullmatch(data["client_id"])
    }
    if not keys:
        return {}
    rows = db.session.execute(
        select(
            _MESSAGES.c.author_id, _MESSAGES.c.client_id, _MESSAGES.c.id, _MESSAGES.c.channel_id
        ).where(
            _MESSAGES.c.author_id.in_({author for author, _ in keys}),
            _MESSAGES.c.client_id.in_({client_id for _, client_id in keys}),
        )
    )
    return {(a, c): (i, ch) for a, c, i, ch in rows if (a, c) in keys}


def _one_of_many(
    actor: Member,
    data: dict[str, Any],
    channels: dict[int, Channel],
    memberships: dict[tuple[int, int], ChannelMember],
    previous: dict[tuple[int, str], tuple[int, int]],
    drafts: dict[tuple[int, str], _Draft],
) -> tuple[Message | _Draft, bool]:
    """One send of a batch, checked in the order `readable_channel` and `post_message`
    check: the message stored before, the draft of the same client id in this batch, or a
    new draft (added to `drafts`)."""
    channel_id: int = data.get("channel_id")  # type: ignore[assignment]  # checked next
    channel = channels.get(channel_id) if is_id(channel_id) else None
    membership = memberships.get((channel_id, actor.id)) if channel else None
    if channel is None or not may_read(actor, channel, membership):
        raise NotFound(CHANNEL_NOT_FOUND)
    client_id: str = data.get("client_id")  # type: ignore[assignment]  # checked next
    _check_client_id(client_id)
    earlier = previous.get((actor.id, client_id))
    if earlier is not None:
        return _sent_before(channel, earlier), False
    twin = drafts.get((actor.id, client_id))
    if twin is not None:
        if twin.channel.id != channel.id:
            raise Conflict(fields={"client_id": _l("This id was used for another message.")})
        return twin, False
    draft = _draft(
        actor, channel, membership, data.get("body"), client_id, data.get("thread_id"), None
    )
    drafts[(actor.id, client_id)] = draft
    return draft, True


def _record_mentions(
    channel: Channel, message: Message, mentioned: set[int], everyone: bool, actor: Member
) -> None:
    if everyone:
        mentioned = set(
            db.session.scalars(
                select(ChannelMember.member_id).where(ChannelMember.channel_id == channel.id)
            )
        )
    for member_id in mentioned - {actor.id}:
        db.session.merge(Mention(message_id=message.id, member_id=member_id, channel_id=channel.id))


def _own_live_message(
    actor: Member, message_id: Any
) -> tuple[Message, Channel, ChannelMember | None]:
    message, channel, membership = readable_message(actor, message_id)
    if message.is_deleted:
        raise Gone(_l("This message was deleted."))
    if channel.is_archived:
        raise Conflict(_l("This channel is archived: it is read-only."))
    return message, channel, membership


def edit_message(actor: Member, message_id: Any, body: Any) -> Message:
    message, channel, _membership = _own_live_message(actor, message_id)
    if message.author_id != actor.id:
        raise Forbidden(_l("Only its author can edit a message."))
    text = _body(body)
    if text == message.body:
        return message
    db.session.add(
        MessageEdit(
            message_id=message.id,
            body=message.body,
            written_at=message.edited_at or message.created_at,
        )
    )
    named, everyone = _mentioned(channel, text)
    if everyone and not may_manage(actor, channel, _membership):
        raise Forbidden(
            _l("Only the channel's owners and the support team can notify everyone with @channel.")
        )
    message.body, message.body_html, message.edited_at = text, _render(text, named), utcnow()
    _record_mentions(channel, message, set(named.values()), everyone, actor)
    index_later("message", message.id)
    live.message_edited(message)
    return message


def delete_message(actor: Member, message_id: Any) -> Message:
    """Leave a tombstone: the text, its versions and reactions go; the place stays."""
    message, channel, membership = _own_live_message(actor, message_id)
    if message.author_id != actor.id and not may_manage(actor, channel, membership):
        raise Forbidden(
            _l("Only its author, the channel's owners or the support team can delete a message.")
        )
    message.body, message.body_html, message.deleted_at = "", "", utcnow()
    for key in message.images or []:
        after_commit(db.session, images.delete_image, key, IMAGE_SIZES)
    message.images = []
    for model in (MessageEdit, Reaction, Mention):
        db.session.execute(delete(model).where(model.message_id == message.id))
    index_later("message", message.id)
    live.message_deleted(message, _uncount_reply(message))
    return message


def _uncount_reply(message: Message) -> int | None:
    """A deleted reply no longer counts in its thread: the root's new count."""
    if message.thread_id is None:
        return None
    root = db.session.get(Message, message.thread_id)
    if root is None:
        return None
    root.reply_count = max(0, (root.reply_count or 0) - 1)
    return root.reply_count


def set_reaction(actor: Member, message_id: Any, emoji: Any, present: bool) -> int:
    """Add or remove the actor's reaction (idempotent); return the emoji's new count."""
    message, channel, membership = _own_live_message(actor, message_id)
    if emoji not in EMOJI:
        raise Invalid(fields={"emoji": _l("Choose one of: %(emoji)s", emoji=" ".join(EMOJI))})
    if membership is None:
        raise Forbidden(_l("Join the channel to react in it."))
    existing = db.session.get(Reaction, (message.id, actor.id, emoji))
    if present and existing is None:
        db.session.add(Reaction(message_id=message.id, member_id=actor.id, emoji=emoji))
    elif not present and existing is not None:
        db.session.delete(existing)
    db.session.flush()
    count = db.session.scalar(
        select(func.count()).where(Reaction.message_id == message.id, Reaction.emoji == emoji)
    )
    live.reaction_changed(message, actor.id, emoji, present, count or 0)
    return count or 0


def mark_read(actor: Member, channel: Channel, message_id: Any) -> ChannelMember:
    """Move the actor's last-read marker forward (never back) to `message_id`."""
    membership = membership_of(channel.id, actor.id)
    if membership is None:
        raise NotFound(CHANNEL_NOT_FOUND)
    if not is_id(message_id) and message_id != 0:
        raise Invalid(fields={"message_id": _l("Give a message id.")})
    upto = min(message_id, channel.last_message_id)
    if upto > membership.last_read_id:
        membership.last_read_id = upto
        live.read_moved(actor.id, channel.id)
    return membership
