"""Solidarity money requests: a member asks for a treasury advance or a loan, the committee
gives opinions and decides once, an approved request is repaid by monthly instalments.

Amounts are `Money` stored as whole cents (`MoneyType`), never floats.
"""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.core.models import Base, db_enum, utcnow
from network.core.money import Money, MoneyType
from network.members.models import Member


class MoneyKind(enum.StrEnum):
    ADVANCE = "advance"  # avance de trésorerie
    LOAN = "loan"  # prêt


class RequestState(enum.StrEnum):
    UNDER_REVIEW = "under_review"  # the committee gives opinions, then decides
    AWAITING_ASSOCIATES = "awaiting_associates"  # approved above the threshold: a binding vote
    APPROVED = "approved"  # being repaid
    REFUSED = "refused"
    REPAID = "repaid"


class Stance(enum.StrEnum):
    FAVOURABLE = "favourable"
    UNFAVOURABLE = "unfavourable"
    CONFLICT = "conflict"  # a declared conflict of interest: the reviewer is recused


class Schedule(enum.StrEnum):
    PROPOSED = "proposed"  # by the requester
    AGREED = "agreed"  # by the committee's decision: the repayment schedule


class CommitteeMember(Base):
    """A member of the solidarity committee (named by the support team)."""

    __tablename__ = "money_committee_members"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])


class MoneyRequest(Base):
    __tablename__ = "money_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[MoneyKind] = mapped_column(db_enum(MoneyKind))
    amount: Mapped[Money] = mapped_column(MoneyType)
    purpose: Mapped[str] = mapped_column(Text)
    state: Mapped[RequestState] = mapped_column(
        db_enum(RequestState), default=RequestState.UNDER_REVIEW, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    #: what the committee granted (None until approved; may be less than asked)
    approved_amount: Mapped[Money | None] = mapped_column(MoneyType)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    #: the binding decision of the associates (governance's id; no foreign key: the two
    #: modules do not know each other's tables)
    associates_decision_id: Mapped[int | None] = mapped_column(index=True)
    settled_at: Mapped[datetime | None]
    repaid: Mapped[Money] = mapped_column(MoneyType, default=lambda: Money(0))

    requester: Mapped[Member] = relationship(foreign_keys=[requester_id])
    decided_by: Mapped[Member | None] = relationship(foreign_keys=[decided_by_id])
    instalments: Mapped[list["Instalment"]] = relationship(
        back_populates="request", order_by="Instalment.number", cascade="all, delete-orphan"
    )
    opinions: Mapped[list["Opinion"]] = relationship(
        back_populates="request", order_by="Opinion.id", cascade="all, delete-orphan"
    )
    repayments: Mapped[list["Repayment"]] = relationship(
        back_populates="request", order_by="Repayment.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("requester_id", "client_id"),  # a double-clicked submit: one request
    )

    def schedule(self, which: Schedule) -> list["Instalment"]:
        return [i for i in self.instalments if i.schedule == which]

    @property
    def balance(self) -> Money:
        """What is left to repay (zero before approval)."""
        if self.approved_amount is None or self.state not in (
            RequestState.APPROVED,
            RequestState.REPAID,
        ):
            return Money.zero()
        return self.approved_amount - self.repaid


class Instalment(Base):
    """One monthly instalment of a proposed or agreed schedule."""

    __tablename__ = "money_instalments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("money_requests.id", ondelete="CASCADE"))
    schedule: Mapped[Schedule] = mapped_column(db_enum(Schedule))
    number: Mapped[int]
    due_on: Mapped[date]
    amount: Mapped[Money] = mapped_column(MoneyType)

    request: Mapped[MoneyRequest] = relationship(back_populates="instalments")

    __table_args__ = (
        UniqueConstraint("request_id", "schedule", "number"),
        Index("ix_money_instalments_schedule_due_on", "schedule", "due_on"),
    )


class Opinion(Base):
    """A reviewer's opinion on a request, with its reason (or a declared conflict)."""

    __tablename__ = "money_opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("money_requests.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    stance: Mapped[Stance] = mapped_column(db_enum(Stance))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    request: Mapped[MoneyRequest] = relationship(back_populates="opinions")
    reviewer: Mapped[Member] = relationship()

    __table_args__ = (UniqueConstraint("request_id", "reviewer_id"),)  # one per reviewer


class Repayment(Base):
    """A repayment received, recorded by the support team."""

    __tablename__ = "money_repayments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("money_requests.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Money] = mapped_column(MoneyType)
    paid_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[MoneyRequest] = relationship(back_populates="repayments")
    recorded_by: Mapped[Member] = relationship()
