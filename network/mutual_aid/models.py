"""Mutual aid: offers and needs, their responses, the exchanges they become, the time ledger
(append-only, in whole minutes), the collaborations that exchanges and co-contracts record,
and the endorsements only a recorded collaboration allows."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.core.models import Base, db_enum, utcnow
from network.members.models import Member


class OfferKind(enum.StrEnum):
    OFFER = "offer"  # « je peux aider à… »: the author helps
    NEED = "need"  # « je cherche… »: the author is helped


class PlaceKind(enum.StrEnum):
    ON_SITE = "on_site"  # in the cooperative's premises
    REMOTE = "remote"
    CITY = "city"


class OfferState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # the author closed it (or it was taken up and closed)
    WITHDRAWN = "withdrawn"  # deleted by its author: kept for the exchanges it has


class ResponseState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"


class ExchangeState(enum.StrEnum):
    OPEN = "open"  # accepted, not yet confirmed by both
    DISPUTED = "disputed"  # both confirmed, with different hours: staff settle
    RECORDED = "recorded"  # in the ledger


class EntryKind(enum.StrEnum):
    EXCHANGE = "exchange"
    OPENING = "opening"  # the cooperative's opening credit to a newcomer
    CORRECTION = "correction"  # staff: a new entry, never an edit


class PartState(enum.StrEnum):
    PENDING = "pending"  # named by the declarer, not yet answered
    CONFIRMED = "confirmed"  # the member confirmed their part (the declarer: at once)
    DECLINED = "declined"  # the member says they are not a party to it


class CoContractKind(enum.StrEnum):
    CO_CONTRACTING = "co_contracting"  # co-traitance
    SUBCONTRACTING = "subcontracting"  # sous-traitance


class Offer(Base):
    __tablename__ = "aid_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OfferKind] = mapped_column(db_enum(OfferKind))
    state: Mapped[OfferState] = mapped_column(db_enum(OfferState), default=OfferState.OPEN)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[PlaceKind] = mapped_column(db_enum(PlaceKind))
    city: Mapped[str] = mapped_column(String(80), default="")
    city_key: Mapped[str] = mapped_column(String(80), default="")  # folded, for the filter
    estimate_minutes: Mapped[int] = mapped_column(default=60)
    expires_on: Mapped[date]
    response_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author: Mapped[Member] = relationship()
    skills: Mapped[list["OfferSkill"]] = relationship(
        cascade="all, delete-orphan", back_populates="offer"
    )

    __table_args__ = (
        Index("ix_aid_offers_state_id", "state", "id"),
        Index("ix_aid_offers_state_place_city", "state", "place", "city_key", "id"),
        CheckConstraint("estimate_minutes > 0", name="estimate_positive"),
    )


class OfferSkill(Base):
    __tablename__ = "aid_offer_skills"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("aid_offers.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True
    )

    offer: Mapped[Offer] = relationship(back_populates="skills")

    __table_args__ = (Index("ix_aid_offer_skills_skill_offer", "skill_id", "offer_id"),)


class Response(Base):
    __tablename__ = "aid_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("aid_offers.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ResponseState] = mapped_column(
        db_enum(ResponseState), default=ResponseState.PENDING
    )
    conversation_url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]

    offer: Mapped[Offer] = relationship()
    member: Mapped[Member] = relationship()

    __table_args__ = (UniqueConstraint("offer_id", "member_id"),)


class Exchange(Base):
    """The help one member gives another after a response was accepted. Both confirm it and
    the minutes spent; equal claims record it (the ledger moves), different ones dispute it."""

    __tablename__ = "aid_exchanges"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("aid_offers.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("aid_responses.id"), unique=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    helped_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    state: Mapped[ExchangeState] = mapped_column(db_enum(ExchangeState), default=ExchangeState.OPEN)
    helper_minutes: Mapped[int | None]  # what the helper confirmed
    helped_minutes: Mapped[int | None]  # what the helped member confirmed
    minutes: Mapped[int | None]  # what was recorded
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_at: Mapped[datetime | None] = mapped_column(index=True)

    offer: Mapped[Offer] = relationship()
    helper: Mapped[Member] = relationship(foreign_keys=[helper_id])
    helped: Mapped[Member] = relationship(foreign_keys=[helped_id])

    __table_args__ = (CheckConstraint("helper_id <> helped_id", name="two_members"),)


class Balance(Base):
    """A member's running balance: the sum of their ledger entries, kept with them (the row
    is locked while an entry is added, so the floor holds under concurrent confirmations)."""

    __tablename__ = "aid_balances"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_count: Mapped[int] = mapped_column(default=0)


class LedgerEntry(Base):
    """One line of a member's time account. Never updated nor deleted: a correction is a new
    entry. An exchange writes two entries of opposite signs; an opening credit writes one."""

    __tablename__ = "aid_ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[EntryKind] = mapped_column(db_enum(EntryKind))
    minutes: Mapped[int] = mapped_column(BigInteger)  # signed
    balance_after: Mapped[int] = mapped_column(BigInteger)
    counterpart_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    exchange_id: Mapped[int | None] = mapped_column(ForeignKey("aid_exchanges.id"), index=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    counterpart: Mapped[Member | None] = relationship(foreign_keys=[counterpart_id])

    __table_args__ = (
        Index("ix_aid_ledger_entries_member_id_id", "member_id", "id"),
        CheckConstraint("minutes <> 0", name="not_zero"),
    )


class CoContract(Base):
    """Members answering a client together (co-traitance) or one subcontracting to others
    (sous-traitance), declared for the accounting team's internal transfers. Each named
    party confirms their part (the declarer at once); only confirmed parties count as having
    collaborated, and the accounting team is asked once every party has confirmed."""

    __tablename__ = "aid_cocontracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CoContractKind] = mapped_column(db_enum(CoContractKind))
    client: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    lead_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    declared_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    service_request_url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead: Mapped[Member] = relationship(foreign_keys=[lead_id])
    parts: Mapped[list["CoContractPart"]] = relationship(
        cascade="all, delete-orphan", back_populates="cocontract", order_by="CoContractPart.id"
    )

    @property
    def state(self) -> PartState:
        """Declined when a party declined; confirmed when every party confirmed; else
        pending (waiting for partners)."""
        states = {p.state for p in self.parts}
        if PartState.DECLINED in states:
            return PartState.DECLINED
        if states == {PartState.CONFIRMED}:
            return PartState.CONFIRMED
        return PartState.PENDING

    __table_args__ = (
        CheckConstraint("total_cents > 0", name="total_positive"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )


class CoContractPart(Base):
    __tablename__ = "aid_cocontract_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    cocontract_id: Mapped[int] = mapped_column(
        ForeignKey("aid_cocontracts.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[PartState] = mapped_column(db_enum(PartState), default=PartState.PENDING)
    answered_at: Mapped[datetime | None]

    cocontract: Mapped[CoContract] = relationship(back_populates="parts")
    member: Mapped[Member] = relationship()

    __table_args__ = (
        UniqueConstraint("cocontract_id", "member_id"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )


class Collaboration(Base):
    """Two members worked together: a recorded exchange or a declared co-contract. The only
    ground for an endorsement. `member_a_id` < `member_b_id`."""

    __tablename__ = "aid_collaborations"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_a_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    member_b_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("aid_exchanges.id", ondelete="CASCADE"), unique=True
    )
    cocontract_id: Mapped[int | None] = mapped_column(
        ForeignKey("aid_cocontracts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_aid_collaborations_pair", "member_a_id", "member_b_id"),
        CheckConstraint("member_a_id < member_b_id", name="ordered_pair"),
        CheckConstraint("(exchange_id IS NULL) <> (cocontract_id IS NULL)", name="one_ground"),
    )


class Endorsement(Base):
    """A member vouches for a skill of another, on the ground of a collaboration between
    them (the foreign key keeps the link: no collaboration, no endorsement)."""

    __tablename__ = "aid_endorsements"

    id: Mapped[int] = mapped_column(primary_key=True)
    endorser_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    collaboration_id: Mapped[int] = mapped_column(
        ForeignKey("aid_collaborations.id", ondelete="CASCADE"), index=True
    )
    comment: Mapped[str] = mapped_column(String(280), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    endorser: Mapped[Member] = relationship(foreign_keys=[endorser_id])

    __table_args__ = (
        UniqueConstraint("endorser_id", "member_id", "skill_id"),
        Index("ix_aid_endorsements_member_skill", "member_id", "skill_id"),
        CheckConstraint("endorser_id <> member_id", name="not_self"),
    )


class Preference(Base):
    """What a member chooses to show of their mutual aid (nothing until they choose)."""

    __tablename__ = "aid_preferences"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    show_collaborations: Mapped[bool] = mapped_column(default=False)
