"""The rules of a general assembly, as the cooperative's statutes set them: who must be
present or represented (quorum), which majority carries a resolution, how many proxies one
associate may hold. Pure functions over plain numbers; the values are settings of the
cooperative (`register_setting`), never constants.

Defaults follow the model statutes of a small Scop SARL (law of 1947 and 1978):
- AGO, first convocation: no quorum; a resolution needs more than half of **all** the
  associates;
- AGO, second convocation: no quorum; more than half of those present or represented;
- AGE, first convocation: quorum 3/4 of the associates present or represented; at least 3/4
  of those present or represented;
- AGE, second convocation: quorum 1/2; at least 3/4 of those present or represented.
An "ordinaire réunie extraordinairement" follows, per resolution, the ordinary or the
extraordinary rules. Postal votes count as present. Abstentions and blank votes are not
votes cast unless the settings say so.

Proxies: besides their own vote, nobody holds more than 1 proxy when the cooperative has
fewer than 20 associates, or more than 1/20 of the associates (rounded down, at least 1) when
it has 20 or more; the statutes may only be stricter.
"""

import enum
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l

from network.core.registries import SettingSpec, register_setting


class MajorityKind(enum.StrEnum):
    """What a resolution needs: the ordinary or the extraordinary rules."""

    ORDINARY = "ordinary"
    EXTRAORDINARY = "extraordinary"


class Base(enum.StrEnum):
    """Of what a majority is counted."""

    CAST = "cast"  # the votes cast (for and against; abstentions as the settings say)
    PRESENT = "present"  # the associates present, represented or voting by post
    ALL = "all"  # every associate of the register


FRACTIONS = {"none": None, "1/4": Fraction(1, 4), "1/3": Fraction(1, 3), "1/2": Fraction(1, 2),
             "2/3": Fraction(2, 3), "3/4": Fraction(3, 4)}  # fmt: skip
QUORUM_CHOICES = (
    ("none", _l("No quorum")),
    ("1/4", _l("A quarter")),
    ("1/3", _l("A third")),
    ("1/2", _l("Half")),
    ("2/3", _l("Two thirds")),
    ("3/4", _l("Three quarters")),
)
MAJORITY_CHOICES = (
    ("simple", _l("More than half")),
    ("2/3", _l("At least two thirds")),
    ("3/4", _l("At least three quarters")),
)
BASE_CHOICES = (
    (Base.CAST.value, _l("of the votes cast")),
    (Base.PRESENT.value, _l("of the associates present or represented")),
    (Base.ALL.value, _l("of all the associates")),
)
#: (majority kind, convocation) → (quorum, majority, base): the model statutes' defaults.
DEFAULTS = {
    (MajorityKind.ORDINARY, 1): ("none", "simple", Base.ALL),
    (MajorityKind.ORDINARY, 2): ("none", "simple", Base.PRESENT),
    (MajorityKind.EXTRAORDINARY, 1): ("3/4", "3/4", Base.PRESENT),
    (MajorityKind.EXTRAORDINARY, 2): ("1/2", "3/4", Base.PRESENT),
}
KIND_NAMES = {
    MajorityKind.ORDINARY: _l("ordinary"),
    MajorityKind.EXTRAORDINARY: _l("extraordinary"),
}


def setting_key(kind: MajorityKind, convocation: int, part: str) -> str:
    return f"ag_{kind.value}_{convocation}_{part}"


def _register_rules() -> None:
    for (kind, convocation), (quorum, majority, base) in DEFAULTS.items():
        where = _l("%(kind)s resolutions, convocation %(n)s", kind=KIND_NAMES[kind], n=convocation)
        for part, default, choices, label in (
            ("quorum", quorum, QUORUM_CHOICES, _l("Quorum (%(where)s)", where=where)),
            ("majority", majority, MAJORITY_CHOICES, _l("Majority (%(where)s)", where=where)),
            ("base", base.value, BASE_CHOICES, _l("Majority counted (%(where)s)", where=where)),
        ):
            register_setting(
                SettingSpec(setting_key(kind, convocation, part), default, label, choices=choices)
            )


_register_rules()
register_setting(
    SettingSpec("ag_abstentions_cast", False, _l("Abstentions and blank votes count as votes cast"))
)
register_setting(
    SettingSpec(
        "ag_blank_proxies_follow_gerance",
        True,
        _l("Blank proxies vote for the resolutions of the gérance and against the others"),
    )
)
register_setting(
    SettingSpec(
        "ag_convocation_days",
        15,
        _l("Days between the convocation and a general assembly, at least"),
        minimum=0,
        maximum=90,
    )
)
register_setting(SettingSpec("ag_postal_votes", True, _l("Associates may vote by post")))
register_setting(
    SettingSpec(
        "ag_proposals_open_days",
        15,
        _l("Associates may add draft resolutions from this many days before the assembly"),
        minimum=1,
        maximum=90,
    )
)
register_setting(
    SettingSpec(
        "ag_proposals_close_days",
        5,
        _l("… until this many days before the assembly"),
        minimum=0,
        maximum=60,
    )
)
register_setting(
    SettingSpec(
        "ag_proposal_share_percent",
        5,
        _l("Share of the votes (%) the associates adding a draft resolution must hold together"),
        minimum=1,
        maximum=100,
    )
)
register_setting(
    SettingSpec(
        "ag_proxy_cap",
        0,
        _l("Proxies one associate may hold (0: the law's cap; the statutes may only be stricter)"),
        minimum=0,
        maximum=100,
    )
)


