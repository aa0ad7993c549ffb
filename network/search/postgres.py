"""The PostgreSQL backend: full-text search in the database itself.

Documents are rows of `search_documents`, their `terms` a weighted `tsvector` (title A,
keywords B, body D) under the `french_unaccent` configuration (accents folded, French
stems), GIN-indexed. They are written in the transaction of the change that made them (see
`indexing`): a change is searchable as soon as it is committed, and never lost.

Queries mirror the Whoosh backend's: every word by its stem, by its root when long
("electricite" finds "électricienne"), the last one as typed by its start, quoted text as a
phrase; ranked by `ts_rank`. Roots and starts are lexemes of their own in the vector (marked,
never stemmed), as Whoosh's fields: matched exactly, so the GIN index skips through a frequent
word's postings (a `:*` prefix would read them all).

Each kind's newest `SAMPLE` documents are matched first, without the GIN index (a frequent
word's posting list costs milliseconds to read; a few hundred vectors, stored compressed in
the row, less). When neither the samples nor the planner (the words' frequencies in its
statistics, whose guesses run low: past `PLANNED_SHARE` of it) say the query matches more
than `LARGE` readable documents, they are counted exactly (up to `LARGE` + 1) and the newest
`RANK_AT_MOST` ranked, in one statement. Else each kind's count is
the sample's rate times its documents (marked approximate: "about N"), a kind with few
matches in its sample matched again on its newest `WIDE_SAMPLE`, and the hits are the
samples' newest `RANK_SAMPLED` matches, ranked: as the Whoosh backend samples.

Searches read on a connection of their own, outside transactions (their statements marked
`PLAIN_READ`), so the statements psycopg prepares on it stay prepared (a ROLLBACK would
deallocate them) and are not parsed again each time. PostgreSQL may then plan a statement
once for all its parameters (a generic plan, after 5 runs, when it expects it to cost no
more than the custom ones), so no plan may hinge on a parameter that decides which rows are
read: the kinds are written into the SQL (`_kind_literal`), and a page's matches are read
from the GIN index only (`_page`). The statements with the words' tsquery keep custom plans
(in a generic one the tsquery would be made again for every row).
"""

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from markupsafe import escape
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from network.core.database import PLAIN_READ, write_intent
from network.core.models import utcnow
from network.core.registries import MEMBERS, SEARCH_KINDS, Document
from network.search.backend import PREFIXES, ROOTS, Found, IndexUnavailable, folded

CONFIG = "french_unaccent"
LARGE = 2_000  # readable matches past which counts are estimated…
PLANNED_SHARE = 0.75  # …or past this share of it, as planned (the planner's guesses run low)
SAMPLE = 600  # newest documents of each kind matched first (each a vector to read: ~2 µs)
FEW_IN_SAMPLE = 30  # matches in a sample under which the kind is sampled wider…
WIDE_SAMPLE = 2_000  # …on its newest documents
RANK_AT_MOST = 500  # matches ranked for the pages of an exact search
RANK_SAMPLED = 60  # …and of a sampled one (the sample's newest matches)
KIND_COUNTS_SECONDS = 30.0  # documents by kind, for estimates, are read this often…
COUNTED_BELOW = 20_000  # …from the statistics past this many documents, else counted
BATCH = 1_000  # rows written per statement
_START, _STOP = "\ue000", "\ue001"  # highlight marks (private-use characters)
HEADLINE = (
    f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=30, MinWords=12, MaxFragments=2, '
    'FragmentDelimiter=" … "'
)
_WORD = re.compile(r"\w+")
_LT, _GT = "\ue002", "\ue003"  # angle brackets, while parsed
_MARKED = re.compile(f"{_START}(.*?){_STOP}", re.S)


@dataclass
class Sample:
    """A kind's newest documents matched: how many were asked for and read, the readable
    matches among them, and the newest of those (ids)."""

    asked: int
    read: int
    found: int
    ids: list[int]

    def whole(self) -> bool:
        """True if the kind was read whole (fewer documents than asked for)."""
        return self.read < self.asked

    def estimate(self, size: int) -> int:
        """The kind's readable matches: those found if read whole, else the sample's rate
        times its `size` documents."""
        if self.whole() or not self.read:
            return self.found
        return round(self.found * max(size, self.read) / self.read)


