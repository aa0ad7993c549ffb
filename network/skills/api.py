"""/api/v1 routes: the skills taxonomy, my skills, and find collaborators."""

from flask import request, url_for
from flask_babel import get_locale
from flask_login import current_user

from network.api.core import bp, doc, json_body, query_param
from network.core.errors import Invalid
from network.extensions import db
from network.members.api import MEMBER_SCHEMA, member_json
from network.skills import collaborators, operations, queries
from network.skills.models import Level, MemberSkill, Skill, SkillStatus

SKILL_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "name_fr": {"type": "string"},
        "name_en": {"type": "string"},
        "category": {"type": "string"},
        "synonyms": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": ["accepted", "proposed"]},
        "holders": {"type": "integer"},
        "url": {"type": "string"},
    },
}
MY_SKILL_SCHEMA = {
    "type": "object",
    "properties": {
        "skill_id": {"type": "integer"},
        "name": {"type": "string"},
        "level": {"type": "string", "enum": [level.value for level in Level]},
        "years": {"type": "integer", "minimum": 0, "maximum": 60},
        "can_teach": {"type": "boolean"},
    },
}


def skill_json(skill: Skill, holders: int | None = None) -> dict:
    data = {
        "id": skill.id,
        "name": skill.name(str(get_locale() or "fr")),
        "name_fr": skill.name_fr,
        "name_en": skill.name_en,
        "category": skill.category,
        "synonyms": skill.synonyms,
        "status": skill.status.value,
        "url": url_for("skills.show", skill_id=skill.id),
    }
    if holders is not None:
        data["holders"] = holders
    return data


def my_skill_json(holding: MemberSkill) -> dict:
    return {
        "skill_id": holding.skill_id,
        "name": holding.skill.name(str(get_locale() or "fr")),
        "level": holding.level.value,
        "years": holding.years,
        "can_teach": holding.can_teach,
    }


@bp.get("/skills")
@doc(
    "The skills taxonomy with the number of active holders",
    params=[
        query_param(
            "status",
            "accepted or proposed (default: both)",
            {"type": "string", "enum": ["accepted", "proposed"]},
        )
    ],
    response={"type": "object", "properties": {"items": {"type": "array", "items": SKILL_SCHEMA}}},
    errors=(422,),
)
def list_skills():
    raw = request.args.get("status")
    status = None
    if raw:
        if raw not in ("accepted", "proposed"):
            raise Invalid(fields={"status": "accepted | proposed"})
        status = SkillStatus(raw)
    return {"items": [skill_json(s, n) for s, n in queries.taxonomy(status)]}


@bp.get("/me/skills")
@doc(
    "The signed-in member's skills",
    response={
        "type": "object",
        "properties": {"items": {"type": "array", "items": MY_SKILL_SCHEMA}},
    },
)
def get_my_skills():
    held = queries.skills_of([current_user.id]).get(current_user.id, [])
    return {"items": [my_skill_json(h) for h in held]}


@bp.put("/me/skills")
@doc(
    "Replace the signed-in member's skills (a new name is proposed to the taxonomy)",
    request_schema={
        "type": "object",
        "required": ["skills"],
        "properties": {"skills": {"type": "array", "items": MY_SKILL_SCHEMA}},
    },
    response={
        "type": "object",
        "properties": {"items": {"type": "array", "items": MY_SKILL_SCHEMA}},
    },
    errors=(422,),
)
def put_my_skills():
    operations.set_member_skills(current_user, current_user, json_body().get("skills"))
    db.session.commit()
    return get_my_skills()


@bp.post("/collaborators")
@doc(
    "Find collaborators: members ranked for a need, with the reasons of each match",
    request_schema={
        "type": "object",
        "properties": {
            "skills": {"type": "array", "items": {"type": ["integer", "string"]}},
            "text": {"type": "string", "maxLength": 500},
            "postcode": {"type": "string"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
        },
    },
    response={
        "type": "object",
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "member": MEMBER_SCHEMA,
                        "score": {"type": "number"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "place": {
                "description": "the place read in `text` (« près de Saint-Étienne », a "
                "postcode), used as the proximity filter instead of a keyword; null when "
                "the text names none or `postcode` is given",
                "type": ["object", "null"],
                "properties": {
                    "name": {"type": "string"},
                    "postcode": {"type": "string"},
                    "text_without_place": {"type": "string"},
                },
            },
        },
    },
    errors=(422,),
)
def find_collaborators():
    body = json_body()
    found = collaborators.search(
        current_user,
        skills=body.get("skills", []),
        text=body.get("text", ""),
        postcode=body.get("postcode", ""),
        limit=body.get("limit", 20),
    )
    return {
        "results": [
            {
                "member": member_json(r.member, current_user),
                "score": r.match.score,
                "reasons": r.reasons,
            }
            for r in found.results
        ],
        "place": found.place
        and {
            "name": found.place.name,
            "postcode": found.place.postcode,
            "text_without_place": found.place.rest,
        },
    }
