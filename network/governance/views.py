"""Decision pages: the list, drafting and editing, the decision with its vote and results,
and the forms of every action. Everything works with plain forms; governance.js votes
inline and keeps the turnout and tally live."""

from collections import Counter, OrderedDict
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from network.cooperative.times import to_local
from network.core.errors import DomainError, Invalid
from network.core.forms import flash_error, invalid_form
from network.core.http import safe_local_path
from network.core.ids import parse_id, url_before_id
from network.core.models import utcnow
from network.core.permissions import IN_THE_COOPERATIVE, STATUS_LABELS, Status
from network.core.registries import MEMBER_GROUPS
from network.extensions import db
from network.governance import operations, queries
from network.governance.counting import DecisionKind
from network.governance.models import (
    Decision,
    DecisionState,
    ElectorateKind,
    ReasonMode,
    ResultsVisibility,
    Visibility,
)
from network.governance.statutes import describe_rule
from network.members.models import Member

bp = Blueprint("governance", __name__)


@bp.before_request
@login_required
def _members_only():
    return None


@bp.app_context_processor
def _governance_helpers() -> dict[str, Any]:
    return {
        "decision_kind_label": kind_label,
        "option_label": operations.option_label,
        "electorate_description": operations.electorate_description,
        "decision_card": lambda found: card_context(found, current_user._get_current_object()),
        "assembly_kind_label": lambda kind: _ASSEMBLY_KINDS()[str(kind)],
        "assembly_state_label": lambda state: _ASSEMBLY_STATES()[str(state)],
        "resolution_state_label": lambda state: _RESOLUTION_STATES()[str(state)],
        "presence_label": lambda presence: _ATTENDANCE()[str(presence)],
        "attendance_label": lambda status: _ATTENDANCE()[str(status)],
        "describe_rule": describe_rule,
    }


def _ASSEMBLY_KINDS() -> dict[str, str]:  # noqa: N802  (translated when the page renders)
    return {
        "ordinary": _("Ordinary general assembly (AGO)"),
        "extraordinary": _("Extraordinary general assembly (AGE)"),
        "ordinary_extraordinary": _("Ordinary general assembly convened extraordinarily"),
    }


def _ASSEMBLY_STATES() -> dict[str, str]:  # noqa: N802
    return {
        "draft": _("Draft"),
        "convened": _("Convened"),
        "in_session": _("In session"),
        "closed": _("Closed"),
        "no_quorum": _("No quorum"),
    }


def _RESOLUTION_STATES() -> dict[str, str]:  # noqa: N802
    return {
        "proposed": _("Draft resolution collecting signatures"),
        "pending": _("Vote not open yet"),
        "open": _("Vote open"),
        "closed": _("Vote closed"),
    }


def _ATTENDANCE() -> dict[str, str]:  # noqa: N802
    return {
        "absent": _("Absent"),
        "present": _("Present"),
        "online": _("Present online"),
        "postal": _("Voted by post"),
        "represented": _("Represented"),
    }


def kind_label(kind: Any) -> str:
    return _card_words(str(get_locale()))["kinds"][DecisionKind(kind)]


# --- what a card shows -----------------------------------------------------------------


@lru_cache(maxsize=8)
def _card_words(locale: str) -> dict[str, Any]:
    """What every decision card says whatever its decision, translated once per language (a
    card asked some twenty translations, ~1 ms of a feed page's ten cards)."""
    words = {
        "binding": _("Binding decision"),
        "consultation": _("Consultation"),
        "secret": _("Secret ballot"),
        "draft": _("Draft"),
        "closes": _("Closes"),
        "closed": _("Closed"),
        "outcome": _("Outcome"),
        "your_vote": _("Your vote"),
        "rank": _("Rank the options: 1 for your first choice; leave blank those you do not rank"),
        "available": _("Are you available?"),
        "date": _("Date"),
        "yes": _("Yes"),
        "maybe": _("Maybe"),
        "no": _("No"),
        "reason_required": _("Your reason"),
        "reason_stances": _("Your reason (optional; required to block or object)"),
        "reason_optional": _("Your reason (optional)"),
        "receipt": _("Receipt code of your ballot (to change it)"),
        "change_vote": _("Change my vote"),
        "vote": _("Vote"),
        "voted": _("You have voted"),
        "results": _("Results"),
        "no_consent": _("At least one objection: no consent"),
        "blocked": _("Blocked: at least one member blocks this proposal"),
        "chosen": _("Chosen:"),
        "ahead": _("Ahead:"),
        "rounds": _("Instant-runoff rounds"),
        "option": _("Option"),
        "elected": _("elected"),
        "eliminated": _("eliminated"),
        "by_lot": _("drawn by lot"),
        "already_out": _("already eliminated"),
        "exhausted": _("Exhausted ballots"),
        "irv_key": _(
            "✓ elected, ✗ eliminated in that round; a ballot is exhausted when none of the"
            " options it ranks is left."
        ),
    }
    shared: dict[str, Any] = {key: Markup.escape(text) for key, text in words.items()}
    # Sentences with a number or a name, translated once and filled in by the card (`|format`
    # of markup: what fills them in is escaped)
    patterns = {
        "choose_between": _("Choose from %(min)s to %(max)s options"),
        "choose_at_least": _("Choose at least %(min)s option(s)"),
        "score_from": _("Score each option from 0 to %(max)s"),
        "slot_answer": _("%(date)s: %(answer)s"),
        "round": _("Round %(n)s"),
    }
    shared["patterns"] = SimpleNamespace(
        **{key: Markup.escape(text) for key, text in patterns.items()}
    )
    shared["kinds"] = {
        DecisionKind.PROPOSAL: _("Proposal"),
        DecisionKind.CONSENT: _("Consent"),
        DecisionKind.SINGLE: _("Single choice"),
        DecisionKind.MULTIPLE: _("Multiple choice"),
        DecisionKind.RANKED: _("Ranked choice"),
        DecisionKind.SCORE: _("Score"),
        DecisionKind.DATE_POLL: _("Date poll"),
    }
    shared["stances"] = {
        kind: {code: str(text) for code, text in stances.items()}
        for kind, stances in operations.STANCES.items()
    }
    return shared


