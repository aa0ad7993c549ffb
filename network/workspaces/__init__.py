"""Workspaces: sites, bookable spaces, bookings that never exceed capacity, waitlists,
check-in, and calendar feeds."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.core.registries import NavItem, SettingSpec, register_nav_item, register_setting
from network.members.models import Status
from network.workspaces.models import Booking, BookingStatus, Site, Space, SpaceKind

register_setting(
    SettingSpec(
        "workspaces_max_open_bookings",
        20,
        _l("Open bookings a member may hold at once (a recurring booking counts once)"),
        minimum=1,
        maximum=1000,
    )
)
register_setting(
    SettingSpec(
        "workspaces_check_in_grace_minutes",
        30,
        _l("Minutes after the start before an unclaimed desk booking is released"),
        minimum=5,
        maximum=480,
    )
)
register_setting(
    SettingSpec(
        "workspaces_offer_minutes",
        120,
        _l("Minutes a waiting member has to confirm a freed seat"),
        minimum=5,
        maximum=2880,
    )
)
register_setting(
    SettingSpec(
        "workspaces_reminder_minutes",
        60,
        _l("Minutes before a booking starts when its reminder is sent"),
        minimum=5,
        maximum=2880,
    )
)
register_setting(
    SettingSpec(
        "workspaces_max_occurrences",
        100,
        _l("Occurrences a recurring booking may have at most"),
        minimum=2,
        maximum=500,
    )
)
#: Weekly booking quota (hours) per CAE status; 0 means no quota.
QUOTA_DEFAULTS = {
    Status.CANDIDATE: 4,
    Status.SUPPORT_CONTRACT: 20,
    Status.EMPLOYEE_ENTREPRENEUR: 0,
    Status.ASSOCIATE: 0,
    Status.ALUMNUS: 0,
}
QUOTA_LABELS = {
    Status.CANDIDATE: _l("Weekly booking hours for candidates (0: no quota)"),
    Status.SUPPORT_CONTRACT: _l(
        "Weekly booking hours under a support contract, CAPE (0: no quota)"
    ),
    Status.EMPLOYEE_ENTREPRENEUR: _l(
        "Weekly booking hours for employee-entrepreneurs (0: no quota)"
    ),
    Status.ASSOCIATE: _l("Weekly booking hours for associates (0: no quota)"),
    Status.ALUMNUS: _l("Weekly booking hours for former members (0: no quota)"),
}
for _status, _hours in QUOTA_DEFAULTS.items():
    register_setting(
        SettingSpec(
            f"workspaces_weekly_hours_{_status.value}",
            _hours,
            QUOTA_LABELS[_status],
            minimum=0,
            maximum=168,
        )
    )


def init_app(app: Flask) -> None:
    """Workspaces: pages, API, calendar feeds, live availability and the cron commands."""
    from network.workspaces import member_data

    member_data.register()
    from network.workspaces import api  # noqa: F401  (registers its routes)
    from network.workspaces.cli import workspaces_cli
    from network.workspaces.events import register_workspaces_handlers
    from network.workspaces.views import bp

    app.register_blueprint(bp)
    register_workspaces_handlers()
    app.cli.add_command(workspaces_cli)
    register_nav_item(NavItem("workspaces.index", _l("Workspaces"), 60, ("workspaces.",)))


__all__ = ["Booking", "BookingStatus", "Site", "Space", "SpaceKind", "init_app"]
