"""Demo skills: a believable CAE taxonomy, and skills for every demo member by trade."""

import random

from sqlalchemy import select

from network.core.permissions import Role
from network.extensions import db
from network.members.models import Member, Status
from network.skills import operations
from network.skills.models import Level

# (category, French name, English name, synonyms)
TAXONOMY = [
    ("Numérique", "Développement web", "Web development", ["développeur web", "développeuse web"]),
    ("Numérique", "Python", "Python", []),
    ("Numérique", "JavaScript", "JavaScript", ["JS"]),
    ("Numérique", "WordPress", "WordPress", []),
    ("Numérique", "Référencement", "SEO", ["SEO"]),
    ("Numérique", "Accessibilité numérique", "Digital accessibility", ["RGAA"]),
    ("Communication", "Graphisme", "Graphic design", ["graphiste", "design graphique"]),
    ("Communication", "Identité visuelle", "Brand identity", ["logo", "charte graphique"]),
    ("Communication", "Illustration", "Illustration", ["illustratrice", "illustrateur"]),
    ("Communication", "Photographie", "Photography", ["photographe"]),
    ("Communication", "Vidéo", "Video making", ["vidéaste", "montage vidéo"]),
    ("Communication", "Rédaction", "Copywriting", ["rédactrice", "rédacteur", "copywriting"]),
    ("Communication", "Réseaux sociaux", "Social media", ["community management"]),
    ("Bâtiment", "Électricité", "Electrical work", ["électricien", "électricienne"]),
    ("Bâtiment", "Plomberie", "Plumbing", ["plombier", "plombière"]),
    ("Bâtiment", "Menuiserie", "Carpentry", ["menuisier", "menuisière", "ébénisterie"]),
    ("Bâtiment", "Peinture en bâtiment", "Painting and decorating", ["peintre"]),
    ("Bâtiment", "Rénovation énergétique", "Energy renovation", ["isolation"]),
    ("Bâtiment", "Architecture intérieure", "Interior design", ["décoration intérieure"]),
    ("Artisanat", "Céramique", "Ceramics", ["poterie", "céramiste"]),
    ("Artisanat", "Couture", "Sewing", ["couturière", "retouches"]),
    ("Artisanat", "Tapisserie", "Upholstery", []),
    ("Environnement", "Paysagisme", "Landscaping", ["paysagiste", "jardinage"]),
    ("Environnement", "Permaculture", "Permaculture", []),
    ("Conseil", "Responsabilité sociétale (RSE)", "Corporate social responsibility", ["RSE"]),
    ("Conseil", "Gestion de projet", "Project management", ["chef de projet"]),
    ("Conseil", "Réponse aux appels d'offres", "Public tenders", ["marchés publics"]),
    ("Conseil", "Stratégie commerciale", "Sales strategy", ["prospection"]),
    (
        "Services aux entreprises",
        "Traduction anglais-français",
        "English–French translation",
        ["traductrice", "traducteur"],
    ),
    ("Services aux entreprises", "Comptabilité", "Accounting", ["comptable"]),
    ("Services aux entreprises", "Secrétariat", "Office administration", ["assistanat"]),
    ("Formation", "Formation d'adultes", "Adult training", ["formatrice", "formateur"]),
    ("Formation", "Animation d'ateliers", "Workshop facilitation", ["facilitation"]),
    ("Accompagnement", "Coaching professionnel", "Professional coaching", ["coach"]),
    ("Accompagnement", "Bilan de compétences", "Skills assessment", []),
]
BY_TRADE = {
    "Graphiste": ["Graphisme", "Identité visuelle", "Illustration", "Réseaux sociaux"],
    "Développeuse web": ["Développement web", "JavaScript", "Python", "Accessibilité numérique"],
    "Développeur web": ["Développement web", "WordPress", "Référencement", "JavaScript"],
    "Menuisier": ["Menuiserie", "Rénovation énergétique", "Peinture en bâtiment"],
    "Électricienne": ["Électricité", "Rénovation énergétique"],
    "Plombier": ["Plomberie", "Rénovation énergétique"],
    "Traductrice": ["Traduction anglais-français", "Rédaction"],
    "Photographe": ["Photographie", "Vidéo", "Réseaux sociaux"],
    "Formatrice": ["Formation d'adultes", "Animation d'ateliers", "Gestion de projet"],
    "Consultant RSE": [
        "Responsabilité sociétale (RSE)",
        "Réponse aux appels d'offres",
        "Gestion de projet",
    ],
    "Céramiste": ["Céramique", "Animation d'ateliers"],
    "Paysagiste": ["Paysagisme", "Permaculture"],
    "Rédactrice": ["Rédaction", "Référencement", "Réseaux sociaux"],
    "Coach professionnel": [
        "Coaching professionnel",
        "Bilan de compétences",
        "Animation d'ateliers",
    ],
    "Comptable indépendante": ["Comptabilité", "Secrétariat"],
    "Architecte d'intérieur": ["Architecture intérieure", "Gestion de projet"],
    "Couturière": ["Couture", "Tapisserie"],
    "Vidéaste": ["Vidéo", "Photographie"],
}
GENERAL = [
    "Gestion de projet",
    "Stratégie commerciale",
    "Réponse aux appels d'offres",
    "Réseaux sociaux",
    "Animation d'ateliers",
]


def seed_skills() -> None:
    rng = random.Random(3)
    admin = db.session.scalars(
        select(Member).where(Member.role == Role.ADMIN).order_by(Member.id).limit(1)
    ).one()
    skills = {}
    for category, name_fr, name_en, synonyms in TAXONOMY:
        skills[name_fr] = operations.create_skill(
            admin, name_fr=name_fr, name_en=name_en, category=category, synonyms=synonyms
        )
    members = db.session.scalars(
        select(Member)
        .where(Member.status != Status.ALUMNUS, Member.trade != "")
        .order_by(Member.id)
    )
    for member in members:
        names = BY_TRADE.get(member.trade, [])[:]
        names += rng.sample(GENERAL, rng.randint(0, 2))
        items = [
            {
                "skill_id": skills[name].id,
                "level": rng.choice(
                    [Level.PRACTISED, Level.EXPERT, Level.EXPERT, Level.NOTIONS]
                    if i < 2
                    else [Level.NOTIONS, Level.PRACTISED]
                ),
                "years": rng.randint(1, 15) if i < 2 else rng.randint(0, 4),
                "can_teach": i == 0 and rng.random() < 0.4,
            }
            for i, name in enumerate(dict.fromkeys(names))
        ]
        operations.set_member_skills(admin, member, items)
    operations.propose_skill(admin, name="Sérigraphie")
