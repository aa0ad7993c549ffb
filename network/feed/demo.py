"""Demo feed: two weeks of posts, comments, reactions, a pinned official notice, topics,
mentions and a few newcomers — so the feed looks alive."""

import random
from datetime import timedelta

from sqlalchemy import delete, select

from network.core.models import utcnow
from network.core.permissions import Role
from network.core.registries import publish
from network.extensions import db, limiter
from network.feed import operations
from network.feed.models import FeedItem, NoticeAck, Post
from network.members.models import Member

POSTS = [
    "Bonjour à toutes et à tous ! Je lance mon activité de **traduction technique** "
    "(anglais, allemand). Ravie de vous rejoindre #présentation",
    "Retour sur l'atelier *Fixer ses prix* d'hier : merci à toutes les personnes présentes, "
    "le support est dans l'espace documents #formation",
    "Je cherche un·e photographe pour un shooting produit à Lyon fin du mois, "
    "des recommandations ? #entraide",
    "Premier marché public remporté à plusieurs avec @{a} et @{b} : la coopération, ça marche ! 🎉 "
    "#marchéspublics",
    "Petit rappel : le déjeuner partagé c'est vendredi 12 h 30 dans la grande salle #convivialité",
    "Qui serait partant·e pour un groupe de travail sur la **prospection** ? "
    "Une heure tous les quinze jours #entraide",
    "Je partage un modèle de conditions générales de vente relu par le service juridique "
    "#juridique",
    "Nouvelle cliente signée grâce à une recommandation de @{a}, merci ! #merci",
    "Quelqu'un a déjà utilisé la coopérative pour un prêt d'honneur ? Retours bienvenus "
    "#financement",
    "Le compte rendu du dernier conseil coopératif est disponible #gouvernance",
]
COMMENTS = [
    "Super nouvelle, bravo !",
    "Je suis intéressée, tu peux me mettre dans la boucle ?",
    "Merci pour le partage, très utile.",
    "On en parle jeudi au café ?",
    "Je peux t'aider là-dessus.",
    "Bienvenue parmi nous !",
]
NOTICE = (
    "**Assemblée générale annuelle le 12 juin à 18 h.** L'ordre du jour et les procurations "
    "sont dans l'espace documents. Merci de confirmer votre lecture. #gouvernance"
)
NEWCOMERS = 3


def seed_feed() -> None:
    rng = random.Random(11)
    staff = db.session.scalars(
        select(Member).where(Member.role != Role.MEMBER).order_by(Member.id)
    ).first()
    members = list(
        db.session.scalars(
            select(Member)
            .where(Member.role == Role.MEMBER, Member.is_active.is_(True))
            .order_by(Member.id)
        )
    )
    if staff is None or len(members) < 10:
        return
    limiter.enabled = False  # the demo writes many posts at once
    try:
        _seed(rng, staff, members)
    finally:
        limiter.enabled = True


def _seed(rng: random.Random, staff: Member, members: list[Member]) -> None:
    recent = [m.id for m in members[-NEWCOMERS:]]
    db.session.execute(  # a few newcomers and open offers, not the whole directory
        delete(FeedItem).where(
            FeedItem.kind.in_(("member_joined", "open_to")), FeedItem.object_id.not_in(recent)
        )
    )
    for member_id in recent:
        publish("skills_added", member_id, member_id)
    start = utcnow() - timedelta(days=14)
    for number, text in enumerate(POSTS):
        author = members[(number * 7) % len(members)]
        a, b = rng.sample([m for m in members if m.id != author.id], 2)
        post = operations.create_post(author, text.format(a=a.display_name, b=b.display_name))
        when = start + timedelta(days=number * 1.3, hours=rng.randint(0, 8))
        _backdate(post, when)
        for commenter in rng.sample(members, rng.randint(0, 3)):
            operations.add_comment(commenter, post.id, rng.choice(COMMENTS))
        for reactor in rng.sample(members, rng.randint(1, 8)):
            operations.set_reaction(reactor, post.id, rng.choice(operations.EMOJI), True)
    notice = operations.create_post(staff, NOTICE, notice=True)
    _backdate(notice, utcnow() - timedelta(days=2))
    notice.pinned_at = utcnow()
    for reader in rng.sample(members, len(members) // 3):
        db.session.add(NoticeAck(post_id=notice.id, member_id=reader.id))


def _backdate(post: Post, when) -> None:
    post.created_at = when
    for item in db.session.scalars(
        select(FeedItem).where(FeedItem.kind == post.kind.value, FeedItem.object_id == post.id)
    ):
        item.created_at = when
