"""How a decision's ballots are checked and counted: pure functions, no database, no Flask app.

`validate_ballot(rules, raw)` turns the vote part of a request body (untrusted JSON) into a
ballot, a mapping option id → value, or raises `Invalid` on the field the voter sent.
`count(rules, ballots)` tallies ballots into a `Result` whose `to_dict()` feeds the API and the
chart. The rules below are the ones shown to members.

What a ballot holds, by kind of decision:

- proposal, consent, single choice: one option, value 1. A proposal's options are the four
  positions (agree, abstain, disagree, block), a consent's are consent and object.
- multiple choice: several options, value 1 each, between the decision's minimum and maximum.
- ranked choice: option → rank, 1 for the first preference. Ranking only some options is
  allowed; the others are not ranked at all.
- score: option → score from 0 to the decision's maximum; every option gets a score.
- date poll: slot → 2 (yes), 1 (maybe) or 0 (no); every slot gets an answer.

How ballots are counted:

- Every kind: `ballots` is the number of ballots counted, and each option's `share` is its
  votes divided by that number (0 when there is no ballot). An option nobody chose never wins,
  and no ballot means no winner. When several options share the top, they all are winners:
  the count never draws lots.
- Single and multiple choice: one vote per ballot that chose the option; the options with the
  most votes win. With multiple choice the shares add up to more than 100 %.
- Proposal: one vote per ballot for its position; the position with the most votes wins, and
  the proposal is `blocked` when at least one member blocked it, whatever the majority.
- Consent: the decision passes (its winner is the consent option) when at least one member
  voted and nobody objected; a single objection stops it (`blocked`), and then nothing wins.
- Score: each option's sum and mean of scores; its votes are the ballots that scored it and
  its share is its mean divided by the maximum score. The highest sum wins.
- Date poll: each slot's yes, maybe and no; its votes are its yes, and its share is its yes
  divided by the ballots. The slot with the most yes wins; between slots with as many yes,
  the one with the most maybe; still equal, all of them.
- Ranked choice, by instant runoff. Each round, every ballot counts for the option it ranks
  highest among those still in the race; a ballot that ranks none of them is exhausted and
  sits out the round. An option with more than half of the round's ballots that are not
  exhausted is elected. Otherwise the option with the fewest votes is eliminated. When
  several share the fewest, the tie is broken backwards: the one that had fewer votes in the
  previous round goes, then in the round before, and so on. If they are still tied, options
  with no vote at all are eliminated together; others are separated by lot, drawn from the
  decision's number (`Rules.tie_seed`: a recount draws the same), and the round says so —
  eliminating them together could remove the option their transfers would have elected.
  Without a seed they are eliminated together. If every option left is tied, they tie and
  all win. The last option left is elected. Every round is kept (votes, exhausted ballots,
  eliminated, elected). An option's votes and share are those of its first preferences.

Counting is linear in the number of ballots: ranked ballots are first grouped by their order
of preference, and a round only moves the groups of the options it eliminated. Ballots that
are alike may be given once with their number (`count_grouped`): the count then costs the
distinct ballots only (a stored tally holds a handful of distinct single choices, and a few
thousand distinct rankings among 20,000).
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from network.core.errors import Invalid


class DecisionKind(enum.StrEnum):
    PROPOSAL = "proposal"
    CONSENT = "consent"
    SINGLE = "single_choice"
    MULTIPLE = "multiple_choice"
    RANKED = "ranked_choice"
    SCORE = "score"
    DATE_POLL = "date_poll"


#: Option codes of proposals and consents (`Rules.codes`).
AGREE, ABSTAIN, DISAGREE, BLOCK = "agree", "abstain", "disagree", "block"
CONSENT, OBJECT = "consent", "object"

#: Date poll answers as stored in a ballot.
YES, MAYBE, NO = 2, 1, 0
ANSWERS = {"yes": YES, "maybe": MAYBE, "no": NO}

#: A ballot: option id → value (1 for a choice, a rank, a score, or a date poll answer).
Ballot = Mapping[int, int]

_ONE_CHOICE = frozenset({DecisionKind.PROPOSAL, DecisionKind.CONSENT, DecisionKind.SINGLE})
#: An option id sent as text: canonical digits only ("7", not "07" or "+7"), and short enough
#: that parsing it costs nothing.
_ID_TEXT = re.compile(r"(?:0|[1-9][0-9]{0,17})")


@dataclass(frozen=True)
class Rules:
    """What checking and counting need to know of a decision."""

    kind: DecisionKind
    option_ids: tuple[int, ...]  # the decision's options, in display order
    min_choices: int = 1  # multiple choice
    max_choices: int | None = None  # multiple choice (None: up to every option)
    max_score: int = 5  # score
    codes: Mapping[int, str] = field(default_factory=dict)  # proposal, consent: id → code
    tie_seed: int | None = None  # ranked choice: draws lots between options tied to the end

    def __post_init__(self) -> None:
        # Programming mistakes, not voters' ones: the decision's own settings are checked
        # when it is written.
        object.__setattr__(self, "kind", DecisionKind(self.kind))
        object.__setattr__(self, "option_ids", tuple(self.option_ids))
        if len(set(self.option_ids)) != len(self.option_ids):
            raise ValueError("option ids must be unique")
        if self.min_choices < 0 or (
            self.max_choices is not None and self.max_choices < self.min_choices
        ):
            raise ValueError("min_choices must be between 0 and max_choices")
        if self.max_score < 1:
            raise ValueError("max_score must be at least 1")

    @property
    def choice_bounds(self) -> tuple[int, int]:
        """The fewest and most options a multiple choice ballot may hold."""
        count = len(self.option_ids)
        most = count if self.max_choices is None else min(self.max_choices, count)
        return min(self.min_choices, most), most

    @cached_property
    def option_set(self) -> frozenset[int]:
        return frozenset(self.option_ids)

    def option_with_code(self, code: str) -> int | None:
        return next((option for option, c in self.codes.items() if c == code), None)


# ---------------------------------------------------------------------------------------------
# Checking a ballot


def validate_ballot(rules: Rules, raw: Any) -> dict[int, int]:
    """The ballot `raw` expresses under `rules`, normalised, or `Invalid` on its field.

    `raw` is the vote part of a request body as it arrived: `{"choice": id}` (proposal,
    consent, single choice), `{"choices": [id, …]}` (multiple choice), `{"ranking": [id, …]}`
    first preference first (ranked choice), `{"scores": {"<id>": n}}` (score, and date poll
    with 2 yes, 1 maybe, 0 no) or `{"answers": {"<id>": "yes"|"maybe"|"no"}}` (date poll).
    Option ids may be integers or canonical digit strings; booleans are never numbers. Other
    keys of `raw` (such as a reason) are ignored. The error is on "choice", "choices",
    "ranking", "scores" or, for a date poll sent as answers, "answers".
    """
    if not isinstance(raw, Mapping):
        raw = {}
    kind = rules.kind
    if kind in _ONE_CHOICE:
        return _check_choice(rules, raw.get("choice"))
    if kind is DecisionKind.MULTIPLE:
        return _check_choices(rules, raw.get("choices"))
    if kind is DecisionKind.RANKED:
        return _check_ranking(rules, raw.get("ranking"))
    if kind is DecisionKind.SCORE:
        return _check_scores(rules, raw.get("scores"), "scores", rules.max_score)
    if "answers" in raw and "scores" in raw:
        raise Invalid(fields={"answers": _l("Send either scores or answers, not both.")})
    if "answers" in raw:
        return _check_scores(rules, raw["answers"], "answers", YES)
    return _check_scores(rules, raw.get("scores"), "scores", YES)


def _option_id(value: Any) -> int | None:
    """An option id from JSON (a whole number or its digits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _ID_TEXT.fullmatch(value):
        return int(value)
    return None


def _not_an_option(field_name: str) -> Invalid:
    return Invalid(fields={field_name: _l("This option is not one of this decision's.")})


def _known_option(rules: Rules, value: Any, field_name: str) -> int:
    option = _option_id(value)
    if option is None or option not in rules.option_set:
        raise _not_an_option(field_name)
    return option


def _check_choice(rules: Rules, value: Any) -> dict[int, int]:
    if value is None:
        raise Invalid(fields={"choice": _l("Choose one option.")})
    return {_known_option(rules, value, "choice"): 1}


def _distinct_options(rules: Rules, value: Any, field_name: str, duplicate: Any) -> list[int]:
    options: dict[int, None] = {}
    for item in value:
        option = _known_option(rules, item, field_name)
        if option in options:
            raise Invalid(fields={field_name: duplicate})
        options[option] = None
    return list(options)


def _check_choices(rules: Rules, value: Any) -> dict[int, int]:
    if not isinstance(value, list):
        raise Invalid(fields={"choices": _l("Send the chosen options as a list.")})
    fewest, most = rules.choice_bounds
    options = _distinct_options(rules, value, "choices", _l("Choose each option at most once."))
    if not fewest <= len(options) <= most:
        if fewest == most:
            message = lazy_ngettext("Choose %(num)s option.", "Choose %(num)s options.", most)
        else:
            message = _l("Choose between %(min)s and %(max)s options.", min=fewest, max=most)
        raise Invalid(fields={"choices": message})
    return dict.fromkeys(options, 1)


def _check_ranking(rules: Rules, value: Any) -> dict[int, int]:
    if not isinstance(value, list):
        raise Invalid(fields={"ranking": _l("Send the ranking as a list, first preference first.")})
    if not value:
        raise Invalid(fields={"ranking": _l("Rank at least one option.")})
    options = _distinct_options(rules, value, "ranking", _l("Rank each option at most once."))
    return {option: rank for rank, option in enumerate(options, start=1)}


def _check_scores(rules: Rules, value: Any, field_name: str, top: int) -> dict[int, int]:
    """Every option's score or answer: integers 0..top, or for answers yes / maybe / no."""
    date_poll = rules.kind is DecisionKind.DATE_POLL
    if not isinstance(value, Mapping):
        message = (
            _l("Answer yes, maybe or no for each date.")
            if date_poll
            else _l("Send a score for each option.")
        )
        raise Invalid(fields={field_name: message})
    ballot: dict[int, int] = {}
    for key, given in value.items():
        option = _known_option(rules, key, field_name)
        if option in ballot:  # 7 and "7" from a caller that is not JSON
            raise Invalid(fields={field_name: _l("Give each option one score only.")})
        if field_name == "answers":
            score = ANSWERS.get(given) if isinstance(given, str) else None
        elif isinstance(given, int) and not isinstance(given, bool) and 0 <= given <= top:
            score = given
        else:
            score = None
        if score is None:
            if date_poll:
                raise Invalid(fields={field_name: _l("Answer yes, maybe or no for each date.")})
            raise Invalid(fields={field_name: _l("A score goes from 0 to %(max)s.", max=top)})
        ballot[option] = score
    if len(ballot) != len(rules.option_ids):
        message = _l("Answer for every date.") if date_poll else _l("Give every option a score.")
        raise Invalid(fields={field_name: message})
    return {option: ballot[option] for option in rules.option_ids}


# ---------------------------------------------------------------------------------------------
# Counting


@dataclass(frozen=True)
class OptionTally:
    """One option's part of the result; the kind-specific fields are None for other kinds."""

    option_id: int
    votes: int
    share: float
    score_sum: int | None = None  # score
    score_mean: float | None = None  # score
    yes: int | None = None  # date poll
    maybe: int | None = None  # date poll
    no: int | None = None  # date poll

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "option_id": self.option_id,
            "votes": self.votes,
            "share": round(self.share, 4),
        }
        if self.score_sum is not None:
            data["score_sum"] = self.score_sum
            data["score_mean"] = round(self.score_mean or 0.0, 4)
        if self.yes is not None:
            data.update(yes=self.yes, maybe=self.maybe, no=self.no)
        return data