_CARD_SHARED = "governance_card_shared"


def card_shared() -> SimpleNamespace:
    """What every decision card of a request shares (its CSRF token, where a plain vote
    comes back to, the links' beginnings, the words), made once per request. Attributes,
    not keys: a template reads `cs.vote` without first failing to find an attribute."""
    shared = g.get(_CARD_SHARED)
    if shared is None:
        inline = request.endpoint in ("governance.card", "governance.vote")
        shared = SimpleNamespace(
            csrf=generate_csrf(),
            # after a plain post, back here; a card fetched or voted inline goes to its page
            next=None if inline else request.full_path.rstrip("?"),
            decisions_url=url_before_id("governance.decision", "decision_id"),
            members_url=url_before_id("members.profile", "member_id"),
            reader=(str(get_locale()), str(get_timezone())),  # what fragments depend on
            **_card_words(str(get_locale())),
        )
        setattr(g, _CARD_SHARED, shared)
    return shared


def option_names(decision: Decision, shared: SimpleNamespace) -> dict[int, str]:
    """Each option's label for the reader (`operations.option_label`, with the words once)."""
    stances = shared.stances.get(decision.kind, {})
    return {
        o.id: operations.option_label(o, decision.kind)
        if o.starts_at
        else stances.get(o.code, o.label)
        for o in operations.options_of(decision)
    }


#: Parts of decision cards as rendered, by everything they show (LRU): the same for every
#: reader of a language until the decision, its count or the reader's own vote changes.
_FRAGMENTS: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
_FRAGMENTS_SIZE = 2048


def card_fragment(name: str, key: tuple[Any, ...], **context: Any) -> Markup:
    """The template `name` rendered with `context`, remembered under `key` (with the
    language, the time zone and the card's shared links and words): `key` must hold
    everything of `context` the template shows."""
    shared = card_shared()
    full = (name, shared.reader, *key)
    found = _FRAGMENTS.get(full)
    if found is not None:
        _FRAGMENTS.move_to_end(full)
        return found
    template = current_app.jinja_env.get_template(name)
    found = Markup(template.render(cs=shared, **context))
    _FRAGMENTS[full] = found
    if len(_FRAGMENTS) > _FRAGMENTS_SIZE:
        _FRAGMENTS.popitem(last=False)
    return found


def _identity(decision: Decision) -> tuple[Any, ...]:
    """Which decision, whatever happens to ids (SQLite may give a deleted one's again)."""
    return (decision.id, decision.created_at, decision.kind)


def results_chart(
    decision: Decision, results: dict[str, Any], closed: bool, names: dict[int, str]
) -> Markup:
    """The results' chart (`_results.html`), rendered once per count, language and options:
    it does not depend on the reader (who may see it is decided before)."""
    d = decision
    return card_fragment(
        "governance/_results.html",
        (*_identity(d), d.tally_version, d.state, closed, d.max_score, tuple(names.items())),
        decision=decision,
        results=results,
        closed=closed,
        names=names,
        runoff=runoff_rows(decision, results),
    )


def card_top(decision: Decision, state: str, closed: bool, author_name: str) -> Markup:
    """The card's head, title and turnout (`_card_top.html`)."""
    d = decision
    binding = d.electorate_kind == ElectorateKind.ASSOCIATES
    shown = (d.title, d.secret, d.author_id, author_name, binding, state, closed, d.closes_at)
    return card_fragment(
        "governance/_card_top.html",
        (*_identity(d), *shown, d.closed_at, d.vote_count, d.electorate_size),
        decision=d,
        state=state,
        closed=closed,
        binding=binding,
        author_name=author_name,
    )


def vote_fields(decision: Decision, my_vote: Any, voted: bool, names: dict[int, str]) -> Markup:
    """The vote form's fields and button (`_vote_body.html`), as they stand with the
    reader's vote."""
    d = decision
    mine = tuple(sorted(my_vote.choices.items())) if my_vote else ()
    reason = my_vote.reason if my_vote else ""
    rules = (d.min_choices, d.max_choices, d.max_score, d.reason_mode, d.secret)
    return card_fragment(
        "governance/_vote_body.html",
        (*_identity(d), *rules, tuple(names.items()), voted, mine, reason),
        decision=d,
        options=operations.options_of(d),
        names=names,
        my_vote=my_vote,
        voted=voted,
        stances=operations.STANCES.get(d.kind, {}),
        errors={},
    )


def runoff_rows(decision: Decision, results: dict[str, Any] | None) -> list[Any]:
    """The instant runoff's table: per option, its cell in each round (None once it is
    out), as (votes, elected, eliminated)."""
    if decision.kind != DecisionKind.RANKED or not results or not results.get("rounds"):
        return []
    rounds = [
        ({c["option_id"]: c["votes"] for c in r["counts"]}, r["elected"], set(r["eliminated"]))
        for r in results["rounds"]
    ]
    return [
        (
            o,
            [
                (counts[o.id], elected == o.id, o.id in out) if o.id in counts else None
                for counts, elected, out in rounds
            ],
        )
        for o in operations.options_of(decision)
    ]


