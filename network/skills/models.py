"""The skills taxonomy, its spellings, and the skills members list with a level."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.core.models import Base, db_enum, utcnow
from network.members.models import Member


class SkillStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    PROPOSED = "proposed"
    MERGED = "merged"


class Level(enum.StrEnum):
    NOTIONS = "notions"
    PRACTISED = "practised"
    EXPERT = "expert"

    @property
    def label(self):
        return LEVEL_LABELS[self]

    @property
    def weight(self) -> float:
        return LEVEL_WEIGHTS[self]


LEVEL_LABELS = {
    Level.NOTIONS: _l("Notions"),
    Level.PRACTISED: _l("Practised"),
    Level.EXPERT: _l("Expert"),
}
LEVEL_WEIGHTS = {Level.NOTIONS: 0.4, Level.PRACTISED: 0.75, Level.EXPERT: 1.0}


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(80), default="", index=True)
    synonyms: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[SkillStatus] = mapped_column(db_enum(SkillStatus), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id"))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    aliases: Mapped[list["SkillAlias"]] = relationship(
        back_populates="skill", cascade="all, delete-orphan"
    )

    def name(self, locale: str | None) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_fr


class SkillAlias(Base):
    """Every spelling of a skill (names, synonyms), folded: no two skills share one."""

    __tablename__ = "skill_aliases"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)

    skill: Mapped[Skill] = relationship(back_populates="aliases")


class MemberSkill(Base):
    __tablename__ = "member_skills"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    level: Mapped[Level] = mapped_column(db_enum(Level))
    years: Mapped[int] = mapped_column(default=0)
    can_teach: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    skill: Mapped[Skill] = relationship()
    member: Mapped[Member] = relationship()

    __table_args__ = (CheckConstraint("years >= 0 AND years <= 60", name="years_range"),)
