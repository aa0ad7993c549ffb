"""Governance operations: draft, edit, open, extend and close a decision; vote, change and
withdraw a vote; add an option; write the outcome; and the cron's closings and reminders.
The boundary commits once.

Who may do what:
- any active member of the cooperative drafts a decision; a binding one (the associates
  vote) is opened by an associate or the support team;
- its author or the support team edits it (the question and options only until the first
  vote: earlier versions are kept), opens, extends and closes it early;
- the electorate is frozen when it opens; only its members vote, once each (a database
  rule); a secret ballot keeps who voted apart from what was voted.
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, g, has_app_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update

from network.cooperative import cooperative_today, current_settings
from network.cooperative.times import parse_date, parse_time
from network.core import audit, images, signals
from network.core.errors import Conflict, Forbidden, Invalid, NotFound
from network.core.ids import is_id
from network.core.inputs import text_field
from network.core.markup import render_markdown
from network.core.models import utcnow
from network.core.permissions import (
    IN_THE_COOPERATIVE,
    STATUS_LABELS,
    Status,
    has_status,
    is_associate,
    is_staff,
)
from network.core.registries import MEMBER_GROUPS, index_later, publish
from network.extensions import db
from network.governance import live
from network.governance.counting import DecisionKind, Rules, validate_ballot
from network.governance.models import (
    Ballot,
    Decision,
    DecisionEdit,
    DecisionOption,
    DecisionState,
    Elector,
    ElectorateKind,
    ReasonMode,
    ResultsVisibility,
    Visibility,
    Vote,
)
from network.members.models import Member

MAX_TITLE = 200
MAX_CONTEXT = 20_000
MAX_OPTION = 200
MAX_OPTIONS = 30
MAX_REASON = 500
MAX_SCORE = 10
MAX_IMAGES = 4
IMAGE_SIZES = {"full": 1600, "thumb": 400}
MAX_DAYS_OPEN = 366

#: The fixed options of a proposal and of a consent decision: stance code → label.
STANCES = {
    DecisionKind.PROPOSAL: {
        "agree": _l("Agree"),
        "abstain": _l("Abstain"),
        "disagree": _l("Disagree"),
        "block": _l("Block"),
    },
    DecisionKind.CONSENT: {"consent": _l("I consent"), "object": _l("Objection")},
}
#: Stances that must give a reason whatever the decision's reason setting.
NEEDS_REASON = {"block", "object"}
CHOICE_KINDS = {
    DecisionKind.SINGLE,
    DecisionKind.MULTIPLE,
    DecisionKind.RANKED,
    DecisionKind.SCORE,
    DecisionKind.DATE_POLL,
}

NOT_FOUND = _l("This decision does not exist or you cannot see it.")


# --- who may see, vote, manage ---------------------------------------------------------


def is_closed(decision: Decision, now: datetime | None = None) -> bool:
    """Closed, or past its closing time (the cron has not closed it yet)."""
    if decision.state == DecisionState.CLOSED:
        return True
    closes = decision.closes_at
    return (
        decision.state == DecisionState.OPEN and closes is not None and closes <= (now or utcnow())
    )


def state_of(decision: Decision) -> str:
    return DecisionState.CLOSED if is_closed(decision) else decision.state


@dataclass(frozen=True)
class _ElectorRow:
    """What a card reads of the viewer's elector row (never written through)."""

    voted: bool


@dataclass(frozen=True)
class _VoteRow:
    """What a card reads of the viewer's open vote (never written through)."""

    choices: dict[str, int]
    reason: str


def is_elector(member: Any, decision: Decision) -> bool:
    return _elector(member, decision) is not None


def _elector(member: Any, decision: Decision) -> Elector | _ElectorRow | None:
    if member is None or not getattr(member, "id", None):
        return None
    memo = _viewer_rows()
    key = ("elector", decision.id, member.id)
    if memo is not None and key in memo:
        return memo[key]
    return db.session.get(Elector, (decision.id, member.id))


# A page of decisions (the feed, the list) reads the viewer's elector rows and votes of all
# of them in two statements, remembered for the request (`prime_viewer_rows`): a card then
# asks nothing more. Whatever changes electors or votes forgets them.
_VIEWER_ROWS = "governance_viewer_rows"


def _viewer_rows() -> dict[tuple[str, int, int], Any] | None:
    return g.get(_VIEWER_ROWS) if has_app_context() else None


