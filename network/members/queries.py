"""Reads: the members list, staff lists, and what of a profile a viewer may see."""

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, and_, or_, select

from network.cooperative import cooperative_today, current_settings
from network.core.errors import Invalid, NotFound
from network.core.images import image_url
from network.core.pagination import Page, decode_cursor, encode_cursor
from network.core.permissions import is_staff
from network.core.text import fold
from network.extensions import db
from network.members import journey
from network.members.models import (
    PROFILE_GROUPS,
    ApiToken,
    Invitation,
    Member,
    Status,
    Visibility,
)

GROUP_FIELDS = {
    "headline": ("headline",),
    "bio": ("bio", "bio_html"),
    "activity": ("trading_name", "trade", "sector", "website"),
    "location": ("city", "postcode"),
    "languages": ("languages",),
    "links": ("links",),
    "open_to": ("open_to",),
}


def can_see_group(viewer: Member, member: Member, group: str) -> bool:
    return (
        viewer.id == member.id or is_staff(viewer) or member.visibility(group) == Visibility.MEMBERS
    )


def visible_profile(member: Member, viewer: Member) -> dict[str, Any]:
    """The profile fields `viewer` may see; hidden groups are simply absent."""
    profile: dict[str, Any] = {
        "id": member.id,
        "display_name": member.display_name,
        "status": member.status.value,
        "is_active": member.is_active,
        "avatar_url": image_url(member.avatar_key, "thumb"),
        "avatar_full_url": image_url(member.avatar_key, "full"),
    }
    for group in PROFILE_GROUPS:
        if can_see_group(viewer, member, group):
            for field in GROUP_FIELDS[group]:
                profile[field] = getattr(member, field)
    if "bio_html" in profile:
        profile["bio_html"] = Markup(profile["bio_html"])  # sanitised by render_markdown
    return profile


def member_for_viewer(viewer: Member, member_id: int) -> Member:
    """The member, or `NotFound` (a deactivated account is visible to staff only)."""
    member = db.session.get(Member, member_id)
    if member is None or (not member.is_active and not is_staff(viewer)):
        raise NotFound()
    return member


def _visible_filter(viewer: Member, group: str, condition):
    if is_staff(viewer):
        return condition
    column = getattr(Member, f"vis_{group}")
    return and_(condition, or_(column == Visibility.MEMBERS, Member.id == viewer.id))


def members_query(
    viewer: Member,
    *,
    q: str = "",
    status: str = "",
    trade: str = "",
    city: str = "",
    include_inactive: bool = False,
) -> Select:
    """Members matching the filters; filters never match a field hidden from `viewer`."""
    query = select(Member)
    if not (include_inactive and is_staff(viewer)):
        query = query.where(Member.is_active.is_(True))
    if len(q) > 100 or len(trade) > 120 or len(city) > 120:
        raise Invalid(_l("This search is too long."))
    if q.strip():
        query = query.where(Member.name_key.contains(fold(q), autoescape=True))
    if status:
        try:
            query = query.where(Member.status == Status(status))
        except ValueError:
            raise Invalid(fields={"status": _l("Unknown status.")}) from None
    if trade.strip():
        query = query.where(_visible_filter(viewer, "activity", Member.trade_key == fold(trade)))
    if city.strip():
        query = query.where(_visible_filter(viewer, "location", Member.city_key == fold(city)))
    return query


def list_members(
    viewer: Member, *, cursor: str | None = None, limit: int = 30, **filters: Any
) -> Page[Member]:
    """One page of members ordered by name, with a cursor to the next page."""
    query = members_query(viewer, **filters)
    after = decode_cursor(cursor, (str, int))
    if after:
        name_key, member_id = after
        query = query.where(
            or_(
                Member.name_key > name_key,
                and_(Member.name_key == name_key, Member.id > member_id),
            )
        )
    rows = db.session.scalars(query.order_by(Member.name_key, Member.id).limit(limit + 1)).all()
    items = list(rows[:limit])
    next_cursor = encode_cursor([items[-1].name_key, items[-1].id]) if len(rows) > limit else None
    return Page(items, next_cursor)


def filter_choices() -> dict[str, list[str]]:
    """Distinct trades and cities (visible to all members) for the list's filters."""
    trades = db.session.scalars(
        select(Member.trade)
        .where(
            Member.is_active.is_(True),
            Member.trade != "",
            Member.vis_activity == Visibility.MEMBERS,
        )
        .distinct()
        .order_by(Member.trade)
        .limit(300)
    ).all()
    cities = db.session.scalars(
        select(Member.city)
        .where(
            Member.is_active.is_(True), Member.city != "", Member.vis_location == Visibility.MEMBERS
        )
        .distinct()
        .order_by(Member.city)
        .limit(300)
    ).all()
    return {"trades": list(trades), "cities": list(cities)}


def members_nearing_deadline(today: date | None = None) -> list[Member]:
    """CESA members whose associate deadline falls within the warning window (or is past)."""
    today = today or cooperative_today()
    horizon = today + timedelta(days=current_settings()["associate_warning_days"])
    return list(
        db.session.scalars(
            select(Member)
            .where(
                Member.is_active.is_(True),
                Member.status == Status.EMPLOYEE_ENTREPRENEUR,
                Member.associate_deadline.is_not(None),
                Member.associate_deadline <= horizon,
            )
            .order_by(Member.associate_deadline)
        ).all()
    )


def journey_summary(member: Member) -> dict[str, Any]:
    settings = current_settings()
    return {
        "associate_deadline": member.associate_deadline,
        "cape_end": journey.cape_end(member.stages, settings["cape_max_months"]),
        "cape_renewals": journey.cape_renewals(member.stages),
        "cape_max_renewals": settings["cape_max_renewals"],
        "stages": list(reversed(journey.ordered(member.stages))),
    }


def recent_invitations(limit: int = 50) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation).order_by(Invitation.created_at.desc()).limit(limit)
        ).all()
    )


def personal_tokens(member: Member) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(
                ApiToken.member_id == member.id,
                ApiToken.is_personal.is_(True),
                ApiToken.revoked_at.is_(None),
            )
            .order_by(ApiToken.created_at.desc())
        ).all()
    )
