"""/api/v1 routes of the feed: the feed, posts, comments, reactions, notices, reports and
notifications."""

from typing import Any

from flask import request
from flask_login import current_user

from network.api.core import (
    BOOLEAN,
    DATE_TIME,
    INTEGER,
    STRING,
    bp,
    doc,
    items_of,
    json_body,
    limit_param,
    obj,
    query_param,
)
from network.core.client_ids import CLIENT_ID_SCHEMA
from network.core.errors import Invalid
from network.core.ids import ID_SCHEMA
from network.core.registries import FEED_KINDS
from network.extensions import db
from network.feed import notifications, operations, queries
from network.feed.feedable import post_json
from network.feed.models import Comment

EMOJI_PATH = {"emoji": {"type": "string", "enum": list(operations.EMOJI)}}

PERSON = {"type": ["object", "null"], "properties": {"id": INTEGER, "name": STRING}}
POST_SCHEMA = {
    "type": "object",
    "properties": {
        "id": INTEGER,
        "kind": {"type": "string", "enum": ["post", "notice"]},
        "author": PERSON,
        "body": STRING,
        "body_html": STRING,
        "images": {"type": "array", "items": STRING},
        "created_at": DATE_TIME,
        "edited_at": {"type": ["string", "null"], "format": "date-time"},
        "pinned": BOOLEAN,
        "reactions": {"type": "array", "items": {"type": "object"}},
        "topics": {"type": "array", "items": STRING},
        "comment_count": INTEGER,
        "acknowledged": {"type": "boolean"},
        "acknowledgements": INTEGER,
        "url": STRING,
    },
}
COMMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": INTEGER,
        "post_id": INTEGER,
        "parent_id": {"type": ["integer", "null"]},
        "author": PERSON,
        "body": STRING,
        "body_html": STRING,
        "created_at": DATE_TIME,
    },
}
POST_BODY = {
    "type": "object",
    "required": ["body"],
    "properties": {
        "body": {"type": "string", "maxLength": operations.MAX_POST},
        "notice": {"type": "boolean", "description": "an official notice (staff only)"},
        "client_id": CLIENT_ID_SCHEMA,
    },
}
COMMENT_BODY = {
    "type": "object",
    "required": ["body"],
    "properties": {
        "body": {"type": "string", "maxLength": operations.MAX_COMMENT},
        "parent_id": INTEGER,
        "client_id": CLIENT_ID_SCHEMA,
    },
}


def _post(post_id: int) -> dict[str, Any]:
    view = queries.load_posts([post_id], current_user)[post_id]
    return post_json(view, current_user)


def comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
        "author": {"id": comment.author_id, "name": comment.author.display_name},
        "body": comment.body,
        "body_html": comment.body_html,
        "created_at": comment.created_at.isoformat(),
        "hidden": comment.hidden_at is not None,
    }


@bp.get("/feed")
@doc(
    "The feed, newest first: items of every kind, each with its module's data",
    params=lambda: [
        query_param("before", "the `next` cursor of the previous page"),
        query_param(
            "kind", "only items of this kind", {"type": "string", "enum": list(FEED_KINDS)}
        ),
        query_param("topic", "only posts tagged with this topic", {"type": "string"}),
        limit_param(20, 50),
    ],
    response={
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": STRING,
                        "id": INTEGER,
                        "created_at": DATE_TIME,
                        "actor": PERSON,
                        "data": {"type": "object"},
                    },
                },
            },
            "next": {"type": ["string", "null"]},
        },
    },
    errors=(422,),
)
def get_feed():
    page = queries.feed_page(
        current_user,
        before=request.args.get("before"),
        kind=request.args.get("kind"),
        topic=request.args.get("topic"),
        limit=request.args.get("limit"),
    )
    return {
        "items": [
            {
                "kind": e.item.kind,
                "id": e.item.id,
                "created_at": e.item.created_at.isoformat(),
                "actor": {"id": e.actor.id, "name": e.actor.display_name} if e.actor else None,
                "data": e.kind.data(e.obj, current_user),
            }
            for e in page.entries
        ],
        "next": page.next_cursor,
    }