@dataclass
class Tsquery:
    """SQL of a search's tsquery (`whole`), of its words' stems alone and of their roots and
    starts alone (each word's stem where it has neither), of the condition its phrases add,
    and their parameters."""

    whole: str
    stems: str
    roots: str
    phrases: str
    params: dict[str, Any]


@dataclass
class Words:
    """A member's search text, parsed: phrases, words, and whether the last is being typed."""

    phrases: list[str]
    words: list[str]
    typing: bool


def _quoted(lexeme: str) -> str:
    return "'" + lexeme + "'"  # words are \\w+: no quote or backslash inside


ROOT_MARK, PREFIX_MARK = "zr", "zp"  # roots and starts of words: lexemes of their own


def _marked(mark: str, analyzer, text: str) -> str:
    """The terms `analyzer` makes of a text's words, each marked (parsed by the `simple`
    configuration: kept as they are, never stemmed)."""
    return " ".join(mark + term for word in _WORD.findall(text) for term in analyzer.analyse(word))


def word_options(words: Words) -> list[str]:
    """For each word, the `to_tsquery('simple', …)` input of its marked lexemes: its root
    when long (where stems part ways: "electricite" finds "électricienne") and, for the last
    one while typed, its start (3 to 6 letters; longer ones are matched by their root)."""
    options = []
    for index, word in enumerate(words.words):
        start = folded(word)
        lexemes = [ROOT_MARK + root for root in ROOTS.analyse(word)]
        if words.typing and index == len(words.words) - 1 and 3 <= len(start) <= 6:
            lexemes.append(PREFIX_MARK + start)
        options.append(" | ".join(_quoted(lexeme) for lexeme in lexemes))
    return options


class PostgresHit(dict):
    """A hit as the Whoosh ones are read: fields by key, `highlights("body")`."""

    def highlights(self, _field: str = "body") -> str:
        snippet = self.get("snippet") or ""
        if _START not in snippet:
            return ""  # no word of the query in the body: the caller shows its opening
        html = str(escape(snippet.replace(_LT, "<").replace(_GT, ">")))
        numbers: dict[str, int] = {}  # as Whoosh: each word of the query its own class

        def mark(match: re.Match) -> str:
            number = numbers.setdefault(folded(match.group(1)), len(numbers))
            return f'<mark class="hit term{number}">{match.group(1)}</mark>'

        return _MARKED.sub(mark, html)


def _words_of(value: str) -> str:
    """SQL of a text as parsed for search: angle brackets are private-use characters, which
    separate words (PostgreSQL's parser would take `<script>` for a tag and drop its word;
    Whoosh indexes it); `PostgresHit.highlights` puts them back."""
    return f"translate({value}, '<>', '{_LT}{_GT}')"


_TERMS = (
    f"setweight(to_tsvector('{CONFIG}', {_words_of(':title')}), 'A') || "
    f"setweight(to_tsvector('{CONFIG}', {_words_of(':keywords')}), 'B') || "
    f"to_tsvector('{CONFIG}', {_words_of(':body')}) || "
    "setweight(to_tsvector('simple', :roots), 'D') || "
    "setweight(to_tsvector('simple', :prefixes), 'B')"
)
_UPSERT = text(
    "INSERT INTO search_documents (kind, object_id, audience, replaced_for, title, body, "
    "keywords, terms, written_at) VALUES (:kind, :object_id, :audience, :replaced_for, :title, "
    f":body, :keywords, {_TERMS}, :written_at) "
    "ON CONFLICT (kind, object_id, audience) DO UPDATE SET replaced_for = excluded.replaced_for, "
    "title = excluded.title, body = excluded.body, keywords = excluded.keywords, "
    "terms = excluded.terms, written_at = excluded.written_at"
)
_DELETE_OBJECTS = text(
    "DELETE FROM search_documents d USING unnest(CAST(:kinds AS text[]), CAST(:ids AS int[])) "
    "AS r(kind, object_id) WHERE d.kind = r.kind AND d.object_id = r.object_id "
    "AND NOT (d.audience = ANY(CAST(:keep AS text[])))"
)
_READABLE = (
    "d.audience = ANY(CAST(:audiences AS text[])) AND (d.replaced_for = '' OR NOT "
    "(string_to_array(d.replaced_for, ' ') && CAST(:audiences AS text[])))"
)
_KIND = re.compile(r"[a-z][a-z0-9_]*\Z")  # a kind's name, as the registry's are


