"""Feed pages: the feed and its topics, a post with its comments, the notification centre,
and staff moderation. Everything works with plain forms; feed.js makes it live."""

from functools import lru_cache
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from network.core.errors import Conflict, DomainError, Invalid
from network.core.forms import (
    flash_error,
    form_id,
    invalid_form,
    reaction_choice,
    reaction_picker,
)
from network.core.http import safe_local_path
from network.core.ids import url_before_id
from network.core.permissions import is_staff, require_staff
from network.core.registries import DELIVERY_LABELS, FEED_KINDS, NOTIFICATION_KINDS, Delivery
from network.extensions import db
from network.feed import notifications, operations, queries
from network.feed.models import Post, PostEdit
from network.feed.operations import EMOJI

bp = Blueprint("feed", __name__)
PAGE_SIZE = 10  # items per page of the feed (the API's default is 20)


@bp.before_request
@login_required
def _members_only():
    return None


def _card() -> dict[str, Any]:
    """What every post card of a page shares, rendered once per page."""
    hidden = Markup(
        '<input type="hidden" name="csrf_token" value="{}">'
        '<input type="hidden" name="next" value="{}">'
    ).format(generate_csrf(), request.full_path)
    return {
        "hidden": hidden,
        "posts_url": url_before_id("feed.post", "post_id"),
        "members_url": url_before_id("members.profile", "member_id"),
        **_card_labels(str(get_locale())),
    }


@lru_cache(maxsize=8)
def _card_labels(locale: str) -> dict[str, Markup]:
    """The reaction picker and its label, the same on every card of a language."""
    picker = reaction_picker(EMOJI)
    return {"react": Markup.escape(_("React")), "picker": picker}


def _feed_context(topic: Any = None, values: Any = None) -> dict[str, Any]:
    first_page = not request.args.get("before") and not request.args.get("kind") and not topic
    page = queries.feed_page(
        current_user,
        before=request.args.get("before"),
        kind=request.args.get("kind"),
        topic=topic,
        limit=PAGE_SIZE,
        with_pinned=first_page,
    )
    return {
        "entries": page.entries,
        "next_cursor": page.next_cursor,
        "pinned": page.pinned,
        "kinds": FEED_KINDS,
        "current_kind": request.args.get("kind", ""),
        "topics": queries.popular_topics(),
        "card": _card(),
        "values": values or {},
    }


@bp.get("/feed")
def index():
    return render_template("feed/index.html", topic=None, **_feed_context())


@bp.get("/topics/<key>")
def topic(key: str):
    found = queries.topic_by_key(key)
    if found is None:
        abort(404)
    return render_template("feed/index.html", topic=found, **_feed_context(topic=found.key))


def _uploads() -> list[bytes]:
    return [f.read() for f in request.files.getlist("images") if f and f.filename]


@bp.post("/feed/posts")
def create_post():
    try:
        post, _created = operations.submit_post(
            current_user,
            request.form.get("body"),
            _uploads(),
            notice=request.form.get("notice") == "1",
            client_id=request.form.get("client_id"),
        )
    except DomainError as error:
        return invalid_form(
            "feed/index.html", error, topic=None, **_feed_context(values=request.form)
        )
    db.session.commit()
    return redirect(url_for("feed.post", post_id=post.id))


def _post_context(post: Post) -> dict[str, Any]:
    view = queries.load_posts([post.id], current_user)[post.id]
    context: dict[str, Any] = {
        "view": view,
        "post": post,
        "comments": queries.comments_of(post, current_user),
        "card": _card(),
        "errors": {},
        "values": {},
    }
    if post.is_notice and is_staff(current_user):
        context["acks"], context["active_members"] = queries.acknowledgements(post)
    return context


@bp.get("/feed/posts/<int:post_id>")
def post(post_id: int):
    found = operations.get_post(current_user, post_id)
    return render_template("feed/post.html", **_post_context(found))


def _local_next() -> str | None:
    """The form's `next` page when it is one of ours (never another site)."""
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else None


def _back(post_id: int, anchor: str | None = None):
    return redirect(url_for("feed.post", post_id=post_id, _anchor=anchor))


