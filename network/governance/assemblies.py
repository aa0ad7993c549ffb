"""General assemblies (AG) that follow the statutes: drafting, convocation with a frozen
register of associates, proxies within the legal caps, check-in, postal votes, the live
quorum, votes on resolutions (one per vote held), verdicts that state the rule applied,
the second convocation, and minutes frozen once signed. The boundary commits once.

Staff prepare and convene an assembly; the chair (staff, or the associate named président
de séance) opens and closes each resolution's vote.
"""

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from flask_babel import format_datetime, lazy_ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.orm import aliased, joinedload

from network.cooperative import current_settings
from network.cooperative.times import parse_time
from network.core import audit, signals
from network.core.consent import Purpose, refusing
from network.core.errors import Conflict, Forbidden, Invalid, NotFound
from network.core.ids import is_id
from network.core.inputs import text_field
from network.core.markup import render_markdown
from network.core.models import utcnow
from network.core.permissions import Status, is_staff
from network.core.registries import index_later, publish
from network.extensions import db
from network.governance import candidacies, live
from network.governance.models import (
    Assembly,
    AssemblyKind,
    AssemblyState,
    Attendee,
    Presence,
    Proxy,
    Resolution,
    ResolutionBallot,
    ResolutionSigner,
    ResolutionState,
    ResolutionVote,
)
from network.governance.statutes import (
    Counts,
    MajorityKind,
    Rule,
    proxy_cap,
    quorum_needed,
    quorum_reached,
    verdict,
)
from network.members.models import Member

CHOICES = ("for", "against", "abstain")
MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_RESOLUTIONS = 60
NOT_FOUND = _l("This assembly does not exist or you cannot see it.")
RESOLUTION_NOT_FOUND = _l("This resolution does not exist or you cannot see it.")


# --- reading ---------------------------------------------------------------------------


def may_see(viewer: Any, assembly: Assembly | None) -> bool:
    """Staff see every assembly; members once it is convened (its register, its results)."""
    if assembly is None or viewer is None or not getattr(viewer, "is_active", False):
        return False
    return is_staff(viewer) or assembly.state != AssemblyState.DRAFT


def get_assembly(viewer: Any, assembly_id: Any) -> Assembly:
    assembly = db.session.get(Assembly, assembly_id) if is_id(assembly_id) else None
    if not may_see(viewer, assembly):
        raise NotFound(NOT_FOUND)
    return assembly  # type: ignore[return-value]


def get_resolution(viewer: Any, resolution_id: Any) -> Resolution:
    resolution = db.session.get(Resolution, resolution_id) if is_id(resolution_id) else None
    if resolution is None or not may_see(viewer, resolution.assembly):
        raise NotFound(RESOLUTION_NOT_FOUND)
    return resolution


def attendee(assembly: Assembly, member_id: int, *, lock: bool = False) -> Attendee | None:
    query = select(Attendee).where(
        Attendee.assembly_id == assembly.id, Attendee.member_id == member_id
    )
    return db.session.scalar(query.with_for_update() if lock else query)


def is_chair(viewer: Any, assembly: Assembly) -> bool:
    return is_staff(viewer) or (assembly.chair_id is not None and assembly.chair_id == viewer.id)


def _require_chair(viewer: Any, assembly: Assembly) -> None:
    if not is_chair(viewer, assembly):
        raise Forbidden(_l("Only the chair of the assembly or the support team can do this."))


def _require_staff(viewer: Any) -> None:
    if not is_staff(viewer):
        raise Forbidden(_l("Only the support team prepares and convenes assemblies."))


# --- preparing -------------------------------------------------------------------------


