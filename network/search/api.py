"""GET /api/v1/search."""

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from network.api.core import bp, doc, query_param
from network.core.http import problem
from network.core.registries import SEARCH_KINDS
from network.search import queries
from network.search.backend import IndexUnavailable
from network.search.indexing import rebuild_in_background


@bp.get("/search")
@doc(
    "Search members, activities, skills… (only what you may see)",
    params=lambda: [
        query_param("q", 'Words; "quoted words" for a phrase; the last word as a prefix'),
        query_param(
            "kind", "Only one kind of result", {"type": "string", "enum": list(SEARCH_KINDS)}
        ),
        query_param("cursor", "The `next` value of the previous page"),
    ],
    response={
        "type": "object",
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "id": {"type": "integer"},
                        "title": {"type": "string"},
                        "snippet": {"type": "string"},
                        "url": {"type": "string"},
                    },
                },
            },
            "counts": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "description": "Hits of each kind you may see",
            },
            "approximate": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Kinds whose count is an estimate (about N, two significant "
                "figures): the commonest words are counted on a sample",
            },
            "next": {"type": ["string", "null"]},
        },
    },
    errors=(422, 503),
)
def search():
    try:
        found = queries.search(
            current_user,
            request.args.get("q"),
            kind=request.args.get("kind") or None,
            cursor=request.args.get("cursor"),
        )
    except IndexUnavailable:
        rebuild_in_background(current_app._get_current_object())
        return problem(
            503,
            _("The search index is being rebuilt: try again in a moment."),
            headers={"Retry-After": "30"},
        )
    return {
        "results": [
            {
                "kind": h.kind,
                "id": h.object_id,
                "title": h.title,
                "snippet": str(h.snippet),
                "url": h.url,
            }
            for h in found.hits
        ],
        "counts": {k: n for k, n in found.counts.items() if k in SEARCH_KINDS},
        "approximate": sorted(k for k in found.approximate if k in SEARCH_KINDS),
        "next": found.next_cursor,
    }