@bp.route("/feed/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    found = operations.get_post(current_user, post_id)
    if found.author_id != current_user.id:
        abort(403)
    if request.method == "POST":
        try:
            operations.edit_post(current_user, post_id, request.form.get("body"))
        except Invalid as error:
            return invalid_form("feed/edit.html", error, post=found, values=request.form)
        db.session.commit()
        return _back(post_id)
    return render_template("feed/edit.html", post=found, values={"body": found.body}, errors={})


@bp.get("/feed/posts/<int:post_id>/edits")
def post_edits(post_id: int):
    found = operations.get_post(current_user, post_id)
    edits = db.session.scalars(
        db.select(PostEdit).where(PostEdit.post_id == found.id).order_by(PostEdit.id.desc())
    ).all()
    return render_template("feed/edits.html", post=found, edits=edits)


@bp.post("/feed/posts/<int:post_id>/delete")
def delete_post(post_id: int):
    operations.delete_post(current_user, post_id)
    db.session.commit()
    flash(_("The post was deleted."), "success")
    return redirect(url_for("feed.index"))


@bp.post("/feed/posts/<int:post_id>/react")
def react(post_id: int):
    emoji, present = reaction_choice(request.form)
    operations.set_reaction(current_user, post_id, emoji, present)
    db.session.commit()
    return redirect(_local_next() or url_for("feed.post", post_id=post_id))


@bp.post("/feed/posts/<int:post_id>/acknowledge")
def acknowledge(post_id: int):
    operations.acknowledge(current_user, post_id)
    db.session.commit()
    return redirect(_local_next() or url_for("feed.post", post_id=post_id))


@bp.post("/feed/notices/<int:post_id>/remind")
def remind_notice(post_id: int):
    try:
        count = operations.remind_notice(current_user, post_id)
    except Conflict as error:
        flash(str(error.message), "error")
        return redirect(_local_next() or url_for("staff.home"))
    db.session.commit()
    flash(
        ngettext("%(num)s member was reminded.", "%(num)s members were reminded.", count),
        "success",
    )
    return redirect(_local_next() or url_for("staff.home"))


@bp.post("/feed/posts/<int:post_id>/pin")
def pin(post_id: int):
    operations.set_pinned(current_user, post_id, request.form.get("pinned") == "1")
    db.session.commit()
    return _back(post_id)


@bp.post("/feed/posts/<int:post_id>/comments")
def comment(post_id: int):
    try:
        created, _fresh = operations.submit_comment(
            current_user,
            post_id,
            request.form.get("body"),
            form_id(request.form, "parent_id"),
            request.form.get("client_id"),
        )
    except Invalid as error:
        found = operations.get_post(current_user, post_id)
        context = _post_context(found) | {"values": request.form}
        context.pop("errors")
        return invalid_form("feed/post.html", error, **context)
    db.session.commit()
    return _back(post_id, f"c{created.id}")


@bp.post("/feed/comments/<int:comment_id>/edit")
def edit_comment(comment_id: int):
    found = operations.edit_comment(current_user, comment_id, request.form.get("body"))
    db.session.commit()
    return _back(found.post_id, f"c{found.id}")


@bp.post("/feed/comments/<int:comment_id>/delete")
def delete_comment(comment_id: int):
    found = operations.get_comment(current_user, comment_id)
    operations.delete_comment(current_user, comment_id)
    db.session.commit()
    return _back(found.post_id)


@bp.post("/feed/report")
def report():
    post_id, comment_id = (
        form_id(request.form, "post_id"),
        form_id(request.form, "comment_id"),
    )
    try:
        operations.report(current_user, request.form.get("reason"), post_id, comment_id)
    except Invalid as error:
        flash_error(error)
        return redirect(request.referrer or url_for("feed.index"))
    db.session.commit()
    flash(_("Thank you: the support team will look at it."), "success")
    return redirect(request.referrer or url_for("feed.index"))


@bp.get("/staff/reports")
def reports():
    require_staff(current_user)
    return render_template("feed/reports.html", reports=queries.open_reports())


@bp.post("/staff/moderation/hide")
def hide():
    try:
        operations.hide(
            current_user,
            request.form.get("reason"),
            form_id(request.form, "post_id"),
            form_id(request.form, "comment_id"),
        )
    except Invalid as error:
        flash_error(error)
        return redirect(request.referrer or url_for("feed.reports"))
    db.session.commit()
    flash(_("The content is hidden and its author was told."), "success")
    return redirect(request.referrer or url_for("feed.reports"))


@bp.post("/staff/moderation/restore")
def restore():
    operations.restore(
        current_user,
        form_id(request.form, "post_id"),
        form_id(request.form, "comment_id"),
    )
    db.session.commit()
    return redirect(request.referrer or url_for("feed.reports"))


@bp.post("/staff/reports/<int:report_id>/dismiss")
def dismiss(report_id: int):
    operations.dismiss(current_user, report_id)
    db.session.commit()
    return redirect(url_for("feed.reports"))


# --- notifications -------------------------------------------------------------------------


@bp.get("/notifications")
def notifications_page():
    page = notifications.page_for(current_user.id, request.args.get("cursor"), None)
    return render_template(
        "feed/notifications.html", page=page, render_text=notifications.render_text
    )


@bp.post("/notifications/read")
def notifications_read():
    one = form_id(request.form, "id")
    notifications.mark_read(current_user.id, [one] if one else None)
    db.session.commit()
    page = url_for("feed.notifications_page")
    return redirect(safe_local_path(request.form.get("url"), page) if one else page)


@bp.route("/notifications/settings", methods=["GET", "POST"])
def notification_settings():
    errors: dict[str, Any] = {}
    if request.method == "POST":
        # A kind missing from the form (a page made before it was added) keeps its choice.
        chosen = {name: request.form[name] for name in NOTIFICATION_KINDS if name in request.form}
        try:
            notifications.set_preferences(current_user.id, chosen)
        except Invalid as error:
            return invalid_form(
                "feed/notification_settings.html",
                error,
                kinds=NOTIFICATION_KINDS,
                chosen=chosen,
                DELIVERY_LABELS=DELIVERY_LABELS,
                deliveries=list(Delivery),
            )
        db.session.commit()
        flash(_("Your e-mail preferences are saved."), "success")
        return redirect(url_for("feed.notification_settings"))
    return render_template(
        "feed/notification_settings.html",
        kinds=NOTIFICATION_KINDS,
        chosen=notifications.preferences(current_user.id),
        DELIVERY_LABELS=DELIVERY_LABELS,
        deliveries=list(Delivery),
        errors=errors,
    )
