"""The social feed (posts, notices, items from every module) and the notification centre."""

from flask_babel import lazy_gettext as _l

from network.cooperative import SettingSpec, register_setting
from network.feed.registry import FeedKind, publish, register_feed_kind, withdraw

register_setting(
    SettingSpec(
        "feed_posts_per_hour",
        30,
        _l("Posts and comments a member may publish per hour"),
        minimum=1,
        maximum=1000,
    )
)

__all__ = ["FeedKind", "publish", "register_feed_kind", "withdraw"]
