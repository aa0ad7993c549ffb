"""Demo decisions: an open consultation with votes, a binding secret ballot of the associates,
a date poll for the pre-assembly, and a closed decision with its outcome."""

import random
from datetime import timedelta

from sqlalchemy import select

from network.core.models import utcnow
from network.core.permissions import IN_THE_COOPERATIVE, Role, Status
from network.extensions import db
from network.governance import operations
from network.governance.models import Decision
from network.members.models import Member


def _iso(days: float) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


def seed_governance() -> None:
    rng = random.Random(12)
    staff = db.session.scalars(
        select(Member).where(Member.role != Role.MEMBER).order_by(Member.id)
    ).first()
    members = list(
        db.session.scalars(
            select(Member)
            .where(Member.is_active.is_(True), Member.status.in_(IN_THE_COOPERATIVE))
            .order_by(Member.id)
        )
    )
    associates = [m for m in members if m.status == Status.ASSOCIATE]
    if staff is None or len(members) < 10 or len(associates) < 3:
        return
    author = associates[0]

    energy = _opened(
        author,
        kind="proposal",
        title="Passer les locaux à une électricité 100 % renouvelable",
        context="Le contrat actuel se termine en mars. Une offre coopérative (Enercoop) "
        "coûterait **environ 12 %** de plus par an, soit 380 € pour la coopérative.",
        closes_at=_iso(5),
        electorate="members",
        results="always",
    )
    stances = {o.code: o.id for o in energy.options}
    for voter in rng.sample(members, min(14, len(members))):
        stance = rng.choices(["agree", "abstain", "disagree"], weights=[7, 2, 1])[0]
        reason = "Cohérent avec nos valeurs." if stance == "agree" and rng.random() < 0.4 else None
        body = {"choice": stances[stance], **({"reason": reason} if reason else {})}
        operations.cast_vote(voter, energy, body)

    council = _opened(
        staff,
        kind="single_choice",
        title="Élection du représentant des associés au conseil coopératif",
        context="Vote à bulletin secret des associés. Chaque associé reçoit un code de reçu.",
        options=[a.display_name for a in associates[1:4]],
        closes_at=_iso(9),
        electorate="associates",
        secret=True,
        results="after_close",
    )
    for voter in associates[: max(1, len(associates) // 2)]:
        choice = rng.choice(council.options).id
        operations.cast_vote(voter, council, {"choice": choice})

    day = (utcnow() + timedelta(days=14)).replace(hour=17, minute=0, second=0, microsecond=0)
    _opened(
        staff,
        kind="date_poll",
        title="Date de la réunion pré-AG (ouverte aux CAPE et CESA)",
        options=[(day + timedelta(days=n)).isoformat() for n in (0, 1, 3)],
        closes_at=_iso(7),
        electorate="statuses",
        statuses=["support_contract", "employee_entrepreneur", "associate"],
        results="always",
        voters_add_options=True,
    )

    seminar = _opened(
        author,
        kind="ranked_choice",
        title="Lieu du séminaire de rentrée",
        options=["Les Monts du Lyonnais", "Le Vercors", "La Drôme provençale"],
        closes_at=_iso(3),
        electorate="members",
        results="always",
    )
    ids = [o.id for o in seminar.options]
    for voter in rng.sample(members, min(18, len(members))):
        operations.cast_vote(voter, seminar, {"ranking": rng.sample(ids, rng.randint(1, 3))})
    operations.close_decision(author, seminar)
    operations.write_outcome(
        author,
        seminar,
        "Le séminaire aura lieu **dans le Vercors** les 18 et 19 septembre. Merci aux 18 votants !",
    )


def _opened(author: Member, **fields) -> Decision:
    decision = operations.create_decision(author, fields)
    db.session.flush()
    return operations.open_decision(author, decision)


def seed_assemblies() -> None:
    """A past AGO with its votes and signed minutes, and the next one, convened."""
    from network.governance import assemblies
    from network.governance.models import Assembly

    staff = db.session.scalars(
        select(Member).where(Member.role != Role.MEMBER).order_by(Member.id)
    ).first()
    associates = list(
        db.session.scalars(
            select(Member)
            .where(Member.is_active.is_(True), Member.status == Status.ASSOCIATE)
            .order_by(Member.id)
        )
    )
    if staff is None or len(associates) < 4:
        return
    rng = random.Random(13)
    agenda = [
        {"title": "Approbation des comptes de l'exercice", "text": "Les comptes sont joints."},
        {"title": "Affectation du résultat", "text": "45 % en réserves, 40 % aux salariés."},
        {
            "title": "Élection de la gérance",
            "text": "Candidate : la gérante sortante.",
            "secret": True,
        },
    ]
    past = assemblies.create_assembly(
        staff,
        {
            "kind": "ordinary",
            "title": "Assemblée générale ordinaire annuelle",
            "starts_at": _iso(30),
            "place": "Grande salle, 12 rue des Tisserands, Lyon",
            "chair_id": staff.id,
            "resolutions": agenda,
        },
    )
    assemblies.convene(staff, past)
    past.starts_at = utcnow() - timedelta(days=60)
    for attendee_member in associates[: len(associates) * 3 // 4]:
        assemblies.check_in(staff, past, attendee_member.id, "present")
    for resolution in past.resolutions:
        assemblies.open_resolution(staff, resolution)
        for voter in associates[: len(associates) * 3 // 4]:
            choice = rng.choices(["for", "against", "abstain"], weights=[8, 1, 1])[0]
            assemblies.vote(voter, resolution, choice)
        assemblies.close_resolution(staff, resolution)
    assemblies.close_assembly(staff, past)
    assemblies.sign_minutes(staff, past)
    db.session.flush()

    upcoming = assemblies.create_assembly(
        staff,
        {
            "kind": "ordinary_extraordinary",
            "title": "Assemblée générale mixte : comptes et modification des statuts",
            "starts_at": _iso(21),
            "place": "Grande salle, Lyon",
            "online_url": "https://visio.exemple.fr/ag",
            "chair_id": staff.id,
            "resolutions": [
                {"title": "Approbation des comptes", "text": "Rapport de gestion joint."},
                {
                    "title": "Modification de l'article 12 des statuts",
                    "text": "Durée du parcours vers le sociétariat portée à 3 ans.",
                    "majority": "extraordinary",
                },
            ],
        },
    )
    assemblies.convene(staff, upcoming)
    assert isinstance(upcoming, Assembly)