def card_context(decision: Decision, viewer: Any) -> dict[str, Any]:
    """Everything the card of a decision needs, for the feed, the list and its page (the
    parts that are the same for many readers rendered once: `card_fragment`)."""
    from network.governance.tally import results_of

    elector = operations.is_elector(viewer, decision)
    voted = elector and operations.has_voted(viewer, decision)
    visible = operations.may_see_results(viewer, decision)
    closed = operations.is_closed(decision)
    state = operations.state_of(decision)
    shared = card_shared()
    results = results_of(decision) if visible else None
    names = option_names(decision, shared)
    can_vote = elector and decision.state == DecisionState.OPEN and not closed
    my_vote = operations.my_vote(viewer, decision) if voted else None
    author = operations.author_name(decision)
    return {
        "decision": decision,
        "state": state,
        "closed": closed,
        "elector": elector,
        "voted": voted,
        "can_vote": can_vote,
        "my_vote": my_vote,
        "results_visible": visible,
        "results": results,
        "hidden_reason": operations.results_hidden_reason(decision),
        "why_not": None if elector else operations.why_not_elector(viewer, decision),
        "binding": decision.electorate_kind == ElectorateKind.ASSOCIATES,
        "stances": operations.STANCES.get(decision.kind, {}),
        "cs": shared,
        "author_name": author,
        "names": names,
        "options": operations.options_of(decision),
        "card_top": card_top(decision, state, closed, author),
        "vote_body": vote_fields(decision, my_vote, voted, names) if can_vote else None,
        "chart": results_chart(decision, results, closed, names) if results else None,
    }


# --- pages -----------------------------------------------------------------------------


@bp.get("/decisions")
def index():
    state = request.args.get("state", "open")
    page = queries.decisions_page(
        current_user,
        state=None if state in ("all", "mine") else state,
        kind=request.args.get("kind") or None,
        to_vote=state == "mine",
        before=request.args.get("before"),
        limit=20,
    )
    return render_template(
        "governance/index.html",
        cards=[card_context(d, current_user) for d in page.items],
        next_cursor=page.next_cursor,
        current_state=state,
        current_kind=request.args.get("kind", ""),
        kinds=list(DecisionKind),
        to_vote=queries.open_to_vote_count(current_user),
    )


@bp.get("/decisions/<int:decision_id>")
def decision(decision_id: int):
    found = operations.get_decision(current_user, decision_id)
    return render_template("governance/decision.html", **_page_context(found))


#: Votes and electors a decision's page lists itself; the rest on its electorate page.
PAGE_VOTES = 20
PAGE_ELECTORS = 60
ALL_VOTES = 500
ALL_ELECTORS = 1000


def _lists(found: Decision, votes: int, electors: int) -> dict[str, Any]:
    listed = found.state != DecisionState.DRAFT
    shown = operations.may_see_results(current_user, found)
    return {
        "votes": queries.open_votes(found, limit=votes) if shown else [],
        "electors": queries.electors(found, limit=electors) if listed else [],
        "more_lists": listed and (found.electorate_size > electors or found.vote_count > votes),
    }


def _page_context(found: Decision, **more: Any) -> dict[str, Any]:
    small = found.electorate_size <= PAGE_ELECTORS
    return {
        **card_context(found, current_user),
        **_lists(found, PAGE_VOTES, PAGE_ELECTORS if small else 0),
        "may_manage": operations.may_manage(current_user, found),
        "edits": queries.edits(found),
        "errors": {},
        "values": {},
        **more,
    }


@bp.get("/decisions/<int:decision_id>/electorate")
def electorate(decision_id: int):
    """The whole electorate with who has voted, and every open vote with its reason."""
    found = operations.get_decision(current_user, decision_id)
    return render_template(
        "governance/electorate.html",
        d=found,
        decision=found,
        **_lists(found, ALL_VOTES, ALL_ELECTORS),
    )


@bp.get("/decisions/<int:decision_id>/card")
def card(decision_id: int):
    """The decision's card alone (governance.js swaps it in after an inline vote)."""
    found = operations.get_decision(current_user, decision_id)
    return render_template("governance/_card.html", **card_context(found, current_user))


@bp.get("/decisions/<int:decision_id>/receipts")
def receipts(decision_id: int):
    found = operations.get_decision(current_user, decision_id)
    try:
        items = queries.receipts(found)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("governance.decision", decision_id=found.id))
    return render_template("governance/receipts.html", decision=found, items=items)


# --- drafting --------------------------------------------------------------------------


def _form_data(form: Any, kind: Any) -> dict[str, Any]:
    """The API's body from the decision form (empty fields are left out)."""
    data: dict[str, Any] = {}
    for name in ("kind", "title", "context", "electorate", "visibility", "reason", "results"):
        if form.get(name) is not None:
            data[name] = form.get(name)
    if form.get("closes_at"):
        data["closes_at"] = form.get("closes_at")
    if kind not in operations.STANCES and form.get("options") is not None:
        data["options"] = [
            line.strip() for line in form.get("options", "").splitlines() if line.strip()
        ]
    for name in ("secret", "voters_add_options", "remind"):
        data[name] = form.get(name) == "1"
    if data["secret"]:
        data["results"] = ResultsVisibility.AFTER_CLOSE.value  # the only choice a secret one has
    for name in ("min_choices", "max_choices", "max_score"):
        raw = form.get(name, "").strip()
        if raw:
            data[name] = int(raw) if raw.isdigit() and len(raw) < 4 else -1
    if data.get("electorate") == ElectorateKind.STATUSES:
        data["statuses"] = form.getlist("statuses")
    if data.get("electorate") == ElectorateKind.GROUP:
        group, _sep, ref = form.get("group", "").partition(":")
        data["group"], data["group_id"] = group, parse_id(ref)
    if data.get("electorate") == ElectorateKind.NAMED:
        data["members"] = [i for i in (parse_id(v) for v in form.getlist("members")) if i]
    return data