def _post_input() -> tuple[Any, list[bytes], bool, Any]:
    """A JSON body, or a multipart form with images: (body, images, notice?, client id)."""
    if request.mimetype == "multipart/form-data":
        form = request.form
        uploads = [f.read() for f in request.files.getlist("images") if f and f.filename]
        notice = form.get("notice") in ("1", "true")
        return form.get("body"), uploads, notice, form.get("client_id")
    body = json_body()
    notice = body.get("notice", False)
    if not isinstance(notice, bool):
        raise Invalid(fields={"notice": "true | false"})
    return body.get("body"), [], notice, body.get("client_id")


@bp.post("/posts")
@doc(
    "Publish a post or, for staff, an official notice (JSON, or multipart with `images`); "
    "sending again with the same client_id returns the post",
    status=201,
    request_schema=POST_BODY,
    response=POST_SCHEMA,
    also={200: "Already sent with this client_id: the post as it is"},
    errors=(403, 404, 422, 429),
)
def create_post():
    body, uploads, notice, client_id = _post_input()
    post, created = operations.submit_post(
        current_user, body, uploads, notice=notice, client_id=client_id
    )
    db.session.commit()
    return _post(post.id), 201 if created else 200


@bp.get("/posts/<int:post_id>")
@doc(
    "A post with its comments",
    response={
        "allOf": [
            POST_SCHEMA,
            {
                "type": "object",
                "properties": {"comments": {"type": "array", "items": COMMENT_SCHEMA}},
            },
        ]
    },
    errors=(404,),
)
def get_post(post_id: int):
    post = operations.get_post(current_user, post_id)
    comments = []
    for comment, replies in queries.comments_of(post, current_user):
        comments.append(comment_json(comment))
        comments.extend(comment_json(r) for r in replies)
    return _post(post.id) | {"comments": comments}


@bp.patch("/posts/<int:post_id>")
@doc(
    "Edit your post (the earlier version is kept); staff pin or unpin with `pinned`",
    request_schema={
        "type": "object",
        "properties": {"body": STRING, "pinned": {"type": "boolean"}},
    },
    response=POST_SCHEMA,
    errors=(403, 404, 422),
)
def update_post(post_id: int):
    data = json_body()
    if "body" not in data and "pinned" not in data:
        raise Invalid(fields={"body": "body | pinned"})
    if "body" in data:
        operations.edit_post(current_user, post_id, data["body"])
    if "pinned" in data:
        operations.set_pinned(current_user, post_id, data["pinned"])
    db.session.commit()
    return _post(post_id)


@bp.delete("/posts/<int:post_id>")
@doc("Delete your post (staff: any post)", status=204, errors=(403, 404))
def delete_post(post_id: int):
    operations.delete_post(current_user, post_id)
    db.session.commit()
    return "", 204


@bp.post("/posts/<int:post_id>/comments")
@doc(
    "Comment on a post, or reply to a comment with `parent_id` (one level); sending again "
    "with the same client_id returns the comment",
    status=201,
    request_schema=COMMENT_BODY,
    response=COMMENT_SCHEMA,
    also={200: "Already sent with this client_id: the comment as it is"},
    errors=(404, 409, 422, 429),
)
def create_comment(post_id: int):
    data = json_body()
    comment, created = operations.submit_comment(
        current_user, post_id, data.get("body"), data.get("parent_id"), data.get("client_id")
    )
    db.session.commit()
    return comment_json(comment), 201 if created else 200


@bp.patch("/comments/<int:comment_id>")
@doc(
    "Edit your comment",
    request_schema={"type": "object", "required": ["body"], "properties": {"body": STRING}},
    response=COMMENT_SCHEMA,
    errors=(403, 404, 422),
)
def update_comment(comment_id: int):
    comment = operations.edit_comment(current_user, comment_id, json_body().get("body"))
    db.session.commit()
    return comment_json(comment)


@bp.delete("/comments/<int:comment_id>")
@doc("Delete your comment (staff: any comment)", status=204, errors=(403, 404))
def delete_comment(comment_id: int):
    operations.delete_comment(current_user, comment_id)
    db.session.commit()
    return "", 204


