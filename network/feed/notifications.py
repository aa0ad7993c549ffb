"""The notification centre: stored, delivered live to the member's tabs (`user:<id>`), and
e-mailed as each member chooses per kind (at once, in a daily digest, or never).

Modules ask for a notification with `signals.notification_requested`; the feed's own
happenings (mentions, replies, reactions, notices, moderation) call `notify` directly.
"""

from collections.abc import Iterable
from typing import Any

from flask import current_app, has_request_context, render_template, request
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from network.core import signals
from network.core.consent import Purpose, refusing
from network.core.errors import Invalid
from network.core.events import after_commit
from network.core.ids import is_id
from network.core.mail import queue_mail
from network.core.models import utcnow
from network.core.pagination import Page, decode_cursor, encode_cursor, parse_limit
from network.core.registries import (
    DELIVERY_LABELS,
    NOTIFICATION_KINDS,
    OTHER_NOTIFICATIONS,
    Delivery,
    register_notification_kind,
)
from network.extensions import db, socketio
from network.feed.models import (
    EmailState,
    Notification,
    NotificationPreference,
)
from network.members.models import Member

for _name, _label, _default in (
    ("mention", _l("Someone mentions you"), Delivery.IMMEDIATELY),
    ("reply", _l("Comments and replies to what you wrote"), Delivery.DAILY),
    ("reaction", _l("Reactions to your posts"), Delivery.NEVER),
    ("notice", _l("Official notices of the cooperative"), Delivery.IMMEDIATELY),
    ("moderation", _l("Moderation of what you wrote"), Delivery.IMMEDIATELY),
    (OTHER_NOTIFICATIONS, _l("Everything else (bookings, services…)"), Delivery.DAILY),
):
    register_notification_kind(_name, _label, _default)


def _lazy_msgid(value: Any) -> str | None:
    """The message id of a lazy translatable string without values, else None."""
    args, kwargs = getattr(value, "_args", None), getattr(value, "_kwargs", None)
    if args and len(args) == 1 and isinstance(args[0], str) and not kwargs:
        return args[0]
    return None


def _text_parts(text: Any) -> tuple[str, dict[str, Any]]:
    """A lazy translatable string → (message id, values), translated later for the reader.

    A value that is itself translatable ("a post") is kept as `{"msgid": …}`."""
    args, kwargs = getattr(text, "_args", None), getattr(text, "_kwargs", None)
    if not (args and len(args) == 1 and isinstance(args[0], str)):
        return str(text), {}
    params: dict[str, Any] = {}
    for key, value in (kwargs or {}).items():
        msgid = _lazy_msgid(value)
        params[key] = {"msgid": msgid} if msgid else value if isinstance(value, int) else str(value)
    return args[0], params


def render_text(notification: Notification) -> str:
    """The notification's text in the current language."""
    values = {
        key: gettext(value["msgid"]) if isinstance(value, dict) else value
        for key, value in notification.params.items()
    }
    try:
        return gettext(notification.msgid, **values)
    except (KeyError, ValueError, TypeError):
        return notification.msgid


def delivery_for(member_id: int, kind: str) -> Delivery:
    group = kind if kind in NOTIFICATION_KINDS else OTHER_NOTIFICATIONS
    chosen = db.session.get(NotificationPreference, (member_id, group))
    return chosen.delivery if chosen else NOTIFICATION_KINDS[group].default


def notify(
    member_id: int,
    kind: str,
    text: Any,
    url: str = "",
    actor_id: int | None = None,
    details: str = "",
    mail: bool = True,
) -> Notification | None:
    """Tell a member something; nothing for the actor themselves or an inactive member.

    `details`: plain text an immediate e-mail carries below the line (a notice's text).
    With `mail=False` (the member is connected and sees it live) no e-mail is sent."""
    member = db.session.get(Member, member_id)
    if member is None or not member.is_active or member_id == actor_id:
        return None
    msgid, params = _text_parts(text)
    delivery = delivery_for(member_id, kind) if mail else Delivery.NEVER
    if details and delivery == Delivery.DAILY:
        params = {**params, DETAILS: details[:MAX_DETAILS]}  # the digest carries it too
    notification = Notification(
        member_id=member_id,
        kind=kind,
        actor_id=actor_id,
        msgid=msgid,
        params=params,
        url=url,
        email_state=EmailState.PENDING if delivery == Delivery.DAILY else EmailState.NONE,
    )
    db.session.add(notification)
    db.session.flush()
    after_commit(db.session, _deliver_live, notification.id, member_id, kind)
    if delivery == Delivery.IMMEDIATELY:
        _mail_now(member, notification, details)
    return notification