def _form_context(found: Decision | None, values: Any) -> dict[str, Any]:
    members = db.session.execute(
        select(Member.id, Member.display_name)
        .where(Member.is_active.is_(True), Member.status.in_(IN_THE_COOPERATIVE))
        .order_by(Member.name_key)
        .limit(2000)
    ).all()
    groups = [
        (f"{name}:{ref}", label)
        for name, group in MEMBER_GROUPS.items()
        for ref, label in group.choices(current_user)
    ]
    return {
        "decision": found,
        "values": values,
        "kinds": list(DecisionKind),
        "electorates": list(ElectorateKind),
        "statuses": [(s.value, STATUS_LABELS[s]) for s in Status],
        "groups": groups,
        "members": members,
        "visibilities": list(Visibility),
        "reasons": list(ReasonMode),
        "results_choices": list(ResultsVisibility),
        "is_open": found is not None and found.state == DecisionState.OPEN,
    }


def _values_of(found: Decision) -> dict[str, Any]:
    closes = to_local(found.closes_at).strftime("%Y-%m-%dT%H:%M") if found.closes_at else ""
    options = [
        to_local(o.starts_at).strftime("%Y-%m-%dT%H:%M") if o.starts_at else o.label
        for o in found.options
        if not o.code
    ]
    return {
        "kind": found.kind.value,
        "title": found.title,
        "context": found.context,
        "options": "\n".join(options),
        "closes_at": closes,
        "electorate": found.electorate_kind.value,
        "statuses": found.electorate_statuses,
        "group": f"{found.electorate_group}:{found.electorate_group_id}"
        if found.electorate_group_id
        else "",
        "members": [str(i) for i in found.electorate_named or []],
        "visibility": found.visibility.value,
        "secret": "1" if found.secret else "",
        "reason": found.reason_mode.value,
        "results": found.results_visibility.value,
        "voters_add_options": "1" if found.voters_add_options else "",
        "min_choices": found.min_choices,
        "max_choices": found.max_choices or "",
        "max_score": found.max_score,
        "remind": "1" if found.remind else "",
    }


def _form_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(form.items())
    values["statuses"] = form.getlist("statuses")
    values["members"] = form.getlist("members")
    return values


@bp.route("/decisions/new", methods=["GET", "POST"])
def new():
    if request.method == "POST":
        uploads = [f.read() for f in request.files.getlist("images") if f and f.filename]
        try:
            created = operations.create_decision(
                current_user, _form_data(request.form, request.form.get("kind")), uploads
            )
        except DomainError as error:
            return invalid_form(
                "governance/form.html", error, **_form_context(None, _form_values(request.form))
            )
        db.session.commit()
        flash(_("Draft saved: check it, then open the vote."), "success")
        return redirect(url_for("governance.decision", decision_id=created.id))
    defaults = {
        "kind": request.args.get("kind", "proposal"),
        "electorate": "members",
        "visibility": "cooperative",
        "reason": "optional",
        "results": "after_vote",
        "remind": "1",
        "min_choices": 1,
        "max_score": 5,
    }
    return render_template("governance/form.html", errors={}, **_form_context(None, defaults))


@bp.route("/decisions/<int:decision_id>/edit", methods=["GET", "POST"])
def edit(decision_id: int):
    found = operations.get_decision(current_user, decision_id)
    if not operations.may_manage(current_user, found):
        abort(403)
    if request.method == "POST":
        data = _form_data(request.form, found.kind)
        if found.state == DecisionState.OPEN:
            data = {k: v for k, v in data.items() if k in operations.OPEN_FIELDS}
            if found.vote_count:
                data = {k: v for k, v in data.items() if k == "closes_at"}
        try:
            operations.update_decision(current_user, found, data)
        except DomainError as error:
            return invalid_form(
                "governance/form.html", error, **_form_context(found, _form_values(request.form))
            )
        db.session.commit()
        flash(_("The decision was saved."), "success")
        return redirect(url_for("governance.decision", decision_id=found.id))
    return render_template(
        "governance/form.html", errors={}, **_form_context(found, _values_of(found))
    )


def _attempt(action: Any, done: str) -> bool:
    """Run a form's action: committed and told, or rolled back with the reason shown."""
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return False
    db.session.commit()
    flash(done, "success")
    return True


def _act(decision_id: int, action: Any, done: str):
    found = operations.get_decision(current_user, decision_id)
    _attempt(lambda: action(found), done)
    return redirect(_next() or url_for("governance.decision", decision_id=decision_id))


def _next() -> str | None:
    target = safe_local_path(request.form.get("next"), "")
    return target or None


@bp.post("/decisions/<int:decision_id>/open")
def open_vote(decision_id: int):
    return _act(
        decision_id, lambda d: operations.open_decision(current_user, d), _("The vote is open.")
    )


@bp.post("/decisions/<int:decision_id>/close")
def close_vote(decision_id: int):
    return _act(
        decision_id, lambda d: operations.close_decision(current_user, d), _("The vote is closed.")
    )


@bp.post("/decisions/<int:decision_id>/withdraw")
def withdraw(decision_id: int):
    return _act(
        decision_id,
        lambda d: operations.withdraw_vote(current_user, d, request.form.get("receipt")),
        _("Your vote was withdrawn."),
    )


@bp.post("/decisions/<int:decision_id>/options")
def add_option(decision_id: int):
    return _act(
        decision_id,
        lambda d: operations.add_option(current_user, d, request.form.get("label")),
        _("The option was added."),
    )


@bp.post("/decisions/<int:decision_id>/outcome")
def outcome(decision_id: int):
    found = operations.get_decision(current_user, decision_id)
    try:
        operations.write_outcome(
            current_user, found, request.form.get("outcome"), request.form.get("review_on") or None
        )
    except DomainError as error:
        return invalid_form(
            "governance/decision.html", error, **_page_context(found, values=request.form)
        )
    db.session.commit()
    flash(_("The outcome was published."), "success")
    return redirect(url_for("governance.decision", decision_id=found.id))


# --- voting ----------------------------------------------------------------------------


