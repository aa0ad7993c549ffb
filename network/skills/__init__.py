"""Skills taxonomy, member skills, the directory and "find collaborators"."""

from flask_babel import lazy_gettext as _l

from network.cooperative import SettingSpec, register_setting
from network.skills.models import Level, MemberSkill, Skill, SkillAlias, SkillStatus

register_setting(
    SettingSpec("max_skills_per_member", 30, _l("Skills a member may list"), minimum=1, maximum=200)
)

__all__ = ["Level", "MemberSkill", "Skill", "SkillAlias", "SkillStatus"]
