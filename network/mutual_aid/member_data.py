"""What mutual aid keeps about a member (see `network.core.member_data`): exchanges,
balances and co-contracts stay (the collective record); preferences and the endorsements of
their skills go with the skills."""

from flask_babel import lazy_gettext as _l

from network.core.member_data import (
    Erase,
    MemberData,
    register_member_data,
    register_member_reference,
)
from network.mutual_aid.models import (
    Balance,
    CoContract,
    CoContractPart,
    Collaboration,
    Endorsement,
    Exchange,
    LedgerEntry,
    Offer,
    Preference,
    Response,
)


def register() -> None:
    register_member_data(
        MemberData(
            "aid_offers",
            Offer,
            "author_id",
            _l("Your offers and needs of mutual aid."),
            exclude=("city_key",),
            erase=Erase.WRITINGS,
            blank={"body": ""},
        )
    )
    register_member_data(
        MemberData(
            "aid_responses",
            Response,
            "member_id",
            _l("Your answers to offers and needs."),
            erase=Erase.WRITINGS,
            blank={"message": ""},
        )
    )
    for name, model, column, description in (
        ("exchanges_given", Exchange, "helper_id", _l("The exchanges in which you helped.")),
        (
            "exchanges_received",
            Exchange,
            "helped_id",
            _l("The exchanges in which you were helped."),
        ),
        ("aid_balance", Balance, "member_id", _l("Your balance of hours of mutual aid.")),
        ("aid_ledger", LedgerEntry, "member_id", _l("The entries of your mutual aid account.")),
        ("collaborations_a", Collaboration, "member_a_id", _l("Your collaborations.")),
        ("collaborations_b", Collaboration, "member_b_id", _l("Your collaborations.")),
        ("cocontracts", CoContract, "lead_id", _l("The co-contracts you led.")),
        ("cocontract_parts", CoContractPart, "member_id", _l("Your parts of co-contracts.")),
        (
            "endorsements_given",
            Endorsement,
            "endorser_id",
            _l("The skills of others you vouched for."),
        ),
    ):
        register_member_data(MemberData(name, model, column, description))
    register_member_data(
        MemberData(
            "endorsements_received",
            Endorsement,
            "member_id",
            _l("Who vouched for your skills."),
            erase=Erase.DELETE,
        )
    )
    register_member_data(
        MemberData(
            "aid_preferences",
            Preference,
            "member_id",
            _l("Your mutual aid preferences."),
            erase=Erase.DELETE,
        )
    )
    for model, column in (
        (Exchange, "settled_by_id"),
        (LedgerEntry, "counterpart_id"),
        (LedgerEntry, "created_by_id"),
        (CoContract, "declared_by_id"),
    ):
        register_member_reference(model, column)
