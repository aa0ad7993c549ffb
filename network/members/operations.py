"""Every state change of accounts, profiles and the CAE journey. The boundary commits.

Operations take the acting member explicitly, check permissions, validate input (raising
`Invalid` with field errors), flush, record audit events and send signals.
"""

import hashlib
import re
import secrets
from datetime import date, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale, lazy_ngettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from network.cooperative import cooperative_today, current_settings
from network.core import audit, images, signals
from network.core.errors import Conflict, Forbidden, Gone, Invalid, NotFound, Unauthorized
from network.core.events import after_commit
from network.core.ids import parse_id
from network.core.mail import queue_mail
from network.core.markup import render_markdown
from network.core.models import utcnow
from network.core.permissions import (
    Role,
    can_manage_account,
    is_self_or_staff,
    require_admin,
    require_staff,
)
from network.core.text import fold
from network.extensions import db
from network.members import journey
from network.members.models import (
    PROFILE_GROUPS,
    ApiToken,
    CareerStage,
    Invitation,
    Member,
    OpenTo,
    StageKind,
    Status,
    Visibility,
)

AVATAR_SIZES = {"full": 512, "thumb": 128, "icon": 48}
MIN_PASSWORD = 10
MAX_PASSWORD = 200
BAD_CREDENTIALS = _l("Unknown e-mail or wrong password.")


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash() -> str:
    return _hash_password(secrets.token_urlsafe(16))


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def normalize_email(raw: Any) -> str:
    try:
        return validate_email(str(raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(fields={"email": _l("Enter a valid e-mail address.")}) from None


def parse_enum(enum_cls, raw: Any, field: str):
    try:
        return enum_cls(raw)
    except ValueError:
        raise Invalid(
            fields={field: _l("Unknown value “%(value)s”.", value=str(raw)[:40])}
        ) from None


def _check_password(password: Any, field: str = "password") -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            fields={
                field: _l("Use %(min)s to %(max)s characters.", min=MIN_PASSWORD, max=MAX_PASSWORD)
            }
        )
    return password


def _check_name(raw: Any) -> str:
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not 2 <= len(name) <= 80 or not any(c.isalnum() for c in name):
        raise Invalid(fields={"display_name": _l("Give a name of 2 to 80 characters.")})
    return name


def get_member(member_id: Any) -> Member:
    key = parse_id(member_id)
    member = db.session.get(Member, key) if key else None
    if member is None:
        raise NotFound()
    return member


def find_member_by_email(email: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.email == email.strip().lower()))


# --- accounts -------------------------------------------------------------------------------


def create_member(
    *,
    email: Any,
    display_name: Any,
    status: Any,
    role: Any = Role.MEMBER,
    password: str | None = None,
    actor: Member | None = None,
    joined_on: date | None = None,
) -> Member:
    """Create an account directly (CLI, seed, accepted invitation) with an entry stage."""
    email = normalize_email(email)
    status = parse_enum(Status, status, "status")
    role = parse_enum(Role, role, "role")
    if find_member_by_email(email):
        raise Conflict(
            _l("A member already uses this e-mail address."),
            fields={"email": _l("Already in use.")},
        )
    name = _check_name(display_name)
    member = Member(
        email=email,
        display_name=name,
        name_key=fold(name),
        status=status,
        role=role,
        is_active=True,
        session_version=1,
    )
    if password is not None:
        member.password_hash = _hash_password(_check_password(password))
    db.session.add(member)
    db.session.flush()
    db.session.add(
        CareerStage(
            member_id=member.id,
            kind=StageKind.ENTRY,
            status=status,
            effective_on=joined_on or cooperative_today(),
            recorded_by_id=actor.id if actor else None,
        )
    )
    db.session.flush()
    _refresh_deadline(member)
    audit.record(
        db.session,
        "member_created",
        actor_id=actor.id if actor else None,
        subject_id=member.id,
        status=status.value,
        role=role.value,
    )
    signals.member_joined.send(member)
    return member


