"""The cooperative itself: its name, timezone and statute thresholds (configuration data)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.cooperative.models import Cooperative
from network.cooperative.settings import cooperative_today, current_settings


def init_app(app: Flask) -> None:
    """The administrators' settings page; the settings kept in memory (one process)."""
    from network.cooperative.settings import init_kept_settings, listen_for_changes
    from network.cooperative.views import bp
    from network.core.permissions import is_admin
    from network.core.registries import NavItem, register_nav_item

    app.register_blueprint(bp)
    init_kept_settings(app)
    listen_for_changes()
    current = ("cooperative.",)
    register_nav_item(NavItem("cooperative.settings_page", _l("Settings"), 95, current, is_admin))


__all__ = ["Cooperative", "cooperative_today", "current_settings", "init_app"]
