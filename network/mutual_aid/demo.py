"""Demo mutual aid: offers and needs tied to members' skills, exchanges recorded in the time
bank (and one disputed, for the support team), endorsements, and a declared co-contract."""

import random

from sqlalchemy import select

from network.core.permissions import IN_THE_COOPERATIVE, Role
from network.core.registries import skill_catalogue
from network.extensions import db
from network.members.models import Member
from network.mutual_aid import operations

OFFERS = [
    ("offer", "Je peux aider à refaire un site vitrine", "remote", "", "3"),
    ("offer", "Un second avis sur vos devis", "on_site", "", "1"),
    ("need", "Je cherche quelqu'un pour relire ma plaquette", "remote", "", "1h30"),
    ("offer", "Covoiturage vers les clients de l'est lyonnais", "city", "Lyon", "2"),
    ("need", "Je cherche un coup de main pour ma première facture", "on_site", "", "1"),
    ("offer", "Photos de vos produits pour votre boutique en ligne", "city", "Saint-Étienne", "2"),
    ("need", "Je cherche un regard sur mon business plan", "remote", "", "2"),
    ("offer", "Initiation aux réseaux sociaux pour les artisans", "remote", "", "1h30"),
]


def seed_mutual_aid() -> None:
    rng = random.Random(15)
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
    staff = db.session.scalars(select(Member).where(Member.role != Role.MEMBER)).first()
    if len(members) < 10 or staff is None:
        return
    catalogue = skill_catalogue()
    held = {m.id: catalogue.held_by(m.id) for m in members}
    skilled = [m for m in members if held.get(m.id)] or members
    for index, (kind, title, place, city, estimate) in enumerate(OFFERS):
        author = skilled[index % len(skilled)]
        skills = held.get(author.id, [])[:2] if kind == "offer" else []
        offer = operations.create_offer(
            author,
            {
                "kind": kind,
                "title": title,
                "body": "",
                "place": place,
                "city": city,
                "estimate": estimate,
                "skills": skills,
            },
        )
        others = [m for m in members if m.id != author.id]
        for responder in rng.sample(others, 2 if index % 3 == 0 else 1):
            response = operations.respond(responder, offer, "Avec plaisir, écrivez-moi.")
            if index >= 6:
                continue  # still waiting for their author
            exchange = operations.accept_response(author, response)
            hours = estimate
            if index < 4:  # done, confirmed by both: in the ledger
                operations.confirm_exchange(exchange.helper, exchange, hours)
                operations.confirm_exchange(exchange.helped, exchange, hours)
                endorsable = held.get(exchange.helper_id, [])[:1]
                if endorsable:
                    operations.endorse(
                        exchange.helped, exchange.helper_id, endorsable, "Efficace et clair."
                    )
            elif index == 4:  # a disagreement, for the support team to settle
                operations.confirm_exchange(exchange.helper, exchange, "2")
                operations.confirm_exchange(exchange.helped, exchange, "1")
            else:  # confirmed by one only
                operations.confirm_exchange(exchange.helper, exchange, hours)
    lead, partner = skilled[0], skilled[1]
    cocontract = operations.declare_cocontract(
        lead,
        {
            "kind": "co_contracting",
            "client": "Communauté de communes du Pilat",
            "description": "Refonte du site et des supports de l'office de tourisme.",
            "lead_id": lead.id,
            "total": "12 000,00",
            "parts": [
                {"member_id": lead.id, "amount": "7 500,00"},
                {"member_id": partner.id, "amount": "4 500,00"},
            ],
            "starts_on": "2027-01-11",
            "ends_on": "2027-04-30",
        },
    )
    operations.confirm_part(partner, cocontract)  # the partner agrees: a collaboration