def prime_viewer_rows(viewer: Any, decision_ids: Iterable[int]) -> None:
    """Read `viewer`'s elector rows and open votes of these decisions at once (one
    statement, plain rows: a card only reads them)."""
    ids = sorted(set(decision_ids))
    member_id = getattr(viewer, "id", None)
    if not ids or not member_id or not has_app_context():
        return
    rows = db.session.execute(
        select(Elector.decision_id, Elector.voted, Vote.choices, Vote.reason, Vote.id)
        .outerjoin(
            Vote,
            (Vote.decision_id == Elector.decision_id) & (Vote.member_id == Elector.member_id),
        )
        .where(Elector.member_id == member_id, Elector.decision_id.in_(ids))
    )
    electors: dict[int, _ElectorRow] = {}
    votes: dict[int, _VoteRow] = {}
    for decision_id, voted, choices, reason, vote_id in rows:
        electors[decision_id] = _ElectorRow(bool(voted))
        if vote_id is not None and voted:
            votes[decision_id] = _VoteRow(choices or {}, reason or "")
    memo = g.setdefault(_VIEWER_ROWS, {})
    for decision_id in ids:
        memo[("elector", decision_id, member_id)] = electors.get(decision_id)
        memo[("vote", decision_id, member_id)] = votes.get(decision_id)


@dataclass(frozen=True)
class OptionRow:
    """What a card reads of an option (`options_of`)."""

    id: int
    label: str
    code: str
    starts_at: datetime | None


def prime_options(decision_ids: Iterable[int]) -> None:
    """Read the options of these decisions at once, as plain rows (`options_of`): a card
    only reads them, and loading them as objects cost more than the decisions."""
    ids = sorted(set(decision_ids))
    if not ids or not has_app_context():
        return
    found: dict[int, list[OptionRow]] = {i: [] for i in ids}
    rows = db.session.execute(
        select(
            DecisionOption.decision_id,
            DecisionOption.id,
            DecisionOption.label,
            DecisionOption.code,
            DecisionOption.starts_at,
        )
        .where(DecisionOption.decision_id.in_(ids))
        .order_by(DecisionOption.decision_id, DecisionOption.position, DecisionOption.id)
    )
    for decision_id, option_id, label, code, starts_at in rows:
        found[decision_id].append(OptionRow(option_id, label, code or "", starts_at))
    memo = g.setdefault(_VIEWER_ROWS, {})
    for decision_id, options in found.items():
        memo[("options", decision_id, 0)] = options


def options_of(decision: Decision) -> Sequence[Any]:
    """The decision's options in display order: the rows read for the page, else its own."""
    memo = _viewer_rows()
    options = memo.get(("options", decision.id, 0)) if memo is not None else None
    return options if options is not None else decision.options


def prime_authors(decisions: Iterable[Decision]) -> None:
    """Read the names of these decisions' authors at once (`author_name`), instead of
    loading each author as a member."""
    ids = sorted({d.author_id for d in decisions})
    if not ids or not has_app_context():
        return
    memo = g.setdefault(_VIEWER_ROWS, {})
    for member_id, name in db.session.execute(
        select(Member.id, Member.display_name).where(Member.id.in_(ids))
    ):
        memo[("author", member_id, 0)] = name


def author_name(decision: Decision) -> str:
    memo = _viewer_rows()
    name = memo.get(("author", decision.author_id, 0)) if memo is not None else None
    return name if name is not None else decision.author.display_name


def _forget_viewer_rows() -> None:
    if has_app_context():
        g.pop(_VIEWER_ROWS, None)


def may_see(viewer: Any, decision: Decision | None) -> bool:
    if decision is None or viewer is None or not getattr(viewer, "is_active", False):
        return False
    if decision.author_id == viewer.id or is_staff(viewer):
        return True
    if decision.state == DecisionState.DRAFT:
        return False
    return decision.visibility == Visibility.COOPERATIVE or is_elector(viewer, decision)


def may_manage(viewer: Any, decision: Decision) -> bool:
    return decision.author_id == viewer.id or is_staff(viewer)


def has_voted(viewer: Any, decision: Decision) -> bool:
    elector = _elector(viewer, decision)
    return elector is not None and elector.voted


def may_see_results(viewer: Any, decision: Decision) -> bool:
    """Results only after close when so chosen (never earlier, not even for staff)."""
    if decision.state == DecisionState.DRAFT or not may_see(viewer, decision):
        return False
    if is_closed(decision) or decision.results_visibility == ResultsVisibility.ALWAYS:
        return True
    if decision.results_visibility == ResultsVisibility.AFTER_VOTE:
        return has_voted(viewer, decision)
    return False


def results_hidden_reason(decision: Decision) -> Any:
    if decision.results_visibility == ResultsVisibility.AFTER_VOTE:
        return _l("Results are shown to those who have voted, and to everyone after the close.")
    return _l("Results are shown when the decision closes.")


def get_decision(viewer: Any, decision_id: Any) -> Decision:
    """The decision, or `NotFound` (also for one the viewer may not see)."""
    decision = db.session.get(Decision, decision_id) if is_id(decision_id) else None
    if not may_see(viewer, decision):
        raise NotFound(NOT_FOUND)
    return decision  # type: ignore[return-value]


def _require_manager(actor: Any, decision: Decision) -> None:
    if not may_manage(actor, decision):
        raise Forbidden(_l("Only its author or the support team can do this."))