def _kind_literal(kind: str) -> str:
    """A kind written into the SQL, checked to be a name as the registry's are: a statement
    prepared with the kind as a parameter would be planned once for every kind (a generic
    plan), reading a kind's newest rows by the primary key backwards, filtered, which for a
    kind with few documents reads the whole table."""
    if not _KIND.match(kind):
        raise ValueError(f"not a kind of document: {kind!r}")
    return f"'{kind}'"


def _of_kinds(kinds: list[str] | None) -> str:
    """SQL of the condition that a document `d` is of one of `kinds` (None: any)."""
    if kinds is None:
        return "TRUE"
    return f"d.kind IN ({', '.join(map(_kind_literal, kinds))})" if kinds else "FALSE"


# Documents by kind as the planner knows them (the kinds' frequencies in ANALYZE's sample).
_KINDS_FROM_STATISTICS = text(
    "SELECT v.kind, v.share * greatest(c.reltuples, 0) FROM pg_class c JOIN pg_stats s "
    "ON s.tablename = c.relname AND s.schemaname = current_schema() AND s.attname = 'kind' "
    "CROSS JOIN unnest(CAST(CAST(s.most_common_vals AS text) AS text[]), "
    "s.most_common_freqs) AS v(kind, share) "
    "WHERE c.oid = CAST('search_documents' AS regclass)"
)
# The rebuild's lock; user writes meeting it journal their objects too (to be written again
# after the rebuild, which may have read them before they changed).
REBUILD_LOCK = int.from_bytes(hashlib.sha1(b"terreau search rebuild").digest()[:4], "big")


def _rows(docs: Iterable[Document], at: Any) -> list[dict[str, Any]]:
    return [
        {
            "kind": doc.kind,
            "object_id": doc.object_id,
            "audience": doc.audience,
            "replaced_for": " ".join(doc.replaced_for),
            "title": doc.title,
            "body": doc.body,
            "keywords": doc.keywords,
            "roots": _marked(ROOT_MARK, ROOTS, f"{doc.title} {doc.keywords} {doc.body}"),
            "prefixes": _marked(PREFIX_MARK, PREFIXES, f"{doc.title} {doc.keywords}"),
            "written_at": at,
        }
        for doc in docs
    ]


def write(
    connection: Connection, refs: list[tuple[str, int]], docs: list[Document], fresh=()
) -> None:
    """Replace the documents of the objects `refs` by `docs`, in `connection`'s transaction."""
    keep: dict[tuple[str, int], list[str]] = {}
    for doc in docs:
        keep.setdefault((doc.kind, doc.object_id), []).append(doc.audience)
    fresh = set(fresh)
    old = [ref for ref in refs if ref not in fresh]
    for start in range(0, len(old), BATCH):
        part = old[start : start + BATCH]
        for kept in {tuple(keep.get(ref, ())) for ref in part}:  # usually one: the same audiences
            group = [ref for ref in part if tuple(keep.get(ref, ())) == kept]
            connection.execute(
                _DELETE_OBJECTS,
                {
                    "kinds": [kind for kind, _ in group],
                    "ids": [object_id for _, object_id in group],
                    "keep": list(kept),
                },
            )
    rows = _rows(docs, utcnow())
    for start in range(0, len(rows), BATCH):
        connection.execute(_UPSERT, rows[start : start + BATCH])


def rebuild_running(connection: Connection) -> bool:
    """True if a rebuild is running (it holds the lock that write transactions share)."""
    return not connection.scalar(
        text("SELECT pg_try_advisory_xact_lock_shared(:key)"), {"key": REBUILD_LOCK}
    )


