"""Demo members: the support team and ~60 entrepreneurs across every CAE status."""

import random
from datetime import date, timedelta

from sqlalchemy import select

from network.cooperative import cooperative_today
from network.core.permissions import Role
from network.core.text import fold
from network.extensions import db
from network.members import operations
from network.members import welcome as first_run
from network.members.models import ROLE_LABELS, STATUS_LABELS, Member, OpenTo, StageKind, Status

FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Julie",
    "Emma",
    "Lucie",
    "Anaïs",
    "Mathilde",
    "Claire",
    "Élodie",
    "Nadia",
    "Fatou",
    "Amina",
    "Hugo",
    "Lucas",
    "Thomas",
    "Nicolas",
    "Julien",
    "Antoine",
    "Maxime",
    "Karim",
    "Yanis",
    "Mehdi",
    "Olivier",
    "Sébastien",
    "Bastien",
    "Théo",
    "Baptiste",
    "Rémi",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèbvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Benali",
    "Diallo",
    "Nguyen",
]
ACTIVITIES = [  # trade, sector, trading-name pattern
    ("Graphiste", "Communication", "Atelier {}"),
    ("Développeuse web", "Numérique", "{} Web"),
    ("Développeur web", "Numérique", "{} Code"),
    ("Menuisier", "Artisanat", "Bois {}"),
    ("Électricienne", "Bâtiment", "{} Élec"),
    ("Plombier", "Bâtiment", "{} Plomberie"),
    ("Traductrice", "Services aux entreprises", "{} Traductions"),
    ("Photographe", "Communication", "{} Photo"),
    ("Formatrice", "Formation", "{} Formation"),
    ("Consultant RSE", "Conseil", "{} Conseil"),
    ("Céramiste", "Artisanat", "Terre de {}"),
    ("Paysagiste", "Environnement", "Jardins {}"),
    ("Rédactrice", "Communication", "{} Plume"),
    ("Coach professionnel", "Accompagnement", "{} Coaching"),
    ("Comptable indépendante", "Services aux entreprises", "{} Compta"),
    ("Architecte d'intérieur", "Bâtiment", "{} Intérieurs"),
    ("Couturière", "Artisanat", "Fil de {}"),
    ("Vidéaste", "Communication", "{} Films"),
]
CITIES = [
    ("Lyon", "69003"),
    ("Lyon", "69007"),
    ("Villeurbanne", "69100"),
    ("Vénissieux", "69200"),
    ("Saint-Étienne", "42000"),
    ("Grenoble", "38000"),
    ("Vienne", "38200"),
    ("Bourg-en-Bresse", "01000"),
    ("Annecy", "74000"),
]
BIOS = [
    "J'accompagne les petites structures **de l'idée au lancement**. Curieuse, je cherche "
    "des partenaires pour répondre à des appels d'offres à plusieurs.",
    "Artisan depuis dix ans, j'ai rejoint la coopérative pour *ne plus être seul* face à la "
    "gestion. Toujours partant pour un café ou un chantier partagé.",
    "Passionné par le travail bien fait. Je partage volontiers mon expérience avec les "
    "nouveaux porteurs de projet.\n\n- devis rapides\n- travail soigné",
    "Après un parcours en entreprise, je me lance en indépendante au sein de la CAE. "
    "Je cherche des retours d'expérience et des collaborations.",
]
STAFF = [
    ("Sophie Garnier", "admin@terreau.coop", Role.ADMIN, "Coordinatrice"),
    ("Marc Aubert", "equipe@terreau.coop", Role.STAFF, "Chargé d'accompagnement"),
    ("Nathalie Roche", "compta@terreau.coop", Role.STAFF, "Comptable"),
    ("Pierre Vidal", "paie@terreau.coop", Role.STAFF, "Gestionnaire de paie"),
    ("Aïcha Haddad", "juridique@terreau.coop", Role.STAFF, "Juriste"),
]
STATUS_MIX = (
    [Status.CANDIDATE] * 6
    + [Status.SUPPORT_CONTRACT] * 14
    + [Status.EMPLOYEE_ENTREPRENEUR] * 18
    + [Status.ASSOCIATE] * 14
    + [Status.ALUMNUS] * 4
)