#: The key of a notification's `params` keeping the text a daily digest carries (a notice's).
DETAILS = "_details"
MAX_DETAILS = 4000
BULK = 50  # more recipients than this: stored in one statement, told in the background


def notify_many(
    member_ids: Iterable[int],
    kind: str,
    text: Any,
    url: str = "",
    actor_id: int | None = None,
    details: str = "",
) -> None:
    """Tell many members the same thing (an official notice to everyone): one insert, one
    query for their e-mail choices, one e-mail body per language, live events sent after
    the commit to those connected — not a few queries per member."""
    wanted = set(member_ids) - {actor_id}
    if len(wanted) <= BULK:
        for member_id in sorted(wanted):
            notify(member_id, kind, text, url, actor_id, details)
        return
    group = kind if kind in NOTIFICATION_KINDS else OTHER_NOTIFICATIONS
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.member_id, NotificationPreference.delivery).where(
                NotificationPreference.kind == group
            )
        ).all()
    )
    members = [
        m
        for m in db.session.execute(
            select(Member.id, Member.email, Member.locale, Member.display_name).where(
                Member.is_active.is_(True)
            )
        )
        if m.id in wanted
    ]
    msgid, params = _text_parts(text)
    state = {Delivery.DAILY: EmailState.PENDING, Delivery.IMMEDIATELY: EmailState.SENT}
    deliveries = {m.id: chosen.get(m.id, NOTIFICATION_KINDS[group].default) for m in members}
    db.session.execute(
        insert(Notification),
        [
            {
                "member_id": m.id,
                "kind": kind,
                "actor_id": actor_id,
                "msgid": msgid,
                "params": {**params, DETAILS: details[:MAX_DETAILS]}
                if details and deliveries[m.id] == Delivery.DAILY
                else params,
                "url": url,
                "created_at": utcnow(),
                "email_state": state.get(deliveries[m.id], EmailState.NONE),
            }
            for m in members
        ],
    )
    probe = Notification(msgid=msgid, params=params, url=url)
    _mail_many([m for m in members if deliveries[m.id] == Delivery.IMMEDIATELY], probe, details)
    after_commit(db.session, _deliver_live_many, [m.id for m in members])


def _mail_many(members: list[Any], notification: Notification, details: str = "") -> None:
    """One body per language, the greeting filled in per member."""
    bodies: dict[str, tuple[str, str]] = {}
    for member in members:
        locale = member.locale or "fr"
        if locale not in bodies:
            with force_locale(locale):
                text = render_text(notification)
                body = render_template(
                    "mail/notifications.txt",
                    member={"display_name": _NAME},
                    lines=[(text, absolute(notification.url), details)],
                )
            bodies[locale] = (f"Terreau — {text}"[:200], body)
        subject, body = bodies[locale]
        queue_mail(db.session, member.email, subject, body.replace(_NAME, member.display_name))


_NAME = "\x00name\x00"


def _deliver_live_many(member_ids: list[int]) -> None:
    """Tell the members who have a tab open (one look-up for all), not every recipient."""
    from network.core import realtime
    from network.core.realtime import user_room

    for member_id in realtime.registry().online(member_ids):
        socketio.emit("notification", {"id": None}, to=user_room(member_id))


def _deliver_live(notification_id: int, member_id: int, kind: str) -> None:
    from network.core.realtime import user_room

    payload = {"id": notification_id, "kind": kind}
    socketio.emit("notification", payload, to=user_room(member_id))


def absolute(url: str) -> str:
    base = current_app.config.get("PUBLIC_URL") or (
        request.host_url if has_request_context() else "http://127.0.0.1:5000/"
    )
    return base.rstrip("/") + url if url.startswith("/") else url


def _mail_now(member: Member, notification: Notification, details: str = "") -> None:
    with force_locale(member.locale or "fr"):
        text = render_text(notification)
        body = render_template(
            "mail/notifications.txt",
            member=member,
            lines=[(text, absolute(notification.url), details)],
        )
        queue_mail(db.session, member.email, f"Terreau — {text}"[:200], body)
    notification.email_state = EmailState.SENT


