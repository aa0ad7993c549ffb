"""Member-facing pages: sign in, join, reset a password, the members list and profiles."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from network.core.errors import Invalid, TooManyRequests, Unauthorized
from network.core.forms import checked_values, invalid_form
from network.core.http import safe_local_path
from network.core.permissions import is_self_or_staff
from network.core.registries import MEMBER_FILTERS, member_card_notes
from network.core.text import fold
from network.extensions import db, limiter
from network.members import operations, queries
from network.members import welcome as first_run
from network.members.auth import reset_limit, sign_in
from network.members.models import PROFILE_GROUPS, OpenTo, Status, Visibility

bp = Blueprint("members", __name__)

PROFILE_FORM_FIELDS = (
    "display_name",
    "headline",
    "bio",
    "trading_name",
    "trade",
    "sector",
    "website",
    "city",
    "postcode",
    "languages",
    "links",
)


def _safe_next(target: str | None) -> str:
    """A local path to go back to, never another site."""
    return safe_local_path(target, url_for("members.home"))


@bp.get("/")
@login_required
def home():
    return render_template("members/home.html", journey=queries.journey_summary(current_user))


@bp.get("/welcome")
@login_required
def welcome():
    """Resume the guided first run where the member left it (its first step once done)."""
    state = first_run.welcome_state(current_user)
    step = state.current or state.steps[0]
    return redirect(url_for("members.welcome_step", name=step.name))


def _render_step(step, values=None, errors=None, status=200):
    state = first_run.welcome_state(current_user)
    index = state.steps.index(step)
    return (
        render_template(
            "members/welcome.html",
            state=state,
            step=step,
            index=index,
            member=current_user,
            values=values or {},
            errors=errors or {},
            **step.load(current_user),
        ),
        status,
    )


@bp.route("/welcome/<name>", methods=["GET", "POST"])
@login_required
def welcome_step(name: str):
    step = first_run.get_step(name)
    if request.method == "GET":
        return _render_step(step, values=_member_values(current_user))
    skipped = request.form.get("action") == "skip"
    try:
        following = first_run.complete_step(current_user, name, None if skipped else request.form)
    except Invalid as error:
        db.session.rollback()
        return _render_step(step, request.form, error.fields, 422)
    db.session.commit()
    if following is None:
        flash(_("You are all set. Welcome to the cooperative!"), "success")
        return redirect(url_for("members.home"))
    return redirect(url_for("members.welcome_step", name=following.name))


@bp.post("/welcome/finish")
@login_required
def finish_welcome():
    first_run.finish_welcome(current_user)
    db.session.commit()
    return redirect(url_for("members.home"))


def _member_values(member) -> dict:
    return {field: getattr(member, field) for field in first_run.PROFILE_FIELDS}


@bp.get("/ping")
@login_required
def ping():
    """A constant page behind the login: the baseline the benchmarks compare pages with."""
    return render_template("members/ping.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("members.home"))
    if request.method == "GET":
        return render_template("members/login.html")
    try:
        member = sign_in(request.form.get("email"), request.form.get("password"))
    except (Unauthorized, TooManyRequests) as error:
        flash(str(error.message), "error")
        page = render_template("members/login.html", email=request.form.get("email", ""))
        return page, error.status
    db.session.commit()
    login_user(member, remember=bool(request.form.get("remember")))
    if member.welcomed_at is None and not request.args.get("next"):
        return redirect(url_for("members.welcome"))
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        operations.end_session(current_user)
        db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("members.login"))


@bp.post("/language")
def choose_language():
    locale = request.form.get("locale")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        operations.update_profile(current_user, current_user, {"locale": locale})
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def forgot_password():
    if request.method == "POST":
        operations.request_password_reset(
            request.form.get("email"),
            lambda token: url_for("members.reset_password", token=token, _external=True),
        )
        db.session.commit()
        flash(_("If this address belongs to a member, a reset link is on its way."), "info")
        return redirect(url_for("members.login"))
    return render_template("members/forgot_password.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def reset_password(token: str):
    if request.method == "GET":
        return render_template("members/reset_password.html", token=token)
    if request.form.get("password") != request.form.get("password_confirm"):
        return invalid_form(
            "members/reset_password.html",
            Invalid(fields={"password_confirm": _("The two passwords differ.")}),
            token=token,
        )
    try:
        operations.reset_password(token, request.form.get("password"))
    except Invalid as error:
        return invalid_form("members/reset_password.html", error, token=token)
    db.session.commit()
    flash(_("Your password was changed. You can sign in."), "success")
    return redirect(url_for("members.login"))


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    invitation = operations.pending_invitation(token)
    if request.method == "GET":
        return render_template(
            "members/join.html",
            invitation=invitation,
            token=token,
            values={"display_name": invitation.display_name},
        )
    try:
        member = operations.accept_invitation(
            token,
            display_name=request.form.get("display_name"),
            password=request.form.get("password"),
            password_confirm=request.form.get("password_confirm"),
        )
    except Invalid as error:
        return invalid_form(
            "members/join.html", error, invitation=invitation, token=token, values=request.form
        )
    db.session.commit()
    login_user(member)
    flash(_("Welcome, %(name)s!", name=member.display_name), "success")
    return redirect(url_for("members.welcome"))


@bp.get("/members")
@login_required
def members_list():
    template = "members/_results.html" if request.args.get("partial") else "members/list.html"
    try:
        filters, page = queries.page_from_args(current_user, request.args)
    except Invalid as error:
        return invalid_form(
            template,
            error,
            page=None,
            filters=queries.MemberFilters(),
            facets={},
            reasons={},
            notes={},
            statuses=list(Status),
            open_to_choices=list(OpenTo),
        )
    return render_template(
        template,
        page=page,
        profiles={m.id: queries.visible_profile(m, current_user) for m in page.items},
        reasons=queries.match_reasons(current_user, page.items, filters),
        notes=member_card_notes(current_user, [m.id for m in page.items]),
        facets=_facet_links(filters, queries.facets(current_user, filters)),
        filters=filters,
        statuses=list(Status),
        open_to_choices=list(OpenTo),
    )


def _facet_links(filters: queries.MemberFilters, facets: dict) -> list:
    """[(label, [(facet, url, chosen)])]: each link adds its value, or removes a chosen one."""
    args = filters.as_args()
    links = []
    for name, (label, values) in facets.items():
        current = args.get(name)
        chosen_values = (
            [str(v) for v in current]
            if isinstance(current, list)
            else ([current] if current else [])
        )
        multiple = name == "open_to" or name in MEMBER_FILTERS
        items = []
        for facet in values:
            # filters ignore case and accents: so does knowing which facet is chosen
            chosen = fold(facet.value) in {fold(v) for v in chosen_values}
            if multiple:
                value: object = (
                    [v for v in chosen_values if fold(v) != fold(facet.value)]
                    if chosen
                    else [*chosen_values, facet.value]
                )
            else:
                value = "" if chosen else facet.value
            target = {k: v for k, v in {**args, name: value}.items() if v}
            items.append((facet, url_for("members.members_list", **target), chosen))
        if items:
            links.append((label, items))
    return links


@bp.get("/members/<int:member_id>")
@login_required
def profile(member_id: int):
    member = queries.member_for_viewer(current_user, member_id)
    return render_template(
        "members/profile.html",
        member=member,
        profile=queries.visible_profile(member, current_user),
        sections=queries.profile_sections(member, current_user),
        journey=queries.journey_summary(member) if is_self_or_staff(current_user, member) else None,
    )


def _profile_changes(form) -> dict:
    changes = {field: form.get(field, "") for field in PROFILE_FORM_FIELDS}
    changes["open_to"] = checked_values(form, "open_to")
    for group in PROFILE_GROUPS:
        changes[f"vis_{group}"] = form.get(f"vis_{group}", Visibility.MEMBERS.value)
    return changes


@bp.route("/me/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    context = {"open_to_choices": list(OpenTo), "groups": PROFILE_GROUPS}
    if request.method == "GET":
        return render_template(
            "members/edit_profile.html", values=_form_values(current_user), **context
        )
    try:
        operations.update_profile(current_user, current_user, _profile_changes(request.form))
        upload = request.files.get("avatar")
        if upload and upload.filename:
            operations.set_avatar(current_user, current_user, upload.read())
        elif request.form.get("remove_avatar"):
            operations.remove_avatar(current_user, current_user)
    except Invalid as error:
        values = dict(request.form)
        values["open_to"] = checked_values(request.form, "open_to")
        return invalid_form("members/edit_profile.html", error, values=values, **context)
    db.session.commit()
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("members.profile", member_id=current_user.id))


def _form_values(member) -> dict:
    values = {field: getattr(member, field) for field in PROFILE_FORM_FIELDS}
    values["languages"] = ", ".join(member.languages)
    values["links"] = "\n".join(member.links)
    values["open_to"] = list(member.open_to)
    for group in PROFILE_GROUPS:
        values[f"vis_{group}"] = member.visibility(group).value
    return values


@bp.get("/me/settings")
@login_required
def account_settings():
    return render_template("members/settings.html", tokens=queries.personal_tokens(current_user))


@bp.post("/me/password")
@login_required
def change_password():
    form = request.form
    try:
        if form.get("new_password") != form.get("new_password_confirm"):
            raise Invalid(fields={"new_password_confirm": _("The two passwords differ.")})
        operations.change_password(
            current_user, form.get("current_password"), form.get("new_password")
        )
    except Invalid as error:
        return invalid_form(
            "members/settings.html", error, tokens=queries.personal_tokens(current_user)
        )
    db.session.commit()
    login_user(current_user._get_current_object())  # this session carries on
    flash(_("Your password was changed; your other sessions are signed out."), "success")
    return redirect(url_for("members.account_settings"))


@bp.post("/me/tokens")
@login_required
def create_token():
    try:
        _token, raw = operations.create_api_token(
            current_user, name=request.form.get("name"), personal=True
        )
    except Invalid as error:
        return invalid_form(
            "members/settings.html", error, tokens=queries.personal_tokens(current_user)
        )
    db.session.commit()
    return render_template(
        "members/settings.html", new_token=raw, tokens=queries.personal_tokens(current_user)
    )


@bp.post("/me/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    operations.revoke_api_token(current_user, token_id)
    db.session.commit()
    flash(_("The token was revoked."), "success")
    return redirect(url_for("members.account_settings"))
