"""Chat pages: the channel list, a channel's history (readable without JavaScript), threads,
and plain forms for everything the live client does."""

import secrets
from functools import lru_cache
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from network.chat import operations, queries
from network.chat.models import KIND_LABELS, Channel, ChannelMember, Message
from network.chat.operations import EMOJI
from network.chat.permissions import may_manage, may_post
from network.core.errors import DomainError, Invalid
from network.core.forms import (
    flash_error,
    form_id,
    invalid_form,
    reaction_choice,
    reaction_picker,
)
from network.core.ids import parse_id, url_before_id
from network.extensions import db

bp = Blueprint("chat", __name__, url_prefix="/chat")
MEMBERS_SHOWN = 100  # beside the history; a channel of the whole cooperative has thousands


@bp.before_request
@login_required
def _members_only():
    return None


def _index_context(values: Any = None) -> dict[str, Any]:
    return {
        "summaries": queries.my_channels(current_user),
        "public": queries.public_channels(current_user),
        "values": values or {},
        "KIND_LABELS": KIND_LABELS,
        "channel_url": url_before_id("chat.channel", "channel_id"),
    }


@bp.get("")
def index():
    return render_template("chat/index.html", **_index_context())


@bp.post("/new")
def create():
    data = {key: request.form.get(key, "") for key in ("name", "kind", "topic", "description")}
    data["announcement"] = request.form.get("announcement") == "1"
    try:
        channel = operations.create_channel(current_user, data)
    except DomainError as error:
        return invalid_form("chat/index.html", error, **_index_context(request.form))
    db.session.commit()
    return redirect(url_for("chat.channel", channel_id=channel.id))


@bp.post("/direct")
def direct():
    chosen = (
        [request.form["only"]] if request.form.get("only") else request.form.getlist("member_ids")
    )
    ids = [i for i in map(parse_id, chosen) if i]
    try:
        channel, _created = operations.open_direct(current_user, ids)
    except DomainError as error:
        flash_error(error)
        return redirect(request.referrer or url_for("chat.index"))
    db.session.commit()
    return redirect(url_for("chat.channel", channel_id=channel.id))


def _channel_context(channel: Channel, membership: ChannelMember | None) -> dict[str, Any]:
    title = (
        queries.direct_titles([channel.id], current_user.id)[channel.id]
        if channel.is_direct
        else channel.name
    )
    return {
        "channel": channel,
        "membership": membership,
        "title": title,
        "summaries": queries.my_channels(current_user),
        "members": queries.member_names(channel, limit=MEMBERS_SHOWN),
        "member_count": queries.member_count(channel),
        "can_post": may_post(current_user, channel, membership),
        "can_manage": may_manage(current_user, channel, membership),
        "emoji": EMOJI,
        "KIND_LABELS": KIND_LABELS,
        "client_id": secrets.token_urlsafe(12),
        "shared": _shared(channel),
        "channel_url": url_before_id("chat.channel", "channel_id"),
    }


def _shared(channel: Channel) -> dict[str, Any]:
    """What every message of a page has in common, made once per page (a page of 50
    messages otherwise built some 300 URLs and 500 translations)."""
    return {
        "csrf": Markup('<input type="hidden" name="csrf_token" value="{}">').format(
            generate_csrf()
        ),
        "members_url": url_before_id("members.profile", "member_id"),
        "threads_url": url_before_id("chat.thread", "message_id", channel_id=channel.id),
        "messages_url": url_before_id("chat.permalink", "message_id"),
        "api_messages_url": url_before_id("api.edit_message", "message_id"),
        "replies": _ReplyCounts(),
        **_labels(str(get_locale())),
    }


class _ReplyCounts(dict):
    """The "3 replies" of each count asked, translated once per count and page as the
    template's `ngettext` would (the translation trusted, the number escaped)."""

    def __missing__(self, count: int) -> Markup:
        text = get_translations().ungettext("%(num)s reply", "%(num)s replies", count)
        self[count] = found = Markup(text) % {"num": count}
        return found


