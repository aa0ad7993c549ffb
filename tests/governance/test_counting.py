"""The counting engine of decisions: ballots checked field by field, and every kind counted
by the rules shown to members (instant runoff round by round for ranked choice)."""

import json
import random

import pytest

from network.core.errors import Invalid
from network.governance.counting import (
    DecisionKind,
    Result,
    Rules,
    count,
    count_grouped,
    validate_ballot,
)

K = DecisionKind
# Options are letters in the tables (A is option 1, B option 2…), in display order.
LETTERS = "ABCDE"
A, B, C, D, E = 1, 2, 3, 4, 5
PROPOSAL_CODES = {A: "agree", B: "abstain", C: "disagree", D: "block"}
CONSENT_CODES = {A: "consent", B: "object"}


def ids(letters: str) -> tuple[int, ...]:
    return tuple(LETTERS.index(letter) + 1 for letter in letters)


def votes(text: str) -> dict[int, int]:
    """Votes written "A3 B1" → {A: 3, B: 1}."""
    return {LETTERS.index(item[0]) + 1: int(item[1:]) for item in text.split()}


def rules_for(kind: DecisionKind, options: str = "ABC", **settings) -> Rules:
    codes = {K.PROPOSAL: PROPOSAL_CODES, K.CONSENT: CONSENT_CODES}.get(kind, {})
    return Rules(kind, ids(options), codes=codes, **settings)


def chose(*groups: tuple[str, int]) -> list[dict[int, int]]:
    """("AB", 2) → two ballots choosing A and B (one choice each for single choice)."""
    return [dict.fromkeys(ids(letters), 1) for letters, n in groups for _ in range(n)]


def ranked(*groups: tuple[str, int]) -> list[dict[int, int]]:
    """("BA", 3) → three ballots ranking B first, then A, and no other option."""
    return [
        {option: rank for rank, option in enumerate(ids(order), start=1)}
        for order, n in groups
        for _ in range(n)
    ]


def as_stored(ballots):
    """Ballots read back from a JSON column: option ids are strings."""
    return [{str(option): value for option, value in ballot.items()} for ballot in ballots]


# ---------------------------------------------------------------------------------------------
# Proposal, consent, single and multiple choice


@pytest.mark.parametrize(
    ("kind", "options", "ballots", "expected", "winners", "blocked"),
    [
        pytest.param(K.SINGLE, "ABC", chose(("A", 3), ("B", 1)), "A3 B1 C0", "A", False,
                     id="single-simple-win"),
        pytest.param(K.SINGLE, "ABC", chose(("A", 2), ("C", 2), ("B", 1)), "A2 B1 C2", "AC",
                     False, id="single-tie-several-winners"),
        pytest.param(K.SINGLE, "ABC", [], "A0 B0 C0", "", False, id="single-zero-ballots"),
        pytest.param(K.MULTIPLE, "ABCD", chose(("AB", 2), ("BC", 1), ("B", 1)),
                     "A2 B4 C1 D0", "B", False, id="multiple-simple-win"),
        pytest.param(K.MULTIPLE, "ABC", chose(("AB", 2), ("C", 1)), "A2 B2 C1", "AB", False,
                     id="multiple-tie"),
        pytest.param(K.MULTIPLE, "ABC", chose(("", 3)), "A0 B0 C0", "", False,
                     id="multiple-nothing-chosen-no-winner"),
        pytest.param(K.PROPOSAL, "ABCD", chose(("A", 5), ("C", 2), ("B", 1)), "A5 B1 C2 D0",
                     "A", False, id="proposal-agreed"),
        pytest.param(K.PROPOSAL, "ABCD", chose(("A", 9), ("D", 1)), "A9 B0 C0 D1", "A", True,
                     id="proposal-one-block-blocks-a-majority"),
        pytest.param(K.PROPOSAL, "ABCD", chose(("A", 2), ("C", 2)), "A2 B0 C2 D0", "AC",
                     False, id="proposal-tie-between-positions"),
        pytest.param(K.PROPOSAL, "ABCD", [], "A0 B0 C0 D0", "", False,
                     id="proposal-zero-ballots"),
        pytest.param(K.CONSENT, "AB", chose(("A", 4)), "A4 B0", "A", False,
                     id="consent-passes-without-objection"),
        pytest.param(K.CONSENT, "AB", chose(("A", 30), ("B", 1)), "A30 B1", "", True,
                     id="consent-one-objection-stops-it"),
        pytest.param(K.CONSENT, "AB", [], "A0 B0", "", False, id="consent-zero-ballots"),
    ],
)  # fmt: skip
def test_choices_are_counted_and_the_most_chosen_win(
    kind, options, ballots, expected, winners, blocked
):
    result = count(rules_for(kind, options), ballots)
    assert result.kind == kind
    assert result.ballots == len(ballots)
    assert {o.option_id: o.votes for o in result.options} == votes(expected)
    assert [o.option_id for o in result.options] == list(ids(options))  # display order
    assert result.winners == ids(winners)
    assert result.blocked is blocked
    assert result.rounds == ()


