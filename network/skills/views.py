"""Skills pages: the taxonomy, a skill, my skills, find collaborators, staff curation."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from network.core.errors import Conflict, Invalid, NotFound
from network.core.forms import invalid_form
from network.core.permissions import require_staff
from network.core.registries import collaborator_reasons
from network.extensions import db
from network.members.models import Member
from network.skills import collaborators, operations, queries
from network.skills.models import Level, SkillStatus

bp = Blueprint("skills", __name__)
NEW_ROWS = 3


@bp.before_request
@login_required
def _members_only():
    return None


def _locale() -> str:
    return str(get_locale() or "fr")


@bp.get("/skills")
def index():
    return render_template(
        "skills/index.html", taxonomy=queries.taxonomy(), locale=_locale(), values={}
    )


@bp.post("/skills/propose")
def propose():
    try:
        skill, created = operations.propose_skill(
            current_user, name=request.form.get("name"), category=request.form.get("category", "")
        )
    except Invalid as error:
        return invalid_form(
            "skills/index.html",
            error,
            taxonomy=queries.taxonomy(),
            locale=_locale(),
            values=request.form,
        )
    db.session.commit()
    if created:
        flash(
            _(
                "Thank you: “%(name)s” is proposed; the support team will review it.",
                name=skill.name_fr,
            ),
            "success",
        )
    else:
        flash(_("“%(name)s” already exists.", name=skill.name(_locale())), "info")
    return redirect(url_for("skills.show", skill_id=skill.id))


@bp.get("/skills/<int:skill_id>")
def show(skill_id: int):
    skill = operations.get_skill(skill_id)
    holders = queries.skill_holders(skill)
    return render_template(
        "skills/skill.html",
        skill=skill,
        locale=_locale(),
        holders=holders,
        reasons=collaborator_reasons(
            current_user, [holding.member.id for holding in holders], [skill.id]
        ),
    )


def _rows_from(form) -> list[dict]:
    """The skills table of the form: one row per index, blank and removed rows dropped."""
    raw_count = form.get("rows", "")
    rows = []
    for index in range(min(int(raw_count), 200) if raw_count.isdigit() else 0):
        name = (form.get(f"name-{index}") or "").strip()
        if not name or form.get(f"remove-{index}"):
            continue
        rows.append(
            {
                "name": name,
                "level": form.get(f"level-{index}", Level.PRACTISED),
                "years": form.get(f"years-{index}", "0") or "0",
                "can_teach": bool(form.get(f"teach-{index}")),
            }
        )
    return rows[:200]


def _my_rows(member: Member) -> list[dict]:
    held = queries.skills_of([member.id]).get(member.id, [])
    rows = [
        {
            "name": h.skill.name(_locale()),
            "level": h.level.value,
            "years": h.years,
            "can_teach": h.can_teach,
        }
        for h in held
    ]
    return rows + [
        {"name": "", "level": Level.PRACTISED.value, "years": 0, "can_teach": False}
        for _ in range(NEW_ROWS)
    ]


def _my_context(rows: list[dict]) -> dict:
    return {
        "rows": rows,
        "levels": list(Level),
        "choices": queries.skill_choices(),
        "locale": _locale(),
    }


@bp.route("/me/skills", methods=["GET", "POST"])
def my_skills():
    if request.method == "GET":
        return render_template("skills/mine.html", **_my_context(_my_rows(current_user)))
    rows = _rows_from(request.form)
    try:
        operations.set_member_skills(current_user, current_user, rows)
    except (Invalid, Conflict) as error:
        blanks = [{"name": "", "level": "practised", "years": 0, "can_teach": False}] * NEW_ROWS
        return invalid_form("skills/mine.html", error, **_my_context(rows + blanks))
    db.session.commit()
    flash(_("Your skills are saved."), "success")
    return redirect(url_for("skills.my_skills"))


@bp.route("/collaborators", methods=["GET", "POST"])
def find():
    values = request.values
    if not any(values.get(k) for k in ("text", "skills")):
        return render_template(
            "skills/collaborators.html",
            results=None,
            values={},
            choices=queries.skill_choices(),
            locale=_locale(),
        )
    names = [n.strip() for n in (values.get("skills") or "").split(",") if n.strip()]
    try:
        found = collaborators.search(
            current_user,
            skills=names,
            text=values.get("text", ""),
            postcode=values.get("postcode", ""),
            limit=20,
        )
    except Invalid as error:
        return invalid_form(
            "skills/collaborators.html",
            error,
            results=None,
            values=values,
            choices=queries.skill_choices(),
            locale=_locale(),
        )
    return render_template(
        "skills/collaborators.html",
        results=found.results,
        place=found.place,
        without_place=_without_place(values, found.place),
        values=values,
        choices=queries.skill_choices(),
        locale=_locale(),
    )


def _without_place(values, place) -> str | None:
    """The same search without the place read in its text (the "remove" link)."""
    if place is None:
        return None
    query = {"text": place.rest, "skills": values.get("skills", "")}
    return url_for("skills.find", **{k: v for k, v in query.items() if v})


# --- staff curation ---------------------------------------------------------------------------


def _staff_context() -> dict:
    return {
        "proposed": queries.taxonomy(SkillStatus.PROPOSED),
        "taxonomy": queries.taxonomy(),
        "locale": _locale(),
    }


@bp.get("/staff/skills")
def staff_index():
    require_staff(current_user)
    return render_template("skills/staff.html", values={}, **_staff_context())


def _skill_fields(form) -> dict:
    return {
        "name_fr": form.get("name_fr"),
        "name_en": form.get("name_en"),
        "category": form.get("category", ""),
        "synonyms": form.get("synonyms", ""),
    }


def _save_skill(save, done: str, target: str):
    """Run `save()` on the staff form; re-show it with the errors, or go to `target`."""
    try:
        skill = save()
    except (Invalid, Conflict) as error:
        return invalid_form("skills/staff.html", error, values=request.form, **_staff_context())
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(target, skill_id=skill.id))


@bp.post("/staff/skills")
def staff_create():
    require_staff(current_user)
    return _save_skill(
        lambda: operations.create_skill(current_user, **_skill_fields(request.form)),
        _("The skill was added."),
        "skills.show",
    )


@bp.post("/staff/skills/<int:skill_id>")
def staff_update(skill_id: int):
    skill = operations.get_skill(skill_id)
    return _save_skill(
        lambda: operations.update_skill(current_user, skill, **_skill_fields(request.form)),
        _("The skill was saved."),
        "skills.show",
    )


@bp.post("/staff/skills/<int:skill_id>/accept")
def staff_accept(skill_id: int):
    operations.accept_skill(current_user, operations.get_skill(skill_id))
    db.session.commit()
    flash(_("The skill is accepted."), "success")
    return redirect(url_for("skills.staff_index"))


@bp.post("/staff/skills/<int:skill_id>/merge")
def staff_merge(skill_id: int):
    source = operations.get_skill(skill_id)
    try:
        target = operations.get_skill(request.form.get("target_id"))
    except NotFound:
        raise Invalid(fields={"target_id": _("Choose another skill to merge into.")}) from None
    operations.merge_skill(current_user, source, target)
    db.session.commit()
    flash(
        _(
            "“%(source)s” was merged into “%(target)s”.",
            source=source.name_fr,
            target=target.name_fr,
        ),
        "success",
    )
    return redirect(url_for("skills.staff_index"))