def seed_members(password: str) -> None:
    rng = random.Random(2026)
    today = cooperative_today()
    team = []
    for name, email, role, headline in STAFF:
        member = operations.create_member(
            email=email,
            display_name=name,
            status=Status.ASSOCIATE,
            role=role,
            password=password,
            joined_on=today - timedelta(days=rng.randint(900, 3000)),
        )
        member.headline = f"{headline} — équipe d'appui"
        first_run.finish_welcome(member)  # long-standing: no first run
        team.append(member)
    names = {s[0] for s in STAFF}
    for index, status in enumerate(STATUS_MIX):
        _seed_entrepreneur(rng, team[0], index, _unique_name(rng, names), status, password, today)


def demo_logins() -> list[tuple[str, str]]:
    """(who, e-mail) of the demo team and of one demo member per status, if seeded."""
    team = db.session.scalars(
        select(Member).where(Member.email.in_([s[1] for s in STAFF[:2]])).order_by(Member.id)
    ).all()
    logins = [(f"{ROLE_LABELS[m.role]} ({m.display_name})", m.email) for m in team]
    for status in Status:
        member = db.session.scalars(
            select(Member)
            .where(Member.status == status, Member.email.endswith("@exemple.fr"))
            .order_by(Member.id)
            .limit(1)
        ).first()
        if member:
            logins.append((str(STATUS_LABELS[status]), member.email))
    return [(str(who), email) for who, email in logins]


def _unique_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in taken:
            taken.add(name)
            return name


def _seed_entrepreneur(
    rng: random.Random,
    admin: Member,
    index: int,
    name: str,
    status: Status,
    password: str,
    today: date,
) -> Member:
    slug = fold(name).replace(" ", ".").replace("'", "")
    start = today - timedelta(days=rng.randint(60, 1600))
    member = operations.create_member(
        email=f"{slug}@exemple.fr",
        display_name=name,
        status=Status.CANDIDATE,
        password=password,
        joined_on=start,
        actor=admin,
    )
    _walk_journey(rng, admin, member, status, start, today)
    if status != Status.CANDIDATE:  # candidates are new: their first sign-in guides them
        first_run.finish_welcome(member)
    trade, sector, pattern = rng.choice(ACTIVITIES)
    city, postcode = rng.choice(CITIES)
    operations.update_profile(
        admin,
        member,
        {
            "headline": f"{trade} à {city}",
            "bio": rng.choice(BIOS),
            "trading_name": pattern.format(name.split()[1]),
            "trade": trade,
            "sector": sector,
            "city": city,
            "postcode": postcode,
            "website": f"https://{slug.replace('.', '-')}.example.org" if index % 3 == 0 else "",
            "languages": ["français"]
            + (["anglais"] if index % 2 else [])
            + (["espagnol"] if index % 7 == 0 else []),
            "open_to": rng.sample([o.value for o in OpenTo], rng.randint(1, 3)),
            "vis_location": "staff" if index % 9 == 0 else "members",
        },
    )
    return member


def _walk_journey(
    rng: random.Random, admin: Member, member: Member, target: Status, start: date, today: date
) -> None:
    """Record the stages that lead from candidate to `target`, dated between start and today."""
    paths: dict[Status, list[tuple[StageKind, Status | None]]] = {
        Status.CANDIDATE: [],
        Status.SUPPORT_CONTRACT: [(StageKind.CONTRACT, Status.SUPPORT_CONTRACT)],
        Status.EMPLOYEE_ENTREPRENEUR: [
            (StageKind.CONTRACT, Status.SUPPORT_CONTRACT),
            (StageKind.CONTRACT, Status.EMPLOYEE_ENTREPRENEUR),
        ],
        Status.ASSOCIATE: [
            (StageKind.CONTRACT, Status.EMPLOYEE_ENTREPRENEUR),
            (StageKind.ASSOCIATE_ADMISSION, None),
        ],
        Status.ALUMNUS: [(StageKind.CONTRACT, Status.SUPPORT_CONTRACT), (StageKind.EXIT, None)],
    }
    steps = paths[target]
    day = start
    span = max((today - start).days // (len(steps) + 1), 1)
    for kind, status in steps:
        day = min(day + timedelta(days=rng.randint(max(span // 2, 1), span)), today)
        operations.record_career_stage(
            admin,
            member,
            kind=kind,
            status=status,
            effective_on=day,
            reason="Fin d'activité" if kind == StageKind.EXIT else "",
        )