class PostgresBackend:
    name = "postgres"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._kind_counts: tuple[float, dict[str, int]] = (0.0, {})
        self._lock = threading.Lock()

    # --- reading ---------------------------------------------------------------------------
    def location(self) -> str:
        return "PostgreSQL (table search_documents)"

    def exists(self) -> bool:
        return self.readable()

    def readable(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1 FROM search_documents LIMIT 1"))
        except SQLAlchemyError:
            return False
        return True

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM search_documents")) or 0

    def warm(self) -> int:
        """At start-up: the documents counted by kind (for estimates), and a search run on a
        connection of its own while another is held, as a request holds its own: so a fresh
        process's first search opens no connection (each costs a few ms) and finds the
        search's statements and their tables known to its database sessions."""
        try:
            with self.engine.connect():
                self.search(Words([], ["terreau"], False), {MEMBERS}, None, 1, 1)
            return sum(self._counts_by_kind().values())
        except SQLAlchemyError:
            return 0

    def forget(self) -> None:
        self._kind_counts = (0.0, {})

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Around searches: a database error reading the documents is `IndexUnavailable`."""
        try:
            yield
        except IndexUnavailable:
            raise
        except SQLAlchemyError as error:
            raise IndexUnavailable(str(error)) from error

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A connection that only reads, outside transactions (each statement reads its own
        snapshot, as it would in a READ COMMITTED transaction), whatever the request means to
        do (its writes are on another connection): so no ROLLBACK ever drops the statements
        the driver prepared on it (psycopg prepares a statement run 5 times on a connection,
        and deallocates all at a ROLLBACK), and no BEGIN or ROLLBACK costs a round trip."""
        with write_intent(False), self.engine.connect() as connection:
            yield connection.execution_options(**{PLAIN_READ: True})

    def _counts_by_kind(self) -> dict[str, int]:
        """Documents of each kind (every audience), for estimates, at most every few seconds:
        from the planner's statistics (ANALYZE's, free to read) on a large table, else
        counted (a count of 300,000 rows costs more than a search)."""
        at, counts = self._kind_counts
        if time.monotonic() - at > KIND_COUNTS_SECONDS or not counts:
            with self._connection() as connection:
                counts = {kind: round(n) for kind, n in connection.execute(_KINDS_FROM_STATISTICS)}
                if sum(counts.values()) < COUNTED_BELOW:
                    rows = connection.execute(
                        text("SELECT kind, count(*) FROM search_documents GROUP BY kind")
                    )
                    counts = {kind: number for kind, number in rows}
            self._kind_counts = (time.monotonic(), counts)
        return counts

    def search(
        self, words: Words, audiences: set[str], kinds: list[str] | None, page: int, per_page: int
    ) -> Found:
        """One page of hits readable by `audiences` (of `kinds`, if given), best first; the
        readable hits of every kind (estimated when the sample says there are more than
        `LARGE`: then the hits are the sample's newest matches, ranked)."""
        tsquery = self._tsquery(words)
        query, phrases = tsquery.whole, tsquery.phrases
        match = f"d.terms @@ ({query}) AND {phrases}"
        params = tsquery.params | {"audiences": sorted(audiences)}
        start = (page - 1) * per_page
        with self._connection() as connection:
            # Each kind's newest documents matched first, without the GIN index (a frequent
            # word's posting list costs more to read than a few hundred vectors in their rows).
            samples = self._sampled(connection, match, params, self._kinds_and_sizes()[0], SAMPLE)
            if self._countable(connection, tsquery, params, samples):
                counted = self._counted_page(
                    connection, match, query, kinds, params, start, per_page
                )
                if counted is not None:
                    counts, hits = counted
                    total = sum(n for kind, n in counts.items() if not kinds or kind in kinds)
                    return Found(hits, counts, total, start + per_page < min(total, RANK_AT_MOST))
            samples = self._widened(connection, match, params, samples)
            counts, estimated = self._estimates(samples)
            total = sum(n for kind, n in counts.items() if not kinds or kind in kinds)
            newest = sorted(
                (
                    i
                    for kind, sample in samples.items()
                    if not kinds or kind in kinds
                    for i in sample.ids
                ),
                reverse=True,
            )[:RANK_SAMPLED]
            shown = min(total, len(newest))
            if start >= shown:
                return Found([], counts, total, False, frozenset(estimated))
            hits = self._ranked(connection, query, params, newest, start, per_page)
        return Found(hits, counts, total, start + per_page < shown, frozenset(estimated))

    @staticmethod
    def _tsquery(words: Words) -> Tsquery:
        """SQL of the query's tsquery (and of its stems and roots alone), of the condition
        its phrases add (each within the title or the body, as with Whoosh: never across
        keywords), and its parameters (no member text in the SQL)."""
        parts, stems, roots, phrases, params = [], [], [], ["TRUE"], {}
        for number, (word, option) in enumerate(zip(words.words, word_options(words), strict=True)):
            params[f"word{number}"] = word
            stem = f"plainto_tsquery('{CONFIG}', :word{number})"
            root = stem
            if option:
                params[f"option{number}"] = option
                root = f"to_tsquery('simple', :option{number})"
            parts.append(f"({stem} || {root})" if option else stem)
            stems.append(stem)
            roots.append(root)
        for number, phrase in enumerate(words.phrases):
            query = f"phraseto_tsquery('{CONFIG}', :phrase{number})"
            for part in (parts, stems, roots):
                part.append(query)
            phrases.append(
                f"(to_tsvector('{CONFIG}', {_words_of('d.title')}) @@ {query} OR "
                f"to_tsvector('{CONFIG}', {_words_of('d.body')}) @@ {query})"
            )
            params[f"phrase{number}"] = phrase

        def joined(tsqueries: list[str]) -> str:
            return " && ".join(tsqueries) or "CAST('' AS tsquery)"

        return Tsquery(joined(parts), joined(stems), joined(roots), " AND ".join(phrases), params)

    def _kinds_and_sizes(self) -> tuple[list[str], dict[str, int]]:
        """Every kind of document (registered, or in the table with a kind's name) and its
        documents (cached)."""
        sizes = self._counts_by_kind()
        return sorted(k for k in set(SEARCH_KINDS) | set(sizes) if _KIND.match(k)), sizes

    def _widened(
        self, connection: Connection, match: str, params: dict, samples: dict[str, Sample]
    ) -> dict[str, Sample]:
        """`samples`, the kinds with fewer than `FEW_IN_SAMPLE` matches in theirs matched
        again on their newest `WIDE_SAMPLE` documents, for a closer estimate."""
        few = [
            kind
            for kind, sample in samples.items()
            if not sample.whole() and sample.found < FEW_IN_SAMPLE and sample.read < WIDE_SAMPLE
        ]
        if not few:
            return samples
        return samples | self._sampled(connection, match, params, few, WIDE_SAMPLE)

    @staticmethod
    def _sampled(
        connection: Connection, match: str, params: dict, kinds: list[str], size: int
    ) -> dict[str, Sample]:
        """For each kind: its newest `size` documents read (all audiences), the readable
        matches among them, and the newest `RANK_SAMPLED` of those (ids)."""
        # Each kind written out (see `_kind_literal`): its newest rows are read backwards by
        # (kind, id), in a prepared statement's generic plan too.
        sql = " UNION ALL ".join(
            f"SELECT CAST({_kind_literal(kind)} AS text), count(*), count(*) FILTER (WHERE s.hit), "
            f"(array_agg(s.id ORDER BY s.id DESC) FILTER (WHERE s.hit))[1:{RANK_SAMPLED}] "
            f"FROM (SELECT d.id, ({match} AND {_READABLE}) AS hit FROM (SELECT * FROM "
            f"search_documents d WHERE d.kind = {_kind_literal(kind)} ORDER BY d.id DESC "
            f"LIMIT {size}) d) s"
            for kind in kinds
        )
        rows = connection.execute(text(sql), params)
        return {kind: Sample(size, read, found, list(ids or ())) for kind, read, found, ids in rows}

    def _countable(
        self, connection: Connection, tsquery: Tsquery, params: dict, samples: dict[str, Sample]
    ) -> bool:
        """True when neither the samples nor the planner say the query matches more than
        `LARGE` readable documents (the planner: more than `PLANNED_SHARE` of it): they are then
        counted exactly, else estimated."""
        _kinds, sizes = self._kinds_and_sizes()
        if all(sample.whole() for sample in samples.values()):
            return True
        if sum(sample.estimate(sizes.get(kind, 0)) for kind, sample in samples.items()) > LARGE:
            return False
        # A word in a few thousand documents may be missing from the newest ones: counting
        # them to `LARGE` + 1 first would cost more than the whole sampled search.
        return self._planned_matches(connection, tsquery, params) <= LARGE * PLANNED_SHARE

    @staticmethod
    def _planned_matches(connection: Connection, tsquery: Tsquery, params: dict) -> float:
        """The readable documents the planner expects the words to match: cheap to ask (one
        EXPLAIN); close for words among the commonest of its statistics (their target is
        raised for that: see migration 0024), low for the others. The larger of its estimates
        for the words' stems alone and for their roots and starts alone: the two match mostly
        the same documents, which it would count twice if asked about both together."""
        each = (
            f"SELECT 1 FROM search_documents d WHERE d.terms @@ ({words}) AND {tsquery.phrases} "
            f"AND {_READABLE}"
            for words in (tsquery.stems, tsquery.roots)
        )
        plan = connection.scalar(text("EXPLAIN (FORMAT JSON) " + " UNION ALL ".join(each)), params)
        if isinstance(plan, str):
            plan = json.loads(plan)
        top = plan[0]["Plan"]  # an Append of the two
        return max(float(part["Plan Rows"]) for part in top.get("Plans") or [top])

    def _estimates(self, samples: dict[str, Sample]) -> tuple[dict[str, int], set[str]]:
        """Readable matches by kind from the samples: exact for a kind read whole, else the
        sample's rate times the kind's documents (those kinds returned apart)."""
        _kinds, sizes = self._kinds_and_sizes()
        counts, estimated = {}, set()
        for kind, sample in samples.items():
            size = sizes.get(kind, 0)
            counts[kind] = sample.estimate(size)
            if not sample.whole():
                estimated.add(kind)
        return {kind: n for kind, n in counts.items() if n}, estimated

    def _counted_page(
        self,
        connection: Connection,
        match: str,
        query: str,
        kinds: list[str] | None,
        params: dict,
        start: int,
        size: int,
    ) -> tuple[dict[str, int], list[PostgresHit]] | None:
        """The readable matches counted by kind, and the page's hits (of `kinds`, if given:
        among their newest `RANK_AT_MOST` matches, by rank, with their snippet), in one
        statement reading the matches once; None if there are more than `LARGE` (to be
        estimated)."""
        # The matches are read from the GIN index, up to `LARGE` + 1: never by the primary
        # key backwards, which reads every newer document until it has found enough (for a
        # word of 1,970 documents, 65,000 rows: 95 ms). Only the newest `RANK_AT_MOST` of
        # them are ranked, read again by their primary key (cached by then). The matches are
        # named `d` where `_of_kinds` filters them.
        rows = connection.execute(
            text(
                f"WITH m AS MATERIALIZED (SELECT d.id, d.kind FROM search_documents d "
                f"WHERE {match} AND {_READABLE} LIMIT {LARGE + 1}), "
                f"best AS (SELECT d.id, ts_rank(d.terms, {query}) AS rank "
                f"FROM search_documents d WHERE d.id IN (SELECT d.id FROM m d "
                f"WHERE {_of_kinds(kinds)} ORDER BY d.id DESC LIMIT {RANK_AT_MOST}) "
                f"ORDER BY rank DESC, d.id DESC LIMIT :size OFFSET :start) "
                f"SELECT m.kind, count(*) AS matches, NULL AS object_id, NULL AS title, "
                f"NULL AS body, NULL AS rank, NULL AS snippet, NULL AS id FROM m GROUP BY m.kind "
                f"UNION ALL SELECT d.kind, NULL, d.object_id, d.title, d.body, best.rank, "
                f"ts_headline('{CONFIG}', {_words_of('d.body')}, {query}, :options), d.id "
                f"FROM best JOIN search_documents d ON d.id = best.id "
                f"ORDER BY rank DESC NULLS FIRST, id DESC"
            ),
            params | {"size": size, "start": start, "options": HEADLINE},
        )
        counts, hits = {}, []
        for row in rows:
            if row.matches is None:
                hits.append(PostgresHit(row._mapping))
            else:
                counts[row.kind] = row.matches
        return (counts, hits) if sum(counts.values()) <= LARGE else None

    @staticmethod
    def _ranked(
        connection: Connection, query: str, params: dict, ids: list[int], start: int, size: int
    ) -> list[PostgresHit]:
        """The page's hits among the documents `ids` (readable matches), by rank."""
        rows = connection.execute(
            text(
                f"SELECT d.kind, d.object_id, d.title, d.body, best.rank, "
                f"ts_headline('{CONFIG}', {_words_of('d.body')}, {query}, :options) AS snippet "
                f"FROM (SELECT d.id, ts_rank(d.terms, {query}) AS rank FROM search_documents d "
                f"WHERE d.id = ANY(CAST(:ids AS int[])) ORDER BY rank DESC, d.id DESC "
                f"LIMIT :size OFFSET :start) best "
                f"JOIN search_documents d ON d.id = best.id ORDER BY best.rank DESC, d.id DESC"
            ),
            params | {"ids": ids, "size": size, "start": start, "options": HEADLINE},
        )
        return [PostgresHit(row._mapping) for row in rows]

    # --- writing ---------------------------------------------------------------------------
    def update(
        self,
        refs: list[tuple[str, int]],
        docs: list[Document],
        fresh: Iterable[tuple[str, int]] = (),
    ) -> None:
        """Replace the documents of the objects `refs` by `docs`, in a transaction of its own."""
        with self.engine.begin() as connection:
            write(connection, refs, docs, fresh)

    def take_journal(self) -> list[tuple[str, int]]:
        """The objects changed during the rebuild (write transactions that met it journal
        them, see `rebuild_running`): the journal is emptied, they are written again."""
        with self.engine.begin() as connection:
            rows = connection.execute(text("DELETE FROM search_journal RETURNING kind, object_id"))
            return sorted({(kind, object_id) for kind, object_id in rows})

    def needs_build(self) -> bool:
        """True if no document was ever written (a fresh install, a switch from Whoosh)."""
        with self.engine.connect() as connection:
            return connection.scalar(text("SELECT 1 FROM search_documents LIMIT 1")) is None

    @contextmanager
    def rebuilding(self) -> Iterator[None]:
        """One rebuild at a time; write transactions meeting it journal their objects."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": REBUILD_LOCK})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": REBUILD_LOCK})
                connection.commit()

    def rebuild(self, docs: Iterable[Document], procs: int = 1) -> int:
        """Write every document (a transaction per batch: searches go on meanwhile), then
        delete the documents not written again (objects gone). Returns the count."""
        began = utcnow()
        count = 0
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc)
            count += 1
            if len(batch) >= BATCH:
                self._write_batch(batch)
                batch = []
        self._write_batch(batch)
        with self.engine.begin() as connection:
            connection.execute(
                text("DELETE FROM search_documents WHERE written_at < :began"), {"began": began}
            )
        # The upserts left a dead row per document: reclaim them (a plain VACUUM, readers go
        # on) and refresh the planner's word statistics. VACUUM runs outside a transaction.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE) search_documents"))
        self.forget()
        self._built_at = time.time()
        return count

    def _write_batch(self, docs: list[Document]) -> None:
        if docs:
            with self.engine.begin() as connection:
                connection.execute(_UPSERT, _rows(docs, utcnow()))

    def built_at(self) -> float:
        """When the last rebuild by this process ended (0 if never): enough for a server's
        own background rebuild requests (the database is never 'damaged' here)."""
        return getattr(self, "_built_at", 0.0)
