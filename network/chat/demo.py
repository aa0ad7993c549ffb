"""Demo channels with a few days of history, threads, reactions and direct conversations."""

import random
from datetime import timedelta

from sqlalchemy import select

from network.chat import operations
from network.chat.models import Channel, ChannelMember, ChannelRole, Message, Reaction
from network.core.markup import render_markdown
from network.core.models import utcnow
from network.core.permissions import Role
from network.extensions import db
from network.members.models import Member

CHANNELS = [
    (
        "Général",
        "public",
        "La vie de la coopérative",
        [
            "Bonjour à toutes et à tous ! Bienvenue aux nouvelles personnes arrivées ce mois-ci 🌱",
            "Quelqu'un sait si la salle de réunion du 2e est libre jeudi ?",
            "Oui, je l'ai vue libre sur le planning jusqu'à 16 h.",
            "Petit rappel : le **déjeuner partagé** a lieu vendredi à 12 h 30, chacun apporte un plat.",
            "Je viendrai avec une quiche aux poireaux !",
            "Merci pour l'atelier d'hier sur la prospection, c'était très concret.",
        ],
    ),
    (
        "Entraide",
        "public",
        "Questions, coups de main, bons plans",
        [
            "Quelqu'un a un modèle de **devis** propre pour une prestation de formation ?",
            "Je peux t'envoyer le mien, il suit la charte de la coopérative.",
            "Vous utilisez quoi pour suivre vos heures par client ?",
            "Un simple tableur partagé, ça me suffit largement.",
            "Besoin d'un·e photographe pour un shooting produit à Lyon la semaine prochaine, des idées ?",
            "Regarde du côté de l'annuaire, compétence « Photographie » : il y a au moins trois personnes à Lyon.",
        ],
    ),
    (
        "Marchés publics",
        "public",
        "Répondre ensemble aux appels d'offres",
        [
            "Un appel d'offres de la métropole pour la refonte d'un site culturel : qui est partant·e ?",
            "Partante pour la partie graphisme et identité visuelle.",
            "Je peux prendre le développement, on se cale un point mardi ?",
            "Le DCE est sur la plateforme, date limite le 15. Je prépare le mémoire technique.",
        ],
    ),
]
PRIVATE = (
    "Comité de pilotage",
    "Préparation des instances",
    [
        "Ordre du jour de la prochaine assemblée générale à finaliser avant lundi.",
        "J'ajoute un point sur la revalorisation de la contribution coopérative.",
        "Parfait, je prépare le document de synthèse.",
    ],
)
ANNOUNCEMENTS = [
    "📣 L'**assemblée générale** annuelle aura lieu le 12 juin à 18 h : pensez à vos procurations.",
    "Les bulletins de salaire de novembre sont disponibles dans votre espace.",
]
DIRECT = [
    "Bonjour ! J'ai vu sur ton profil que tu fais de la gestion de projet, tu aurais 20 minutes cette semaine ?",
    "Avec plaisir, jeudi 14 h ça te va ?",
    "Parfait, à jeudi !",
]
REACTIONS = ("👍", "❤️", "🎉", "🙏")


def _post(channel: Channel, author: Member, body: str, when, thread: Message | None = None):
    message = Message(
        channel_id=channel.id,
        author_id=author.id,
        client_id=f"demo-{channel.id}-{author.id}-{when.timestamp():.0f}",
        thread_id=thread.id if thread else None,
        body=body,
        body_html=render_markdown(body),
        created_at=when,
    )
    db.session.add(message)
    db.session.flush()
    if thread:
        thread.reply_count += 1
    channel.last_message_id, channel.last_message_at = message.id, when
    return message


def _history(channel: Channel, people: list[Member], lines: list[str], rng: random.Random):
    when = utcnow() - timedelta(days=len(lines))
    previous = None
    for number, line in enumerate(lines):
        when += timedelta(hours=rng.randint(2, 20))
        author = people[number % len(people)]
        reply_to = previous if number % 2 and previous is not None and rng.random() < 0.4 else None
        message = _post(channel, author, line, when, reply_to)
        for member in rng.sample(people, k=min(len(people), rng.randint(0, 3))):
            if member.id != author.id:
                db.session.add(
                    Reaction(
                        message_id=message.id, member_id=member.id, emoji=rng.choice(REACTIONS)
                    )
                )
        previous = None if reply_to else message


def seed_chat() -> None:
    rng = random.Random(7)
    staff = list(
        db.session.scalars(select(Member).where(Member.role != Role.MEMBER).order_by(Member.id))
    )
    members = list(
        db.session.scalars(
            select(Member)
            .where(Member.role == Role.MEMBER, Member.is_active.is_(True))
            .order_by(Member.id)
            .limit(24)
        )
    )
    if not staff or len(members) < 6:
        return
    everyone = staff + members
    for name, kind, topic, lines in CHANNELS:
        channel = operations.create_channel(staff[0], {"name": name, "kind": kind, "topic": topic})
        channel.auto_join = name == "Général"
        for member in everyone[1:]:
            db.session.add(ChannelMember(channel_id=channel.id, member_id=member.id))
        _history(channel, rng.sample(everyone, k=8), lines, rng)
    announcements = operations.create_channel(
        staff[0],
        {"name": "Annonces", "topic": "Les informations officielles", "announcement": True},
    )
    announcements.auto_join = True
    for member in everyone[1:]:
        role = ChannelRole.OWNER if member in staff else ChannelRole.MEMBER
        db.session.add(ChannelMember(channel_id=announcements.id, member_id=member.id, role=role))
    _history(announcements, staff, ANNOUNCEMENTS, rng)
    name, topic, lines = PRIVATE
    committee = operations.create_channel(
        staff[0],
        {
            "name": name,
            "kind": "private",
            "topic": topic,
            "member_ids": [m.id for m in staff[1:] + members[:3]],
        },
    )
    _history(committee, staff + members[:3], lines, rng)
    for other in members[1:3]:
        direct, _created = operations.open_direct(members[0], [other.id])
        _history(direct, [members[0], other], DIRECT, rng)
