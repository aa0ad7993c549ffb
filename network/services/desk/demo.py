"""The demo catalogue (comptabilité, paie, juridique, accompagnement, formation, trésorerie,
attestations) and requests in every state, with their thread, an internal note, marks of
satisfaction, two FAQ entries and the cooperative's year-end closure."""

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update

from network.cooperative import cooperative_today
from network.cooperative.calendar import add_closed_day
from network.core.permissions import IN_THE_COOPERATIVE, Role
from network.extensions import db
from network.members.models import Member
from network.services.desk import operations
from network.services.desk.models import RequestState, Service, ServiceRequest

CATALOGUE: list[dict[str, Any]] = [
    {
        "name_fr": "Comptabilité : une question sur mes comptes",
        "name_en": "Accounting: a question about my accounts",
        "description_fr": "Factures, notes de frais, TVA, lecture de votre compte d'activité.",
        "description_en": "Invoices, expense claims, VAT, reading your activity account.",
        "team": "accounting",
        "response_days": 2,
        "fields": [
            {
                "key": "topic",
                "kind": "choice",
                "label_fr": "Sujet",
                "label_en": "Topic",
                "required": True,
                "choices": ["Facture", "Note de frais", "TVA", "Compte d'activité"],
            },
            {
                "key": "amount",
                "kind": "number",
                "label_fr": "Montant (€)",
                "label_en": "Amount (€)",
            },
            {"key": "document", "kind": "file", "label_fr": "Pièce jointe", "label_en": "Document"},
        ],
    },
    {
        "name_fr": "Paie : bulletin et simulation de salaire",
        "name_en": "Payroll: payslip and salary simulation",
        "description_fr": "Une question sur votre bulletin, ou une simulation avant d'augmenter votre salaire.",
        "description_en": "A question on your payslip, or a simulation before raising your salary.",
        "team": "payroll",
        "response_days": 3,
        "fields": [
            {
                "key": "month",
                "kind": "date",
                "label_fr": "Mois concerné",
                "label_en": "Month",
                "required": True,
            },
            {
                "key": "gross",
                "kind": "number",
                "label_fr": "Salaire brut souhaité (€)",
                "label_en": "Wished gross salary (€)",
            },
        ],
    },
    {
        "name_fr": "Juridique : relire un contrat",
        "name_en": "Legal: review a contract",
        "description_fr": "Contrat client, conditions générales de vente, sous-traitance.",
        "description_en": "Client contract, terms of sale, subcontracting.",
        "team": "legal",
        "response_days": 5,
        "fields": [
            {
                "key": "kind",
                "kind": "choice",
                "label_fr": "Type de contrat",
                "label_en": "Kind of contract",
                "required": True,
                "choices": ["Contrat client", "CGV", "Sous-traitance", "Autre"],
            },
            {
                "key": "contract",
                "kind": "file",
                "label_fr": "Le contrat",
                "label_en": "The contract",
                "required": True,
            },
        ],
    },
    {
        "name_fr": "Accompagnement : un rendez-vous avec ma chargée",
        "name_en": "Support: a meeting with my adviser",
        "description_fr": "Faire le point sur votre activité, votre prévisionnel, votre parcours vers le sociétariat.",
        "description_en": "Review your activity, your forecast, your path to becoming an associate.",
        "team": "support",
        "response_days": 3,
        "fields": [
            {
                "key": "when",
                "kind": "date",
                "label_fr": "Date souhaitée",
                "label_en": "Wished date",
            },
            {
                "key": "topic",
                "kind": "text",
                "label_fr": "Ce dont vous voulez parler",
                "label_en": "What you want to talk about",
                "required": True,
            },
        ],
    },
    {
        "name_fr": "Formation : m'inscrire ou financer une formation",
        "name_en": "Training: enrol or fund a course",
        "description_fr": "Ateliers de la coopérative, CPF, plan de développement des compétences.",
        "description_en": "The cooperative's workshops, CPF, skills development plan.",
        "team": "training",
        "response_days": 5,
        "fields": [
            {
                "key": "title",
                "kind": "text",
                "label_fr": "Intitulé de la formation",
                "label_en": "Course title",
                "required": True,
            },
            {"key": "cost", "kind": "number", "label_fr": "Coût (€)", "label_en": "Cost (€)"},
        ],
    },
    {
        "name_fr": "Trésorerie : avance ou délai de paiement",
        "name_en": "Treasury: advance or payment delay",
        "description_fr": "Une facture client en retard, un achat à financer avant d'être payé.",
        "description_en": "A late client invoice, a purchase to fund before being paid.",
        "team": "treasury",
        "response_days": 2,
        "fields": [
            {
                "key": "amount",
                "kind": "number",
                "label_fr": "Montant (€)",
                "label_en": "Amount (€)",
                "required": True,
            },
            {"key": "until", "kind": "date", "label_fr": "Jusqu'au", "label_en": "Until"},
        ],
    },
    {
        "name_fr": "Attestations (Pôle emploi, URSSAF, employeur)",
        "name_en": "Certificates (employment office, URSSAF, employer)",
        "team": "support",
        "response_days": 2,
        "fields": [],
    },
]