@pytest.mark.parametrize(
    ("kind", "ballots", "shares"),
    [
        pytest.param(K.SINGLE, chose(("A", 3), ("B", 1)), [0.75, 0.25, 0.0], id="single"),
        pytest.param(K.MULTIPLE, chose(("AB", 1), ("ABC", 1)), [1.0, 1.0, 0.5],
                     id="multiple-adds-up-to-more-than-all"),
        pytest.param(K.SINGLE, [], [0.0, 0.0, 0.0], id="zero-ballots-zero-shares"),
        pytest.param(K.RANKED, ranked(("AB", 1), ("B", 3)), [0.25, 0.75, 0.0],
                     id="ranked-first-preferences"),
    ],
)  # fmt: skip
def test_a_share_is_the_votes_over_the_ballots(kind, ballots, shares):
    result = count(rules_for(kind), ballots)
    assert [o.share for o in result.options] == pytest.approx(shares)


# ---------------------------------------------------------------------------------------------
# Score and date poll


@pytest.mark.parametrize(
    ("ballots", "sums", "means", "winners"),
    [
        pytest.param([{A: 5, B: 3, C: 0}, {A: 2, B: 4, C: 1}], "A7 B7 C1", [3.5, 3.5, 0.5],
                     "AB", id="tie-on-the-sum"),
        pytest.param([{A: 5, B: 3, C: 0}, {A: 4, B: 4, C: 5}], "A9 B7 C5", [4.5, 3.5, 2.5],
                     "A", id="highest-sum-wins"),
        pytest.param([{A: 0, B: 0, C: 0}], "A0 B0 C0", [0, 0, 0], "", id="all-zero-no-winner"),
        pytest.param([], "A0 B0 C0", [0, 0, 0], "", id="zero-ballots"),
    ],
)  # fmt: skip
def test_scores_are_summed_and_the_highest_sum_wins(ballots, sums, means, winners):
    result = count(rules_for(K.SCORE, max_score=5), ballots)
    assert {o.option_id: o.score_sum for o in result.options} == votes(sums)
    assert [o.score_mean for o in result.options] == pytest.approx(means)
    # every ballot scored every option; the share is the mean over the maximum score
    assert [o.votes for o in result.options] == [len(ballots)] * 3
    assert [o.share for o in result.options] == pytest.approx([m / 5 for m in means])
    assert result.winners == ids(winners)


YES, MAYBE, NO = 2, 1, 0


@pytest.mark.parametrize(
    ("ballots", "answers", "winners"),
    [
        pytest.param([{A: YES, B: NO, C: MAYBE}, {A: YES, B: YES, C: NO}],
                     {A: (2, 0, 0), B: (1, 0, 1), C: (0, 1, 1)}, "A", id="most-yes-wins"),
        pytest.param([{A: YES, B: YES, C: NO}, {A: NO, B: MAYBE, C: YES}],
                     {A: (1, 0, 1), B: (1, 1, 0), C: (1, 0, 1)}, "B",
                     id="equal-yes-broken-by-maybe"),
        pytest.param([{A: YES, B: MAYBE, C: YES}, {A: MAYBE, B: YES, C: MAYBE}],
                     {A: (1, 1, 0), B: (1, 1, 0), C: (1, 1, 0)}, "ABC",
                     id="still-tied-several-slots"),
        pytest.param([{A: NO, B: MAYBE, C: NO}], {A: (0, 0, 1), B: (0, 1, 0), C: (0, 0, 1)},
                     "B", id="no-yes-a-maybe-wins"),
        pytest.param([{A: NO, B: NO, C: NO}], {A: (0, 0, 1), B: (0, 0, 1), C: (0, 0, 1)}, "",
                     id="all-no-no-winner"),
        pytest.param([], {A: (0, 0, 0), B: (0, 0, 0), C: (0, 0, 0)}, "", id="zero-ballots"),
    ],
)  # fmt: skip
def test_a_date_poll_picks_the_slot_with_most_yes_then_most_maybe(ballots, answers, winners):
    result = count(rules_for(K.DATE_POLL), ballots)
    assert {o.option_id: (o.yes, o.maybe, o.no) for o in result.options} == answers
    assert [o.votes for o in result.options] == [answers[o][0] for o in (A, B, C)]
    assert result.winners == ids(winners)


