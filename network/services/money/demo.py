"""Demo money requests: a solidarity committee of three associates, and requests in every
state — under review (with opinions and a declared conflict of interest), awaiting the
associates' binding decision, approved and being repaid, refused, and repaid."""

from typing import Any

from sqlalchemy import select

from network.core.permissions import IN_THE_COOPERATIVE, Role, Status
from network.extensions import db
from network.members.models import Member
from network.services.money import operations
from network.services.money.models import MoneyRequest


def seed_money() -> None:
    staff = db.session.scalars(
        select(Member).where(Member.role != Role.MEMBER).order_by(Member.id)
    ).first()
    members = list(
        db.session.scalars(
            select(Member)
            .where(
                Member.is_active.is_(True),
                Member.status.in_(IN_THE_COOPERATIVE),
                Member.role == Role.MEMBER,
            )
            .order_by(Member.id)
        )
    )
    associates = [m for m in members if m.status == Status.ASSOCIATE]
    others = [m for m in members if m.status != Status.ASSOCIATE]
    if staff is None or len(associates) < 3 or len(others) < 5:
        return
    # the demo logins: the first associate sits on the committee, the first CAPE has a
    # request under review, the first CESA one being repaid
    cesa = next((m for m in others if m.status == Status.EMPLOYEE_ENTREPRENEUR), None)
    if cesa is not None:
        others.remove(cesa)
        others.insert(2, cesa)
    committee = associates[:3]
    for seat in committee:
        operations.add_committee_member(staff, seat.id)
    first, second, third = committee

    def ask(member: Member, key: str, **fields: Any) -> MoneyRequest:
        request, _created = operations.submit_request(
            member, {"client_id": f"demo-{key}", **fields}
        )
        return request

    review = ask(
        others[0],
        "review",
        kind="advance",
        amount="2 400",
        purpose="Mon principal client (une collectivité) paie à 90 jours : une avance de "
        "trésorerie couvrirait mes charges d'ici au règlement de la facture n° 2026-031.",
        months=4,
    )
    operations.give_opinion(
        first, review, {"stance": "favourable", "reason": "Facture acceptée, client solide."}
    )
    operations.give_opinion(
        second,
        review,
        {"stance": "conflict", "reason": "Je travaille en sous-traitance sur ce marché."},
    )

    large = ask(
        others[1],
        "large",
        kind="loan",
        amount="8 000",
        purpose="Achat d'un four professionnel d'occasion pour développer l'atelier de "
        "boulangerie (devis joint au dossier papier).",
        months=24,
    )
    operations.give_opinion(
        first, large, {"stance": "favourable", "reason": "Le plan de charge le justifie."}
    )
    operations.give_opinion(
        third, large, {"stance": "favourable", "reason": "Activité rentable depuis un an."}
    )
    operations.decide(first, large, {"approved": True})  # above the threshold: the associates

    repaying = ask(
        others[2],
        "repaying",
        kind="loan",
        amount="3 000",
        purpose="Ordinateur portable et licences logicielles pour l'activité de graphisme.",
        amounts=["500", "500", "500", "500", "500", "500"],
    )
    operations.give_opinion(
        second, repaying, {"stance": "favourable", "reason": "Montant raisonnable."}
    )
    operations.decide(
        third, repaying, {"approved": True, "reason": "Accordé selon l'échéancier proposé."}
    )
    operations.record_repayment(staff, repaying, {"amount": "500", "note": "Virement"})

    ask_refused = ask(
        others[3],
        "refused",
        kind="loan",
        amount="12 000",
        purpose="Financer un véhicule utilitaire neuf.",
        months=36,
    )
    operations.give_opinion(
        first,
        ask_refused,
        {"stance": "unfavourable", "reason": "Un crédit-bail serait plus adapté."},
    )
    operations.decide(
        second,
        ask_refused,
        {
            "approved": False,
            "reason": "Le comité conseille un crédit-bail ; l'équipe d'appui peut vous "
            "accompagner dans la demande.",
        },
    )

    repaid = ask(
        others[4],
        "repaid",
        kind="advance",
        amount="450",
        purpose="Avance en attendant le versement d'une subvention régionale.",
        months=1,
    )
    operations.decide(first, repaid, {"approved": True})
    operations.record_repayment(staff, repaid, {"amount": "450", "note": "Subvention reçue"})
    db.session.flush()