def vote_body(form: Any, found: Decision) -> dict[str, Any]:
    """The API's vote body from the vote form of the decision's kind."""
    body: dict[str, Any] = {}
    kind = found.kind
    ids = [o.id for o in found.options]
    if kind in (DecisionKind.PROPOSAL, DecisionKind.CONSENT, DecisionKind.SINGLE):
        body["choice"] = parse_id(form.get("choice", "")) or form.get("choice")
    elif kind == DecisionKind.MULTIPLE:
        body["choices"] = [parse_id(v) or v for v in form.getlist("choices")]
    elif kind == DecisionKind.RANKED:
        ranks = {i: form.get(f"rank-{i}", "").strip() for i in ids}
        given = {i: int(r) for i, r in ranks.items() if r.isdigit() and len(r) < 4}
        if len(set(given.values())) != len(given):
            raise Invalid(fields={"ranking": _l("Give each option a different rank.")})
        body["ranking"] = [i for i, _r in sorted(given.items(), key=lambda p: p[1])]
    elif kind == DecisionKind.SCORE:
        body["scores"] = {str(i): _int_or_text(form.get(f"score-{i}", "")) for i in ids}
    else:
        body["answers"] = {str(i): form.get(f"answer-{i}", "") for i in ids}
    if form.get("reason"):
        body["reason"] = form.get("reason")
    if form.get("receipt"):
        body["receipt"] = form.get("receipt")
    return body


def _int_or_text(raw: str) -> Any:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) < 4 else raw


@bp.post("/decisions/<int:decision_id>/vote")
def vote(decision_id: int):
    """Vote from the form; with `X-Requested-With` (governance.js) the new card is the
    answer, so the feed never changes page."""
    found = operations.get_decision(current_user, decision_id)
    inline = request.headers.get("X-Requested-With") == "fetch"
    try:
        answer = operations.cast_vote(current_user, found, vote_body(request.form, found))
    except DomainError as error:
        db.session.rollback()
        if inline:
            context = card_context(found, current_user)
            return render_template(
                "governance/_card.html", errors=error.fields, error=error.message, **context
            ), error.status
        flash_error(error)
        return redirect(_next() or url_for("governance.decision", decision_id=decision_id))
    db.session.commit()
    receipt = answer.get("receipt")
    if inline:
        db.session.refresh(found)
        return render_template(
            "governance/_card.html", receipt=receipt, **card_context(found, current_user)
        )
    if receipt:
        flash(
            _("Your secret ballot is counted. Keep its receipt code: %(code)s", code=receipt),
            "success",
        )
    else:
        flash(_("Your vote is counted."), "success")
    return redirect(_next() or url_for("governance.decision", decision_id=decision_id))


def local_input(moment: datetime | None) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


@bp.app_template_filter("local_input")
def _local_input_filter(moment: datetime | None) -> str:
    return local_input(moment)


# --- general assemblies ----------------------------------------------------------------


@bp.get("/assemblies")
def assemblies_index():
    from network.governance import assemblies
    from network.governance.models import Assembly

    found = db.session.scalars(select(Assembly).order_by(Assembly.starts_at.desc()).limit(100))
    return render_template(
        "governance/assemblies.html",
        assemblies=[a for a in found if assemblies.may_see(current_user, a)],
    )


@bp.get("/assemblies/<int:assembly_id>")
def assembly(assembly_id: int):
    from network.governance import assemblies

    return _assembly_page(assemblies.get_assembly(current_user, assembly_id))


def _assembly_page(
    found: Any, doc_errors: dict[str, Any] | None = None, doc_title: str = "", status: int = 200
) -> Any:
    """The assembly page; `doc_errors` and `doc_title`: the document form sent back."""
    from network.governance import assemblies, documents
    from network.governance.models import Attendee

    register = db.session.scalars(  # loaded at once, not one by one as the sheet names them
        select(Member)
        .join(Attendee, Attendee.member_id == Member.id)
        .where(Attendee.assembly_id == found.id)
    ).all()
    sheet = assemblies.attendance(found) if found.state != "draft" else None
    held = assemblies.votes_held(found, current_user)
    return render_template(
        "governance/assembly.html",
        assembly=found,
        meter=assemblies.quorum(found) if sheet else None,
        attendance=sheet,
        mine=assemblies.attendee(found, current_user.id),
        held=held,
        cap=assemblies.cap_for(found),
        is_chair=assemblies.is_chair(current_user, found),
        register=register,
        may_open=found.starts_at <= utcnow() + timedelta(hours=1),  # as open_resolution says
        documents=found.documents if documents.may_read(current_user, found) else None,
        documents_open=found.state in documents.CHANGEABLE,
        document_accept=documents.STORE.input_accept,
        document_types=documents.STORE.accepted_list,
        document_max_kb=documents.max_bytes() // 1024,
        doc_errors=doc_errors or {},
        doc_title=doc_title,
        **_votes_context(found, held, sheet),
    ), status


def _votes_context(found: Any, held: list[int], sheet: Any) -> dict[str, Any]:
    """For the assembly page: the names of the votes one holds, those already cast on each
    resolution, the proxy one gave, and the turnout of the open votes."""
    from network.governance import assemblies
    from network.governance.models import Resolution, ResolutionVote

    names = {
        member_id: name
        for member_id, name in db.session.execute(
            select(Member.id, Member.display_name).where(Member.id.in_(held))
        )
    }
    cast: dict[int, set[int]] = {}
    if held:
        rows = db.session.execute(
            select(ResolutionVote.resolution_id, ResolutionVote.voter_id)
            .join(Resolution, Resolution.id == ResolutionVote.resolution_id)
            .where(Resolution.assembly_id == found.id, ResolutionVote.voter_id.in_(held))
        )
        for resolution_id, voter_id in rows:
            cast.setdefault(resolution_id, set()).add(voter_id)
    given = None
    for row, _status, proxy in sheet["sheet"] if sheet else ():
        if row.member_id == current_user.id:
            given = proxy
    return {
        "voter_names": names,
        "cast": cast,
        "given": given,
        "turnout": assemblies.turnouts(found),
    }


