"""What governance keeps about a member (see `network.core.member_data`).

Decisions, votes, attendance sheets, proxies and candidacies are the cooperative's collective
and legal record: they stay as they are at a member's exit, and show the former member under
their anonymised name (they hold member ids, never names). Secret ballots hold no member at
all (`Ballot`, `ResolutionBallot`), so no export can reveal one: a member's export lists the
secret votes they took part in, never what they chose."""

from typing import Any

from flask_babel import lazy_gettext as _l

from network.core.member_data import MemberData, register_member_data, register_member_reference
from network.governance.models import (
    Assembly,
    AssemblyDocument,
    Attendee,
    Candidacy,
    Decision,
    DecisionEdit,
    DecisionOption,
    Elector,
    Proxy,
    Resolution,
    ResolutionSigner,
    ResolutionVote,
    Vote,
)


def register() -> None:
    kinds: tuple[tuple[str, Any, str, Any], ...] = (
        ("decisions", Decision, "author_id", _l("The decisions and polls you opened.")),
        ("votes", Vote, "member_id", _l("Your open votes on decisions and polls.")),
        (
            "decision_electorates",
            Elector,
            "member_id",
            _l("The decisions you could vote on, and whether you took part."),
        ),
        (
            "assembly_votes",
            ResolutionVote,
            "voter_id",
            _l("Your votes on assembly resolutions (a secret vote shows no choice)."),
        ),
        ("assembly_attendance", Attendee, "member_id", _l("Your convocations and attendance.")),
        ("proxies", Proxy, "giver_id", _l("The proxies you gave for assemblies.")),
        ("candidacies", Candidacy, "member_id", _l("Your candidacies to become an associate.")),
        (
            "resolution_signatures",
            ResolutionSigner,
            "member_id",
            _l("The resolutions you supported."),
        ),
    )
    for name, model, column, description in kinds:
        kind = "decision" if model is Decision else None  # its document names its author
        register_member_data(MemberData(name, model, column, description, search_kind=kind))
    references: tuple[tuple[Any, str], ...] = (
        (ResolutionVote, "cast_by_id"),
        (Proxy, "holder_id"),
        (DecisionOption, "added_by_id"),
        (DecisionEdit, "editor_id"),
        (Assembly, "chair_id"),
        (Assembly, "secretary_id"),
        (Assembly, "created_by_id"),
        (Assembly, "minutes_signed_by_id"),
        (AssemblyDocument, "added_by_id"),
        (Resolution, "proposed_by_id"),
    )
    for model, column in references:
        register_member_reference(model, column)
