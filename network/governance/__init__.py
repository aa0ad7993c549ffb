"""Governance: decisions taken in the feed by the people they concern — proposals, consent,
polls, ranked and score votes, date polls — with frozen electorates tied to the members'
standing in the cooperative, and secret ballots."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.core.registries import NavItem, SettingSpec, register_nav_item, register_setting

register_setting(
    SettingSpec(
        "governance_reminder_hours",
        24,
        _l("Hours before a decision closes when those who have not voted are reminded (0: never)"),
        minimum=0,
        maximum=336,
    )
)


def init_app(app: Flask) -> None:
    """Decisions: pages, API, live tally, feed and search kinds, notifications, the cron."""
    from network.governance import member_data

    member_data.register()
    from network.governance import (  # noqa: F401  (contributions)
        api,
        assembly_api,
        binding,
        candidacies,
        documents,
        feedable,
        searchable,
        searchable_assemblies,
        statutes,
    )
    from network.governance.cli import governance_cli
    from network.governance.events import register_governance_handlers
    from network.governance.views import bp

    app.register_blueprint(bp)
    register_governance_handlers()
    app.cli.add_command(governance_cli)
    register_nav_item(NavItem("governance.index", _l("Decisions"), 35, ("governance.",)))


__all__ = ["init_app"]
