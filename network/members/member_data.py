"""What the members module keeps about a member: the profile, the journey, invitations and
API tokens (see `network.core.member_data`)."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update

from network.core import signals
from network.core.events import after_commit
from network.core.images import delete_image
from network.core.member_data import (
    Erase,
    MemberData,
    changed_rows,
    plain,
    register_member_data,
    register_member_reference,
)
from network.core.models import utcnow
from network.core.registries import index_later
from network.core.text import fold
from network.extensions import db
from network.members.models import PROFILE_GROUPS, ApiToken, CareerStage, Invitation, Member
from network.members.operations import AVATAR_SIZES

PROFILE_FIELDS = (
    "id",
    "email",
    "display_name",
    "role",
    "status",
    "locale",
    "headline",
    "bio",
    "trading_name",
    "trade",
    "sector",
    "website",
    "city",
    "postcode",
    "languages",
    "links",
    "open_to",
    "created_at",
    "last_login_at",
    "associate_deadline",
)


def former_name(member_id: int) -> str:
    """The name a former member keeps in the collective record."""
    return f"Ancien·ne membre #{member_id}"


def former_email(member_id: int) -> str:
    return f"ancien-membre-{member_id}@anonyme.invalid"


def _export_profile(member_id: int) -> list[dict[str, Any]]:
    member = db.session.get(Member, member_id)
    if member is None:
        return []
    row = {name: plain(getattr(member, name)) for name in PROFILE_FIELDS}
    row["visibility"] = {g: member.visibility(g).value for g in PROFILE_GROUPS}
    row["avatar"] = "files/avatar.webp" if member.avatar_key else None
    return [row]


def _avatar_file(member_id: int) -> list[tuple[str, str]]:
    member = db.session.get(Member, member_id)
    if member is None or not member.avatar_key:
        return []
    return [("files/avatar.webp", f"{member.avatar_key}-full.webp")]


def _anonymise(member_id: int, _delete_writings: bool) -> int:
    """Name → "Ancien·ne membre #N"; contact details, avatar, profile and password go; every
    session and token ends; the account cannot sign in again."""
    member = db.session.get(Member, member_id)
    if member is None:
        return 0
    after_commit(db.session, delete_image, member.avatar_key, AVATAR_SIZES)
    name = former_name(member_id)
    member.display_name, member.name_key = name, fold(name)
    member.email, member.password_hash, member.avatar_key = former_email(member_id), None, None
    member.locale = None
    for column in ("headline", "bio", "bio_html", "trading_name", "trade", "trade_key"):
        setattr(member, column, "")
    for column in ("activity_key", "headline_key", "sector", "website", "city", "city_key"):
        setattr(member, column, "")
    member.postcode, member.languages_key, member.open_to_key = "", "", ""
    member.languages, member.links, member.open_to = [], [], []
    if member.is_active:
        member.is_active, member.deactivated_at = False, utcnow()
    member.session_version += 1
    signals.sessions_revoked.send(member, tokens_too=True)
    index_later("member", member_id)
    return 1


def _blank_stage_notes(member_id: int, _delete_writings: bool) -> int:
    """The journey's dates and statuses stay (counts, legal deadlines); staff's notes go."""
    statement = update(CareerStage).where(CareerStage.member_id == member_id).values(note="")
    return changed_rows(statement)


def _erase_invitations(member_id: int, _delete_writings: bool) -> int:
    statement = (
        update(Invitation)
        .where(Invitation.member_id == member_id)
        .values(email=former_email(member_id), display_name="")
    )
    return changed_rows(statement)


def _revoke_tokens(member_id: int, _delete_writings: bool) -> int:
    return changed_rows(delete(ApiToken).where(ApiToken.member_id == member_id))


def register() -> None:
    register_member_data(
        MemberData(
            "profile",
            Member,
            "id",
            _l("Your profile: name, e-mail address, status, activity, city, languages, links."),
            export=_export_profile,
            eraser=_anonymise,
            files=_avatar_file,
        )
    )
    register_member_data(
        MemberData(
            "journey_stages",
            CareerStage,
            "member_id",
            _l("The stages of your journey in the cooperative (entry, contracts, exit)."),
            eraser=_blank_stage_notes,
        )
    )
    register_member_reference(CareerStage, "recorded_by_id")
    register_member_data(
        MemberData(
            "invitations",
            Invitation,
            "member_id",
            _l("The invitation that opened your account."),
            exclude=("token_hash",),
            eraser=_erase_invitations,
        )
    )
    register_member_reference(Invitation, "invited_by_id")
    register_member_data(
        MemberData(
            "api_tokens",
            ApiToken,
            "member_id",
            _l("The API tokens you created (their secret is never kept)."),
            exclude=("token_hash",),
            eraser=_revoke_tokens,
        )
    )


__all__ = ["Erase", "former_name", "register"]