SUBJECTS = [
    (0, "Ma facture Dupont n'apparaît pas dans mon compte", {"topic": "Facture", "amount": "1200"}),
    (0, "Comment déclarer mes frais kilométriques ?", {"topic": "Note de frais"}),
    (0, "TVA sur une prestation à l'étranger", {"topic": "TVA"}),
    (1, "Simulation pour passer à 1 800 € brut", {"month": "2026-12-01", "gross": "1800"}),
    (1, "Ligne « prévoyance » sur mon bulletin", {"month": "2026-11-01"}),
    (3, "Point sur mon prévisionnel 2027", {"topic": "Prévisionnel et tarifs"}),
    (
        4,
        "Formation comptabilité pour débutants",
        {"title": "Lire son compte d'activité", "cost": "350"},
    ),
    (5, "Avance sur une facture de la mairie", {"amount": "2400"}),
    (6, "Attestation employeur pour ma banque", {}),
    (
        0,
        "Remboursement d'une note de frais de septembre",
        {"topic": "Note de frais", "amount": "86.40"},
    ),
    (1, "Mutuelle : dispense possible ?", {"month": "2026-10-01"}),
    (3, "Préparer ma candidature au sociétariat", {"topic": "Devenir associé"}),
]
STATES = [
    RequestState.NEW,
    RequestState.IN_PROGRESS,
    RequestState.WAITING_MEMBER,
    RequestState.RESOLVED,
    RequestState.CLOSED,
    RequestState.NEW,
    RequestState.IN_PROGRESS,
    RequestState.CLOSED,
    RequestState.RESOLVED,
    RequestState.CLOSED,
    RequestState.WAITING_MEMBER,
    RequestState.NEW,
]


def seed_services() -> None:
    rng = random.Random(14)
    team = list(
        db.session.scalars(select(Member).where(Member.role != Role.MEMBER).order_by(Member.id))
    )
    members = list(
        db.session.scalars(
            select(Member)
            .where(Member.is_active.is_(True), Member.status.in_(IN_THE_COOPERATIVE))
            .where(Member.role == Role.MEMBER)
            .order_by(Member.id)
        )
    )
    if not team or len(members) < 6:
        return
    keeper = team[0]
    today = cooperative_today()
    for offset in range(0, 7):  # the year-end closure
        day = date(today.year, 12, 24) + timedelta(days=offset)
        if day.weekday() < 5:
            add_closed_day(keeper, day, "Fermeture de fin d'année")
    services = [operations.create_service(keeper, dict(entry)) for entry in CATALOGUE]
    by_team = {m.headline.split(" —")[0]: m for m in team}
    for number, ((index, subject, answers), state) in enumerate(zip(SUBJECTS, STATES, strict=True)):
        service = services[index]
        member = members[number % len(members)]
        if service.fields and any(f["required"] and f["kind"] == "file" for f in service.fields):
            continue
        request, _created = operations.open_request(
            member,
            service,
            subject,
            answers,
            f"demo-{number}",
            body="Bonjour, pouvez-vous m'aider ?",
        )
        handler = (
            {
                "accounting": by_team.get("Comptable"),
                "payroll": by_team.get("Gestionnaire de paie"),
                "legal": by_team.get("Juriste"),
            }.get(service.team.value)
            or by_team.get("Chargé d'accompagnement")
            or keeper
        )
        _play(request, state, member, handler, rng)
        if state != RequestState.NEW:
            days_ago = rng.randint(1, 20)
        else:  # the last new one waits for its first answer beyond its due date
            days_ago = 9 if number == len(SUBJECTS) - 1 else rng.randint(0, 1)
        _age(request, days_ago)
    _faq(keeper, services)


