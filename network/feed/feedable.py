"""The feed's own kinds of items: posts and official notices."""

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from network.core.images import image_url
from network.core.permissions import is_staff
from network.core.registries import FeedKind, register_feed_kind
from network.feed import items, notifications  # noqa: F401  (their signal receivers)
from network.feed.operations import visible_post
from network.feed.queries import PostView, load_posts


def post_json(view: PostView, viewer: Any) -> dict[str, Any]:
    post = view.post
    data = {
        "id": post.id,
        "kind": post.kind.value,
        "author": {"id": post.author_id, "name": post.author.display_name},
        "body": post.body,
        "body_html": post.body_html,
        "images": [image_url(key, "full") for key in post.images],
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "pinned": post.pinned_at is not None,
        "hidden": post.hidden_at is not None,
        "reactions": view.reactions,
        "topics": [t.name for t in view.topics],
        "comment_count": post.comment_count,
        "url": url_for("feed.post", post_id=post.id),
    }
    if post.is_notice:
        data["acknowledged"] = view.acknowledged
        if is_staff(viewer):
            data["acknowledgements"] = view.acknowledgements
    return data


for _name, _label in (("post", _l("Posts")), ("notice", _l("Official notices"))):
    register_feed_kind(
        FeedKind(
            _name,
            _label,
            "feed/_post.html",
            load_posts,
            lambda viewer, view: visible_post(viewer, view.post) and view.post.hidden_at is None,
            post_json,
        )
    )