@dataclass(frozen=True)
class Rule:
    quorum: Fraction | None
    majority: Fraction
    strict: bool  # more than (a simple majority) rather than at least
    base: Base

    @classmethod
    def from_settings(cls, settings: Any, kind: MajorityKind, convocation: int) -> "Rule":
        def value(part: str) -> str:
            return str(settings[setting_key(kind, convocation, part)])

        majority = value("majority")
        return cls(
            quorum=FRACTIONS.get(value("quorum")),
            majority=Fraction(1, 2) if majority == "simple" else FRACTIONS[majority],  # type: ignore[arg-type]
            strict=majority == "simple",
            base=Base(value("base")),
        )

    def to_dict(self) -> dict[str, Any]:
        """Language-neutral (a verdict keeps it; each reader gets it in their language)."""
        return {
            "quorum": None if self.quorum is None else _fraction(self.quorum),
            "majority": _fraction(self.majority),
            "strict": self.strict,
            "base": self.base.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Rule":
        quorum = data.get("quorum")
        return cls(
            quorum=None if quorum is None else Fraction(quorum),
            majority=Fraction(data["majority"]),
            strict=bool(data["strict"]),
            base=Base(data["base"]),
        )

    def describe(self) -> str:
        """The rule in words, for the verdict and the minutes."""
        quorum = (
            str(_l("no quorum"))
            if self.quorum is None
            else str(_l("quorum %(share)s of the associates", share=_fraction(self.quorum)))
        )
        need = (
            str(_l("more than half"))
            if self.strict
            else str(_l("at least %(share)s", share=_fraction(self.majority)))
        )
        base = dict(BASE_CHOICES)[self.base.value]
        return f"{quorum}; {need} {base}"


def describe_rule(data: dict[str, Any] | None) -> str:
    """A verdict's rule in the reader's language."""
    return Rule.from_dict(data).describe() if data else ""


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def quorum_reached(rule: Rule, present: int, register: int) -> bool:
    """`present`: associates present, represented or voting by post."""
    if rule.quorum is None:
        return True
    return register > 0 and Fraction(present, register) >= rule.quorum


def quorum_needed(rule: Rule, register: int) -> int:
    """The fewest associates present or represented that make the quorum."""
    if rule.quorum is None:
        return 0
    exact = rule.quorum * register
    return -(-exact.numerator // exact.denominator)


def votes_needed(rule: Rule, base_count: int) -> int:
    """The fewest votes for that carry a resolution when the base counts `base_count`."""
    exact = rule.majority * base_count
    if rule.strict:
        return int(exact) + 1  # more than: the next whole vote above
    return -(-exact.numerator // exact.denominator)  # at least: rounded up


@dataclass(frozen=True)
class Counts:
    """The votes on one resolution (each proxy held counted as the vote it is)."""

    votes_for: int = 0
    against: int = 0
    abstain: int = 0
    blank_for: int = 0  # blank proxies counted for (resolutions of the gérance)
    blank_against: int = 0  # blank proxies counted against (the others)


@dataclass(frozen=True)
class Verdict:
    quorum_reached: bool
    base_count: int
    needed: int
    votes_for: int
    against: int
    abstain: int
    adopted: bool
    rule: Rule

    def to_dict(self) -> dict[str, Any]:
        return {
            "quorum_reached": self.quorum_reached,
            "base": self.base_count,
            "needed": self.needed,
            "for": self.votes_for,
            "against": self.against,
            "abstain": self.abstain,
            "adopted": self.adopted,
            "rule": self.rule.to_dict(),
        }


def verdict(
    rule: Rule, counts: Counts, *, present: int, register: int, abstentions_cast: bool = False
) -> Verdict:
    """Adopted or rejected, and why: the quorum, the base, the votes needed and cast."""
    votes_for = counts.votes_for + counts.blank_for
    against = counts.against + counts.blank_against
    if rule.base == Base.ALL:
        base_count = register
    elif rule.base == Base.PRESENT:
        base_count = present
    else:
        base_count = votes_for + against + (counts.abstain if abstentions_cast else 0)
    reached = quorum_reached(rule, present, register)
    needed = votes_needed(rule, base_count)
    adopted = reached and base_count > 0 and votes_for >= needed
    return Verdict(reached, base_count, needed, votes_for, against, counts.abstain, adopted, rule)


def proxy_cap(associates: int, stricter: int = 0) -> int:
    """Proxies one associate may hold besides their own vote."""
    legal = 1 if associates < 20 else max(1, associates // 20)
    return min(legal, stricter) if stricter > 0 else legal
