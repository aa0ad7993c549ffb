"""Mutual aid (entraide): offers and needs between members, the exchanges they become, the
time bank (an append-only ledger in minutes), endorsements grounded in recorded
collaborations, and declared co-contracts (co-traitance, sous-traitance)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.core.registries import NavItem, SettingSpec, register_nav_item, register_setting

register_setting(
    SettingSpec(
        "mutual_aid_floor_hours",
        10,
        _l("Time bank: how many hours below zero a member's balance may go"),
        minimum=0,
        maximum=1000,
    )
)
register_setting(
    SettingSpec(
        "mutual_aid_opening_hours",
        0,
        _l("Time bank: hours credited to each newcomer (0: none)"),
        minimum=0,
        maximum=100,
    )
)
register_setting(
    SettingSpec(
        "mutual_aid_max_exchange_hours",
        40,
        _l("Time bank: the most hours one exchange may record"),
        minimum=1,
        maximum=1000,
    )
)


def init_app(app: Flask) -> None:
    """Pages, API, feed and search kinds, notifications, hooks of the directory, the CLI."""
    from network.mutual_aid import member_data

    member_data.register()
    from network.mutual_aid import api, feedable, queries  # noqa: F401  (contributions)
    from network.mutual_aid.cli import mutual_aid_cli
    from network.mutual_aid.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(mutual_aid_cli)
    register_nav_item(NavItem("mutual_aid.index", _l("Mutual aid"), 47, ("mutual_aid.",)))


__all__ = ["init_app"]