# --- reading what was sent -------------------------------------------------------------


def _choice(raw: Any, field: str, enum_type: Any, default: Any = None) -> Any:
    if raw is None and default is not None:
        return default
    try:
        return enum_type(raw)
    except ValueError:
        allowed = ", ".join(v.value for v in enum_type)
        raise Invalid(fields={field: _l("Choose one of: %(allowed)s.", allowed=allowed)}) from None


def _flag(raw: Any, field: str) -> bool:
    if isinstance(raw, bool):
        return raw
    raise Invalid(fields={field: _l("Give true or false.")})


def _number(raw: Any, field: str, low: int, high: int) -> int:
    if type(raw) is not int or not low <= raw <= high:
        raise Invalid(
            fields={field: _l("Give a whole number from %(min)s to %(max)s.", min=low, max=high)}
        )
    return raw


def _closing_time(raw: Any) -> datetime:
    closes = parse_time(raw, "closes_at")
    now = utcnow()
    if closes <= now:
        raise Invalid(fields={"closes_at": _l("The closing date and time must be in the future.")})
    if closes > now + timedelta(days=MAX_DAYS_OPEN):
        raise Invalid(fields={"closes_at": _l("A decision stays open at most a year.")})
    return closes


FIELDS = {
    "kind", "title", "context", "options", "closes_at", "electorate", "statuses", "group",
    "group_id", "members", "visibility", "secret", "reason", "results", "voters_add_options",
    "min_choices", "max_choices", "max_score", "remind",
}  # fmt: skip
#: What may still change once the decision is open: the question and options (until the
#: first vote) and the closing time (extended only).
OPEN_FIELDS = {"title", "context", "options", "closes_at"}


def _collect(data: dict[str, Any], decision: Decision, creating: bool) -> dict[str, Any]:
    """The clean values of `data` for `decision`, every field error at once."""
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise Invalid(fields={unknown[0]: _l("Unknown field.")})
    clean: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    readers = {
        "kind": lambda v: _choice(v, "kind", DecisionKind),
        "title": lambda v: text_field(v, "title", MAX_TITLE),
        "context": lambda v: text_field(v, "context", MAX_CONTEXT, required=False),
        "closes_at": _closing_time,
        "electorate": lambda v: _choice(v, "electorate", ElectorateKind),
        "statuses": _statuses,
        "group": _group_name,
        "group_id": lambda v: v if v is None or is_id(v) else _bad_id("group_id"),
        "members": _member_ids,
        "visibility": lambda v: _choice(v, "visibility", Visibility),
        "secret": lambda v: _flag(v, "secret"),
        "reason": lambda v: _choice(v, "reason", ReasonMode),
        "results": lambda v: _choice(v, "results", ResultsVisibility),
        "voters_add_options": lambda v: _flag(v, "voters_add_options"),
        "min_choices": lambda v: _number(v, "min_choices", 1, MAX_OPTIONS),
        "max_choices": lambda v: v if v is None else _number(v, "max_choices", 1, MAX_OPTIONS),
        "max_score": lambda v: _number(v, "max_score", 1, MAX_SCORE),
        "remind": lambda v: _flag(v, "remind"),
    }
    if creating:
        for required in ("kind", "title"):
            data.setdefault(required, None)
    for name, read in readers.items():
        if name in data:
            try:
                clean[name] = read(data[name])
            except Invalid as error:
                errors.update(error.fields)
    kind = clean.get("kind", decision.kind)
    if "options" in data and kind is not None:
        try:
            clean["options"] = _options(kind, data["options"])
        except Invalid as error:
            errors.update(error.fields)
    if errors:
        raise Invalid(fields=errors)
    return clean


def _bad_id(field: str) -> None:
    raise Invalid(fields={field: _l("Give a valid id.")})


