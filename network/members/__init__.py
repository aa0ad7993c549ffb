"""Accounts, invitations, profiles, CAE statuses and career stages."""

from flask_babel import lazy_gettext as _l

from network.cooperative import SettingSpec, register_setting
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

__all__ = ["ApiToken", "CareerStage", "Invitation", "Member", "Status"]