@lru_cache(maxsize=8)
def _labels(locale: str) -> dict[str, Markup]:
    """The texts of a message's actions, its reaction picker and the members' presence, the
    same on every line of a language."""
    picker = reaction_picker(EMOJI)
    texts = {
        "edited": _("(edited)"),
        "deleted": _("This message was deleted."),
        "actions": _("Actions"),
        "reply": _("Reply in a thread"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "image": _("Image attached to the message"),
        "online": _("online"),
        "away": _("away"),
        "offline": _("offline"),
        "owner": _("owner"),
        "poster": _("poster"),
    }
    return {"picker": picker} | {key: Markup.escape(text) for key, text in texts.items()}


def _page_args() -> dict[str, Any]:
    return {key: request.args.get(key) for key in ("before", "after", "around")}


def _history_page(found: Channel, membership: ChannelMember | None, thread: Message | None):
    """The channel's history, or a thread's replies under their first message."""
    page = queries.history(found, thread_id=thread.id if thread else None, **_page_args())
    shown = [m.id for m in page.messages] + ([thread.id] if thread else [])
    return render_template(
        "chat/channel.html",
        page=page,
        reactions=queries.reactions_for(shown, current_user.id),
        thread=thread,
        **_channel_context(found, membership),
    )


@bp.get("/<int:channel_id>")
def channel(channel_id: int):
    found, membership = operations.readable_channel(current_user, channel_id)
    return _history_page(found, membership, None)


@bp.get("/<int:channel_id>/threads/<int:message_id>")
def thread(channel_id: int, message_id: int):
    root, found, membership = operations.readable_message(current_user, message_id)
    if found.id != channel_id or root.thread_id is not None:
        abort(404)
    return _history_page(found, membership, root)


@bp.get("/messages/<int:message_id>")
def permalink(message_id: int):
    message, channel, _membership = operations.readable_message(current_user, message_id)
    if message.thread_id:
        target = url_for("chat.thread", channel_id=channel.id, message_id=message.thread_id)
        return redirect(f"{target}?around={message.id}#m{message.id}")
    target = url_for("chat.channel", channel_id=channel.id, around=message.id)
    return redirect(f"{target}#m{message.id}")


def _back_to(message: Message | None, channel_id: int) -> Any:
    if message is not None:
        return redirect(url_for("chat.permalink", message_id=message.id))
    return redirect(url_for("chat.channel", channel_id=channel_id))


@bp.post("/<int:channel_id>/messages")
def post(channel_id: int):
    found, _membership = operations.readable_channel(current_user, channel_id)
    try:
        message, _created = operations.post_message(
            current_user,
            found,
            request.form.get("body"),
            request.form.get("client_id"),
            request.form.get("thread_id") and form_id(request.form, "thread_id"),
            uploads(),
        )
    except DomainError as error:
        flash_error(error)
        return redirect(request.referrer or url_for("chat.channel", channel_id=found.id))
    db.session.commit()
    return _back_to(message, found.id)


def uploads() -> list[bytes]:
    """The images of a multipart form (`images` fields)."""
    return [f.read() for f in request.files.getlist("images") if f and f.filename]


@bp.get("/messages/<int:message_id>/edit")
def edit_form(message_id: int):
    message, channel, _membership = operations.readable_message(current_user, message_id)
    if message.author_id != current_user.id or message.is_deleted:
        abort(404)
    return render_template("chat/edit_message.html", message=message, channel=channel, errors={})


@bp.post("/messages/<int:message_id>/edit")
def edit(message_id: int):
    try:
        message = operations.edit_message(current_user, message_id, request.form.get("body"))
    except Invalid as error:
        message, channel, _membership = operations.readable_message(current_user, message_id)
        return invalid_form("chat/edit_message.html", error, message=message, channel=channel)
    db.session.commit()
    return _back_to(message, message.channel_id)


@bp.get("/messages/<int:message_id>/edits")
def edits(message_id: int):
    message, channel, _membership = operations.readable_message(current_user, message_id)
    return render_template(
        "chat/edits.html", message=message, channel=channel, edits=queries.edits_of(message)
    )


@bp.post("/messages/<int:message_id>/delete")
def delete(message_id: int):
    message = operations.delete_message(current_user, message_id)
    db.session.commit()
    return _back_to(message, message.channel_id)


@bp.post("/messages/<int:message_id>/react")
def react(message_id: int):
    emoji, present = reaction_choice(request.form)
    operations.set_reaction(current_user, message_id, emoji, present)
    db.session.commit()
    return redirect(url_for("chat.permalink", message_id=message_id))


@bp.post("/<int:channel_id>/join")
def join(channel_id: int):
    found, _membership = operations.readable_channel(current_user, channel_id)
    operations.add_member(current_user, found, current_user.id)
    db.session.commit()
    return redirect(url_for("chat.channel", channel_id=found.id))


@bp.post("/<int:channel_id>/leave")
def leave(channel_id: int):
    found, _membership = operations.readable_channel(current_user, channel_id)
    operations.remove_member(current_user, found, current_user.id)
    db.session.commit()
    flash(_("You left the channel."), "success")
    return redirect(url_for("chat.index"))


@bp.post("/<int:channel_id>/members")
def invite(channel_id: int):
    found, _membership = operations.readable_channel(current_user, channel_id)
    try:
        operations.add_member(current_user, found, form_id(request.form, "member_id"))
    except Invalid as error:
        flash_error(error)
    else:
        db.session.commit()
    return redirect(url_for("chat.channel", channel_id=found.id))


@bp.post("/<int:channel_id>/members/<int:member_id>/remove")
def remove(channel_id: int, member_id: int):
    found, _membership = operations.readable_channel(current_user, channel_id)
    operations.remove_member(current_user, found, member_id)
    db.session.commit()
    return redirect(url_for("chat.channel", channel_id=found.id))


@bp.post("/<int:channel_id>/members/<int:member_id>/role")
def role(channel_id: int, member_id: int):
    found, _membership = operations.readable_channel(current_user, channel_id)
    operations.set_role(current_user, found, member_id, request.form.get("role"))
    db.session.commit()
    return redirect(url_for("chat.channel", channel_id=found.id))


@bp.post("/<int:channel_id>/settings")
def settings(channel_id: int):
    found, _membership = operations.readable_channel(current_user, channel_id)
    data: dict[str, Any] = {
        k: request.form[k] for k in ("name", "topic", "description") if k in request.form
    }
    if "archived" in request.form:
        data["archived"] = request.form["archived"] == "1"
    if "auto_join" in request.form:
        data["auto_join"] = request.form["auto_join"] == "1"
    try:
        operations.update_channel(current_user, found, data)
    except (Invalid, DomainError) as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
    return redirect(url_for("chat.channel", channel_id=found.id))


@bp.post("/<int:channel_id>/read")
def read(channel_id: int):
    found, _membership = operations.readable_channel(current_user, channel_id)
    operations.mark_read(current_user, found, found.last_message_id)
    db.session.commit()
    return redirect(url_for("chat.channel", channel_id=found.id))
