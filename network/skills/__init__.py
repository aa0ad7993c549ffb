"""Skills taxonomy, member skills, the directory and "find collaborators"."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from network.core.registries import NavItem, SettingSpec, register_nav_item, register_setting
from network.skills.models import Level, MemberSkill, Skill, SkillAlias, SkillStatus

register_setting(
    SettingSpec("max_skills_per_member", 30, _l("Skills a member may list"), minimum=1, maximum=200)
)


def init_app(app: Flask) -> None:
    """The skills pages and API, and what skills add to the feed, search and directory."""
    from network.skills import member_data

    member_data.register()
    from network.skills import api, feedable, queries, searchable, welcome  # noqa: F401
    from network.skills.views import bp

    app.register_blueprint(bp)
    register_nav_item(NavItem("skills.index", _l("Skills"), 50, ("skills.",)))


__all__ = ["Level", "MemberSkill", "Skill", "SkillAlias", "SkillStatus", "init_app"]