# ---------------------------------------------------------------------------------------------
# Ranked choice: instant runoff

# Each round: (votes of the options still in, exhausted ballots, eliminated, elected).
IRV_CASES = [
    pytest.param(
        "ABC", ranked(("AB", 3), ("BA", 1), ("C", 1)),
        [("A3 B1 C1", 0, "", "A")], "A",
        id="majority-in-round-1",
    ),
    pytest.param(
        "ABCD", ranked(("A", 5), ("BC", 4), ("CB", 3), ("DCB", 2)),
        [("A5 B4 C3 D2", 0, "D", None), ("A5 B4 C5", 0, "B", None), ("A5 C9", 0, "", "C")],
        "C",
        id="several-rounds-transfers-beat-the-first-leader",
    ),
    pytest.param(
        "ABC", ranked(("A", 4), ("BA", 1), ("B", 2), ("C", 2)),
        [("A4 B3 C2", 0, "C", None), ("A4 B3", 2, "", "A")], "A",
        id="exhausted-partial-rankings-leave-the-majority-base",
    ),
    pytest.param(
        "ABC", ranked(("A", 2), ("B", 1), ("C", 1)),
        [("A2 B1 C1", 0, "BC", None), ("A2", 2, "", "A")], "A",
        id="exactly-half-is-not-a-majority",
    ),
    pytest.param(
        "ABCD", ranked(("A", 6), ("B", 5), ("CB", 4), ("DC", 1), ("DA", 2)),
        [("A6 B5 C4 D3", 0, "D", None), ("A8 B5 C5", 0, "C", None), ("A8 B9", 1, "", "B")],
        "B",
        id="tie-for-last-broken-by-the-previous-round",
    ),
    pytest.param(
        "ABC", ranked(("A", 3), ("B", 2), ("CB", 1)),
        [("A3 B2 C1", 0, "C", None), ("A3 B3", 0, "B", None), ("A3", 3, "", "A")], "A",
        id="final-pair-tie-broken-backwards",
    ),
    pytest.param(
        "ABCD", ranked(("A", 4), ("BD", 2), ("CD", 2), ("D", 3)),
        [("A4 B2 C2 D3", 0, "BC", None), ("A4 D7", 0, "", "D")], "D",
        id="tie-for-last-with-no-earlier-round-eliminated-together",
    ),
    pytest.param(
        "ABCDE", ranked(("A", 2), ("B", 2), ("CA", 1)),
        [("A2 B2 C1 D0 E0", 0, "DE", None), ("A2 B2 C1", 0, "C", None), ("A3 B2", 0, "", "A")],
        "A",
        id="no-first-preference-eliminated-together-in-round-1",
    ),
    pytest.param(
        "AB", ranked(("AB", 2), ("BA", 2)),
        [("A2 B2", 0, "", None)], "AB",
        id="total-tie-all-remaining-win",
    ),
    pytest.param(
        "ABC", ranked(("A", 3), ("B", 3), ("C", 1)),
        [("A3 B3 C1", 0, "C", None), ("A3 B3", 1, "", None)], "AB",
        id="total-tie-after-rounds-still-tied-backwards",
    ),
    pytest.param(
        "ABC", ranked(("BCA", 1)),
        [("A0 B1 C0", 0, "", "B")], "B",
        id="one-ballot",
    ),
    pytest.param("ABC", [], [], "", id="zero-ballots-no-round"),
    pytest.param(
        "AB", [{9: 1}, {}],
        [("A0 B0", 2, "", None)], "",
        id="ballots-ranking-no-option-elect-nobody",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("options", "ballots", "rounds", "winners"), IRV_CASES)
def test_ranked_choice_is_counted_by_instant_runoff_round_by_round(
    options, ballots, rounds, winners
):
    result = count(rules_for(K.RANKED, options), ballots)
    assert result.ballots == len(ballots)
    assert result.winners == ids(winners)
    got = [(r.counts, r.exhausted, r.eliminated, r.elected) for r in result.rounds]
    assert got == [
        (votes(counts), exhausted, ids(eliminated), elected and ids(elected)[0])
        for counts, exhausted, eliminated, elected in rounds
    ]
    assert [r.number for r in result.rounds] == list(range(1, len(rounds) + 1))
    if rounds:  # an option's votes are its first preferences
        assert {o.option_id: o.votes for o in result.options} == {
            o: result.rounds[0].counts[o] for o in ids(options)
        }


def test_random_runoffs_keep_their_invariants():
    """Every ballot is in each round exactly once, eliminated options never come back, and
    the winner had a majority of the ballots still in play (or tied with the others)."""
    draw = random.Random(12)
    for _ in range(300):
        options = ids(LETTERS[: draw.randint(1, 5)])
        orders = [
            draw.sample(options, draw.randint(1, len(options))) for _ in range(draw.randint(0, 40))
        ]
        ballots = [{o: rank for rank, o in enumerate(order, 1)} for order in orders]
        result = count(Rules(K.RANKED, options), ballots)
        out: set[int] = set()
        for r in result.rounds:
            assert sum(r.counts.values()) + r.exhausted == len(ballots)
            assert not out & set(r.counts)
            out |= set(r.eliminated)
        if not ballots:
            assert result.winners == () and result.rounds == ()
            continue
        last = result.rounds[-1]
        assert all(r.elected is None for r in result.rounds[:-1])
        if last.elected is not None:
            assert result.winners == (last.elected,)
            in_play = len(ballots) - last.exhausted
            assert 2 * last.counts[last.elected] > in_play or len(last.counts) == 1
        else:
            assert len(set(last.counts.values())) == 1 and result.winners == tuple(last.counts)


# ---------------------------------------------------------------------------------------------
# Every kind


COUNTABLE = [
    pytest.param(K.SINGLE, chose(("A", 2), ("B", 1)), id="single"),
    pytest.param(K.MULTIPLE, chose(("AB", 2), ("C", 1)), id="multiple"),
    pytest.param(K.PROPOSAL, chose(("A", 2), ("D", 1)), id="proposal"),
    pytest.param(K.CONSENT, chose(("A", 2), ("B", 1)), id="consent"),
    pytest.param(K.RANKED, ranked(("AB", 2), ("C", 1), ("BC", 1)), id="ranked"),
    pytest.param(K.SCORE, [{A: 5, B: 1, C: 2}, {A: 0, B: 3, C: 4}], id="score"),
    pytest.param(K.DATE_POLL, [{A: 2, B: 1, C: 0}, {A: 0, B: 2, C: 1}], id="date-poll"),
]


@pytest.mark.parametrize(("kind", "ballots"), COUNTABLE)
def test_ballots_read_back_from_json_count_the_same(kind, ballots):
    rules = rules_for(kind, "ABCD")
    assert count(rules, as_stored(ballots)) == count(rules, ballots)
    assert count(rules, iter(ballots)) == count(rules, ballots)  # a generator will do


def _random_ballot(draw: random.Random, kind: DecisionKind, options: tuple[int, ...]):
    if kind is K.RANKED:
        order = draw.sample(options, draw.randint(1, len(options)))
        return {o: rank for rank, o in enumerate(order, 1)}
    if kind is K.SCORE:
        return {o: draw.randint(0, 5) for o in options}
    if kind is K.DATE_POLL:
        return {o: draw.randint(0, 2) for o in options}
    if kind is K.MULTIPLE:
        return dict.fromkeys(draw.sample(options, draw.randint(1, len(options))), 1)
    return {draw.choice(options): 1}


@pytest.mark.parametrize("kind", list(K))
def test_alike_ballots_given_once_with_their_number_count_the_same(kind):
    """`count_grouped` (what a stored tally counts: each distinct ballot once, with how many
    are alike) gives the very result of counting every ballot: rounds, ties and lots too."""
    draw = random.Random(kind.value)
    for trial in range(200):
        options = ids(LETTERS[: draw.randint(1, 5)])
        rules = rules_for(kind, LETTERS[: len(options)], tie_seed=trial if trial % 2 else None)
        distinct = [_random_ballot(draw, kind, options) for _ in range(draw.randint(0, 8))]
        groups = [(ballot, draw.choice((0, 1, 1, 2, 3, 7))) for ballot in distinct]
        one_by_one = [ballot for ballot, times in groups for _ in range(times)]
        draw.shuffle(one_by_one)
        expected = count(rules, one_by_one)
        assert count_grouped(rules, groups) == expected
        assert count_grouped(rules, [(b, t) for b, t in as_grouped(one_by_one)]) == expected
        assert (
            count_grouped(
                rules, list(zip(as_stored(distinct), (t for _, t in groups), strict=True))
            )
            == expected
        )


def as_grouped(ballots):
    """The ballots, each distinct one with its number, in the order first met."""
    seen: dict[tuple, list] = {}
    for ballot in ballots:
        key = tuple(sorted(ballot.items()))
        seen.setdefault(key, [ballot, 0])[1] += 1
    return [(ballot, times) for ballot, times in seen.values()]


@pytest.mark.parametrize(("kind", "ballots"), COUNTABLE)
def test_a_result_is_json_ready_in_display_order(kind, ballots):
    result = count(rules_for(kind, "ABCD"), ballots)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["kind"] == kind.value
    assert data["ballots"] == len(ballots)
    assert [o["option_id"] for o in data["options"]] == [A, B, C, D]
    assert data["winners"] == list(result.winners)
    assert data["blocked"] is result.blocked
    assert len(data["rounds"]) == len(result.rounds)


def test_a_result_says_what_each_kind_needs_for_its_chart():
    score = count(rules_for(K.SCORE), [{A: 5, B: 2, C: 0}]).to_dict()
    assert score["options"][0] == {
        "option_id": A, "votes": 1, "share": 1.0, "score_sum": 5, "score_mean": 5.0
    }  # fmt: skip
    poll = count(rules_for(K.DATE_POLL), [{A: 2, B: 1, C: 0}]).to_dict()
    assert poll["options"][1] == {
        "option_id": B, "votes": 0, "share": 0.0, "yes": 0, "maybe": 1, "no": 0
    }  # fmt: skip
    single = count(rules_for(K.SINGLE), chose(("A", 2), ("B", 1))).to_dict()
    assert single["options"][1] == {"option_id": B, "votes": 1, "share": 0.3333}
    runoff = count(rules_for(K.RANKED), ranked(("A", 2), ("B", 2), ("CA", 1))).to_dict()
    assert runoff["rounds"] == [
        {
            "number": 1,
            "counts": [
                {"option_id": A, "votes": 2},
                {"option_id": B, "votes": 2},
                {"option_id": C, "votes": 1},
            ],
            "exhausted": 0,
            "eliminated": [C],
            "elected": None,
            "by_lot": False,
        },
        {
            "number": 2,
            "counts": [{"option_id": A, "votes": 3}, {"option_id": B, "votes": 2}],
            "exhausted": 0,
            "eliminated": [],
            "elected": A,
            "by_lot": False,
        },
    ]
    assert runoff["winners"] == [A]


def test_result_fields_have_defaults_for_the_kinds_without_rounds():
    assert Result(K.SINGLE, 0, (), ()).to_dict() == {
        "kind": "single_choice", "ballots": 0, "options": [], "winners": [], "rounds": [],
        "blocked": False,
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Checking ballots


@pytest.mark.parametrize(
    ("kind", "settings", "raw", "ballot"),
    [
        pytest.param(K.SINGLE, {}, {"choice": 2}, {B: 1}, id="single"),
        pytest.param(K.SINGLE, {}, {"choice": "2"}, {B: 1}, id="single-digit-string"),
        pytest.param(K.SINGLE, {}, {"choice": 1, "reason": "Oui"}, {A: 1},
                     id="other-keys-ignored"),
        pytest.param(K.PROPOSAL, {}, {"choice": D}, {D: 1}, id="proposal-block"),
        pytest.param(K.CONSENT, {}, {"choice": B}, {B: 1}, id="consent-object"),
        pytest.param(K.MULTIPLE, {"min_choices": 2, "max_choices": 3}, {"choices": [3, "1"]},
                     {C: 1, A: 1}, id="multiple"),
        pytest.param(K.MULTIPLE, {}, {"choices": [1, 2, 3, 4]}, {A: 1, B: 1, C: 1, D: 1},
                     id="multiple-no-maximum-all"),
        pytest.param(K.MULTIPLE, {"min_choices": 0}, {"choices": []}, {},
                     id="multiple-none-when-allowed"),
        pytest.param(K.RANKED, {}, {"ranking": [3, 1, 2, 4]}, {C: 1, A: 2, B: 3, D: 4},
                     id="ranked-full"),
        pytest.param(K.RANKED, {}, {"ranking": ["3", 1]}, {C: 1, A: 2}, id="ranked-partial"),
        pytest.param(K.SCORE, {"max_score": 10},
                     {"scores": {"4": 10, "2": 0, "1": 7, "3": 3}}, {A: 7, B: 0, C: 3, D: 10},
                     id="score"),
        pytest.param(K.DATE_POLL, {}, {"scores": {"1": 2, "2": 1, "3": 0, "4": 0}},
                     {A: 2, B: 1, C: 0, D: 0}, id="date-poll-scores"),
        pytest.param(K.DATE_POLL, {},
                     {"answers": {"1": "yes", "2": "maybe", "3": "no", "4": "yes"}},
                     {A: 2, B: 1, C: 0, D: 2}, id="date-poll-answers"),
    ],
)  # fmt: skip
def test_a_valid_ballot_is_normalised(kind, settings, raw, ballot):
    rules = rules_for(kind, "ABCD", **settings)
    checked = validate_ballot(rules, raw)
    assert checked == ballot
    assert list(checked) == list(ballot)  # ranking order, display order for scores
    assert count(rules, [checked]).ballots == 1


HUGE = 10**40
REJECTED = [
    # one choice: proposal, consent, single
    (K.SINGLE, {}, None, "choice", "not-an-object"),
    (K.SINGLE, {}, [1], "choice", "a-list-not-an-object"),
    (K.SINGLE, {}, {}, "choice", "missing-choice"),
    (K.SINGLE, {}, {"choices": [1]}, "choice", "wrong-key"),
    (K.SINGLE, {}, {"choice": [1]}, "choice", "choice-a-list"),
    (K.SINGLE, {}, {"choice": 9}, "choice", "option-of-another-decision"),
    (K.SINGLE, {}, {"choice": True}, "choice", "bool-choice"),
    (K.SINGLE, {}, {"choice": 1.0}, "choice", "float-choice"),
    (K.SINGLE, {}, {"choice": "one"}, "choice", "word-choice"),
    (K.SINGLE, {}, {"choice": "01"}, "choice", "non-canonical-digits"),
    (K.SINGLE, {}, {"choice": HUGE}, "choice", "huge-int"),
    (K.SINGLE, {}, {"choice": "9" * 5000}, "choice", "huge-digit-string"),
    (K.PROPOSAL, {}, {"choice": 5}, "choice", "proposal-unknown-position"),
    (K.CONSENT, {}, {"choice": None}, "choice", "consent-null"),
    # multiple choice (2 to 3 of 4 options unless said)
    (K.MULTIPLE, {}, {}, "choices", "missing-choices"),
    (K.MULTIPLE, {}, {"choices": "1,2"}, "choices", "choices-a-string"),
    (K.MULTIPLE, {}, {"choices": {"1": 1}}, "choices", "choices-an-object"),
    (K.MULTIPLE, {}, {"choices": [1, 1]}, "choices", "duplicate-choice"),
    (K.MULTIPLE, {}, {"choices": [1, "1", 2]}, "choices", "duplicate-as-digits"),
    (K.MULTIPLE, {}, {"choices": [1, 9]}, "choices", "choice-of-another-decision"),
    (K.MULTIPLE, {}, {"choices": [1]}, "choices", "too-few"),
    (K.MULTIPLE, {}, {"choices": []}, "choices", "none"),
    (K.MULTIPLE, {}, {"choices": [1, 2, 3, 4]}, "choices", "too-many"),
    (K.MULTIPLE, {"min_choices": 2, "max_choices": 2}, {"choices": [1, 2, 3]}, "choices",
     "not-the-exact-number"),
    (K.MULTIPLE, {}, {"choices": [True, 2]}, "choices", "bool-in-choices"),
    (K.MULTIPLE, {}, {"choices": [HUGE, 2]}, "choices", "huge-int-in-choices"),
    # ranked choice
    (K.RANKED, {}, {}, "ranking", "missing-ranking"),
    (K.RANKED, {}, {"ranking": {"1": 1}}, "ranking", "ranking-an-object"),
    (K.RANKED, {}, {"ranking": 1}, "ranking", "ranking-a-number"),
    (K.RANKED, {}, {"ranking": []}, "ranking", "empty-ranking"),
    (K.RANKED, {}, {"ranking": [1, 2, 1]}, "ranking", "duplicate-in-ranking"),
    (K.RANKED, {}, {"ranking": [2, "2"]}, "ranking", "duplicate-as-digits"),
    (K.RANKED, {}, {"ranking": [1, 9]}, "ranking", "ranked-option-of-another-decision"),
    (K.RANKED, {}, {"ranking": [False]}, "ranking", "bool-in-ranking"),
    (K.RANKED, {}, {"ranking": [None]}, "ranking", "null-in-ranking"),
    (K.RANKED, {}, {"ranking": [[1]]}, "ranking", "list-in-ranking"),
    (K.RANKED, {}, {"ranking": [-HUGE]}, "ranking", "huge-int-in-ranking"),
    # score (0 to 5, every option of 4)
    (K.SCORE, {}, {}, "scores", "missing-scores"),
    (K.SCORE, {}, {"scores": [5, 4, 3, 2]}, "scores", "scores-a-list"),
    (K.SCORE, {}, {"scores": {"1": 5, "2": 4, "3": 3}}, "scores", "an-option-not-scored"),
    (K.SCORE, {}, {"scores": {}}, "scores", "nothing-scored"),
    (K.SCORE, {}, {"scores": {"1": 6, "2": 4, "3": 3, "4": 0}}, "scores", "above-maximum"),
    (K.SCORE, {}, {"scores": {"1": -1, "2": 4, "3": 3, "4": 0}}, "scores", "negative"),
    (K.SCORE, {}, {"scores": {"1": 2.5, "2": 4, "3": 3, "4": 0}}, "scores", "float-score"),
    (K.SCORE, {}, {"scores": {"1": "5", "2": 4, "3": 3, "4": 0}}, "scores", "string-score"),
    (K.SCORE, {}, {"scores": {"1": None, "2": 4, "3": 3, "4": 0}}, "scores", "null-score"),
    (K.SCORE, {}, {"scores": {"1": True, "2": 4, "3": 3, "4": 0}}, "scores", "bool-score"),
    (K.SCORE, {}, {"scores": {"1": HUGE, "2": 4, "3": 3, "4": 0}}, "scores", "huge-score"),
    (K.SCORE, {}, {"scores": {"1": 1, "2": 4, "3": 3, "4": 0, "9": 1}}, "scores",
     "scored-option-of-another-decision"),
    (K.SCORE, {}, {"scores": {"one": 1, "2": 4, "3": 3, "4": 0}}, "scores", "word-key"),
    (K.SCORE, {}, {"scores": {1: 1, "1": 2, "2": 4, "3": 3, "4": 0}}, "scores",
     "same-option-twice"),
    # date poll (yes 2 / maybe 1 / no 0 for each of 4 slots)
    (K.DATE_POLL, {}, {}, "scores", "missing-answers"),
    (K.DATE_POLL, {}, {"scores": "yes"}, "scores", "scores-a-string"),
    (K.DATE_POLL, {}, {"scores": {"1": 3, "2": 1, "3": 0, "4": 0}}, "scores",
     "answer-out-of-range"),
    (K.DATE_POLL, {}, {"scores": {"1": True, "2": 1, "3": 0, "4": 0}}, "scores",
     "bool-answer"),
    (K.DATE_POLL, {}, {"scores": {"1": 2, "2": 1, "3": 0}}, "scores", "a-slot-unanswered"),
    (K.DATE_POLL, {}, {"answers": {"1": "yes", "2": "no", "3": "no"}}, "answers",
     "a-slot-unanswered-in-words"),
    (K.DATE_POLL, {}, {"answers": {"1": "perhaps", "2": "no", "3": "no", "4": "no"}},
     "answers", "unknown-answer"),
    (K.DATE_POLL, {}, {"answers": {"1": 2, "2": "no", "3": "no", "4": "no"}}, "answers",
     "number-as-answer-word"),
    (K.DATE_POLL, {}, {"answers": ["yes"]}, "answers", "answers-a-list"),
    (K.DATE_POLL, {}, {"answers": {"9": "yes", "2": "no", "3": "no", "4": "no"}}, "answers",
     "slot-of-another-decision"),
    (K.DATE_POLL, {}, {"answers": {}, "scores": {}}, "answers", "both-scores-and-answers"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "settings", "raw", "field"),
    [pytest.param(*case[:4], id=f"{case[0].value}-{case[4]}") for case in REJECTED],
)
def test_a_bad_ballot_is_refused_on_its_field(kind, settings, raw, field):
    settings = settings or ({"min_choices": 2, "max_choices": 3} if kind == K.MULTIPLE else {})
    with pytest.raises(Invalid) as raised:
        validate_ballot(rules_for(kind, "ABCD", **settings), raw)
    assert list(raised.value.fields) == [field]
    assert raised.value.status == 422


@pytest.mark.parametrize(
    ("kind", "settings", "raw", "message"),
    [
        pytest.param(K.MULTIPLE, {"min_choices": 2, "max_choices": 3}, {"choices": [1]},
                     "Choose between 2 and 3 options.", id="between"),
        pytest.param(K.MULTIPLE, {"min_choices": 2, "max_choices": 2}, {"choices": [1]},
                     "Choose 2 options.", id="exactly"),
        pytest.param(K.MULTIPLE, {"min_choices": 1, "max_choices": 1}, {"choices": [1, 2]},
                     "Choose 1 option.", id="exactly-one"),
        pytest.param(K.MULTIPLE, {"min_choices": 9}, {"choices": [1]},
                     "Choose 4 options.", id="minimum-above-the-options-means-all"),
        pytest.param(K.SCORE, {"max_score": 10}, {"scores": {"1": 11}},
                     "A score goes from 0 to 10.", id="score-range"),
        pytest.param(K.RANKED, {}, {"ranking": [1, 1]}, "Rank each option at most once.",
                     id="ranking-duplicate"),
        pytest.param(K.SINGLE, {}, {"choice": 7}, "This option is not one of this decision's.",
                     id="foreign-option"),
        pytest.param(K.DATE_POLL, {}, {"answers": {"1": "yes"}}, "Answer for every date.",
                     id="every-date"),
    ],
)  # fmt: skip
def test_refusals_say_what_to_do(kind, settings, raw, message):
    with pytest.raises(Invalid) as raised:
        validate_ballot(rules_for(kind, "ABCD", **settings), raw)
    (text,) = raised.value.fields.values()
    assert str(text) == message  # English when rendered without a request


def test_rules_refuse_settings_that_cannot_be_counted():
    with pytest.raises(ValueError):
        Rules(K.SINGLE, (1, 1))
    with pytest.raises(ValueError):
        Rules(K.MULTIPLE, (1, 2), min_choices=2, max_choices=1)
    with pytest.raises(ValueError):
        Rules(K.SCORE, (1, 2), max_score=0)
    assert Rules("ranked_choice", [1, 2]) == Rules(K.RANKED, (1, 2))  # type: ignore[arg-type]


def test_options_tied_to_the_end_are_separated_by_a_reproducible_lot():
    """A 5, B 3, C 3: eliminating B and C together would elect A, though B's or C's
    transfers could elect the other; the lot (drawn from the decision's number) removes one."""
    rules = Rules(DecisionKind.RANKED, (1, 2, 3), tie_seed=42)
    ballots = [{1: 1}] * 5 + [{2: 1, 3: 2}] * 3 + [{3: 1, 2: 2}] * 3
    result = count(rules, ballots)
    first = result.rounds[0]
    assert first.by_lot and len(first.eliminated) == 1 and first.eliminated[0] in (2, 3)
    survivor = 5 - first.eliminated[0]  # the other of B and C
    assert result.winners == (survivor,)
    assert count(rules, ballots) == result  # a recount draws the same
    together = count(Rules(DecisionKind.RANKED, (1, 2, 3)), ballots)
    assert together.rounds[0].eliminated == (2, 3) and not together.rounds[0].by_lot