def _statuses(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or len(raw) > len(Status):
        raise Invalid(fields={"statuses": _l("Choose at least one status.")})
    return sorted({_choice(v, "statuses", Status).value for v in raw})


def _group_name(raw: Any) -> str:
    if raw not in MEMBER_GROUPS:
        raise Invalid(
            fields={"group": _l("Choose one of: %(allowed)s.", allowed=", ".join(MEMBER_GROUPS))}
        )
    return raw


def _member_ids(raw: Any) -> list[int]:
    if not isinstance(raw, list) or len(raw) > 5000 or not all(is_id(v) for v in raw):
        raise Invalid(fields={"members": _l("Give a list of member ids.")})
    return sorted(set(raw))


def _options(kind: DecisionKind, raw: Any) -> list[tuple[str, datetime | None]]:
    """(label, slot) of each option; a date poll's options are dates and times."""
    if kind in STANCES:
        return []  # fixed
    if not isinstance(raw, list) or len(raw) > MAX_OPTIONS:
        raise Invalid(
            fields={"options": _l("Give a list of at most %(max)s options.", max=MAX_OPTIONS)}
        )
    found: list[tuple[str, datetime | None]] = []
    for value in raw:
        if kind == DecisionKind.DATE_POLL:
            slot = parse_time(value, "options")
            found.append((slot.isoformat(), slot))
        else:
            found.append((text_field(value, "options", MAX_OPTION), None))
    labels = [label.casefold() for label, _ in found]
    if len(set(labels)) != len(labels):
        raise Invalid(fields={"options": _l("Each option must differ from the others.")})
    return found


# --- drafting and editing --------------------------------------------------------------


def create_decision(
    author: Member, data: dict[str, Any], uploads: list[bytes] | None = None
) -> Decision:
    """A draft decision of `author` (opened separately)."""
    if not (has_status(author, *IN_THE_COOPERATIVE) or is_staff(author)):
        raise Forbidden(_l("Members of the cooperative propose decisions."))
    decision = Decision(
        author_id=author.id,
        state=DecisionState.DRAFT,
        min_choices=1,
        max_score=5,
        secret=False,
        visibility=Visibility.COOPERATIVE,
        reason_mode=ReasonMode.OPTIONAL,
        results_visibility=ResultsVisibility.AFTER_VOTE,
    )
    clean = _collect(dict(data), decision, creating=True)
    clean.setdefault("electorate", ElectorateKind.MEMBERS)
    _apply(decision, clean)
    decision.images = _store_images(uploads or [])
    db.session.add(decision)
    _set_options(decision, clean.get("options", []))
    _check_coherent(decision)
    db.session.flush()
    audit.record(db.session, "decision_drafted", actor_id=author.id, decision_id=decision.id)
    return decision


def update_decision(actor: Member, decision: Decision, data: dict[str, Any]) -> Decision:
    """Change a draft freely; an open decision's question and options until its first vote,
    and its closing time (later only); a closed one not at all."""
    _forget_viewer_rows()
    _require_manager(actor, decision)
    if is_closed(decision):
        raise Conflict(_l("This decision is closed."))
    clean = _collect(dict(data), decision, creating=False)
    if decision.state == DecisionState.OPEN:
        fixed = sorted(set(clean) - OPEN_FIELDS)
        if fixed:
            raise Conflict(
                _l("This was fixed when the decision opened."),
                fields={fixed[0]: _l("Fixed when the decision opened.")},
            )
        if "closes_at" in clean and decision.closes_at and clean["closes_at"] < decision.closes_at:
            raise Invalid(fields={"closes_at": _l("An open decision can only be extended.")})
    question = {"title", "context", "options"} & set(clean)
    if question and _votes_cast(decision):
        raise Conflict(_l("Votes have been cast: the question and options can no longer change."))
    if question:
        _keep_version(actor, decision)
    _apply(decision, clean)
    if "options" in clean or "kind" in clean:
        _set_options(decision, clean.get("options", []))
    _check_coherent(decision)
    if decision.state == DecisionState.OPEN:
        index_later("decision", decision.id)
        if "closes_at" in clean:
            audit.record(
                db.session, "decision_extended", actor_id=actor.id, decision_id=decision.id
            )
        live.schedule_tally(decision.id)
    return decision


def _apply(decision: Decision, clean: dict[str, Any]) -> None:
    columns = {
        "kind": "kind", "title": "title", "closes_at": "closes_at",
        "electorate": "electorate_kind", "statuses": "electorate_statuses",
        "group": "electorate_group", "group_id": "electorate_group_id",
        "members": "electorate_named", "visibility": "visibility", "secret": "secret",
        "reason": "reason_mode", "results": "results_visibility",
        "voters_add_options": "voters_add_options", "min_choices": "min_choices",
        "max_choices": "max_choices", "max_score": "max_score", "remind": "remind",
    }  # fmt: skip
    for name, column in columns.items():
        if name in clean:
            setattr(decision, column, clean[name])
    if "context" in clean:
        decision.context = clean["context"]
        decision.context_html = render_markdown(clean["context"])


def _check_coherent(decision: Decision) -> None:
    if (
        decision.kind == DecisionKind.MULTIPLE
        and decision.max_choices is not None
        and decision.max_choices < decision.min_choices
    ):
        raise Invalid(fields={"max_choices": _l("At least the minimum number of choices.")})
    if decision.electorate_kind == ElectorateKind.GROUP and not decision.electorate_group:
        decision.electorate_group = next(iter(MEMBER_GROUPS), "")
    if decision.secret and decision.results_visibility != ResultsVisibility.AFTER_CLOSE:
        # A tally that moves while the list of voters fills up would tell who chose what.
        raise Invalid(
            fields={"results": _l("A secret ballot shows its results only after the close.")}
        )


def _set_options(decision: Decision, options: list[tuple[str, datetime | None]]) -> None:
    """Replace the options (before any vote); a proposal's or consent's are its stances."""
    decision.options.clear()
    if decision.kind in STANCES:
        options_made = [
            DecisionOption(position=i, label=code, code=code)
            for i, code in enumerate(STANCES[decision.kind])
        ]
    else:
        options_made = [
            DecisionOption(position=i, label=label, starts_at=slot)
            for i, (label, slot) in enumerate(options)
        ]
    decision.options.extend(options_made)


def _keep_version(actor: Member, decision: Decision) -> None:
    db.session.add(
        DecisionEdit(
            decision_id=decision.id,
            editor_id=actor.id,
            title=decision.title,
            context=decision.context,
            options=[option_label(o) for o in decision.options],
        )
    )


def _store_images(uploads: list[bytes]) -> list[str]:
    if len(uploads) > MAX_IMAGES:
        raise Invalid(fields={"images": _l("At most %(max)s images.", max=MAX_IMAGES)})
    try:
        return images.store_images_saved_with(db.session, uploads, "decisions", IMAGE_SIZES)
    except Invalid as error:
        raise Invalid(fields={"images": error.message}) from None


def _votes_cast(decision: Decision) -> bool:
    return decision.vote_count > 0


def option_label(option: Any, kind: DecisionKind | None = None) -> str:
    """What an option (`DecisionOption` or `OptionRow` with the decision's `kind`) says to
    the reader: a stance in their language, a date poll's slot in the cooperative's time."""
    if option.starts_at is not None:
        return str(current_app.jinja_env.filters["datetime"](option.starts_at, "short"))
    if kind is None:
        kind = option.decision.kind if option.decision else None
    stances = STANCES.get(kind, {})  # type: ignore[arg-type]
    return str(stances.get(option.code, option.label))


# --- opening, extending, closing -------------------------------------------------------


def open_decision(actor: Member, decision: Decision) -> Decision:
    """Open the vote: the electorate is frozen now, and told."""
    _forget_viewer_rows()
    _require_manager(actor, decision)
    if decision.state != DecisionState.DRAFT:
        raise Conflict(_l("This decision is already open or closed."))
    errors: dict[str, Any] = {}
    if decision.closes_at is None or decision.closes_at <= utcnow():
        errors["closes_at"] = _l("The closing date and time must be in the future.")
    if decision.kind in CHOICE_KINDS and len(decision.options) < 2:
        errors["options"] = _l("Give at least two options.")
    if decision.electorate_kind == ElectorateKind.ASSOCIATES and not (
        is_associate(actor) or is_staff(actor)
    ):
        raise Forbidden(_l("A binding decision is opened by an associate or the support team."))
    voters = electorate_ids(decision)
    if not voters:
        errors["electorate"] = _l("Nobody is in this electorate: choose who votes.")
    if errors:
        raise Invalid(fields=errors)
    decision.electorate_label = _group_label(decision)
    decision.electorate_size = len(voters)
    db.session.execute(
        insert(Elector),
        [{"decision_id": decision.id, "member_id": m, "voted": False} for m in voters],
    )
    decision.state = DecisionState.OPEN
    decision.opened_at = utcnow()
    publish("decision", decision.id, actor.id)
    index_later("decision", decision.id, new=True, obj=decision)
    _tell(
        voters,
        "decision_opened",
        _l("A decision awaits your vote: %(title)s", title=decision.title),
        decision,
        actor,
    )
    audit.record(
        db.session,
        "decision_opened",
        actor_id=actor.id,
        decision_id=decision.id,
        electorate=decision.electorate_kind.value,
        size=len(voters),
        secret=decision.secret,
    )
    return decision


def electorate_ids(decision: Decision) -> list[int]:
    """The active members the electorate names now (frozen at opening)."""
    active = select(Member.id).where(Member.is_active.is_(True)).order_by(Member.id)
    kind = decision.electorate_kind
    if kind == ElectorateKind.ASSOCIATES:
        return list(db.session.scalars(active.where(Member.status == Status.ASSOCIATE)))
    if kind == ElectorateKind.MEMBERS:
        return list(db.session.scalars(active.where(Member.status.in_(IN_THE_COOPERATIVE))))
    if kind == ElectorateKind.STATUSES:
        return list(
            db.session.scalars(active.where(Member.status.in_(decision.electorate_statuses)))
        )
    if kind == ElectorateKind.GROUP:
        group = MEMBER_GROUPS.get(decision.electorate_group)
        if group is None or decision.electorate_group_id is None:
            return []
        return sorted(group.members(decision.electorate_group_id))
    return list(db.session.scalars(active.where(Member.id.in_(decision.electorate_named or []))))


def _group_label(decision: Decision) -> str:
    if decision.electorate_kind != ElectorateKind.GROUP:
        return ""
    group = MEMBER_GROUPS.get(decision.electorate_group)
    name = (
        group.describe(decision.electorate_group_id)
        if group and decision.electorate_group_id
        else None
    )
    if name is None:
        raise Invalid(fields={"group_id": _l("This group does not exist.")})
    return name


def electorate_description(decision: Decision) -> Any:
    """Who votes and why, as the page says it."""
    kind = decision.electorate_kind
    if kind == ElectorateKind.ASSOCIATES:
        return _l("Binding: the associates of the cooperative (one person, one vote)")
    if kind == ElectorateKind.MEMBERS:
        return _l("Consultative: every active member (CAPE, CESA and associates)")
    if kind == ElectorateKind.STATUSES:
        names = ", ".join(str(STATUS_LABELS[Status(s)]) for s in decision.electorate_statuses)
        return _l("Consultative: the active members with the status %(statuses)s", statuses=names)
    if kind == ElectorateKind.GROUP:
        return _l("The members of %(group)s", group=decision.electorate_label or "…")
    return _l("Members named by the author")


def extend_decision(actor: Member, decision: Decision, closes_at: Any) -> Decision:
    return update_decision(actor, decision, {"closes_at": closes_at})


def close_decision(actor: Member | None, decision: Decision) -> Decision:
    """Close the vote (early by its author or the support team; `actor` None: the cron at
    its closing time); the count is frozen and the electorate told."""
    _forget_viewer_rows()
    if actor is not None:
        _require_manager(actor, decision)
    if decision.state != DecisionState.OPEN:
        raise Conflict(_l("Only an open decision can be closed."))
    from network.governance.tally import current_tally

    decision.state = DecisionState.CLOSED
    decision.closed_at = utcnow()
    if decision.closes_at is None or decision.closes_at > decision.closed_at:
        decision.closes_at = decision.closed_at
    if decision.secret:
        _rewrite_secret_rows(decision)
    decision.results = current_tally(decision).to_dict()
    index_later("decision", decision.id)
    everyone = set(_elector_ids(decision)) | {decision.author_id}
    _tell(
        sorted(everyone),
        "decision_closed",
        _l("Decision closed, see the results: %(title)s", title=decision.title),
        decision,
        actor,
    )
    audit.record(
        db.session,
        "decision_closed",
        actor_id=getattr(actor, "id", None),
        decision_id=decision.id,
        turnout=decision.vote_count,
        electorate=decision.electorate_size,
    )
    live.schedule_tally(decision.id)
    if decision.electorate_kind == ElectorateKind.ASSOCIATES:
        from network.governance.binding import approved

        signals.binding_decision_settled.send(decision.id, approved=approved(decision), actor=actor)
    return decision


def _rewrite_secret_rows(decision: Decision) -> None:
    """Rewrite the ballots (in the order of their random receipts) and the electors (by
    member id), so that no table's physical order reflects the order of the votes."""
    ballots = db.session.execute(
        select(Ballot.receipt, Ballot.choices, Ballot.reason).where(
            Ballot.decision_id == decision.id
        )
    ).all()
    electors = db.session.execute(
        select(Elector.member_id, Elector.voted).where(Elector.decision_id == decision.id)
    ).all()
    db.session.execute(delete(Ballot).where(Ballot.decision_id == decision.id))
    db.session.execute(delete(Elector).where(Elector.decision_id == decision.id))
    if ballots:
        db.session.execute(
            insert(Ballot),
            [
                {"receipt": r, "decision_id": decision.id, "choices": c, "reason": why}
                for r, c, why in sorted(ballots)
            ],
        )
    if electors:
        db.session.execute(
            insert(Elector),
            [{"decision_id": decision.id, "member_id": m, "voted": v} for m, v in sorted(electors)],
        )


def _elector_ids(decision: Decision) -> list[int]:
    return list(
        db.session.scalars(select(Elector.member_id).where(Elector.decision_id == decision.id))
    )


# --- voting ----------------------------------------------------------------------------


def rules_of(decision: Decision) -> Rules:
    return Rules(
        kind=decision.kind,
        option_ids=tuple(o.id for o in decision.options),
        min_choices=decision.min_choices,
        max_choices=decision.max_choices,
        max_score=decision.max_score,
        codes={o.id: o.code for o in decision.options if o.code},
        tie_seed=decision.id,
    )


def _require_open(decision: Decision) -> None:
    if decision.state == DecisionState.DRAFT:
        raise Conflict(_l("This decision is not open yet."))
    if is_closed(decision):
        raise Conflict(_l("This decision is closed: votes are no longer accepted."))


def why_not_elector(member: Member, decision: Decision) -> Any:
    return _l(
        "You are not in this decision's electorate (%(who)s), fixed when it opened.",
        who=electorate_description(decision),
    )


def _locked_elector(member: Member, decision: Decision) -> Elector:
    """The member's elector row, locked until the commit: one vote at a time per member."""
    elector = db.session.scalar(
        select(Elector)
        .where(Elector.decision_id == decision.id, Elector.member_id == member.id)
        .with_for_update()
    )
    if elector is None:
        raise Forbidden(why_not_elector(member, decision))
    return elector


def _reason(decision: Decision, raw: Any, ballot: dict[int, int]) -> str:
    reason = text_field(raw, "reason", MAX_REASON, required=False) if raw is not None else ""
    codes = {o.id: o.code for o in decision.options}
    needs = any(codes.get(option) in NEEDS_REASON and value for option, value in ballot.items())
    if needs and not reason:
        raise Invalid(fields={"reason": _l("A block or an objection needs a reason.")})
    if decision.reason_mode == ReasonMode.REQUIRED and not reason:
        raise Invalid(fields={"reason": _l("This decision asks for a reason with each vote.")})
    if decision.reason_mode == ReasonMode.DISABLED and reason and not needs:
        raise Invalid(fields={"reason": _l("This decision takes no reasons.")})
    return reason


def cast_vote(member: Member, decision: Decision, body: dict[str, Any]) -> dict[str, Any]:
    """Vote, or change one's vote before the close. A secret ballot answers a receipt code
    (needed to change it); an open vote answers the vote."""
    _forget_viewer_rows()
    _require_open(decision)
    elector = _locked_elector(member, decision)
    ballot = validate_ballot(
        rules_of(decision), {k: v for k, v in body.items() if k not in {"reason", "receipt"}}
    )
    reason = _reason(decision, body.get("reason"), ballot)
    choices = {str(option): value for option, value in ballot.items()}
    first = not elector.voted
    if decision.secret:
        answer = _secret_ballot(decision, elector, choices, reason, body.get("receipt"))
    else:
        answer = _open_vote(decision, member, choices, reason)
    if first:
        elector.voted = True
        _count_turnout(decision, +1)
    else:
        _count_turnout(decision, 0)
    live.schedule_tally(decision.id)
    return answer


def _count_turnout(decision: Decision, change: int) -> None:
    """Counters changed in SQL (`x = x + 1`): concurrent votes never lose one."""
    db.session.execute(
        update(Decision)
        .where(Decision.id == decision.id)
        .values(vote_count=Decision.vote_count + change, tally_version=Decision.tally_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(decision, ["vote_count", "tally_version"])


def _secret_ballot(
    decision: Decision, elector: Elector, choices: dict[str, int], reason: str, receipt: Any
) -> dict[str, Any]:
    if not elector.voted:
        receipt = secrets.token_hex(8)
        db.session.add(
            Ballot(receipt=receipt, decision_id=decision.id, choices=choices, reason=reason)
        )
        return {"secret": True, "receipt": receipt}
    ballot = _ballot_by_receipt(decision, receipt)
    ballot.choices = choices
    ballot.reason = reason
    return {"secret": True, "receipt": ballot.receipt}


def _ballot_by_receipt(decision: Decision, receipt: Any) -> Ballot:
    if not isinstance(receipt, str) or not receipt.strip():
        raise Conflict(
            _l("You have already voted. To change your secret ballot, give its receipt code."),
            fields={"receipt": _l("Give the receipt code of your ballot.")},
        )
    ballot = db.session.get(Ballot, receipt.strip()[:32])
    if ballot is None or ballot.decision_id != decision.id:
        raise Invalid(
            fields={"receipt": _l("This receipt code is not one of this decision's ballots.")}
        )
    return ballot


def _open_vote(
    decision: Decision, member: Member, choices: dict[str, int], reason: str
) -> dict[str, Any]:
    vote = db.session.scalar(
        select(Vote).where(Vote.decision_id == decision.id, Vote.member_id == member.id)
    )
    now = utcnow()
    if vote is None:
        vote = Vote(
            decision_id=decision.id,
            member_id=member.id,
            choices=choices,
            reason=reason,
            created_at=now,
            updated_at=now,
        )
        db.session.add(vote)
    else:
        vote.choices, vote.reason, vote.updated_at = choices, reason, now
    db.session.flush()
    return {"secret": False, "choices": choices, "reason": reason, "updated_at": now.isoformat()}


def withdraw_vote(member: Member, decision: Decision, receipt: Any = None) -> None:
    """Take one's vote back before the close (a secret one with its receipt code)."""
    _forget_viewer_rows()
    _require_open(decision)
    elector = _locked_elector(member, decision)
    if not elector.voted:
        raise NotFound(_l("You have not voted in this decision."))
    if decision.secret:
        db.session.delete(_ballot_by_receipt(decision, receipt))
    else:
        db.session.execute(
            delete(Vote).where(Vote.decision_id == decision.id, Vote.member_id == member.id)
        )
    elector.voted = False
    _count_turnout(decision, -1)
    live.schedule_tally(decision.id)


def my_vote(member: Member, decision: Decision) -> Vote | _VoteRow | None:
    if decision.secret:
        return None
    memo = _viewer_rows()
    key = ("vote", decision.id, member.id)
    if memo is not None and key in memo:
        return memo[key]
    return db.session.scalar(
        select(Vote).where(Vote.decision_id == decision.id, Vote.member_id == member.id)
    )


def add_option(member: Member, decision: Decision, label: Any) -> DecisionOption:
    """A voter adds an option, where the decision allows it."""
    _forget_viewer_rows()
    _require_open(decision)
    if not decision.voters_add_options or decision.kind not in CHOICE_KINDS:
        raise Forbidden(_l("This decision does not take new options."))
    if not is_elector(member, decision):
        raise Forbidden(why_not_elector(member, decision))
    if len(decision.options) >= MAX_OPTIONS:
        raise Invalid(fields={"label": _l("At most %(max)s options.", max=MAX_OPTIONS)})
    if decision.kind == DecisionKind.DATE_POLL:
        slot: datetime | None = parse_time(label, "label")
        text = slot.isoformat()  # type: ignore[union-attr]
    else:
        slot, text = None, text_field(label, "label", MAX_OPTION)
    if any(
        text.casefold() in (o.label.casefold(), option_label(o).casefold())
        for o in decision.options
    ):
        raise Invalid(fields={"label": _l("Each option must differ from the others.")})
    option = DecisionOption(
        position=len(decision.options), label=text, starts_at=slot, added_by_id=member.id
    )
    decision.options.append(option)
    db.session.flush()
    db.session.execute(
        update(Decision)
        .where(Decision.id == decision.id)
        .values(tally_version=Decision.tally_version + 1)
    )
    live.schedule_tally(decision.id)
    return option


# --- after the close -------------------------------------------------------------------


def write_outcome(actor: Member, decision: Decision, text: Any, review_on: Any = None) -> Decision:
    """The author's (or the support team's) statement of what was decided, after the close,
    with an optional review date on which the author is reminded."""
    _require_manager(actor, decision)
    if not is_closed(decision):
        raise Conflict(_l("The outcome is written once the decision is closed."))
    if decision.state == DecisionState.OPEN:
        close_decision(None, decision)
    outcome = text_field(text, "outcome", MAX_CONTEXT)
    review = None
    if review_on not in (None, ""):
        review = parse_date(review_on, "review_on")
        if review <= cooperative_today():
            raise Invalid(fields={"review_on": _l("The review date must be after today.")})
    first = not decision.outcome
    decision.outcome, decision.outcome_html = outcome, render_markdown(outcome)
    decision.outcome_at, decision.review_on, decision.reviewed_at = utcnow(), review, None
    index_later("decision", decision.id)
    if first:
        everyone = set(_elector_ids(decision)) | {decision.author_id}
        _tell(
            sorted(everyone),
            "decision_outcome",
            _l("Outcome published: %(title)s", title=decision.title),
            decision,
            actor,
        )
    audit.record(db.session, "decision_outcome", actor_id=actor.id, decision_id=decision.id)
    return decision


# --- the cron --------------------------------------------------------------------------


def close_due(now: datetime | None = None) -> list[int]:
    """Close the open decisions whose time has come."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Decision).where(Decision.state == DecisionState.OPEN, Decision.closes_at <= now)
    ).all()
    for decision in due:
        close_decision(None, decision)
    return [d.id for d in due]


def send_reminders(now: datetime | None = None) -> list[int]:
    """Remind those who have not voted, once, the configured hours before the close."""
    now = now or utcnow()
    hours = current_settings()["governance_reminder_hours"]
    if not hours:
        return []
    due = db.session.scalars(
        select(Decision).where(
            Decision.state == DecisionState.OPEN,
            Decision.remind.is_(True),
            Decision.reminded_at.is_(None),
            Decision.closes_at > now,
            Decision.closes_at <= now + timedelta(hours=hours),
        )
    ).all()
    for decision in due:
        waiting = db.session.scalars(
            select(Elector.member_id).where(
                Elector.decision_id == decision.id, Elector.voted.is_(False)
            )
        ).all()
        _tell(
            list(waiting),
            "decision_reminder",
            _l("Last hours to vote: %(title)s", title=decision.title),
            decision,
            None,
        )
        decision.reminded_at = now
    return [d.id for d in due]


def send_reviews(today: date | None = None) -> list[int]:
    """Remind authors of the outcomes whose review date has come."""
    today = today or cooperative_today()
    due = db.session.scalars(
        select(Decision).where(Decision.review_on <= today, Decision.reviewed_at.is_(None))
    ).all()
    for decision in due:
        _tell(
            [decision.author_id],
            "decision_review",
            _l("Time to review the outcome of: %(title)s", title=decision.title),
            decision,
            None,
        )
        decision.reviewed_at = utcnow()
    return [d.id for d in due]


def _tell(member_ids: Iterable[int], kind: str, text: Any, decision: Decision, actor: Any) -> None:
    url = url_for("governance.decision", decision_id=decision.id)
    signals.notifications_requested.send(
        tuple(member_ids), kind=kind, text=text, url=url, actor=actor
    )
