"""The search page: results grouped by kind, with highlighted snippets."""

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from network.core.errors import Invalid
from network.core.forms import invalid_form
from network.core.registries import SEARCH_KINDS
from network.search import queries
from network.search.backend import IndexUnavailable
from network.search.indexing import rebuild_in_background

bp = Blueprint("search", __name__)


@bp.get("/search")
@login_required
def page():
    text = request.args.get("q", "")
    kind = request.args.get("kind") or None
    context = {
        "q": text,
        "kind": kind,
        "kinds": SEARCH_KINDS,
        "results": None,
        "unavailable": False,
    }
    if not text.strip():
        return render_template("search/results.html", **context)
    try:
        context["results"] = queries.search(
            current_user, text, kind=kind, cursor=request.args.get("cursor")
        )
    except Invalid as error:
        return invalid_form("search/results.html", error, **context)
    except IndexUnavailable:
        rebuild_in_background(current_app._get_current_object())
        context["unavailable"] = True
        return render_template("search/results.html", **context), 503
    return render_template("search/results.html", **context)
