"""Accounts, invitations, profiles, CAE statuses and career stages."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.core.registries import (
    NavItem,
    SettingSpec,
    register_nav_item,
    register_setting,
    register_warm_up,
)
from network.members.models import ApiToken, CareerStage, Invitation, Member, Status

register_setting(
    SettingSpec("cape_max_months", 12, _l("Length of a CAPE term (months)"), minimum=1, maximum=36)
)
register_setting(
    SettingSpec("cape_max_renewals", 2, _l("CAPE renewals allowed"), minimum=0, maximum=10)
)
register_setting(
    SettingSpec(
        "associate_deadline_years",
        3,
        _l("Years from CESA start to become an associate"),
        minimum=1,
        maximum=10,
    )
)
register_setting(
    SettingSpec(
        "associate_deadline_deducts_cape",
        True,
        _l("Time spent under CAPE shortens the associate deadline"),
    )
)
register_setting(
    SettingSpec(
        "associate_warning_days",
        180,
        _l("Warn the support team this many days before the deadline"),
        minimum=1,
        maximum=1000,
    )
)
register_setting(
    SettingSpec(
        "cape_ending_warning_days",
        60,
        _l("Show CAPE contracts ending within this many days on the staff home"),
        minimum=1,
        maximum=365,
    )
)


def init_app(app: Flask) -> None:
    """Sign-in, the members' pages and API, the socket connection, their CLI."""
    from network.members import member_data

    member_data.register()
    from network.core import realtime
    from network.core.permissions import is_staff
    from network.extensions import login_manager
    from network.members import api, feedable, searchable, staff_lists  # noqa: F401
    from network.members.auth import init_login
    from network.members.cli import members_cli, seed_demo_command
    from network.members.events import register_socket_handlers
    from network.members.kept import init_kept, load_member
    from network.members.models import OPEN_TO_LABELS, ROLE_LABELS, STAGE_LABELS, STATUS_LABELS
    from network.members.staff_views import bp as staff_bp
    from network.members.views import bp

    init_login(app, login_manager)
    app.register_blueprint(bp)
    app.register_blueprint(staff_bp)
    register_socket_handlers()
    init_kept(app)
    realtime.set_member_loader(load_member)
    app.cli.add_command(members_cli)
    app.cli.add_command(seed_demo_command)
    register_nav_item(NavItem("members.home", _l("Home"), 10))
    register_nav_item(NavItem("members.members_list", _l("Members"), 30))
    register_nav_item(NavItem("staff.home", _l("Support team"), 90, ("staff.",), is_staff))
    labels = {
        "STATUS_LABELS": STATUS_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "STAGE_LABELS": STAGE_LABELS,
        "OPEN_TO_LABELS": OPEN_TO_LABELS,
    }
    app.context_processor(lambda: labels)
    register_warm_up("members", warm_up)


def warm_up() -> None:
    """At start-up: the statements that find who is asking (a session's member, a bearer
    token's) compiled before the first request, run for no one (~3 ms of CPU each)."""
    from network.core.ids import MAX_ID
    from network.extensions import db
    from network.members.operations import member_for_token

    db.session.get(Member, MAX_ID)
    member_for_token("")


__all__ = ["ApiToken", "CareerStage", "Invitation", "Member", "Status", "init_app"]
