# ruff: noqa: E501
"""The legal rules of a general assembly, table-driven: quorum and majority at and around
each threshold, proxy caps, blank proxies, and the second convocation."""

from fractions import Fraction

import pytest

from network.governance.statutes import (
    Base,
    Counts,
    MajorityKind,
    Rule,
    proxy_cap,
    quorum_reached,
    verdict,
    votes_needed,
)

DEFAULTS = {  # the settings as the model statutes set them (see statutes.DEFAULTS)
    "ag_ordinary_1_quorum": "none", "ag_ordinary_1_majority": "simple", "ag_ordinary_1_base": "all",
    "ag_ordinary_2_quorum": "none", "ag_ordinary_2_majority": "simple", "ag_ordinary_2_base": "present",
    "ag_extraordinary_1_quorum": "3/4", "ag_extraordinary_1_majority": "3/4", "ag_extraordinary_1_base": "present",
    "ag_extraordinary_2_quorum": "1/2", "ag_extraordinary_2_majority": "3/4", "ag_extraordinary_2_base": "present",
}  # fmt: skip
AGO1 = Rule.from_settings(DEFAULTS, MajorityKind.ORDINARY, 1)
AGO2 = Rule.from_settings(DEFAULTS, MajorityKind.ORDINARY, 2)
AGE1 = Rule.from_settings(DEFAULTS, MajorityKind.EXTRAORDINARY, 1)
AGE2 = Rule.from_settings(DEFAULTS, MajorityKind.EXTRAORDINARY, 2)


def test_the_defaults_are_the_model_statutes():
    assert (AGO1.quorum, AGO1.majority, AGO1.strict, AGO1.base) == (
        None,
        Fraction(1, 2),
        True,
        Base.ALL,
    )
    assert (AGO2.quorum, AGO2.base) == (None, Base.PRESENT)
    assert (AGE1.quorum, AGE1.majority, AGE1.strict) == (Fraction(3, 4), Fraction(3, 4), False)
    assert AGE2.quorum == Fraction(1, 2)


@pytest.mark.parametrize(
    ("rule", "base_count", "needed"),
    [
        (AGO1, 40, 21), (AGO1, 41, 21), (AGO1, 1, 1), (AGO1, 2, 2),  # more than half
        (AGE1, 40, 30), (AGE1, 41, 31), (AGE1, 4, 3), (AGE1, 3, 3),  # at least 3/4
        (Rule(None, Fraction(2, 3), False, Base.CAST), 30, 20), (Rule(None, Fraction(2, 3), False, Base.CAST), 31, 21),
    ],
    ids=["half-of-40", "half-of-41", "half-of-1", "half-of-2", "3/4-of-40", "3/4-of-41", "3/4-of-4", "3/4-of-3", "2/3-of-30", "2/3-of-31"],
)  # fmt: skip
def test_votes_needed_at_each_threshold(rule, base_count, needed):
    assert votes_needed(rule, base_count) == needed


@pytest.mark.parametrize(
    ("rule", "present", "register", "reached"),
    [
        (AGO1, 0, 40, True),  # no quorum on an AGO
        (AGE1, 30, 40, True), (AGE1, 29, 40, False), (AGE1, 31, 41, True), (AGE1, 30, 41, False),
        (AGE2, 20, 40, True), (AGE2, 19, 40, False), (AGE2, 21, 41, True), (AGE2, 20, 41, False),
    ],
    ids=["ago-none", "age1-at", "age1-below", "age1-odd-at", "age1-odd-below", "age2-at", "age2-below", "age2-odd-at", "age2-odd-below"],
)  # fmt: skip
def test_quorum_at_and_around_each_threshold(rule, present, register, reached):
    assert quorum_reached(rule, present, register) is reached


@pytest.mark.parametrize(
    ("rule", "counts", "present", "register", "adopted", "needed"),
    [
        # AGO 1st convocation: more than half of ALL 40 associates, whoever came
        (AGO1, Counts(votes_for=21), 25, 40, True, 21),
        (AGO1, Counts(votes_for=20, against=1), 25, 40, False, 21),
        # AGO 2nd convocation: more than half of those present or represented
        (AGO2, Counts(votes_for=13, against=12), 25, 40, True, 13),
        (AGO2, Counts(votes_for=12, against=10, abstain=3), 25, 40, False, 13),
        # AGE 1st: quorum 3/4, then at least 3/4 of those present or represented
        (AGE1, Counts(votes_for=23, against=7), 30, 40, True, 23),
        (AGE1, Counts(votes_for=22, against=8), 30, 40, False, 23),
        (AGE1, Counts(votes_for=29), 29, 40, False, 22),  # no quorum: rejected whatever the votes
        # AGE 2nd: quorum 1/2
        (AGE2, Counts(votes_for=15, against=5), 20, 40, True, 15),
        (AGE2, Counts(votes_for=19), 19, 40, False, 15),
        # blank proxies: for a resolution of the gérance, against the others
        (AGO2, Counts(votes_for=10, against=12, blank_for=3), 25, 40, True, 13),
        (AGO2, Counts(votes_for=13, against=9, blank_against=3), 25, 40, True, 13),
        (AGO2, Counts(votes_for=12, against=10, blank_against=3), 25, 40, False, 13),
    ],
    ids=["ago1-adopted", "ago1-short-of-all", "ago2-adopted", "ago2-abstentions-count-present", "age1-at-3/4", "age1-below-3/4", "age1-no-quorum", "age2-adopted", "age2-no-quorum", "blank-for-carries", "blank-against-not-enough", "blank-against-blocks"],
)  # fmt: skip
def test_verdicts(rule, counts, present, register, adopted, needed):
    result = verdict(rule, counts, present=present, register=register)
    assert (result.adopted, result.needed) == (adopted, needed)


def test_abstentions_count_as_cast_only_when_the_settings_say_so():
    rule = Rule(None, Fraction(1, 2), True, Base.CAST)
    counts = Counts(votes_for=5, against=4, abstain=2)
    assert verdict(rule, counts, present=11, register=20).adopted  # 5 of 9 cast
    assert not verdict(rule, counts, present=11, register=20, abstentions_cast=True).adopted


@pytest.mark.parametrize(
    ("associates", "stricter", "cap"),
    [(5, 0, 1), (19, 0, 1), (20, 0, 1), (21, 0, 1), (39, 0, 1), (40, 0, 2), (41, 0, 2), (500, 0, 25), (500, 3, 3), (500, 40, 25), (0, 0, 1)],
    ids=["5", "19", "20", "21", "39", "40", "41", "500", "stricter-statutes", "looser-statutes-ignored", "none"],
)  # fmt: skip
def test_proxy_caps(associates, stricter, cap):
    assert proxy_cap(associates, stricter) == cap


def test_the_rule_says_itself_for_the_minutes(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert AGE1.describe() == (
            "quorum 3/4 of the associates; at least 3/4 of the associates present or represented"
        )
        assert AGO1.describe() == "no quorum; more than half of all the associates"
