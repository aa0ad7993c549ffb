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


# --- General assemblies --------------------------------------------------------------------


class AssemblyKind(enum.StrEnum):
    ORDINARY = "ordinary"  # AGO
    EXTRAORDINARY = "extraordinary"  # AGE
    ORDINARY_EXTRAORDINARY = "ordinary_extraordinary"  # AGO réunie extraordinairement


class AssemblyState(enum.StrEnum):
    DRAFT = "draft"
    CONVENED = "convened"
    IN_SESSION = "in_session"
    CLOSED = "closed"
    NO_QUORUM = "no_quorum"  # recorded as such; a second convocation follows


class Assembly(Base):
    __tablename__ = "assemblies"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AssemblyKind] = mapped_column(db_enum(AssemblyKind))
    convocation: Mapped[int] = mapped_column(default=1)  # first or second
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("assemblies.id"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[AssemblyState] = mapped_column(
        db_enum(AssemblyState), default=AssemblyState.DRAFT
    )
    postal_votes: Mapped[bool] = mapped_column(default=False)
    postal_deadline: Mapped[datetime | None]
    room_code: Mapped[str] = mapped_column(String(32), default="")  # the room's check-in QR
    register_size: Mapped[int] = mapped_column(default=0)  # associates convened
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    secretary_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    convened_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    minutes: Mapped[dict[str, Any] | None]  # frozen when the chair signs them
    minutes_signed_at: Mapped[datetime | None]
    minutes_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resolutions: Mapped[list["Resolution"]] = relationship(
        order_by="Resolution.position, Resolution.id",
        cascade="all, delete-orphan",
        back_populates="assembly",
    )
    documents: Mapped[list["AssemblyDocument"]] = relationship(
        order_by="AssemblyDocument.id", cascade="all, delete-orphan", back_populates="assembly"
    )


class AssemblyDocument(Base):
    """A document joined to an assembly by the support team (the accounts, the reports),
    stored under `uploads/assemblies/` with a generated name and served as a download to
    the associates on the register and the staff."""

    __tablename__ = "assembly_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(
        ForeignKey("assemblies.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # the file's name, as sent
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assembly: Mapped[Assembly] = relationship(back_populates="documents")


class ResolutionState(enum.StrEnum):
    PROPOSED = "proposed"  # drafted by associates, not on the agenda until enough co-sign
    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"


class Resolution(Base):
    __tablename__ = "resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(
        ForeignKey("assemblies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    text_html: Mapped[str] = mapped_column(Text, default="")
    majority: Mapped[str] = mapped_column(String(20), default="ordinary")  # statutes.MajorityKind
    secret: Mapped[bool] = mapped_column(default=False)
    by_gerance: Mapped[bool] = mapped_column(default=True)  # presented or supported by it
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    state: Mapped[ResolutionState] = mapped_column(
        db_enum(ResolutionState), default=ResolutionState.PENDING
    )
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    verdict: Mapped[dict[str, Any] | None]

    assembly: Mapped[Assembly] = relationship(back_populates="resolutions")


class Presence(enum.StrEnum):
    ABSENT = "absent"
    PRESENT = "present"  # in the room
    ONLINE = "online"  # on the live page during the session
    POSTAL = "postal"  # voted by post before the deadline


class Attendee(Base):
    """An associate of the register, frozen at convocation: when they were convened (proof)
    and how they attend."""

    __tablename__ = "assembly_attendees"

    assembly_id: Mapped[int] = mapped_column(
        ForeignKey("assemblies.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    convened_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    presence: Mapped[Presence] = mapped_column(db_enum(Presence), default=Presence.ABSENT)
    checked_in_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()

    __table_args__ = (Index("ix_assembly_attendees_member_id", "member_id"),)


class Proxy(Base):
    """A pouvoir: an associate's vote given to another (or blank: no holder)."""

    __tablename__ = "assembly_proxies"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    giver_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    giver: Mapped[Member] = relationship(foreign_keys=[giver_id])
    holder: Mapped[Member | None] = relationship(foreign_keys=[holder_id])

    __table_args__ = (
        UniqueConstraint("assembly_id", "giver_id"),
        Index("ix_assembly_proxies_holder", "assembly_id", "holder_id"),
    )


class ResolutionVote(Base):
    """A vote on a resolution: whose vote it is (`voter_id`, one per resolution: a database
    rule), who cast it (themselves, or the holder of their proxy), and, unless the
    resolution is secret, what it was."""

    __tablename__ = "resolution_votes"

    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolutions.id", ondelete="CASCADE"), primary_key=True
    )
    voter_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    cast_by_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    choice: Mapped[str | None] = mapped_column(String(10))  # for / against / abstain; secret: none
    postal: Mapped[bool] = mapped_column(default=False)

    __table_args__ = ({"sqlite_with_rowid": False},)


class ResolutionBallot(Base):
    """A secret vote on a resolution: its choice under a random key, no voter, no time."""

    __tablename__ = "resolution_ballots"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolutions.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[str] = mapped_column(String(10))

    __table_args__ = ({"sqlite_with_rowid": False},)


class CandidacyState(enum.StrEnum):
    PENDING = "pending"  # waits for the next assembly's agenda
    SCHEDULED = "scheduled"  # a resolution of a convened assembly
    ADMITTED = "admitted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Candidacy(Base):
    """An employee-entrepreneur's application to become an associate."""

    __tablename__ = "associate_candidacies"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    motivation: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[CandidacyState] = mapped_column(
        db_enum(CandidacyState), default=CandidacyState.PENDING, index=True
    )
    resolution_id: Mapped[int | None] = mapped_column(
        ForeignKey("resolutions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship()


class ResolutionSigner(Base):
    """An associate who proposes or co-signs a draft resolution."""

    __tablename__ = "resolution_signers"

    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolutions.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