@dataclass(frozen=True)
class Round:
    """One round of an instant runoff: votes of the options still in, in display order."""

    number: int
    counts: dict[int, int]
    exhausted: int
    eliminated: tuple[int, ...]
    elected: int | None
    by_lot: bool = False  # the eliminated option was drawn by lot among tied ones

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "counts": [{"option_id": o, "votes": v} for o, v in self.counts.items()],
            "exhausted": self.exhausted,
            "eliminated": list(self.eliminated),
            "elected": self.elected,
            "by_lot": self.by_lot,
        }


@dataclass(frozen=True)
class Result:
    kind: DecisionKind
    ballots: int  # ballots counted
    options: tuple[OptionTally, ...]  # in display order
    winners: tuple[int, ...]  # empty if none; several if tied
    rounds: tuple[Round, ...] = ()  # ranked choice only
    blocked: bool = False  # proposal: at least one block; consent: at least one objection

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (string keys, lists in display order)."""
        return {
            "kind": str(self.kind),
            "ballots": self.ballots,
            "options": [option.to_dict() for option in self.options],
            "winners": list(self.winners),
            "rounds": [r.to_dict() for r in self.rounds],
            "blocked": self.blocked,
        }


def count(rules: Rules, ballots: Iterable[Ballot]) -> Result:
    """Tally `ballots` (already checked by `validate_ballot`) under `rules`.

    Option ids may be numbers or their digits (a ballot read back from a JSON column).
    Values for options the decision does not have (any more) are ignored, as are options a
    ballot does not mention (an option added after the vote). The counting rules are in this
    module's docstring.
    """
    return count_grouped(rules, ((ballot, 1) for ballot in ballots))


def count_grouped(rules: Rules, groups: Iterable[tuple[Ballot, int]]) -> Result:
    """`count` of ballots given as (ballot, how many ballots are alike) pairs: the same
    result as counting each ballot as many times, at the cost of the distinct ones. A pair
    may repeat a ballot, and a weight may be 0 (the ballot is not counted)."""
    kind = rules.kind
    if kind is DecisionKind.RANKED:
        return _count_ranked(rules, groups)
    if kind is DecisionKind.SCORE:
        return _count_scores(rules, groups)
    if kind is DecisionKind.DATE_POLL:
        return _count_date_poll(rules, groups)
    return _count_choices(rules, groups)


def _keys(rules: Rules) -> dict[Any, int]:
    """Option ids by how a ballot may name them: as numbers, or as digits once stored in JSON."""
    return {key: option for option in rules.option_ids for key in (option, str(option))}


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _top(values: Mapping[int, Any], order: tuple[int, ...]) -> tuple[int, ...]:
    """The options with the highest value, in display order; none when it is nothing."""
    best = max(values.values(), default=None)
    if not best:
        return ()
    return tuple(option for option in order if values[option] == best)


def _count_choices(rules: Rules, groups: Iterable[tuple[Ballot, int]]) -> Result:
    votes = dict.fromkeys(rules.option_ids, 0)
    known = _keys(rules)
    counted = 0
    for ballot, times in groups:
        counted += times
        for key, value in ballot.items():
            option = known.get(key)
            if value and option is not None:
                votes[option] += times
    tallies = tuple(OptionTally(o, v, _share(v, counted)) for o, v in votes.items())
    winners = _top(votes, rules.option_ids)
    blocked = False
    if rules.kind is DecisionKind.PROPOSAL:
        block = rules.option_with_code(BLOCK)
        blocked = block is not None and votes.get(block, 0) > 0
    elif rules.kind is DecisionKind.CONSENT:
        objection = rules.option_with_code(OBJECT)
        consent = rules.option_with_code(CONSENT)
        blocked = objection is not None and votes.get(objection, 0) > 0
        winners = (consent,) if consent is not None and counted and not blocked else ()
    return Result(rules.kind, counted, tallies, winners, blocked=blocked)


def _count_scores(rules: Rules, groups: Iterable[tuple[Ballot, int]]) -> Result:
    sums = dict.fromkeys(rules.option_ids, 0)
    scored = dict.fromkeys(rules.option_ids, 0)
    known = _keys(rules)
    counted = 0
    for ballot, times in groups:
        counted += times
        for key, score in ballot.items():
            option = known.get(key)
            if option is not None:
                sums[option] += score * times
                scored[option] += times
    tallies = tuple(
        OptionTally(
            option,
            scored[option],
            _share(sums[option], scored[option] * rules.max_score),
            score_sum=sums[option],
            score_mean=_share(sums[option], scored[option]),
        )
        for option in rules.option_ids
    )
    return Result(rules.kind, counted, tallies, _top(sums, rules.option_ids))


def _count_date_poll(rules: Rules, groups: Iterable[tuple[Ballot, int]]) -> Result:
    answers = {option: [0, 0, 0] for option in rules.option_ids}  # no, maybe, yes
    known = _keys(rules)
    counted = 0
    for ballot, times in groups:
        counted += times
        for key, answer in ballot.items():
            option = known.get(key)
            if option is not None and 0 <= answer <= YES:
                answers[option][answer] += times
    tallies = tuple(
        OptionTally(o, yes, _share(yes, counted), yes=yes, maybe=maybe, no=no)
        for o, (no, maybe, yes) in answers.items()
    )
    # Most yes first, then most maybe: maybe counts never reach counted + 1.
    ranks = {o: yes * (counted + 1) + maybe for o, (_, maybe, yes) in answers.items()}
    return Result(rules.kind, counted, tallies, _top(ranks, rules.option_ids))


def _count_ranked(rules: Rules, ballots: Iterable[tuple[Ballot, int]]) -> Result:
    # Ballots with the same order of preference behave alike in every round: group them.
    orders: Counter[tuple[Any, ...]] = Counter()
    for ballot, times in ballots:
        orders[tuple(sorted(ballot, key=ballot.__getitem__))] += times
    counted = orders.total()
    known = _keys(rules)
    groups: Counter[tuple[int, ...]] = Counter()
    for order, number in orders.items():
        if number:
            groups[tuple(known[key] for key in order if key in known)] += number

    continuing = list(rules.option_ids)  # display order
    still_in = set(continuing)
    # Each option's pile: the groups counting for it, with where to look next in their order.
    piles: dict[int, list[tuple[tuple[int, ...], int, int]]] = {o: [] for o in continuing}
    totals = dict.fromkeys(continuing, 0)
    exhausted = 0

    def place(order: tuple[int, ...], number: int, start: int) -> None:
        nonlocal exhausted
        for position in range(start, len(order)):
            option = order[position]
            if option in still_in:
                piles[option].append((order, number, position + 1))
                totals[option] += number
                return
        exhausted += number

    for order, number in groups.items():
        place(order, number, 0)

    rounds: list[Round] = []
    winners: tuple[int, ...] = ()
    while counted:
        votes = {option: totals[option] for option in continuing}
        active = counted - exhausted
        number = len(rounds) + 1
        leader = max(continuing, key=votes.__getitem__)
        if active and (2 * votes[leader] > active or len(continuing) == 1):
            rounds.append(Round(number, votes, exhausted, (), leader))
            winners = (leader,)
            break
        if not active:  # no ballot ranks any option: nobody is elected
            rounds.append(Round(number, votes, exhausted, (), None))
            break
        last = _last_after_tie_break(continuing, votes, rounds)
        if len(last) == len(continuing):  # all tied every round: they all win
            rounds.append(Round(number, votes, exhausted, (), None))
            winners = tuple(continuing)
            break
        by_lot = len(last) > 1 and votes[last[0]] > 0 and rules.tie_seed is not None
        if by_lot:
            last = [_drawn(last, rules.tie_seed)]  # type: ignore[arg-type]
        rounds.append(Round(number, votes, exhausted, tuple(last), None, by_lot))
        # Only the eliminated options' ballots move, to their next choice still in.
        still_in.difference_update(last)
        continuing = [option for option in continuing if option in still_in]
        for option in last:
            del totals[option]
            for order, group, start in piles.pop(option):
                place(order, group, start)

    first = rounds[0].counts if rounds else dict.fromkeys(rules.option_ids, 0)
    tallies = tuple(OptionTally(o, first[o], _share(first[o], counted)) for o in rules.option_ids)
    return Result(rules.kind, counted, tallies, winners, tuple(rounds))


def _drawn(tied: list[int], seed: int) -> int:
    """The option drawn by lot among `tied`: the same draw for the same decision."""
    return min(tied, key=lambda option: hashlib.sha256(f"{seed}:{option}".encode()).digest())


def _last_after_tie_break(
    continuing: list[int], votes: Mapping[int, int], previous: list[Round]
) -> list[int]:
    """The options to eliminate this round: the fewest votes, ties broken backwards."""
    fewest = min(votes[option] for option in continuing)
    tied = [option for option in continuing if votes[option] == fewest]
    for earlier in reversed(previous):
        if len(tied) == 1:
            break
        fewest = min(earlier.counts[option] for option in tied)
        tied = [option for option in tied if earlier.counts[option] == fewest]
    return tied