def send_digests() -> int:
    """E-mail each member their pending notifications in one message; return how many."""
    pending = db.session.scalars(
        select(Notification)
        .where(Notification.email_state == EmailState.PENDING)
        .order_by(Notification.member_id, Notification.id)
    ).all()
    by_member: dict[int, list[Notification]] = {}
    for notification in pending:
        by_member.setdefault(notification.member_id, []).append(notification)
    sent = 0
    refused = refusing(by_member, Purpose.EMAIL_DIGEST)  # revoked on the privacy page
    for member_id, notifications in by_member.items():
        member = db.session.get(Member, member_id)
        for notification in notifications:
            notification.email_state = EmailState.SENT
        if member is None or not member.is_active or member_id in refused:
            continue
        with force_locale(member.locale or "fr"):
            lines = [
                (render_text(n), absolute(n.url), n.params.get(DETAILS, ""))
                for n in notifications
                if n.read_at is None
            ]
            if not lines:
                continue
            subject = str(_l("Terreau — your daily digest (%(count)s)", count=len(lines)))
            body = render_template("mail/notifications.txt", member=member, lines=lines)
        queue_mail(db.session, member.email, subject, body)
        sent += 1
    return sent


# --- reading -------------------------------------------------------------------------------


def unread_count(member_id: int) -> int:
    return db.session.scalar(select(unread_count_query(member_id))) or 0


def unread_count_query(member_id: int) -> Any:
    """The member's unread notifications as a scalar subquery (the header's badge)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def page_for(member_id: int, cursor: str | None, limit: Any) -> Page[Notification]:
    size = parse_limit(limit, 30)
    query = select(Notification).where(Notification.member_id == member_id)
    after = decode_cursor(cursor, (int,))
    if after:
        query = query.where(Notification.id < after[0])
    found = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(size + 1)))
    more = len(found) > size
    items = found[:size]
    return Page(items, encode_cursor([items[-1].id]) if more and items else None)


def mark_read(member_id: int, ids: Any = None) -> int:
    """Mark the given notifications (or all) read; return how many changed."""
    query = update(Notification).where(
        Notification.member_id == member_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        if not isinstance(ids, list) or not all(is_id(i) for i in ids) or len(ids) > 500:
            raise Invalid(fields={"ids": _l("Give a list of notification ids.")})
        query = query.where(Notification.id.in_(ids))
    changed = db.session.execute(query.values(read_at=utcnow())).rowcount  # type: ignore[attr-defined]
    after_commit(db.session, _announce_count, member_id)
    return changed or 0


def _announce_count(member_id: int) -> None:
    from network.core.realtime import user_room

    socketio.emit("notifications_read", {}, to=user_room(member_id))


def preferences(member_id: int) -> dict[str, Delivery]:
    chosen = {
        p.kind: p.delivery
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.member_id == member_id)
        )
    }
    return {name: chosen.get(name, kind.default) for name, kind in NOTIFICATION_KINDS.items()}


def set_preferences(member_id: int, values: dict[str, Any]) -> None:
    errors = {}
    for name, value in values.items():
        if (
            name not in NOTIFICATION_KINDS
            or not isinstance(value, str)
            or value not in set(Delivery)
        ):
            errors[name] = _l("Choose at once, daily or never.")
            continue
        db.session.merge(
            NotificationPreference(member_id=member_id, kind=name, delivery=Delivery(value))
        )
    if errors:
        raise Invalid(fields=errors)


def _on_requested(
    member_id: int,
    kind: str,
    text: Any,
    url: str = "",
    actor: Any = None,
    mail: bool = True,
    once_until_read: bool = False,
    **_: Any,
) -> None:
    """`once_until_read`: not if the member's notification of this kind and address is
    still unread (a lively conversation notifies once)."""
    if once_until_read and _unread_exists(member_id, kind, url):
        return
    notify(member_id, kind, text, url, getattr(actor, "id", None), mail=mail)


def _unread_exists(member_id: int, kind: str, url: str) -> bool:
    found = select(Notification.id).where(
        Notification.member_id == member_id,
        Notification.kind == kind,
        Notification.url == url,
        Notification.read_at.is_(None),
    )
    return db.session.scalar(found.limit(1)) is not None


signals.notification_requested.connect(_on_requested)


def _on_many_requested(
    member_ids: list[int], kind: str, text: Any, url: str = "", actor: Any = None, **more: Any
) -> None:
    notify_many(member_ids, kind, text, url, getattr(actor, "id", None), more.get("details", ""))


signals.notifications_requested.connect(_on_many_requested)

__all__ = ["DELIVERY_LABELS", "notify", "notify_many"]