def _assembly_act(assembly_id: int, action: Any, done: str):
    from network.governance import assemblies

    found = assemblies.get_assembly(current_user, assembly_id)
    _attempt(lambda: action(found), done)
    return redirect(url_for("governance.assembly", assembly_id=assembly_id))


def _documents_of(assembly_id: int) -> str:
    return url_for("governance.assembly", assembly_id=assembly_id, _anchor="documents")


@bp.post("/assemblies/<int:assembly_id>/documents")
def assembly_document_attach(assembly_id: int):
    """The staff's form: join a document; sent back with the reason when refused."""
    from network.core.files import Upload
    from network.governance import assemblies, documents

    found = assemblies.get_assembly(current_user, assembly_id)
    given = request.files.get("file")
    upload = Upload(given.filename, given.read()) if given and given.filename else None
    title = request.form.get("title", "")
    try:
        documents.attach(current_user, found, upload, title)
    except Invalid as error:
        db.session.rollback()
        if not error.fields:
            flash(str(error.message), "error")
        found = assemblies.get_assembly(current_user, assembly_id)
        return _assembly_page(found, error.fields, title, 422)
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for("governance.assembly", assembly_id=assembly_id), 303)
    db.session.commit()
    flash(_("The document is joined to the assembly."), "success")
    return redirect(_documents_of(assembly_id), 303)


@bp.post("/assemblies/<int:assembly_id>/documents/<int:document_id>/remove")
def assembly_document_remove(assembly_id: int, document_id: int):
    from network.governance import assemblies, documents

    found = assemblies.get_assembly(current_user, assembly_id)
    _attempt(
        lambda: documents.remove(current_user, found, document_id),
        _("The document is removed."),
    )
    return redirect(_documents_of(assembly_id), 303)


@bp.get("/assemblies/<int:assembly_id>/documents/<int:document_id>")
def assembly_document(assembly_id: int, document_id: int):
    """A document, as a download, to the staff and the associates on the register."""
    from network.core.files import download
    from network.governance import assemblies, documents

    found = assemblies.get_assembly(current_user, assembly_id)
    document = documents.get_document(current_user, found, document_id)
    return download(document.key, document.name, document.content_type)


@bp.get("/assemblies/<int:assembly_id>/drafts")
def assembly_drafts(assembly_id: int):
    """The associates' draft resolutions collecting signatures, to co-sign, and a new one."""
    return _drafts_page(assembly_id, {}, {})


def _drafts_page(assembly_id: int, errors: dict[str, Any], values: dict[str, Any]):
    from network.governance import assemblies

    found = assemblies.get_assembly(current_user, assembly_id)
    opens, closes, is_open = assemblies.proposal_window(found)
    return render_template(
        "governance/drafts.html",
        a=found,
        drafts=assemblies.draft_resolutions(found, current_user),
        needed=assemblies.signatures_needed(found),
        on_register=assemblies.attendee(found, current_user.id) is not None,
        opens=opens,
        closes=closes,
        window_open=is_open,
        errors=errors,
        values=values,
    )


@bp.post("/assemblies/<int:assembly_id>/drafts")
def assembly_draft_new(assembly_id: int):
    from network.governance import assemblies

    found = assemblies.get_assembly(current_user, assembly_id)
    data = {
        "title": request.form.get("title", ""),
        "text": request.form.get("text", ""),
        "majority": request.form.get("majority", "ordinary"),
        "secret": request.form.get("secret") == "1",
    }
    try:
        assemblies.propose_resolution(current_user, found, data)
    except Invalid as error:
        db.session.rollback()
        fields = {"title": error.fields.get("resolutions")} if error.fields else {}
        flash_error(error)
        return _drafts_page(assembly_id, fields, request.form), 422
    except DomainError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for("governance.assembly_drafts", assembly_id=assembly_id))
    db.session.commit()
    flash(_("Your draft resolution is added: the associates may co-sign it."), "success")
    return redirect(url_for("governance.assembly_drafts", assembly_id=assembly_id))


@bp.post("/resolutions/<int:resolution_id>/cosign")
def resolution_cosign(resolution_id: int):
    from network.governance import assemblies

    resolution = assemblies.get_resolution(current_user, resolution_id)
    assembly_id = resolution.assembly_id
    _attempt(
        lambda: assemblies.cosign(current_user, resolution),
        _("You have co-signed this draft resolution."),
    )
    return redirect(url_for("governance.assembly_drafts", assembly_id=assembly_id))


@bp.post("/assemblies/<int:assembly_id>/check-in")
def assembly_check_in(assembly_id: int):
    from network.governance import assemblies

    member_id = parse_id(request.form.get("member_id", "")) or current_user.id
    presence = request.form.get("presence", "online")
    return _assembly_act(
        assembly_id,
        lambda a: assemblies.check_in(current_user, a, member_id, presence),
        _("Attendance recorded."),
    )


@bp.post("/assemblies/<int:assembly_id>/proxy")
def assembly_proxy(assembly_id: int):
    from network.governance import assemblies

    raw = request.form.get("holder_id", "")
    holder = None if raw == "blank" else (parse_id(raw) or raw)
    return _assembly_act(
        assembly_id,
        lambda a: assemblies.give_proxy(current_user, a, holder),
        _("Your proxy is given."),
    )


@bp.post("/assemblies/<int:assembly_id>/proxy/revoke")
def assembly_proxy_revoke(assembly_id: int):
    from network.governance import assemblies
    from network.governance.models import Proxy

    proxy_id = db.session.scalar(
        select(Proxy.id).where(Proxy.assembly_id == assembly_id, Proxy.giver_id == current_user.id)
    )
    return _assembly_act(
        assembly_id,
        lambda _a: assemblies.revoke_proxy(current_user, proxy_id),
        _("Your proxy is revoked."),
    )