def _resolutions(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_RESOLUTIONS:
        raise Invalid(fields={"resolutions": _l("Give a list of resolutions.")})
    clean = []
    for item in raw:
        if not isinstance(item, dict):
            raise Invalid(fields={"resolutions": _l("Give a list of resolutions.")})
        majority = item.get("majority", "ordinary")
        if majority not in {k.value for k in MajorityKind}:
            raise Invalid(
                fields={"resolutions": _l("A resolution's majority is ordinary or extraordinary.")}
            )
        secret, by_gerance = item.get("secret", False), item.get("by_gerance", True)
        if not isinstance(secret, bool) or not isinstance(by_gerance, bool):
            raise Invalid(fields={"resolutions": _l("Give true or false.")})
        clean.append(
            {
                "title": text_field(item.get("title"), "resolutions", MAX_TITLE),
                "text": text_field(item.get("text"), "resolutions", MAX_TEXT, required=False),
                "majority": majority,
                "secret": secret,
                "by_gerance": by_gerance,
            }
        )
    return clean


def _apply(assembly: Assembly, data: dict[str, Any], creating: bool) -> None:
    errors: dict[str, Any] = {}
    known = {
        "kind",
        "title",
        "starts_at",
        "place",
        "online_url",
        "chair_id",
        "secretary_id",
        "postal_votes",
        "postal_deadline",
        "resolutions",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise Invalid(fields={unknown[0]: _l("Unknown field.")})
    readers = {
        "kind": lambda v: AssemblyKind(v) if v in {k.value for k in AssemblyKind} else _bad("kind"),
        "title": lambda v: text_field(v, "title", MAX_TITLE),
        "starts_at": lambda v: parse_time(v, "starts_at"),
        "place": lambda v: text_field(v, "place", 300, required=False),
        "online_url": lambda v: _url(v),
        "chair_id": lambda v: v if v is None or is_id(v) else _bad("chair_id"),
        "secretary_id": lambda v: v if v is None or is_id(v) else _bad("secretary_id"),
        "postal_votes": lambda v: v if isinstance(v, bool) else _bad("postal_votes"),
        "postal_deadline": lambda v: None if v is None else parse_time(v, "postal_deadline"),
        "resolutions": _resolutions,
    }
    if creating:
        for required in ("kind", "title", "starts_at"):
            data.setdefault(required, None)
    clean: dict[str, Any] = {}
    for name, read in readers.items():
        if name in data:
            try:
                clean[name] = read(data[name])
            except Invalid as error:
                errors.update(error.fields)
    if errors:
        raise Invalid(fields=errors)
    for name, value in clean.items():
        if name != "resolutions":
            setattr(assembly, name, value)
    if "resolutions" in clean:
        assembly.resolutions.clear()
        for position, item in enumerate(clean["resolutions"]):
            assembly.resolutions.append(
                Resolution(position=position, text_html=render_markdown(item["text"]), **item)
            )


def _bad(field: str) -> None:
    raise Invalid(fields={field: _l("This value is not valid.")})


def _url(raw: Any) -> str:
    text = text_field(raw, "online_url", 500, required=False)
    if text and not text.startswith(("https://", "http://")):
        raise Invalid(fields={"online_url": _l("Give a web address starting with https://.")})
    return text


def create_assembly(actor: Member, data: dict[str, Any]) -> Assembly:
    _require_staff(actor)
    assembly = Assembly(created_by_id=actor.id, state=AssemblyState.DRAFT, convocation=1)
    assembly.postal_votes = bool(current_settings()["ag_postal_votes"])
    _apply(assembly, dict(data), creating=True)
    db.session.add(assembly)
    db.session.flush()
    audit.record(db.session, "assembly_drafted", actor_id=actor.id, assembly_id=assembly.id)
    return assembly


def update_assembly(actor: Member, assembly: Assembly, data: dict[str, Any]) -> Assembly:
    """A draft changes freely; once convened, the agenda and the date are those the
    associates received; once the minutes are signed, nothing changes."""
    _require_staff(actor)
    if assembly.minutes_signed_at is not None:
        raise Conflict(_l("The minutes are signed: they can no longer change."))
    if assembly.state != AssemblyState.DRAFT:
        fixed = sorted(set(data) - {"chair_id", "secretary_id", "online_url", "place"})
        if fixed:
            raise Conflict(
                _l("The assembly is convened: its agenda and date can no longer change."),
                fields={fixed[0]: _l("Fixed by the convocation.")},
            )
    _apply(assembly, dict(data), creating=False)
    audit.record(
        db.session,
        "assembly_updated",
        actor_id=actor.id,
        assembly_id=assembly.id,
        convened=assembly.state != AssemblyState.DRAFT,
        fields=sorted(str(key) for key in data),
    )
    return assembly


# --- convocation -----------------------------------------------------------------------


def associates_now() -> list[int]:
    """The register of associates today: the active members whose status is associate."""
    return list(
        db.session.scalars(
            select(Member.id)
            .where(Member.is_active.is_(True), Member.status == Status.ASSOCIATE)
            .order_by(Member.id)
        )
    )


def convene(actor: Member, assembly: Assembly) -> list[str]:
    """Convene every associate at once (notified and e-mailed; the date of sending is kept
    per associate, the proof of convocation). Returns warnings (a delay shorter than the
    statutes' minimum)."""
    _require_staff(actor)
    if assembly.state != AssemblyState.DRAFT:
        raise Conflict(_l("This assembly is already convened."))
    now = utcnow()
    if assembly.starts_at <= now:
        raise Invalid(
            fields={"starts_at": _l("The assembly must take place after its convocation.")}
        )
    candidacies.schedule(assembly)  # the candidacies under way become resolutions
    if not assembly.resolutions:
        raise Invalid(fields={"resolutions": _l("Put at least one resolution on the agenda.")})
    register = associates_now()
    if not register:
        raise Invalid(fields={"register": _l("The cooperative has no associate to convene.")})
    if assembly.postal_votes and assembly.postal_deadline is None:
        assembly.postal_deadline = assembly.starts_at - timedelta(days=1)
    db.session.execute(
        insert(Attendee),
        [{"assembly_id": assembly.id, "member_id": m, "convened_at": now} for m in register],
    )
    assembly.register_size = len(register)
    assembly.room_code = secrets.token_urlsafe(12)
    index_later("assembly", assembly.id, new=True)
    assembly.state = AssemblyState.CONVENED
    assembly.convened_at = now
    text = _l("You are convened to the general assembly: %(title)s", title=assembly.title)
    details = ""
    if assembly.documents:  # to read before the assembly, on its page (the link)
        text = _l(
            "You are convened to the general assembly: %(title)s. Documents to read on its "
            "page: %(count)s.",
            title=assembly.title,
            count=len(assembly.documents),
        )
        details = "\n".join(f"- {d.title} ({d.name})" for d in assembly.documents)
    url = url_for("governance.assembly", assembly_id=assembly.id)
    signals.notifications_requested.send(
        tuple(register),
        kind="assembly_convened",
        text=text,
        url=url,
        actor=actor,
        details=details,
    )
    publish("assembly", assembly.id, actor.id)  # the convocation, as a notice in the feed
    audit.record(
        db.session,
        "assembly_convened",
        actor_id=actor.id,
        assembly_id=assembly.id,
        register=len(register),
    )
    warnings = []
    minimum = current_settings()["ag_convocation_days"]
    if assembly.starts_at - now < timedelta(days=minimum):
        warnings.append(
            str(
                _l(
                    "The statutes ask for %(days)s days between the convocation and the assembly.",
                    days=minimum,
                )
            )
        )
    # The law allows an electronic convocation only to those who agreed to it in advance.
    on_paper = refusing(register, Purpose.E_CONVOCATION)
    if on_paper:
        warnings.append(
            str(
                lazy_ngettext(
                    "%(num)s associate has not agreed to be convened electronically: send "
                    "them the convocation by post (see the register).",
                    "%(num)s associates have not agreed to be convened electronically: send "
                    "them the convocation by post (see the register).",
                    len(on_paper),
                )
            )
        )
    return warnings


def acknowledge(member: Member, assembly: Assembly) -> None:
    row = attendee(assembly, member.id)
    if row is None:
        raise Forbidden(_l("You are not on the register of this assembly."))
    if row.acknowledged_at is None:
        row.acknowledged_at = utcnow()


# --- draft resolutions of the associates -----------------------------------------------


def _require_proposal_window(assembly: Assembly) -> None:
    settings = current_settings()
    now = utcnow()
    opens = assembly.starts_at - timedelta(days=settings["ag_proposals_open_days"])
    closes = assembly.starts_at - timedelta(days=settings["ag_proposals_close_days"])
    if assembly.state != AssemblyState.CONVENED or not opens <= now <= closes:
        raise Conflict(
            _l(
                "Draft resolutions are added from %(opens)s to %(closes)s.",
                opens=format_datetime(opens, "short"),
                closes=format_datetime(closes, "short"),
            )
        )


def proposal_window(assembly: Assembly) -> tuple[datetime, datetime, bool]:
    """When the associates add and co-sign draft resolutions: (opens, closes, open now)."""
    settings = current_settings()
    opens = assembly.starts_at - timedelta(days=settings["ag_proposals_open_days"])
    closes = assembly.starts_at - timedelta(days=settings["ag_proposals_close_days"])
    now = utcnow()
    return opens, closes, assembly.state == AssemblyState.CONVENED and opens <= now <= closes


def signatures_needed(assembly: Assembly) -> int:
    """How many associates must sign a draft resolution for it to join the agenda."""
    share = current_settings()["ag_proposal_share_percent"]
    return max(1, -(-share * assembly.register_size // 100))  # the share, rounded up


@dataclass(frozen=True)
class DraftResolution:
    """A draft resolution as its page lists it."""

    resolution: Resolution
    proposer: str
    signers: int
    signed: bool  # by the reader


def draft_resolutions(assembly: Assembly, viewer: Any) -> list[DraftResolution]:
    """The associates' draft resolutions collecting signatures, in order: who proposed each,
    how many signed, whether `viewer` did (three statements whatever their number)."""
    rows = db.session.execute(
        select(Resolution, Member.display_name)
        .outerjoin(Member, Member.id == Resolution.proposed_by_id)
        .where(
            Resolution.assembly_id == assembly.id,
            Resolution.state == ResolutionState.PROPOSED,
        )
        .order_by(Resolution.position, Resolution.id)
    ).all()
    ids = [r.id for r, _name in rows]
    counts = dict(
        db.session.execute(
            select(ResolutionSigner.resolution_id, func.count())
            .where(ResolutionSigner.resolution_id.in_(ids))
            .group_by(ResolutionSigner.resolution_id)
        ).all()
    )
    mine = set(
        db.session.scalars(
            select(ResolutionSigner.resolution_id).where(
                ResolutionSigner.resolution_id.in_(ids),
                ResolutionSigner.member_id == getattr(viewer, "id", 0),
            )
        )
    )
    return [DraftResolution(r, name or "—", counts.get(r.id, 0), r.id in mine) for r, name in rows]


def propose_resolution(member: Member, assembly: Assembly, data: dict[str, Any]) -> Resolution:
    """An associate drafts a resolution; it joins the agenda once the associates who sign it
    hold the statutes' share of the votes (alone or together)."""
    _require_proposal_window(assembly)
    if attendee(assembly, member.id) is None:
        raise Forbidden(_l("Only the associates on the register add draft resolutions."))
    (item,) = _resolutions([{**data, "by_gerance": False}])
    resolution = Resolution(
        position=len(assembly.resolutions),
        text_html=render_markdown(item["text"]),
        proposed_by_id=member.id,
        state=ResolutionState.PROPOSED,
        **item,
    )
    assembly.resolutions.append(resolution)
    db.session.flush()
    return _sign(member, resolution)


def cosign(member: Member, resolution: Resolution) -> Resolution:
    if resolution.state != ResolutionState.PROPOSED:
        raise Conflict(_l("This resolution is not a draft collecting signatures."))
    _require_proposal_window(resolution.assembly)
    if attendee(resolution.assembly, member.id) is None:
        raise Forbidden(_l("Only the associates on the register add draft resolutions."))
    if db.session.get(ResolutionSigner, (resolution.id, member.id)) is not None:
        raise Conflict(_l("You have signed this draft resolution already."))
    return _sign(member, resolution)


def _sign(member: Member, resolution: Resolution) -> Resolution:
    db.session.add(ResolutionSigner(resolution_id=resolution.id, member_id=member.id))
    db.session.flush()
    signers = (
        db.session.scalar(
            select(func.count()).where(ResolutionSigner.resolution_id == resolution.id)
        )
        or 0
    )
    share = current_settings()["ag_proposal_share_percent"]
    if signers * 100 >= share * resolution.assembly.register_size:
        resolution.state = ResolutionState.PENDING  # on the agenda
    audit.record(
        db.session,
        "resolution_signed",
        actor_id=member.id,
        resolution_id=resolution.id,
        signers=signers,
    )
    return resolution


def signers_needed(assembly: Assembly) -> int:
    share = current_settings()["ag_proposal_share_percent"]
    return max(1, -(-share * assembly.register_size // 100))


# --- proxies ---------------------------------------------------------------------------


def cap_for(assembly: Assembly) -> int:
    return proxy_cap(assembly.register_size, current_settings()["ag_proxy_cap"])


def _require_before_votes(assembly: Assembly) -> None:
    if assembly.state not in (AssemblyState.CONVENED, AssemblyState.IN_SESSION):
        raise Conflict(_l("Proxies are given between the convocation and the vote."))


def give_proxy(giver: Member, assembly: Assembly, holder_id: Any) -> Proxy:
    """Give one's vote to another associate of the register, or a blank proxy (`holder_id`
    None). Never more than the cap per holder: the holder's row is locked while counting."""
    _require_before_votes(assembly)
    own = attendee(assembly, giver.id, lock=True)
    if own is None:
        raise Forbidden(_l("Only associates on the register give a proxy."))
    if own.presence != Presence.ABSENT:
        raise Conflict(_l("You attend or voted by post: your vote is yours."))
    if _voted_any(assembly, giver.id):
        raise Conflict(_l("You have voted already in this assembly."))
    if _holds_proxies(assembly, giver.id):
        raise Conflict(_l("You hold other associates' proxies: attend to cast their votes."))
    if holder_id is not None:
        if not is_id(holder_id):
            raise Invalid(fields={"holder_id": _l("Give a valid id.")})
        if holder_id == giver.id:
            raise Invalid(fields={"holder_id": _l("You cannot give a proxy to yourself.")})
        holder = attendee(assembly, holder_id, lock=True)
        if holder is None:
            raise Invalid(fields={"holder_id": _l("A proxy goes to an associate on the register.")})
        if _gave_proxy(assembly, holder_id):  # no chains: a holder votes in person
            raise Conflict(
                _l("This associate has given their own proxy: they will not vote."),
                fields={"holder_id": _l("Choose another associate.")},
            )
        held = db.session.scalar(
            select(func.count()).where(
                Proxy.assembly_id == assembly.id, Proxy.holder_id == holder_id
            )
        )
        if (held or 0) >= cap_for(assembly):
            raise Conflict(
                _l(
                    "This associate already holds the most proxies the statutes allow (%(cap)s).",
                    cap=cap_for(assembly),
                ),
                fields={"holder_id": _l("Choose another associate.")},
            )
    if db.session.scalar(
        select(Proxy.id).where(Proxy.assembly_id == assembly.id, Proxy.giver_id == giver.id)
    ):
        raise Conflict(_l("You have given a proxy already: revoke it first."))
    proxy = Proxy(assembly_id=assembly.id, giver_id=giver.id, holder_id=holder_id)
    db.session.add(proxy)
    db.session.flush()
    audit.record(
        db.session,
        "proxy_given",
        actor_id=giver.id,
        subject_id=holder_id,
        assembly_id=assembly.id,
        holder_id=holder_id,
        proxy_id=proxy.id,
    )
    live.schedule_quorum(assembly.id)
    return proxy


def _gave_proxy(assembly: Assembly, member_id: int) -> bool:
    found = select(Proxy.id).where(Proxy.assembly_id == assembly.id, Proxy.giver_id == member_id)
    return db.session.scalar(found) is not None


def _holds_proxies(assembly: Assembly, member_id: int) -> bool:
    found = select(Proxy.id).where(Proxy.assembly_id == assembly.id, Proxy.holder_id == member_id)
    return db.session.scalar(found.limit(1)) is not None


def revoke_proxy(actor: Member, proxy_id: Any) -> None:
    proxy = db.session.get(Proxy, proxy_id) if is_id(proxy_id) else None
    if proxy is None or (proxy.giver_id != actor.id and not is_staff(actor)):
        raise NotFound(_l("This proxy does not exist or is not yours."))
    assembly = db.session.get(Assembly, proxy.assembly_id)
    _require_before_votes(assembly)  # type: ignore[arg-type]
    if _voted_any(assembly, proxy.giver_id):  # type: ignore[arg-type]
        raise Conflict(_l("The proxy has been used in a vote: it can no longer be revoked."))
    db.session.delete(proxy)
    audit.record(  # staff may revoke another's proxy: the giver is the subject
        db.session,
        "proxy_revoked",
        actor_id=actor.id,
        subject_id=proxy.giver_id,
        assembly_id=proxy.assembly_id,
        holder_id=proxy.holder_id,
        proxy_id=proxy.id,
    )
    live.schedule_quorum(proxy.assembly_id)


def _voted_any(assembly: Assembly, voter_id: int) -> bool:
    return (
        db.session.scalar(
            select(ResolutionVote.voter_id)
            .join(Resolution, Resolution.id == ResolutionVote.resolution_id)
            .where(Resolution.assembly_id == assembly.id, ResolutionVote.voter_id == voter_id)
            .limit(1)
        )
        is not None
    )


def proxies_of(assembly: Assembly) -> list[Proxy]:
    return list(
        db.session.scalars(select(Proxy).where(Proxy.assembly_id == assembly.id).order_by(Proxy.id))
    )


# --- attendance and quorum -------------------------------------------------------------


def check_in(actor: Member, assembly: Assembly, member_id: Any, presence: Any) -> Attendee:
    """Present in the room (staff tick it, or the member checks in) or online (the member,
    on the live page). A proxy the member gave is void: they vote themselves."""
    if assembly.state not in (AssemblyState.CONVENED, AssemblyState.IN_SESSION):
        raise Conflict(_l("Check-in opens with the convocation and ends with the assembly."))
    if member_id is None:
        member_id = actor.id
    if member_id != actor.id and not is_chair(actor, assembly):
        raise Forbidden(_l("Only the chair or the support team checks others in."))
    if presence not in (Presence.PRESENT.value, Presence.ONLINE.value):
        raise Invalid(fields={"presence": _l("Choose present or online.")})
    row = attendee(assembly, member_id, lock=True) if is_id(member_id) else None
    if row is None:
        raise Invalid(fields={"member_id": _l("This member is not on the register.")})
    if row.presence == Presence.POSTAL:
        raise Conflict(_l("This associate voted by post."))
    row.presence, row.checked_in_at = Presence(presence), utcnow()
    db.session.execute(
        delete(Proxy).where(Proxy.assembly_id == assembly.id, Proxy.giver_id == member_id)
    )
    audit.record(
        db.session,
        "assembly_check_in",
        actor_id=actor.id,
        assembly_id=assembly.id,
        member_id=member_id,
        presence=presence,
    )
    live.schedule_quorum(assembly.id)
    return row


def check_in_with_code(member: Member, assembly: Assembly, code: Any) -> Attendee:
    """Present in the room: the member scanned the code shown there (it changes when the
    chair renews it)."""
    if (
        not isinstance(code, str)
        or not assembly.room_code
        or not secrets.compare_digest(code, assembly.room_code)
    ):
        raise Forbidden(_l("This check-in code is not the room's: scan the one shown there."))
    return check_in(member, assembly, member.id, Presence.PRESENT.value)


def renew_room_code(actor: Member, assembly: Assembly) -> str:
    _require_chair(actor, assembly)
    assembly.room_code = secrets.token_urlsafe(12)
    return assembly.room_code


def attendance(assembly: Assembly) -> dict[str, Any]:
    """Present, online, by post, represented (with their holder), absent; the counts.
    Each row's member comes with it (their name only: one statement for the sheet)."""
    rows = db.session.scalars(
        select(Attendee)
        .where(Attendee.assembly_id == assembly.id)
        .options(joinedload(Attendee.member).load_only(Member.display_name, Member.name_key))
    ).all()
    proxies = {p.giver_id: p for p in proxies_of(assembly)}
    attending = {r.member_id for r in rows if r.presence in (Presence.PRESENT, Presence.ONLINE)}
    sheet = []
    for row in rows:
        proxy = proxies.get(row.member_id)
        status = row.presence.value
        held = proxy is not None and (proxy.holder_id is None or proxy.holder_id in attending)
        if row.presence == Presence.ABSENT and held:
            status = "represented"  # a blank proxy, or a holder who attends
        sheet.append((row, status, proxy))
    counts = Counter(status for _row, status, _proxy in sheet)
    return {"sheet": sheet, "counts": counts}


def quorum(assembly: Assembly) -> dict[str, Any]:
    """The live quorum meter: present, represented and by post against the register, and
    whether each kind of resolution's quorum is reached."""
    counts = _presence_counts(assembly)
    present = counts["present"] + counts["online"] + counts["postal"] + counts["represented"]
    settings = current_settings()
    kinds = _majority_kinds(assembly)
    reached = {}
    for kind in kinds:
        rule = Rule.from_settings(settings, kind, assembly.convocation)
        reached[kind.value] = {
            "reached": quorum_reached(rule, present, assembly.register_size),
            "needed": quorum_needed(rule, assembly.register_size),
            "rule": rule.describe(),
        }
    return {
        "assembly_id": assembly.id,
        "register": assembly.register_size,
        "present": counts["present"],
        "online": counts["online"],
        "postal": counts["postal"],
        "represented": counts["represented"],
        "counted": present,
        "quorum": reached,
    }


def _presence_counts(assembly: Assembly) -> Counter:
    """The attendance sheet's counts, counted by the database (the meter is asked after
    every check-in and, gathered, every vote): present, online and postal rows, and the
    absent associates represented — by a blank proxy, or by a holder who attends."""
    counts: Counter = Counter()
    for presence, number in db.session.execute(
        select(Attendee.presence, func.count())
        .where(Attendee.assembly_id == assembly.id)
        .group_by(Attendee.presence)
    ):
        counts[Presence(presence).value] = number
    giver, holder = aliased(Attendee), aliased(Attendee)
    represented = db.session.scalar(
        select(func.count())
        .select_from(Proxy)
        .join(
            giver, and_(giver.assembly_id == Proxy.assembly_id, giver.member_id == Proxy.giver_id)
        )
        .outerjoin(
            holder,
            and_(holder.assembly_id == Proxy.assembly_id, holder.member_id == Proxy.holder_id),
        )
        .where(
            Proxy.assembly_id == assembly.id,
            giver.presence == Presence.ABSENT,
            or_(
                Proxy.holder_id.is_(None),
                holder.presence.in_([Presence.PRESENT, Presence.ONLINE]),
            ),
        )
    )
    counts["represented"] = represented or 0
    counts["absent"] -= counts["represented"]
    return counts


def turnouts(assembly: Assembly) -> dict[str, int]:
    """Votes cast so far on each open resolution (resolution id → votes)."""
    open_ids = [r.id for r in assembly.resolutions if r.state == ResolutionState.OPEN]
    if not open_ids:
        return {}
    rows = db.session.execute(
        select(ResolutionVote.resolution_id, func.count())
        .where(ResolutionVote.resolution_id.in_(open_ids))
        .group_by(ResolutionVote.resolution_id)
    )
    return {str(resolution_id): votes for resolution_id, votes in rows}


def _majority_kinds(assembly: Assembly) -> list[MajorityKind]:
    if assembly.kind == AssemblyKind.ORDINARY:
        return [MajorityKind.ORDINARY]
    if assembly.kind == AssemblyKind.EXTRAORDINARY:
        return [MajorityKind.EXTRAORDINARY]
    return [MajorityKind.ORDINARY, MajorityKind.EXTRAORDINARY]


# --- voting ----------------------------------------------------------------------------


def open_resolution(actor: Member, resolution: Resolution) -> Resolution:
    assembly = resolution.assembly
    _require_chair(actor, assembly)
    if assembly.state not in (AssemblyState.CONVENED, AssemblyState.IN_SESSION):
        raise Conflict(_l("The assembly is not in session."))
    if resolution.state != ResolutionState.PENDING:
        raise Conflict(_l("This resolution's vote has already been opened."))
    if assembly.starts_at > utcnow() + timedelta(hours=1):
        raise Conflict(_l("The assembly has not begun yet."))
    assembly.state = AssemblyState.IN_SESSION
    assembly.opened_at = assembly.opened_at or utcnow()
    resolution.state, resolution.opened_at = ResolutionState.OPEN, utcnow()
    audit.record(db.session, "resolution_opened", actor_id=actor.id, resolution_id=resolution.id)
    live.resolution_event("resolution_opened", resolution)
    return resolution


def votes_held(assembly: Assembly, member: Member) -> list[int]:
    """The votes the member casts: their own (when present or online) and those of the
    proxies they hold."""
    own = attendee(assembly, member.id)
    if own is None or own.presence not in (Presence.PRESENT, Presence.ONLINE):
        return []  # a proxy is voted by its holder at the assembly: they attend
    held = [member.id]
    held += list(
        db.session.scalars(
            select(Proxy.giver_id).where(
                Proxy.assembly_id == assembly.id, Proxy.holder_id == member.id
            )
        )
    )
    return held


def vote(
    member: Member, resolution: Resolution, choice: Any, on_behalf_of: Any = None
) -> dict[str, Any]:
    """Cast one vote: one's own (default) or that of a proxy one holds (`on_behalf_of`).
    Each vote held is cast separately, once (a database rule); a secret resolution keeps
    who voted apart from what."""
    if resolution.state != ResolutionState.OPEN:
        raise Conflict(_l("This resolution's vote is not open."))
    if choice not in CHOICES:
        raise Invalid(fields={"choice": _l("Choose for, against or abstain.")})
    assembly = resolution.assembly
    voter_id = member.id if on_behalf_of is None else on_behalf_of
    mine = attendee(assembly, member.id, lock=True)
    if mine is None:
        raise Forbidden(_l("Only the associates on the register vote."))
    if voter_id not in votes_held(assembly, member):
        if voter_id == member.id:
            raise Forbidden(_l("Check in (present or online) to vote, or vote through your proxy."))
        raise Forbidden(_l("You do not hold this associate's proxy."))
    return _record_vote(resolution, voter_id, member.id, choice, postal=False)


def _record_vote(
    resolution: Resolution, voter_id: int, cast_by: int, choice: str, *, postal: bool
) -> dict[str, Any]:
    exists = db.session.get(ResolutionVote, (resolution.id, voter_id))
    if exists is not None:
        raise Conflict(_l("This vote has been cast already."))
    db.session.add(
        ResolutionVote(
            resolution_id=resolution.id,
            voter_id=voter_id,
            cast_by_id=cast_by,
            choice=None if resolution.secret else choice,
            postal=postal,
        )
    )
    if resolution.secret:
        db.session.add(
            ResolutionBallot(key=secrets.token_hex(8), resolution_id=resolution.id, choice=choice)
        )
    db.session.flush()
    live.schedule_turnout(resolution.id)
    return {"resolution_id": resolution.id, "voter_id": voter_id, "secret": resolution.secret}


def postal_vote(member: Member, resolution: Resolution, choice: Any) -> dict[str, Any]:
    """A vote by post, before the deadline (counted as present); any proxy given is void."""
    assembly = resolution.assembly
    if not assembly.postal_votes:
        raise Forbidden(_l("This assembly takes no postal votes."))
    if assembly.state != AssemblyState.CONVENED or (
        assembly.postal_deadline and utcnow() > assembly.postal_deadline
    ):
        raise Conflict(_l("The deadline for postal votes has passed."))
    if choice not in CHOICES:
        raise Invalid(fields={"choice": _l("Choose for, against or abstain.")})
    mine = attendee(assembly, member.id, lock=True)
    if mine is None:
        raise Forbidden(_l("Only the associates on the register vote."))
    mine.presence = Presence.POSTAL
    db.session.execute(
        delete(Proxy).where(Proxy.assembly_id == assembly.id, Proxy.giver_id == member.id)
    )
    return _record_vote(resolution, member.id, member.id, choice, postal=True)


def close_resolution(actor: Member, resolution: Resolution) -> Resolution:
    """Close the vote and state the verdict: quorum, majority needed, counts, adopted or not."""
    assembly = resolution.assembly
    _require_chair(actor, assembly)
    if resolution.state != ResolutionState.OPEN:
        raise Conflict(_l("This resolution's vote is not open."))
    resolution.state, resolution.closed_at = ResolutionState.CLOSED, utcnow()
    resolution.verdict = verdict_of(resolution)
    candidacies.resolution_decided(resolution, resolution.verdict["adopted"], actor)
    if resolution.secret:
        _rewrite_ballots(resolution)
    audit.record(
        db.session,
        "resolution_closed",
        actor_id=actor.id,
        resolution_id=resolution.id,
        adopted=resolution.verdict["adopted"],
    )
    live.resolution_event("resolution_closed", resolution)
    return resolution


def counts_of(resolution: Resolution) -> Counter:
    if resolution.secret:
        rows = db.session.scalars(
            select(ResolutionBallot.choice).where(ResolutionBallot.resolution_id == resolution.id)
        )
    else:
        rows = db.session.scalars(
            select(ResolutionVote.choice).where(ResolutionVote.resolution_id == resolution.id)
        )
    return Counter(rows)


def verdict_of(resolution: Resolution) -> dict[str, Any]:
    assembly = resolution.assembly
    settings = current_settings()
    counted = counts_of(resolution)
    voted = set(
        db.session.scalars(
            select(ResolutionVote.voter_id).where(ResolutionVote.resolution_id == resolution.id)
        )
    )
    blank = [p for p in proxies_of(assembly) if p.holder_id is None and p.giver_id not in voted]
    if settings["ag_blank_proxies_follow_gerance"]:  # for the gérance's, against the others
        blank_for = len(blank) if resolution.by_gerance else 0
        blank_against = len(blank) - blank_for
    else:  # they count towards the quorum only
        blank_for = blank_against = 0
    meter = quorum(assembly)
    rule = Rule.from_settings(settings, MajorityKind(resolution.majority), assembly.convocation)
    result = verdict(
        rule,
        Counts(counted["for"], counted["against"], counted["abstain"], blank_for, blank_against),
        present=meter["counted"],
        register=assembly.register_size,
        abstentions_cast=bool(settings["ag_abstentions_cast"]),
    )
    return result.to_dict() | {"blank_for": blank_for, "blank_against": blank_against}


def _rewrite_ballots(resolution: Resolution) -> None:
    rows = db.session.execute(
        select(ResolutionBallot.key, ResolutionBallot.choice).where(
            ResolutionBallot.resolution_id == resolution.id
        )
    ).all()
    db.session.execute(
        delete(ResolutionBallot).where(ResolutionBallot.resolution_id == resolution.id)
    )
    if rows:
        db.session.execute(
            insert(ResolutionBallot),
            [{"key": k, "resolution_id": resolution.id, "choice": c} for k, c in sorted(rows)],
        )


# --- the end of the assembly -----------------------------------------------------------


def close_assembly(actor: Member, assembly: Assembly) -> Assembly:
    _require_chair(actor, assembly)
    if assembly.state != AssemblyState.IN_SESSION:
        raise Conflict(_l("The assembly is not in session."))
    if any(r.state == ResolutionState.OPEN for r in assembly.resolutions):
        raise Conflict(_l("Close the open vote first."))
    assembly.state, assembly.closed_at = AssemblyState.CLOSED, utcnow()
    audit.record(db.session, "assembly_closed", actor_id=actor.id, assembly_id=assembly.id)
    return assembly


def record_no_quorum(actor: Member, assembly: Assembly, starts_at: Any) -> Assembly:
    """The first convocation did not reach its quorum: it is recorded as such, and the second
    convocation is drafted with the same agenda (and its own rules and delay)."""
    _require_staff(actor)
    if assembly.convocation != 1 or assembly.state not in (
        AssemblyState.CONVENED,
        AssemblyState.IN_SESSION,
    ):
        raise Conflict(_l("Only a convened first convocation can be recorded without quorum."))
    if any(r.state != ResolutionState.PENDING for r in assembly.resolutions):
        raise Conflict(_l("Votes have taken place in this assembly."))
    assembly.state, assembly.closed_at = AssemblyState.NO_QUORUM, utcnow()
    second = Assembly(
        kind=assembly.kind,
        convocation=2,
        previous_id=assembly.id,
        title=assembly.title,
        starts_at=parse_time(starts_at, "starts_at"),
        place=assembly.place,
        online_url=assembly.online_url,
        postal_votes=assembly.postal_votes,
        chair_id=assembly.chair_id,
        secretary_id=assembly.secretary_id,
        created_by_id=actor.id,
        state=AssemblyState.DRAFT,
    )
    for r in assembly.resolutions:
        second.resolutions.append(
            Resolution(
                position=r.position,
                title=r.title,
                text=r.text,
                text_html=r.text_html,
                majority=r.majority,
                secret=r.secret,
                by_gerance=r.by_gerance,
            )
        )
    db.session.add(second)
    db.session.flush()
    audit.record(
        db.session,
        "assembly_no_quorum",
        actor_id=actor.id,
        assembly_id=assembly.id,
        second_id=second.id,
    )
    return second


def minutes_of(assembly: Assembly) -> dict[str, Any]:
    """The procès-verbal as data: frozen once signed, else made from the record."""
    if assembly.minutes is not None:
        return assembly.minutes
    sheet = attendance(assembly)
    names = {
        m.id: m.display_name
        for m in db.session.scalars(
            select(Member).where(
                Member.id.in_([assembly.chair_id or 0, assembly.secretary_id or 0])
            )
        )
    }
    return {
        "assembly": {
            "id": assembly.id,
            "title": assembly.title,
            "kind": assembly.kind.value,
            "convocation": assembly.convocation,
            "starts_at": assembly.starts_at.isoformat(),
            "place": assembly.place,
            "online_url": assembly.online_url,
            "state": assembly.state.value,
        },
        "chair": names.get(assembly.chair_id or 0),
        "secretary": names.get(assembly.secretary_id or 0),
        "register": assembly.register_size,
        "attendance": [
            {
                "member": row.member.display_name,
                "status": status,
                "holder": proxy.holder.display_name if proxy is not None and proxy.holder else None,
                "convened_at": row.convened_at.isoformat(),
            }
            for row, status, proxy in sorted(sheet["sheet"], key=lambda s: s[0].member.name_key)
        ],
        "quorum": quorum(assembly),
        "resolutions": [
            {
                "position": r.position + 1,
                "title": r.title,
                "text": r.text,
                "majority": r.majority,
                "secret": r.secret,
                "state": r.state.value,
                "verdict": r.verdict,
            }
            for r in assembly.resolutions
        ],
    }


def sign_minutes(actor: Member, assembly: Assembly) -> Assembly:
    """The chair approves the minutes: they are frozen, and any later change is refused."""
    _require_chair(actor, assembly)
    if assembly.minutes_signed_at is not None:
        raise Conflict(_l("The minutes are signed: they can no longer change."))
    if assembly.state not in (AssemblyState.CLOSED, AssemblyState.NO_QUORUM):
        raise Conflict(_l("The minutes are signed once the assembly is closed."))
    assembly.minutes = minutes_of(assembly)
    index_later("assembly", assembly.id)
    assembly.minutes_signed_at, assembly.minutes_signed_by_id = utcnow(), actor.id
    audit.record(db.session, "minutes_signed", actor_id=actor.id, assembly_id=assembly.id)
    return assembly