def authenticate(email: Any, password: Any) -> Member:
    """The member with these credentials, or `Unauthorized` (same answer for every failure)."""
    member = find_member_by_email(str(email or ""))
    stored = member.password_hash if member and member.password_hash else _dummy_hash()
    # Always check a hash, so an unknown address takes as long as a wrong password.
    matches = isinstance(password, str) and check_password_hash(stored, password)
    if member is None or member.password_hash is None or not member.is_active or not matches:
        audit.record(db.session, "login_failed", subject_id=member.id if member else None)
        raise Unauthorized(BAD_CREDENTIALS)
    member.last_login_at = utcnow()
    audit.record(db.session, "login", actor_id=member.id, subject_id=member.id)
    return member


def change_password(member: Member, current: Any, new: Any) -> None:
    """Check the current password, set the new one and end every other session."""
    if not isinstance(current, str) or not check_password_hash(member.password_hash or "", current):
        raise Invalid(fields={"current_password": _l("This is not your current password.")})
    member.password_hash = _hash_password(_check_password(new, "new_password"))
    _revoke_sessions(member, tokens_too=True)
    audit.record(db.session, "password_changed", actor_id=member.id, subject_id=member.id)


def _revoke_sessions(member: Member, *, tokens_too: bool) -> None:
    """End every browser session of `member` and, with `tokens_too`, every API token."""
    member.session_version += 1
    if tokens_too:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.member_id == member.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    signals.sessions_revoked.send(member, tokens_too=tokens_too)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def request_password_reset(email: Any, link_for) -> None:
    """Mail a time-limited reset link if the address belongs to an active member.

    The caller answers the same whether or not it does. `link_for(token)` builds the URL.
    """
    try:
        member = find_member_by_email(normalize_email(email))
    except Invalid:
        member = None
    if member is None or not member.is_active:
        return
    fingerprint = hash_token(member.password_hash or "")[:16]
    token = _reset_serializer().dumps({"id": member.id, "fp": fingerprint})
    minutes = current_app.config["PASSWORD_RESET_TTL_MINUTES"]
    with force_locale(member.locale or "fr"):
        subject = str(_l("Reset your Terreau password"))
        body = render_template(
            "mail/password_reset.txt", member=member, link=link_for(token), minutes=minutes
        )
    queue_mail(db.session, member.email, subject, body)
    audit.record(db.session, "password_reset_requested", subject_id=member.id)


