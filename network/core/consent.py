"""A member's consents, dated and revocable: e-convocation to assemblies (the law requires
the associate's prior agreement to be convened electronically), daily e-mail digests, and
appearing in "who's here today".

Each change is a new row (the history is the proof); the latest row of a purpose is the
member's current choice. Without any row, the purpose's default applies. The privacy module
records the choices; the modules that send digests, convene or show presence read them here.
"""

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from network.core.models import Base, db_enum, utcnow


class Purpose(enum.StrEnum):
    E_CONVOCATION = "e_convocation"
    EMAIL_DIGEST = "email_digest"
    PRESENCE = "presence"


PURPOSE_LABELS = {
    Purpose.E_CONVOCATION: _l("Receive the convocations to general assemblies by e-mail"),
    Purpose.EMAIL_DIGEST: _l("Receive e-mail digests of my notifications"),
    Purpose.PRESENCE: _l("Appear in “who's here today” on the days I book a space"),
}
#: The choice before the member said anything: an electronic convocation needs a prior
#: agreement, and appearing to others is opted in; digests are a feature one turns off.
DEFAULTS = {Purpose.E_CONVOCATION: False, Purpose.EMAIL_DIGEST: True, Purpose.PRESENCE: False}


DEFAULT: Any = object()


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    purpose: Mapped[Purpose] = mapped_column(db_enum(Purpose))
    granted: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: who recorded it: the member, or staff copying a signed paper form
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    source: Mapped[str] = mapped_column(String(20), default="web")  # web, api, paper

    __table_args__ = (Index("ix_consents_member_purpose", "member_id", "purpose", "id"),)


def current_consents(
    member_ids: Iterable[int], purpose: Purpose, default: Any = DEFAULT
) -> dict[int, Any]:
    """member id → their current choice for `purpose` (`default` when they never chose:
    the purpose's default unless given)."""
    from network.extensions import db

    ids = list(member_ids)
    found = dict.fromkeys(ids, DEFAULTS[purpose] if default is DEFAULT else default)
    if not ids:
        return found
    latest = (
        select(func.max(Consent.id))
        .where(Consent.member_id.in_(ids), Consent.purpose == purpose)
        .group_by(Consent.member_id)
    )
    rows = db.session.execute(
        select(Consent.member_id, Consent.granted).where(Consent.id.in_(latest))
    )
    found.update({member_id: granted for member_id, granted in rows})
    return found


def has_consent(member_id: int, purpose: Purpose) -> bool:
    return current_consents([member_id], purpose)[member_id]


def refusing(member_ids: Iterable[int], purpose: Purpose) -> set[int]:
    """Those of `member_ids` whose current choice for `purpose` is no."""
    return {m for m, granted in current_consents(member_ids, purpose).items() if not granted}


def record_consent(
    member_id: int,
    purpose: Purpose,
    granted: bool,
    *,
    recorded_by_id: int | None = None,
    source: str = "web",
) -> Consent | None:
    """Record the member's choice for `purpose` (a new dated row) when it changes; the new
    row, or None when the choice was already that one. Flushes, never commits; the audit
    entry is the caller's."""
    from network.extensions import db

    if has_consent(member_id, purpose) == granted and _has_row(member_id, purpose):
        return None
    consent = Consent(
        member_id=member_id,
        purpose=purpose,
        granted=granted,
        recorded_by_id=recorded_by_id,
        source=source,
    )
    db.session.add(consent)
    db.session.flush()
    return consent


def _has_row(member_id: int, purpose: Purpose) -> bool:
    from network.extensions import db

    found = db.session.scalar(
        select(Consent.id).where(Consent.member_id == member_id, Consent.purpose == purpose)
    )
    return found is not None


def history(member_id: int) -> list[Consent]:
    from network.extensions import db

    return list(
        db.session.scalars(
            select(Consent).where(Consent.member_id == member_id).order_by(Consent.id.desc())
        )
    )