@bp.post("/assemblies/<int:assembly_id>/acknowledge")
def assembly_acknowledge(assembly_id: int):
    from network.governance import assemblies

    return _assembly_act(
        assembly_id,
        lambda a: assemblies.acknowledge(current_user, a),
        _("You have acknowledged your convocation."),
    )


@bp.post("/resolutions/<int:resolution_id>/<any(open, close):action>")
def resolution_action(resolution_id: int, action: str):
    from network.governance import assemblies

    resolution = assemblies.get_resolution(current_user, resolution_id)
    run = assemblies.open_resolution if action == "open" else assemblies.close_resolution
    done = _("The vote is open.") if action == "open" else _("The vote is closed.")
    return _assembly_act(resolution.assembly_id, lambda _a: run(current_user, resolution), done)


@bp.post("/resolutions/<int:resolution_id>/vote")
def resolution_vote(resolution_id: int):
    from network.governance import assemblies

    resolution = assemblies.get_resolution(current_user, resolution_id)
    behalf = parse_id(request.form.get("on_behalf_of", ""))
    if behalf == current_user.id:
        behalf = None
    choice = request.form.get("choice")
    return _assembly_act(
        resolution.assembly_id,
        lambda _a: assemblies.vote(current_user, resolution, choice, behalf),
        _("Your vote is counted."),
    )


def _minutes_page(found: Any, *, web: bool = False) -> str:
    from network.governance import assemblies

    data = assemblies.minutes_of(found)
    return render_template(
        "governance/minutes.html",
        web=web,  # the page links back to the assembly; the PDF does not
        m=data,
        **_attendance_sheet(data["attendance"]),
        kind_label=_ASSEMBLY_KINDS()[data["assembly"]["kind"]],
        starts_at=found.starts_at,
        signed_at=found.minutes_signed_at,
    )


def make_signed_minutes_pdf(found: Any) -> None:
    """Once the signing commits, make the minutes' PDF in the background, in each of the
    site's languages, and keep it (`pdf.minutes_pdf`): downloads are then immediate."""
    from network.core.events import after_commit
    from network.extensions import socketio

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    assembly_id, base_url = found.id, request.host_url

    def start() -> None:
        global last_minutes_making
        last_minutes_making = socketio.start_background_task(_make_pdfs, app, assembly_id, base_url)

    after_commit(db.session, start)


#: The last background making of signed minutes' PDFs (tests wait for it: `.join()`).
last_minutes_making: Any = None


def _make_pdfs(app: Any, assembly_id: int, base_url: str) -> None:
    from network.core.database import write_intent
    from network.governance.models import Assembly
    from network.governance.pdf import minutes_pdf

    for language in app.config["LANGUAGES"]:
        headers = {"Accept-Language": language}
        with (
            app.test_request_context("/", base_url=base_url, headers=headers),
            write_intent(False),
        ):
            try:
                found = db.session.get(Assembly, assembly_id)
                if found is None or found.minutes_signed_at is None:
                    return
                html = _minutes_page(found)
                static = app.static_folder or ""
                minutes_pdf(html, request.host_url, static, kept_in=_kept_minutes(found))
            except Exception:  # noqa: BLE001 — a download makes it then; say why
                app.logger.exception("could not make the signed minutes' PDF")
            finally:
                db.session.remove()


#: The attendance sheet's groups, in the order the minutes give them.
_SHEET_ORDER = ("present", "online", "postal", "represented", "absent")


