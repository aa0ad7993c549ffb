"""Searching: the member's words become a safe query; every hit is re-checked before shown.

Words are matched stemmed (French), by their root ("electricite" finds "électricienne") and,
for the last word as you type, by prefix through an n-gram field: no open prefix expansion.
Quoted text is a phrase. Query syntax is never passed to Whoosh, so no input can break it.
On PostgreSQL (`postgres.PostgresBackend`) the same parsed words become a `tsquery`.
"""

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from whoosh.query import And, Or, Phrase, Query, Term

from network.core.errors import Invalid
from network.core.pagination import decode_cursor, encode_cursor
from network.core.registries import SEARCH_KINDS, audiences_for
from network.search.backend import FRENCH, PREFIX_MAX, PREFIX_MIN, ROOTS, folded
from network.search.indexing import backend
from network.search.postgres import Words

MAX_QUERY = 200
PER_PAGE = 20


@dataclass
class Hit:
    kind: str
    object_id: int
    title: str
    snippet: Markup
    url: str
    obj: Any


@dataclass
class SearchResults:
    hits: list[Hit]
    counts: dict[str, int]
    next_cursor: str | None
    approximate: frozenset[str] = frozenset()  # kinds whose count is an estimate ("about N")


def _about(count: int) -> int:
    """An estimated count, to two significant figures (12,345 → 12,000)."""
    if count < 100:
        return count
    unit = 10 ** (len(str(count)) - 2)
    return round(count / unit) * unit


def _analyzed(analyzer, text: str) -> list[str]:
    return [token.text for token in analyzer(text)]


def _word_query(word: str, as_prefix: bool) -> Query | None:
    """A word's stems in every text field; its root when long (where stems part ways, as in
    "électricité" and "électricienne"); and, as typed, its start in the n-gram field (a plain
    term: no prefix expansion)."""
    options: list[Query] = []
    for stem in _analyzed(FRENCH, word):
        options += [Term("title", stem), Term("body", stem), Term("keywords", stem)]
    options += [Term("roots", root) for root in ROOTS.analyse(word)]
    start = folded(word)
    if as_prefix and PREFIX_MIN <= len(start) <= PREFIX_MAX:
        options.append(Term("prefix", start))  # longer starts are matched by their root
    return Or(options) if options else None


def parse(text: str) -> Words:
    """Quoted phrases, the other words (at most 12), and whether the last is being typed."""
    phrases = re.findall(r'"([^"]+)"', text)
    rest = re.sub(r'"[^"]*"', " ", text).replace('"', " ")
    words = re.findall(r"\w+", rest)
    typing = bool(words) and not text.endswith((" ", '"'))
    return Words(phrases, words[:12], typing and len(words) <= 12)


def build_query(text: str | Words) -> Query | None:
    """Whoosh's query: And of every word (and quoted phrase); the last word also matches as
    a prefix."""
    words = parse(text) if isinstance(text, str) else text
    parts: list[Query] = []
    for phrase in words.phrases:
        stems = _analyzed(FRENCH, phrase)
        if len(stems) > 1:
            parts.append(Or([Phrase("body", stems), Phrase("title", stems)]))
        elif stems:
            parts.append(Or([Term("body", stems[0]), Term("title", stems[0])]))
    for index, word in enumerate(words.words):
        query = _word_query(word, as_prefix=words.typing and index == len(words.words) - 1)
        if query is not None:
            parts.append(query)
    return And(parts) if parts else None


def backend_query(text: str) -> Any:
    """The query in the backend's own terms (None: nothing to search for)."""
    words = parse(text)
    if backend().name == "postgres":
        return words if words.words or any(p.strip() for p in words.phrases) else None
    return build_query(words)


def search(
    viewer: Any, text: Any, *, kind: Any = None, cursor: str | None = None, per_page: int = PER_PAGE
) -> SearchResults:
    """Results the viewer may see, best first, one per object; `IndexUnavailable` if the
    index cannot be read. For the commonest words some counts are estimates, rounded
    (`SearchResults.approximate`); the hits shown are exact and re-checked all the same."""
    if not isinstance(text, str) or not text.strip():
        raise Invalid(fields={"q": _l("Type something to search for.")})
    if len(text) > MAX_QUERY:
        raise Invalid(fields={"q": _l("At most %(n)s characters.", n=MAX_QUERY)})
    if kind not in (None, "", *SEARCH_KINDS):
        raise Invalid(fields={"kind": _l("Unknown value.")})
    query = backend_query(text)
    if query is None:
        return SearchResults([], {}, None)
    page = max((decode_cursor(cursor, (int,)) or [1])[0], 1)
    audiences = audiences_for(viewer)
    with backend().reading():
        found = backend().search(query, audiences, [kind] if kind else None, page, per_page)
        if not found.hits and page > 1:  # past the end
            return SearchResults([], {}, None)
        hits = _checked(viewer, found.hits)
        counts = dict(found.counts)
        for result in found.hits:  # what the re-check dropped is not counted either
            if not any(
                h.kind == result["kind"] and h.object_id == result["object_id"] for h in hits
            ):
                counts[result["kind"]] = max(counts.get(result["kind"], 1) - 1, 0)
        for kind in found.approximate & counts.keys():
            counts[kind] = _about(counts[kind])
        counts = {k: n for k, n in counts.items() if n}
    return SearchResults(
        hits,
        counts,
        encode_cursor([page + 1]) if found.more else None,
        frozenset(found.approximate & counts.keys()),
    )


def _opening(text: str, size: int = 160) -> str:
    """The start of a text, cut at a word, for hits matched by prefix only."""
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size].rsplit(" ", 1)[0] + "…"


def _checked(viewer: Any, results: list) -> list[Hit]:
    """Hits whose objects exist and are visible to the viewer (the index is only a cache)."""
    ids: dict[str, list[int]] = {}
    for result in results:
        ids.setdefault(result["kind"], []).append(result["object_id"])
    loaded = {
        kind: SEARCH_KINDS[kind].load(object_ids)
        for kind, object_ids in ids.items()
        if kind in SEARCH_KINDS
    }
    hits = []
    for result in results:
        kind = SEARCH_KINDS.get(result["kind"])
        obj = loaded.get(result["kind"], {}).get(result["object_id"])
        if kind is None or obj is None or not kind.visible(viewer, obj):
            continue
        snippet = result.highlights("body") or escape(_opening(result.get("body", "")))
        hits.append(
            Hit(
                result["kind"],
                result["object_id"],
                result["title"],
                Markup(snippet),
                kind.url(obj),
                obj,
            )
        )  # Whoosh escapes the text
    return hits