def _play(
    request: ServiceRequest,
    state: RequestState,
    member: Member,
    handler: Member,
    rng: random.Random,
) -> None:
    if state == RequestState.NEW:
        return
    operations.assign_request(handler, request, handler.id)
    operations.post_message(
        handler, request, "Membre suivi depuis son entrée en CAPE.", internal=True
    )
    operations.post_message(handler, request, "Bonjour, je regarde cela et je reviens vers vous.")
    if state == RequestState.IN_PROGRESS:
        return
    operations.change_state(handler, request, RequestState.WAITING_MEMBER)
    if state == RequestState.WAITING_MEMBER:
        return
    operations.post_message(member, request, "Voici les précisions demandées. Merci !")
    operations.post_message(handler, request, "C'est réglé : tout est à jour de notre côté.")
    operations.change_state(handler, request, RequestState.RESOLVED)
    if state == RequestState.CLOSED:
        operations.close_request(
            member, request, rng.choice([3, 4, 5, 5]), "Réponse claire, merci."
        )


def _age(request: ServiceRequest, days: int) -> None:
    """Move a demo request back in time, so that due dates and medians look lived-in."""
    from network.cooperative.calendar import add_working_days

    shift = timedelta(days=days)
    opened_at = request.opened_at - shift
    values: dict[str, Any] = {
        "opened_at": opened_at,
        "opened_on": request.opened_on - shift,
        "due_on": add_working_days(request.opened_on - shift, request.service.response_days),
    }
    if request.first_answer_at is not None:
        values["first_answer_at"] = opened_at + timedelta(hours=5 + days % 30)
        values["first_answer_minutes"] = (5 + days % 30) * 60
    if request.resolved_at is not None:
        hours = 24 * max(1, days // 2)
        values["resolved_at"] = opened_at + timedelta(hours=hours)
        values["resolved_on"] = (opened_at + timedelta(hours=hours)).date()
        values["resolution_minutes"] = hours * 60
    db.session.execute(
        update(ServiceRequest).where(ServiceRequest.id == request.id).values(**values)
    )
    db.session.expire(request)


def _faq(keeper: Member, services: list[Service]) -> None:
    done = db.session.scalars(
        select(ServiceRequest)
        .where(ServiceRequest.state.in_([RequestState.RESOLVED, RequestState.CLOSED]))
        .order_by(ServiceRequest.id)
    ).all()
    entries = [
        (
            "Comment déclarer mes frais kilométriques ?",
            "Saisissez-les dans **votre note de frais mensuelle** avec le barème fiscal ; "
            "joignez la carte grise du véhicule la première fois.",
        ),
        (
            "Quand ma facture apparaît-elle dans mon compte d'activité ?",
            "Dès que le paiement du client est **rapproché** par la comptabilité, en général "
            "sous 2 jours ouvrés.",
        ),
    ]
    for request, (question, answer) in zip(done, entries, strict=False):
        operations.publish_faq(keeper, request, question, answer)
