"""The social feed (posts, notices, items from every module) and the notification centre."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.core.registries import (
    NavItem,
    SettingSpec,
    register_header_count,
    register_nav_item,
    register_setting,
)

register_setting(
    SettingSpec(
        "feed_posts_per_hour",
        30,
        _l("Posts and comments a member may publish per hour"),
        minimum=1,
        maximum=1000,
    )
)


def init_app(app: Flask) -> None:
    """The feed and notifications: pages, API, the live room, the digest command."""
    from network.feed import member_data

    member_data.register()
    from network.feed import (  # noqa: F401  (contributions)
        api,
        events,
        feedable,
        searchable,
        staff_lists,
    )
    from network.feed.cli import notifications_cli
    from network.feed.notifications import unread_count_query
    from network.feed.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(notifications_cli)
    current = ("feed.index", "feed.topic", "feed.post")
    register_nav_item(NavItem("feed.index", _l("Feed"), 20, current))
    register_header_count("notifications", unread_count_query)


__all__ = ["init_app"]