def reset_password(token: str, password: Any) -> Member:
    """Set a new password from a reset link; the link works once, until it expires."""
    max_age = current_app.config["PASSWORD_RESET_TTL_MINUTES"] * 60
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise Gone(_l("This reset link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise Gone(_l("This reset link is not valid. Ask for a new one.")) from None
    member = db.session.get(Member, data.get("id")) if isinstance(data, dict) else None
    if (
        member is None
        or not member.is_active
        or hash_token(member.password_hash or "")[:16] != data.get("fp")
    ):
        raise Gone(_l("This reset link was already used. Ask for a new one."))
    member.password_hash = _hash_password(_check_password(password))
    _revoke_sessions(member, tokens_too=True)
    audit.record(db.session, "password_reset", actor_id=member.id, subject_id=member.id)
    return member


# --- invitations ----------------------------------------------------------------------------


def invite_member(
    actor: Member,
    *,
    email: Any,
    status: Any,
    role: Any = Role.MEMBER,
    display_name: Any = "",
    note: Any = "",
    locale: Any = None,
    link_for,
) -> Invitation:
    """Staff invite a person; a pending invitation to the same address is replaced.

    Mails the single-use link built by `link_for(token)` after commit, in the invitee's
    `locale` (the cooperative's French by default; the new account keeps it), with the
    inviter's personal `note` if any (mailed, not stored).
    """
    require_staff(actor)
    email = normalize_email(email)
    note = _invitation_note(note)
    locale = _clean_locale("locale", locale) or "fr"
    status = parse_enum(Status, status, "status")
    role = parse_enum(Role, role or Role.MEMBER, "role")
    if status == Status.ALUMNUS:
        raise Invalid(fields={"status": _l("A new member cannot start as a former member.")})
    if role != Role.MEMBER:
        require_admin(actor)
    if find_member_by_email(email):
        raise Conflict(
            _l("A member already uses this e-mail address."),
            fields={"email": _l("Already a member.")},
        )
    name = " ".join(str(display_name or "").split())[:80]
    now = utcnow()
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    raw = secrets.token_urlsafe(32)
    hours = current_app.config["INVITATION_TTL_HOURS"]
    invitation = Invitation(
        email=email,
        display_name=name,
        status=status,
        role=role,
        locale=locale,
        token_hash=hash_token(raw),
        invited_by_id=actor.id,
        expires_at=now + timedelta(hours=hours),
    )
    db.session.add(invitation)
    db.session.flush()
    with force_locale(locale):
        subject = str(
            _l("You are invited to join %(name)s on Terreau", name=current_settings().name)
        )
        body = render_template(
            "mail/invitation.txt",
            invitation=invitation,
            inviter=actor,
            note=note,
            link=link_for(raw),
            hours=hours,
            cooperative=current_settings().name,
        )
    queue_mail(db.session, email, subject, body)
    audit.record(
        db.session,
        "invitation_sent",
        actor_id=actor.id,
        invitation_id=invitation.id,
        status=status.value,
        role=role.value,
    )
    return invitation


MAX_NOTE = 1000


def _invitation_note(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > MAX_NOTE:
        raise Invalid(fields={"note": _l("At most %(n)s characters.", n=MAX_NOTE)})
    return "\n".join(line.rstrip() for line in raw.strip().splitlines())


def pending_invitation(raw_token: str) -> Invitation:
    """The invitation behind a link, or `Gone` when it is unknown, used, revoked or expired."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(raw_token or ""))
    )
    if invitation is None or invitation.revoked_at is not None:
        raise Gone(_l("This invitation link is not valid. Ask the support team for a new one."))
    if invitation.accepted_at is not None:
        raise Gone(_l("This invitation was already used. Sign in, or reset your password."))
    if invitation.expires_at <= utcnow():
        raise Gone(_l("This invitation has expired. Ask the support team for a new one."))
    return invitation


def accept_invitation(
    raw_token: str, *, display_name: Any, password: Any, password_confirm: Any
) -> Member:
    invitation = pending_invitation(raw_token)
    if password != password_confirm:
        raise Invalid(fields={"password_confirm": _l("The two passwords differ.")})
    _check_password(password)
    member = create_member(
        email=invitation.email,
        display_name=display_name,
        status=invitation.status,
        role=invitation.role,
        password=password,
        actor=invitation.invited_by,
    )
    member.locale = invitation.locale
    invitation.accepted_at = utcnow()
    invitation.member_id = member.id
    return member


def revoke_invitation(actor: Member, invitation_id: Any) -> None:
    require_staff(actor)
    key = parse_id(invitation_id)
    invitation = db.session.get(Invitation, key) if key else None
    if invitation is None:
        raise NotFound()
    if invitation.accepted_at is not None:
        raise Conflict(_l("This invitation was already accepted."))
    invitation.revoked_at = invitation.revoked_at or utcnow()
    audit.record(db.session, "invitation_revoked", actor_id=actor.id, invitation_id=invitation.id)


# --- profile --------------------------------------------------------------------------------

TEXT_LIMITS = {
    "headline": 140,
    "bio": 5000,
    "trading_name": 120,
    "trade": 120,
    "sector": 120,
    "city": 120,
}
POSTCODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z \-]{1,9}$")


def _check_url(raw: Any, field: str) -> str:
    url = raw.strip() if isinstance(raw, str) else ""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 300:
        raise Invalid(fields={field: _l("Enter a full web address starting with https://.")})
    return url


def _text_list(raw: Any, field: str, max_items: int, max_len: int) -> list[str]:
    items = raw.splitlines() if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise Invalid(fields={field: _l("Give a list of texts.")})
    cleaned = [" ".join(i.split()) for i in items if i.strip()]
    if len(cleaned) > max_items or any(len(i) > max_len for i in cleaned):
        raise Invalid(
            fields={
                field: _l(
                    "At most %(n)s items, each of at most %(len)s characters.",
                    n=max_items,
                    len=max_len,
                )
            }
        )
    return list(dict.fromkeys(cleaned))


def _clean_profile(changes: dict[str, Any]) -> dict[str, Any]:
    """Validated profile values; collects every field error before raising `Invalid`."""
    clean: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for field, raw in changes.items():
        try:
            clean[field] = _clean_field(field, raw)
        except Invalid as error:
            errors.update(error.fields)
    if errors:
        raise Invalid(fields=errors)
    return clean


def _require_text(raw: Any, field: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Invalid(fields={field: _l("Give a text.")})
    return raw


def _clean_text(field: str, raw: Any) -> str:
    text = _require_text(raw, field)
    if len(text) > TEXT_LIMITS[field]:
        raise Invalid(fields={field: _l("At most %(n)s characters.", n=TEXT_LIMITS[field])})
    return text.replace("\r\n", "\n") if field == "bio" else text.strip()


def _clean_website(field: str, raw: Any) -> str:
    text = _require_text(raw, field).strip()
    return _check_url(text, field) if text else ""


def _clean_postcode(field: str, raw: Any) -> str:
    value = _require_text(raw, field).strip()
    if value and not POSTCODE.match(value):
        raise Invalid(fields={field: _l("Enter a postcode such as 69003.")})
    return value


def _clean_languages(field: str, raw: Any) -> list[str]:
    items = raw.replace(",", "\n") if isinstance(raw, str) else raw
    return _text_list(items if items is not None else [], field, 10, 40)


def _clean_links(field: str, raw: Any) -> list[str]:
    return [_check_url(url, field) for url in _text_list(raw or [], field, 5, 300)]


def _clean_open_to(field: str, raw: Any) -> list[str]:
    if not isinstance(raw, list):
        raise Invalid(fields={field: _l("Give a list of values.")})
    return [parse_enum(OpenTo, value, field).value for value in dict.fromkeys(map(str, raw))]


def _clean_locale(field: str, raw: Any) -> str | None:
    if raw not in (None, "", *current_app.config["LANGUAGES"]):
        raise Invalid(fields={field: _l("Choose French or English.")})
    return raw or None


CLEANERS = {
    "display_name": lambda field, raw: _check_name(raw),
    **dict.fromkeys(TEXT_LIMITS, _clean_text),
    "website": _clean_website,
    "postcode": _clean_postcode,
    "languages": _clean_languages,
    "links": _clean_links,
    "open_to": _clean_open_to,
    "locale": _clean_locale,
    **dict.fromkeys(
        (f"vis_{g}" for g in PROFILE_GROUPS), lambda field, raw: parse_enum(Visibility, raw, field)
    ),
}


def _clean_field(field: str, raw: Any) -> Any:
    if field not in CLEANERS:
        raise Invalid(fields={field: _l("Unknown field.")})
    return CLEANERS[field](field, raw)


def activity_key(trading_name: str, trade: str, sector: str) -> str:
    """The folded words of an activity, for matching needs: "Bois Dupont menuisier batiment"."""
    return fold(f"{trading_name} {trade} {sector}")[:400]


def bar_key(values: list[str]) -> str:
    """Values folded between bars, for filtering with LIKE: ["Français"] → "|francais|"."""
    return "|" + "|".join(fold(value) for value in values) + "|" if values else ""


def update_profile(actor: Member, member: Member, changes: dict[str, Any]) -> set[str]:
    """Apply profile `changes` (a member edits their own; staff may edit anyone's)."""
    if not is_self_or_staff(actor, member):
        raise Forbidden()
    clean = _clean_profile(changes)
    changed = {field for field, value in clean.items() if getattr(member, field) != value}
    for field in changed:
        setattr(member, field, clean[field])
    if "display_name" in changed:
        member.name_key = fold(member.display_name)
    if "bio" in changed:
        member.bio_html = render_markdown(member.bio)
    if "trade" in changed:
        member.trade_key = fold(member.trade)
    if changed & {"trading_name", "trade", "sector"}:
        member.activity_key = activity_key(member.trading_name, member.trade, member.sector)
    if "headline" in changed:
        member.headline_key = fold(member.headline)
    if "city" in changed:
        member.city_key = fold(member.city)
    if "languages" in changed:
        member.languages_key = bar_key(member.languages)
    if "open_to" in changed:
        member.open_to_key = bar_key(member.open_to)
    if changed:
        db.session.flush()
        signals.profile_updated.send(member, fields=changed, actor=actor)
    return changed


def set_avatar(actor: Member, member: Member, data: bytes) -> None:
    """Validate, re-encode and store a new avatar; the old files go after commit."""
    if not is_self_or_staff(actor, member):
        raise Forbidden()
    old_key = member.avatar_key
    try:
        member.avatar_key = images.store_image(data, "avatars", AVATAR_SIZES)
    except Invalid as error:
        raise Invalid(fields={"avatar": error.message}) from None
    after_commit(db.session, images.delete_image, old_key, AVATAR_SIZES)
    signals.profile_updated.send(member, fields={"avatar_key"}, actor=actor)


def remove_avatar(actor: Member, member: Member) -> None:
    if not is_self_or_staff(actor, member):
        raise Forbidden()
    after_commit(db.session, images.delete_image, member.avatar_key, AVATAR_SIZES)
    member.avatar_key = None


# --- the CAE journey, roles and accounts (staff) ---------------------------------------------


def record_career_stage(
    actor: Member,
    member: Member,
    *,
    kind: Any,
    status: Any = None,
    effective_on: Any,
    reason: Any = "",
    note: Any = "",
) -> CareerStage:
    """Record a dated stage; it sets the member's status. Staff only; audited."""
    require_staff(actor)
    kind = parse_enum(StageKind, kind, "kind")
    allowed_from, allowed_to = journey.ALLOWED_TRANSITIONS[kind]
    if kind in journey.IMPLIED_STATUS:
        new_status = journey.IMPLIED_STATUS[kind]
    elif kind == StageKind.AMENDMENT:
        new_status = member.status
    else:
        new_status = parse_enum(Status, status, "status")
    day = _parse_day(effective_on)
    previous = journey.ordered(member.stages)
    current = member.status if previous else None
    if current not in allowed_from or new_status not in allowed_to:
        raise Invalid(
            fields={
                "kind": _l(
                    "A stage “%(kind)s” cannot follow the status “%(status)s”.",
                    kind=kind.label,
                    status=member.status.label,
                )
            }
        )
    if previous and day < previous[-1].effective_on:
        raise Invalid(fields={"effective_on": _l("The date cannot be before the last stage.")})
    reason_text = _require_text(reason, "reason").strip()
    note_text = _require_text(note, "note")
    if len(reason_text) > 200:
        raise Invalid(fields={"reason": _l("At most %(n)s characters.", n=200)})
    if len(note_text) > 5000:
        raise Invalid(fields={"note": _l("At most %(n)s characters.", n=5000)})
    if kind == StageKind.EXIT and not reason_text:
        raise Invalid(fields={"reason": _l("Give the reason for the exit.")})
    settings = current_settings()
    if (
        kind == StageKind.AMENDMENT
        and new_status == Status.SUPPORT_CONTRACT
        and journey.cape_renewals(previous) >= settings["cape_max_renewals"]
    ):
        raise Invalid(
            fields={
                "kind": lazy_ngettext(
                    "This CAPE was already renewed %(num)s time.",
                    "This CAPE was already renewed %(num)s times.",
                    settings["cape_max_renewals"],
                )
            }
        )
    stage = CareerStage(
        member_id=member.id,
        kind=kind,
        status=new_status,
        effective_on=day,
        reason=reason_text,
        note=note_text,
        recorded_by_id=actor.id,
    )
    db.session.add(stage)
    member.stages.append(stage)
    old_status = member.status
    member.status = new_status
    db.session.flush()
    _refresh_deadline(member)
    audit.record(
        db.session,
        "status_changed",
        actor_id=actor.id,
        subject_id=member.id,
        kind=kind.value,
        old=old_status.value,
        new=new_status.value,
        on=day.isoformat(),
    )
    signals.status_changed.send(
        member, old_status=old_status, new_status=new_status, stage=stage, actor=actor
    )
    return stage


def _parse_day(raw: Any) -> date:
    if isinstance(raw, date):
        day = raw
    else:
        try:
            day = date.fromisoformat(str(raw))
        except ValueError:
            raise Invalid(fields={"effective_on": _l("Enter a date such as 2026-09-01.")}) from None
    if day > cooperative_today():
        raise Invalid(fields={"effective_on": _l("The date cannot be in the future.")})
    return day


def _refresh_deadline(member: Member) -> None:
    settings = current_settings()
    member.associate_deadline = journey.associate_deadline(
        member.stages,
        settings["associate_deadline_years"],
        settings["associate_deadline_deducts_cape"],
    )


def refresh_all_deadlines() -> int:
    """Recompute every CESA member's deadline (after a settings change)."""
    members = db.session.scalars(
        select(Member)
        .where(Member.status == Status.EMPLOYEE_ENTREPRENEUR)
        .options(selectinload(Member.stages))
    ).all()
    for member in members:
        _refresh_deadline(member)
    return len(members)


def change_role(actor: Member, member: Member, role: Any) -> None:
    require_admin(actor)
    role = parse_enum(Role, role, "role")
    if member.id == actor.id and role != Role.ADMIN:
        raise Conflict(_l("You cannot remove your own administrator role."))
    if role != member.role:
        audit.record(
            db.session,
            "role_changed",
            actor_id=actor.id,
            subject_id=member.id,
            old=member.role.value,
            new=role.value,
        )
        member.role = role


def deactivate_member(actor: Member, member: Member) -> None:
    """End every session and token of `member`; what they wrote stays."""
    _require_account_manager(actor, member)
    if member.id == actor.id:
        raise Conflict(_l("You cannot deactivate your own account."))
    if member.is_active:
        member.is_active = False
        member.deactivated_at = utcnow()
        _revoke_sessions(member, tokens_too=True)
        audit.record(db.session, "member_deactivated", actor_id=actor.id, subject_id=member.id)
        signals.member_deactivated.send(member, actor=actor)


def _require_account_manager(actor: Member, member: Member) -> None:
    if not can_manage_account(actor, member):
        raise Forbidden(_l("Only administrators can manage an administrator's account."))


def reactivate_member(actor: Member, member: Member) -> None:
    _require_account_manager(actor, member)
    if not member.is_active:
        member.is_active = True
        member.deactivated_at = None
        audit.record(db.session, "member_reactivated", actor_id=actor.id, subject_id=member.id)
        signals.member_reactivated.send(member, actor=actor)


# --- API tokens -----------------------------------------------------------------------------


def create_api_token(
    member: Member, *, name: Any = "", personal: bool = False, days: int | None = None
) -> tuple[ApiToken, str]:
    """A new bearer token; the raw value is returned once and never stored."""
    label = " ".join(str(name or "").split())
    if personal and not 1 <= len(label) <= 80:
        raise Invalid(fields={"name": _l("Give the token a name of 1 to 80 characters.")})
    if days is not None and not 1 <= days <= 366:
        raise Invalid(fields={"days": _l("Must be a number between 1 and %(max)s.", max=366)})
    raw = "trr_" + secrets.token_urlsafe(32)
    ttl = (
        days
        if days is not None
        else (None if personal else current_app.config["API_TOKEN_TTL_DAYS"])
    )
    token = ApiToken(
        member_id=member.id,
        name=label or "api",
        token_hash=hash_token(raw),
        is_personal=personal,
        expires_at=utcnow() + timedelta(days=ttl) if ttl else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        db.session, "api_token_created", actor_id=member.id, subject_id=member.id, personal=personal
    )
    return token, raw


def member_for_token(raw: str) -> tuple[Member, ApiToken] | None:
    """The active member and live token behind a bearer value, or None."""
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(raw))
        .options(joinedload(ApiToken.member))  # one statement: every API request asks
    )
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= utcnow())
        or not token.member.is_active
    ):
        return None
    return token.member, token


def revoke_api_token(member: Member, token_id: Any) -> None:
    key = parse_id(token_id)
    token = db.session.get(ApiToken, key) if key else None
    if token is None or token.member_id != member.id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(db.session, "api_token_revoked", actor_id=member.id, subject_id=member.id)
        signals.token_revoked.send(member, token_id=token.id)


def end_session(member: Member) -> None:
    """Sign out: every browser session of the member ends (a copied cookie stops working);
    API tokens stay. The boundary clears the cookie."""
    _revoke_sessions(member, tokens_too=False)
    audit.record(db.session, "logout", actor_id=member.id, subject_id=member.id)


DEADLINE_SETTINGS = {"associate_deadline_years", "associate_deadline_deducts_cape"}


def _on_settings_changed(_cooperative, changed: set[str], **_: Any) -> None:
    if changed & DEADLINE_SETTINGS:
        refresh_all_deadlines()


signals.settings_changed.connect(_on_settings_changed)