REACTION_RESPONSE = obj(emoji=STRING, count=INTEGER)


@bp.put("/posts/<int:post_id>/reactions/<emoji>")
@doc("React to a post (idempotent)", path=EMOJI_PATH, response=REACTION_RESPONSE, errors=(404, 422))
def add_post_reaction(post_id: int, emoji: str):
    count = operations.set_reaction(current_user, post_id, emoji, True)
    db.session.commit()
    return {"emoji": emoji, "count": count}


@bp.delete("/posts/<int:post_id>/reactions/<emoji>")
@doc(
    "Take your reaction back (idempotent)",
    path=EMOJI_PATH,
    response=REACTION_RESPONSE,
    errors=(404, 422),
)
def remove_post_reaction(post_id: int, emoji: str):
    count = operations.set_reaction(current_user, post_id, emoji, False)
    db.session.commit()
    return {"emoji": emoji, "count": count}


@bp.post("/notices/<int:post_id>/acknowledge")
@doc(
    "Acknowledge an official notice (« j'ai lu »; idempotent)",
    response=obj(post_id=INTEGER, acknowledged_at=DATE_TIME),
    errors=(404,),
)
def acknowledge_notice(post_id: int):
    ack = operations.acknowledge(current_user, post_id)
    db.session.commit()
    return {"post_id": ack.post_id, "acknowledged_at": ack.acknowledged_at.isoformat()}


@bp.post("/notices/<int:post_id>/remind")
@doc(
    "Remind the members who have not read an official notice (staff only; at most once "
    "every 24 hours per notice: 409 otherwise)",
    response=obj(post_id=INTEGER, reminded=INTEGER),
    errors=(403, 404, 409),
)
def remind_notice(post_id: int):
    count = operations.remind_notice(current_user, post_id)
    db.session.commit()
    return {"post_id": post_id, "reminded": count}


@bp.post("/reports")
@doc(
    "Report a post or a comment to the support team",
    status=201,
    request_schema={
        "type": "object",
        "required": ["reason"],
        "properties": {"post_id": INTEGER, "comment_id": INTEGER, "reason": STRING},
    },
    response=obj(id=INTEGER, status=STRING),
    errors=(404, 422),
)
def create_report():
    data = json_body()
    found = operations.report(
        current_user, data.get("reason"), data.get("post_id"), data.get("comment_id")
    )
    db.session.commit()
    return {"id": found.id, "status": found.status.value}, 201


NOTIFICATION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": INTEGER,
        "kind": STRING,
        "text": STRING,
        "url": STRING,
        "created_at": DATE_TIME,
        "read": BOOLEAN,
    },
}


@bp.get("/notifications")
@doc(
    "Your notifications, newest first, and how many are unread",
    params=[
        query_param("cursor", "the `next` cursor of the previous page"),
        limit_param(30, 100),
    ],
    response=items_of(NOTIFICATION_SCHEMA, unread=INTEGER, next={"type": ["string", "null"]}),
    errors=(422,),
)
def list_notifications():
    page = notifications.page_for(
        current_user.id, request.args.get("cursor"), request.args.get("limit")
    )
    return {
        "items": [
            {
                "id": n.id,
                "kind": n.kind,
                "text": notifications.render_text(n),
                "url": n.url,
                "created_at": n.created_at.isoformat(),
                "read": n.read_at is not None,
            }
            for n in page.items
        ],
        "unread": notifications.unread_count(current_user.id),
        "next": page.next_cursor,
    }


@bp.post("/notifications/read")
@doc(
    "Mark notifications read: those of `ids`, or all of them without `ids`",
    request_schema={
        "type": "object",
        "properties": {"ids": {"type": "array", "items": ID_SCHEMA, "maxItems": 500}},
    },
    response=obj(marked=INTEGER, unread=INTEGER),
    errors=(422,),
)
def read_notifications():
    ids = json_body().get("ids") if request.content_length else None
    marked = notifications.mark_read(current_user.id, ids)
    db.session.commit()
    return {"marked": marked, "unread": notifications.unread_count(current_user.id)}
