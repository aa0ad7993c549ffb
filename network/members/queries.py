"""Reads: the members list, staff lists, and what of a profile a viewer may see."""

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, and_, case, func, or_, select

from network.cooperative import cooperative_today, current_settings
from network.core.errors import Invalid, NotFound
from network.core.images import image_url
from network.core.pagination import Page, decode_cursor, encode_cursor, parse_limit
from network.core.permissions import is_staff
from network.core.registries import MEMBER_FILTERS, PROFILE_SECTIONS, FacetValue
from network.core.text import fold
from network.extensions import db
from network.members import journey
from network.members.models import (
    PROFILE_GROUPS,
    ApiToken,
    Invitation,
    Member,
    OpenTo,
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


#: (visibility column, fields) of each group of profile fields.
_GROUP_COLUMNS = tuple((f"vis_{group}", GROUP_FIELDS[group]) for group in PROFILE_GROUPS)


def visible_profile(member: Member, viewer: Member) -> dict[str, Any]:
    """The profile fields `viewer` may see; hidden groups are simply absent.

    Called for every card of a list: the viewer is resolved once, not at every field."""
    viewer = getattr(viewer, "_get_current_object", lambda: viewer)()
    avatar = member.avatar_key
    profile: dict[str, Any] = {
        "id": member.id,
        "display_name": member.display_name,
        "status": member.status.value,
        "is_active": member.is_active,
        "avatar_url": image_url(avatar, "thumb") if avatar else None,
        "avatar_full_url": image_url(avatar, "full") if avatar else None,
    }
    sees_all = viewer.id == member.id or is_staff(viewer)
    for column, fields in _GROUP_COLUMNS:
        if sees_all or getattr(member, column) == Visibility.MEMBERS:
            for field in fields:
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


def visible_to(viewer: Member, group: str, condition):
    """`condition`, restricted to members whose `group` of fields the viewer may see."""
    if is_staff(viewer):
        return condition
    column = getattr(Member, f"vis_{group}")
    return and_(condition, or_(column == Visibility.MEMBERS, Member.id == viewer.id))


def visible_to_everyone(viewer: Member, group: str, condition):
    """Like `visible_to`, without the viewer's own hidden fields: for counts shared between
    viewers (a cached count must not reveal one member's staff-only field to others)."""
    if is_staff(viewer):
        return condition
    return and_(condition, getattr(Member, f"vis_{group}") == Visibility.MEMBERS)


def profile_sections(member: Member, viewer: Member) -> list[tuple[str, dict[str, Any]]]:
    return [(template, loader(member, viewer)) for template, loader in PROFILE_SECTIONS]


TEXT_FILTERS = ("q", "status", "trade", "sector", "city", "postcode", "language")
MAX_FILTER_TEXT = 120
SORTS = ("name", "recent")


@dataclass
class MemberFilters:
    q: str = ""
    status: str = ""
    trade: str = ""
    sector: str = ""
    city: str = ""
    postcode: str = ""
    language: str = ""
    open_to: list[str] = field(default_factory=list)
    extra: dict[str, list[Any]] = field(default_factory=dict)
    sort: str = "name"
    include_inactive: bool = False

    @classmethod
    def from_args(cls, args, sorts: tuple[str, ...] = SORTS) -> "MemberFilters":
        """Parse query arguments; unknown values and over-long texts are `Invalid`."""
        texts: dict[str, Any] = {k: (args.get(k) or "").strip() for k in TEXT_FILTERS}
        if any(len(v) > MAX_FILTER_TEXT for v in texts.values()):
            raise Invalid(_l("This search is too long."))
        if texts["status"] not in ("", *(s.value for s in Status)):
            raise Invalid(fields={"status": _l("Unknown status.")})
        open_to = [v for v in args.getlist("open_to") if v]
        if any(v not in {o.value for o in OpenTo} for v in open_to):
            raise Invalid(fields={"open_to": _l("Unknown value.")})
        sort = args.get("sort") or "name"
        if sort not in sorts:
            raise Invalid(fields={"sort": _l("Unknown value.")})
        extra = {
            name: hook.parse([v for v in args.getlist(name) if v])
            for name, hook in MEMBER_FILTERS.items()
            if args.getlist(name)
        }
        return cls(open_to=open_to, extra={k: v for k, v in extra.items() if v}, sort=sort, **texts)

    def as_args(self) -> dict[str, Any]:
        """The filters as query arguments, for links to other pages of the same list."""
        data: dict[str, Any] = {k: getattr(self, k) for k in TEXT_FILTERS if getattr(self, k)}
        if self.open_to:
            data["open_to"] = self.open_to
        if self.sort != "name":
            data["sort"] = self.sort
        return {**data, **self.extra}


def members_query(viewer: Member, f: MemberFilters, counting: bool = False) -> Select:
    """Members matching the filters; filters never match a field hidden from `viewer`.
    `counting`: to count them all (facets), not to read a page in order."""
    query = select(Member)
    if not (f.include_inactive and is_staff(viewer)):
        query = query.where(Member.is_active.is_(True))
    if f.q:
        query = query.where(Member.name_key.contains(fold(f.q), autoescape=True))
    if f.status:
        query = query.where(Member.status == Status(f.status))
    conditions = (
        ("activity", f.trade, lambda v: Member.trade_key == fold(v)),
        ("activity", f.sector, lambda v: func.lower(Member.sector) == v.lower()),
        ("location", f.city, lambda v: Member.city_key == fold(v)),
        ("location", f.postcode, lambda v: Member.postcode.startswith(v, autoescape=True)),
        (
            "languages",
            f.language,
            lambda v: Member.languages_key.contains(f"|{fold(v)}|", autoescape=True),
        ),
    )
    for group, value, condition in conditions:
        if value:
            query = query.where(visible_to(viewer, group, condition(value)))
    for value in f.open_to:
        query = query.where(
            visible_to(viewer, "open_to", Member.open_to_key.contains(f"|{value}|"))
        )
    for name, values in f.extra.items():
        hooks = MEMBER_FILTERS[name]
        clause = hooks.count_clause if counting and hooks.count_clause else hooks.clause
        query = query.where(clause(viewer, values))
    return query


def list_members(
    viewer: Member,
    f: MemberFilters,
    *,
    cursor: str | None = None,
    limit: int = 30,
    order: tuple = (),
    order_types: tuple[type, ...] = (),
) -> Page[Member]:
    """One page of members: by name, newest first, or in a given `order` (columns, descending
    flags) whose values have `order_types`; with a cursor to the next page."""
    if order:
        columns, descending = order
    elif f.sort == "recent":
        columns, descending, order_types = (Member.id,), (True,), (int,)
    else:
        columns, descending, order_types = (Member.name_key, Member.id), (False, False), (str, int)
    return keyset_page(members_query(viewer, f), columns, descending, order_types, cursor, limit)


def page_from_args(
    viewer: Member, args, *, per_page: int = 30, include_inactive: bool = False
) -> tuple[MemberFilters, Page[Member]]:
    """The filters, cursor and limit of a query string, and the page they select."""
    filters = MemberFilters.from_args(args)
    filters.include_inactive = include_inactive
    page = list_members(
        viewer, filters, cursor=args.get("cursor"), limit=parse_limit(args.get("limit"), per_page)
    )
    return filters, page


def keyset_page(
    query: Select,
    columns: tuple,
    descending: tuple[bool, ...],
    types: tuple[type, ...],
    cursor: str | None,
    limit: int,
) -> Page[Member]:
    after = decode_cursor(cursor, types)
    if after:
        query = query.where(_after(columns, descending, after))
    order = [c.desc() if d else c.asc() for c, d in zip(columns, descending, strict=True)]
    rows = db.session.execute(query.add_columns(*columns).order_by(*order).limit(limit + 1)).all()
    items = [row[0] for row in rows[:limit]]
    next_cursor = encode_cursor(list(rows[limit - 1][1:])) if len(rows) > limit else None
    return Page(items, next_cursor)


def _after(columns: tuple, descending: tuple[bool, ...], values: list[Any]):
    """Rows strictly after `values` in the (mixed-direction) order of `columns`."""
    clauses = []
    for i, (column, desc) in enumerate(zip(columns, descending, strict=True)):
        equal = [columns[j] == values[j] for j in range(i)]
        clauses.append(and_(*equal, column < values[i] if desc else column > values[i]))
    return or_(*clauses)


def _open_to_counts(viewer: Member, base: Select) -> list[FacetValue]:
    """How many of the filtered members are open to each thing (one query)."""
    wanted = [
        visible_to_everyone(viewer, "open_to", Member.open_to_key.contains(f"|{o.value}|"))
        for o in OpenTo
    ]
    sums = db.session.execute(
        base.with_only_columns(*(func.sum(case((w, 1), else_=0)) for w in wanted))
    ).one()
    return [FacetValue(o.value, o.label, n or 0) for o, n in zip(OpenTo, sums, strict=True)]


_facets_cache: dict[tuple, tuple[float, dict]] = {}


def facets(viewer: Member, f: MemberFilters) -> dict[str, tuple[Any, list[FacetValue]]]:
    """Counts over the filtered list, by facet: (label, values). Hidden fields are not counted.

    Kept `FACETS_CACHE_SECONDS` per kind of viewer, language and filters: counting 20,000
    members on every page would cost more than the page; the list itself is never cached."""
    ttl = current_app.config["FACETS_CACHE_SECONDS"]
    if ttl <= 0:
        return _count_facets(viewer, f)
    # A filter on a guarded field matches the viewer's own hidden value: keep those apart.
    guarded = any((f.trade, f.sector, f.city, f.postcode, f.language, f.open_to))
    key = (
        is_staff(viewer),
        viewer.id if guarded else None,
        str(get_locale()),
        repr(sorted(f.as_args().items())),
        f.include_inactive,
    )
    now = time.monotonic()
    cached = _facets_cache.get(key)
    if cached and cached[0] > now:
        return cached[1]
    if len(_facets_cache) > 500:
        _facets_cache.clear()
    result = _count_facets(viewer, f)
    _facets_cache[key] = (now + ttl, result)
    return result


def _count_facets(viewer: Member, f: MemberFilters) -> dict[str, tuple[Any, list[FacetValue]]]:
    base = members_query(viewer, f, counting=True)

    def top(column, group: str) -> list[FacetValue]:
        rows = db.session.execute(
            base.with_only_columns(column, func.count())
            .where(column != "", visible_to_everyone(viewer, group, True))
            .group_by(column)
            .order_by(func.count().desc(), column)
            .limit(12)
        )
        return [FacetValue(str(value), value, count) for value, count in rows]

    statuses = [
        FacetValue(v.value, v.label, n)
        for v, n in db.session.execute(
            base.with_only_columns(Member.status, func.count())
            .group_by(Member.status)
            .order_by(func.count().desc())
        )
    ]
    ids = base.with_only_columns(Member.id)
    result = {
        name: (hooks.label, hooks.facet(viewer, ids)) for name, hooks in MEMBER_FILTERS.items()
    }
    result.update(
        {
            "status": (_l("Status"), statuses),
            "trade": (_l("Trade"), top(Member.trade, "activity")),
            "city": (_l("City"), top(Member.city, "location")),
            "open_to": (_l("Open to"), [v for v in _open_to_counts(viewer, base) if v.count]),
        }
    )
    return result


def match_reasons(viewer: Member, members: list[Member], f: MemberFilters) -> dict[int, list[Any]]:
    """Why each member is in the filtered list (from other modules' filters, e.g. skills)."""
    reasons: dict[int, list[Any]] = {m.id: [] for m in members}
    for name, values in f.extra.items():
        for member_id, found in MEMBER_FILTERS[name].reasons(viewer, members, values).items():
            reasons.setdefault(member_id, []).extend(found)
    return reasons


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
