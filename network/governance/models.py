"""Decisions taken in the feed: their options, the frozen electorate, open votes, and
secret ballots kept apart from the list of who voted."""

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.core.models import Base, db_enum, utcnow
from network.governance.counting import DecisionKind
from network.members.models import Member


class DecisionState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ElectorateKind(enum.StrEnum):
    ASSOCIATES = "associates"  # binding: the associates (one person, one vote)
    MEMBERS = "members"  # consultative: every active member
    STATUSES = "statuses"  # consultative: the active members of chosen CAE statuses
    GROUP = "group"  # the members of a group another module keeps (a channel)
    NAMED = "named"  # a list of members named by the author


class Visibility(enum.StrEnum):
    COOPERATIVE = "cooperative"  # every member sees it
    ELECTORATE = "electorate"  # its electorate, its author and the support team


class ReasonMode(enum.StrEnum):
    DISABLED = "disabled"
    OPTIONAL = "optional"
    REQUIRED = "required"


class ResultsVisibility(enum.StrEnum):
    ALWAYS = "always"
    AFTER_VOTE = "after_vote"
    AFTER_CLOSE = "after_close"


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DecisionKind] = mapped_column(db_enum(DecisionKind))
    state: Mapped[DecisionState] = mapped_column(
        db_enum(DecisionState), default=DecisionState.DRAFT
    )
    title: Mapped[str] = mapped_column(String(200))
    context: Mapped[str] = mapped_column(Text, default="")
    context_html: Mapped[str] = mapped_column(Text, default="")
    images: Mapped[list[str]] = mapped_column(default=list)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)

    electorate_kind: Mapped[ElectorateKind] = mapped_column(db_enum(ElectorateKind))
    electorate_statuses: Mapped[list[str]] = mapped_column(default=list)
    electorate_group: Mapped[str] = mapped_column(String(40), default="")
    electorate_group_id: Mapped[int | None]
    electorate_named: Mapped[list[int]] = mapped_column(JSON, default=list)
    electorate_label: Mapped[str] = mapped_column(String(200), default="")  # frozen at opening
    electorate_size: Mapped[int] = mapped_column(default=0)

    visibility: Mapped[Visibility] = mapped_column(
        db_enum(Visibility), default=Visibility.COOPERATIVE
    )
    secret: Mapped[bool] = mapped_column(default=False)
    reason_mode: Mapped[ReasonMode] = mapped_column(
        db_enum(ReasonMode), default=ReasonMode.OPTIONAL
    )
    results_visibility: Mapped[ResultsVisibility] = mapped_column(
        db_enum(ResultsVisibility), default=ResultsVisibility.AFTER_VOTE
    )
    voters_add_options: Mapped[bool] = mapped_column(default=False)
    min_choices: Mapped[int] = mapped_column(default=1)
    max_choices: Mapped[int | None]
    max_score: Mapped[int] = mapped_column(default=5)
    remind: Mapped[bool] = mapped_column(default=True)

    closes_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    vote_count: Mapped[int] = mapped_column(default=0)  # turnout: members who voted
    tally_version: Mapped[int] = mapped_column(default=0)  # changes with every vote
    results: Mapped[dict[str, Any] | None]  # the count, frozen at close

    outcome: Mapped[str] = mapped_column(Text, default="")
    outcome_html: Mapped[str] = mapped_column(Text, default="")
    outcome_at: Mapped[datetime | None]
    review_on: Mapped[date | None]
    reviewed_at: Mapped[datetime | None]  # the author was reminded of the review
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author: Mapped[Member] = relationship()
    options: Mapped[list["DecisionOption"]] = relationship(
        order_by="DecisionOption.position, DecisionOption.id",
        cascade="all, delete-orphan",
        back_populates="decision",
    )

    __table_args__ = (
        Index("ix_decisions_state_closes_at", "state", "closes_at"),
        Index("ix_decisions_state_id", "state", "id"),
    )


class DecisionOption(Base):
    __tablename__ = "decision_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(16), default="")  # a proposal's or consent's stance
    starts_at: Mapped[datetime | None]  # a date poll's slot
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))

    decision: Mapped[Decision] = relationship(back_populates="options")


class DecisionEdit(Base):
    """The question and options as they were before an edit (edits stop at the first vote)."""

    __tablename__ = "decision_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), index=True
    )
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    context: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(default=list)
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Elector(Base):
    """A member of a decision's electorate, frozen when it opened; `voted` is the turnout.

    Without a rowid on SQLite, rows are stored (and dumped) by key, never in voting order."""

    __tablename__ = "decision_electors"

    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    voted: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        Index("ix_decision_electors_member_id", "member_id", "decision_id"),
        {"sqlite_with_rowid": False},
    )


class Vote(Base):
    """An open vote: who chose what (one per member and decision, a database rule)."""

    __tablename__ = "decision_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    choices: Mapped[dict[str, Any]] = mapped_column(default=dict)  # option id → value
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()

    __table_args__ = (UniqueConstraint("decision_id", "member_id"),)


class Ballot(Base):
    """A secret ballot: what was chosen, under a random receipt code; no member, no time.

    Keyed by the random receipt (no rowid on SQLite), and rewritten in receipt order when
    the decision closes, so neither order nor content joins it back to a voter."""

    __tablename__ = "decision_ballots"

    receipt: Mapped[str] = mapped_column(String(32), primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), index=True
    )
    choices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = ({"sqlite_with_rowid": False},)
