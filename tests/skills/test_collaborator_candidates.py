"""Find collaborators reads only a few candidates, picked by scores added up in SQL: whatever
the need, the results must be those of ranking every eligible member in Python."""

import random

import pytest
from sqlalchemy import insert, select, update

from network.extensions import db
from network.members.models import Member, Status
from network.skills import collaborators, ranking
from network.skills.models import MemberSkill

NAMES = ("Ana", "Bob", "Cyr")  # few names: many ties, broken by name then id
TRADES = ("Menuisier", "Menuisière", "Graphiste", "Plombier", "Développeuse web", "")
HEADLINES = ("Rénovation énergétique", "Webdesign pour artisans", "Photos", "menuiserie fine", "")
POSTCODES = ("", "69003", "69100", "75011", "38000", "20100", "20200", "97100", "69 003", "B-1000")
OPEN_TO = ([], ["collaboration"], ["subcontracting", "mentoring"], ["mentoring"], ["coffee"])
LEVELS = ("notions", "practised", "expert")
WORDS = ("menuisier", "graphisme", "renovation", "web", "photos", "plombier", "astrophysique")


@pytest.fixture
def network(app, make_member, new_skill):
    """About 150 members with random skills, places, openness and visibility."""
    rng = random.Random(7)
    skills = [new_skill(f"Compétence {i}", f"Skill {i}") for i in range(5)]
    members = []
    for _ in range(150):
        member = make_member(
            display_name=rng.choice(NAMES),
            password=None,
            status=rng.choice(["employee_entrepreneur", "associate", "alumnus"]),
            trade=rng.choice(TRADES),
            headline=rng.choice(HEADLINES),
            city="Lyon",
            postcode=rng.choice(POSTCODES),
            open_to=rng.choice(OPEN_TO),
            **{
                f"vis_{group}": "staff" if rng.random() < 0.2 else "members"
                for group in ("activity", "headline", "location", "open_to")
            },
        )
        members.append(member.id)
    rows = [
        {
            "member_id": member_id,
            "skill_id": skill_id,
            "level": rng.choice(LEVELS),
            "can_teach": rng.random() < 0.3,
        }
        for member_id in members
        for skill_id in skills
        if rng.random() < 0.2
    ]
    with app.app_context():
        db.session.execute(insert(MemberSkill), rows)
        gone = rng.sample(members, 12)
        db.session.execute(update(Member).where(Member.id.in_(gone)).values(is_active=False))
        db.session.commit()
    return skills, members


def every_candidate(viewer, need):
    """Every eligible member as a candidate: the ranking the few read must reproduce."""
    staff = viewer.role != "member"
    rows = db.session.execute(
        select(*collaborators.CANDIDATE_COLUMNS).where(
            Member.is_active.is_(True), Member.status != Status.ALUMNUS, Member.id != viewer.id
        )
    ).all()
    levels = {row.id: {} for row in rows}
    for member_id, skill_id, level, can_teach in db.session.execute(
        select(
            MemberSkill.member_id, MemberSkill.skill_id, MemberSkill.level, MemberSkill.can_teach
        )
    ):
        if member_id in levels:
            levels[member_id][skill_id] = (level, can_teach)
    return [collaborators._candidate(row, levels[row.id], staff) for row in rows]


@pytest.mark.parametrize("role", ["member", "staff"])
def test_the_candidates_read_give_the_ranking_of_every_member(app, network, role):
    skills, members = network
    rng = random.Random(11 if role == "member" else 12)
    with app.test_request_context():
        viewer = db.session.get(Member, members[0])
        viewer.role = role  # not committed: only the visibility rules change
        for _ in range(200):
            skill_ids = rng.sample(skills, rng.randint(0, 3))
            text = " ".join(rng.sample(WORDS, rng.randint(0 if skill_ids else 1, 2)))
            postcode = rng.choice(POSTCODES[:-2])
            limit = rng.randint(1, 12)
            cap = rng.choice([limit, limit + 1, 2 * limit + 10])  # small: more to read after
            need = collaborators.parse_need(viewer, skill_ids, text, postcode)
            candidates = collaborators.candidates_for(viewer, need, limit, cap)
            found = ranking.rank(need, candidates, limit)
            expected = ranking.rank(need, every_candidate(viewer, need), limit)
            assert [(m.member_id, m.score) for m in found] == [
                (m.member_id, m.score) for m in expected
            ], (skill_ids, text, postcode, limit)
        db.session.rollback()
