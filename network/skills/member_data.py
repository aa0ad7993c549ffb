"""What the skills module keeps about a member (see `network.core.member_data`)."""

from flask_babel import lazy_gettext as _l

from network.core.member_data import (
    Erase,
    MemberData,
    register_member_data,
    register_member_reference,
)
from network.skills.models import MemberSkill, Skill


def register() -> None:
    register_member_data(
        MemberData(
            "skills",
            MemberSkill,
            "member_id",
            _l("The skills you list in the directory, with their level."),
            erase=Erase.DELETE,
        )
    )
    register_member_reference(Skill, "proposed_by_id")