def _attendance_sheet(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The minutes' attendance (rows in name order) grouped by attendance, and the day of
    the convocation stated once (those convened another day named apart)."""
    groups: dict[str, list[dict[str, Any]]] = {status: [] for status in _SHEET_ORDER}
    days: list[tuple[str, date]] = []
    for row in rows:
        groups.setdefault(row["status"], []).append(row)
        if row.get("convened_at"):
            days.append((row["member"], date.fromisoformat(row["convened_at"][:10])))
    usual = Counter(day for _name, day in days).most_common(1)
    convened_on = usual[0][0] if usual else None
    return {
        "sheet": [{"status": s, "rows": found} for s, found in groups.items() if found],
        "convened_on": convened_on,
        "convened_otherwise": [
            {"member": name, "day": day} for name, day in days if day != convened_on
        ],
    }


@bp.get("/assemblies/<int:assembly_id>/minutes")
def assembly_minutes(assembly_id: int):
    from network.governance import assemblies

    return _minutes_page(assemblies.get_assembly(current_user, assembly_id), web=True)


@bp.get("/assemblies/<int:assembly_id>/minutes.pdf")
def assembly_minutes_pdf(assembly_id: int):
    from network.governance import assemblies

    found = assemblies.get_assembly(current_user, assembly_id)
    return minutes_pdf_response(found, _minutes_page(found))


def _kept_minutes(found: Any) -> str | None:
    """The storage folder where signed minutes' PDFs are kept (they never change), else
    None."""
    return None if found.minutes_signed_at is None else "minutes"


def minutes_pdf_response(found: Any, html: str):
    """The minutes as a PDF (WeasyPrint), its stylesheet read from the disk; signed ones
    were made when they were signed (`make_signed_minutes_pdf`)."""
    from flask import Response

    from network.governance.pdf import minutes_pdf

    static = current_app.static_folder or ""
    pdf = minutes_pdf(html, request.host_url, static, kept_in=_kept_minutes(found))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename=minutes-{found.id}.pdf"},
    )


# --- candidacies -----------------------------------------------------------------------


@bp.post("/me/candidacy")
def candidacy_apply():
    from network.governance import candidacies

    _attempt(
        lambda: candidacies.apply(current_user, request.form.get("motivation", "")),
        _("Your candidacy is recorded."),
    )
    return redirect(url_for("members.profile", member_id=current_user.id))


@bp.post("/me/candidacy/withdraw")
def candidacy_withdraw():
    from network.governance import candidacies

    _attempt(lambda: candidacies.withdraw(current_user), _("Your candidacy is withdrawn."))
    return redirect(url_for("members.profile", member_id=current_user.id))


@bp.get("/assemblies/candidates")
def candidates():
    from network.cooperative import cooperative_today, current_settings
    from network.core.permissions import require_staff
    from network.governance import candidacies

    require_staff(current_user)
    return render_template(
        "governance/candidates.html",
        items=candidacies.candidates(),
        today=cooperative_today(),
        by_gerance=current_settings()["ag_admission_by_gerance"],
    )


@bp.post("/assemblies/candidates/<int:candidacy_id>/admit")
def candidacy_admit(candidacy_id: int):
    from network.governance import candidacies

    _attempt(
        lambda: candidacies.admit_by_gerance(current_user, candidacy_id),
        _("The member is now an associate."),
    )
    return redirect(url_for("governance.candidates"))


# --- preparing and convening (staff) ---------------------------------------------------

AGENDA_ROWS = 8


def _assembly_form_data(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": form.get("kind"),
        "title": form.get("title", ""),
        "starts_at": form.get("starts_at", ""),
        "place": form.get("place", ""),
        "online_url": form.get("online_url", ""),
        "postal_votes": form.get("postal_votes") == "1",
        "chair_id": parse_id(form.get("chair_id", "")),
        "secretary_id": parse_id(form.get("secretary_id", "")),
    }
    data["resolutions"] = [
        {
            "title": form.get(f"r{n}-title", "").strip(),
            "text": form.get(f"r{n}-text", ""),
            "majority": form.get(f"r{n}-majority", "ordinary"),
            "secret": form.get(f"r{n}-secret") == "1",
            "by_gerance": form.get(f"r{n}-gerance") == "1",
        }
        for n in range(AGENDA_ROWS)
        if form.get(f"r{n}-title", "").strip()
    ]
    return data


def _assembly_form_context(values: Any) -> dict[str, Any]:
    people = db.session.execute(
        select(Member.id, Member.display_name)
        .where(Member.is_active.is_(True), Member.status == Status.ASSOCIATE)
        .order_by(Member.name_key)
    ).all()
    return {
        "values": values,
        "kinds": list(_ASSEMBLY_KINDS().items()),
        "people": people,
        "rows": AGENDA_ROWS,
    }


@bp.route("/assemblies/new", methods=["GET", "POST"])
def assembly_new():
    from network.core.permissions import require_staff
    from network.governance import assemblies

    require_staff(current_user)
    if request.method == "POST":
        try:
            made = assemblies.create_assembly(current_user, _assembly_form_data(request.form))
        except DomainError as error:
            context = _assembly_form_context(dict(request.form.items()))
            return invalid_form("governance/ag_form.html", error, **context)
        db.session.commit()
        flash(_("Draft saved: check it, then convene the associates."), "success")
        return redirect(url_for("governance.assembly", assembly_id=made.id))
    values = {"kind": "ordinary", "postal_votes": "1"}
    return render_template("governance/ag_form.html", errors={}, **_assembly_form_context(values))


@bp.post("/assemblies/<int:assembly_id>/<any(convene, close, sign):action>")
def assembly_action(assembly_id: int, action: str):
    from network.governance import assemblies

    def run(found: Any) -> None:
        if action == "convene":
            for warning in assemblies.convene(current_user, found):
                flash(warning, "warning")
        elif action == "close":
            assemblies.close_assembly(current_user, found)
        else:
            assemblies.sign_minutes(current_user, found)
            make_signed_minutes_pdf(found)

    done = {
        "convene": _("The associates are convened."),
        "close": _("The assembly is closed."),
        "sign": _("The minutes are signed and frozen."),
    }[action]
    return _assembly_act(assembly_id, run, done)


# --- check-in by the room's code -------------------------------------------------------


@bp.get("/assemblies/<int:assembly_id>/room")
def assembly_room_code(assembly_id: int):
    """For the chair: the QR code to show in the room (members scan it to check in)."""
    import io

    import qrcode
    import qrcode.image.svg
    from markupsafe import Markup

    from network.governance import assemblies

    found = assemblies.get_assembly(current_user, assembly_id)
    if not assemblies.is_chair(current_user, found):
        abort(403)
    if not found.room_code:
        abort(404)
    url = url_for(
        "governance.assembly_here", assembly_id=found.id, code=found.room_code, _external=True
    )
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode().split("?>", 1)[-1]
    return render_template("governance/room.html", assembly=found, url=url, svg=Markup(svg))


@bp.route("/assemblies/<int:assembly_id>/here", methods=["GET", "POST"])
def assembly_here(assembly_id: int):
    """Where the room's QR code leads: one button to check in as present."""
    from network.governance import assemblies

    found = assemblies.get_assembly(current_user, assembly_id)
    code = request.values.get("code", "")
    if request.method == "POST":
        return _assembly_act(
            assembly_id,
            lambda a: assemblies.check_in_with_code(current_user, a, code),
            _("Welcome: you are checked in as present."),
        )
    return render_template("governance/here.html", assembly=found, code=code)


@bp.post("/assemblies/<int:assembly_id>/room/renew")
def assembly_room_renew(assembly_id: int):
    from network.governance import assemblies

    found = assemblies.get_assembly(current_user, assembly_id)
    _attempt(
        lambda: assemblies.renew_room_code(current_user, found),
        _("A new check-in code is shown: the old one no longer works."),
    )
    return redirect(url_for("governance.assembly_room_code", assembly_id=assembly_id))
