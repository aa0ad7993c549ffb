"""The Whoosh backend: a French-aware schema, one long-lived searcher, safe writers.

Whoosh allows one writer at a time: writes go through `AsyncWriter`, which buffers and
retries in a background thread when another process holds the lock, so a user's request
never fails or waits for it. A rebuild writes a fresh index beside the live one and swaps
it in. The searcher is kept open and refreshed (cheaply) when the index changes.
"""

import fcntl
import logging
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from whoosh import index
from whoosh.analysis import Analyzer, Token
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.index import EmptyIndexError
from whoosh.lang import stemmer_for_language
from whoosh.lang.stopwords import stoplists
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.query import And, Or, Query, Term
from whoosh.reading import TermNotFound
from whoosh.support.charset import accent_map
from whoosh.writing import AsyncWriter

from network.core.registries import Document

log = logging.getLogger(__name__)
PREFIX_MIN = 3  # as you type: the n-gram field holds the starts of words of 3 to 6 letters;
PREFIX_MAX = 6  # longer ones are matched by their root (the first ROOT_SIZE letters)
ROOT_SIZE = 6
# A rebuild writes a segment every SEGMENT_DOCS documents, its postings sorted in memory
# (WRITER_MB holds those of 50,000 documents of ~80 terms): no sorting runs pickled to disk
# and merged back, which cost a third of the time.
SEGMENT_DOCS = 50_000
WRITER_MB = 1024
STOP = frozenset(stoplists["fr"]) | frozenset(stoplists["en"])

_WORD = re.compile(r"\w+")
_CACHE_LIMIT = 200_000  # distinct words per analyser; vocabularies are Zipfian
_CACHES: dict[tuple, dict[str, tuple[str, ...]]] = {}
_stem = stemmer_for_language("fr")


def folded(word: str) -> str:
    """A word as the analysers see it (lower-case, accents folded)."""
    return word.lower().translate(accent_map)


class WordAnalyzer(Analyzer):
    """Words (`\\w+`), lower-cased and accent-folded, each turned into its index terms.

    One pass and one cache per analyser: a word seen before costs a dictionary look-up
    instead of a chain of filters and a Snowball stemmer (most words of a text repeat).
    Analysers compare equal by class and settings: an index built with other ones is stale.
    """

    def terms(self, word: str) -> tuple[str, ...]:
        """The terms of a folded word, all at its position (none: a stop word)."""
        raise NotImplementedError

    def _cache(self) -> dict[str, tuple[str, ...]]:
        key = (type(self).__name__, *sorted(self.__dict__.items()))
        cache = _CACHES.get(key)
        if cache is None or len(cache) >= _CACHE_LIMIT:
            cache = _CACHES[key] = {}
        return cache

    def analyse(self, word: str) -> tuple[str, ...]:
        cache = self._cache()
        terms = cache.get(word)
        if terms is None:
            terms = cache[word] = self.terms(folded(word))
        return terms

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in sorted(self.__dict__.items()))
        return f"{type(self).__name__}({settings})"

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        cache = self._cache()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for match in _WORD.finditer(value):
            word = match.group()
            terms = cache.get(word)
            if terms is None:
                terms = cache[word] = self.terms(folded(word))
            if not terms:
                if removestops:
                    continue
                terms, token.stopped = (folded(word),), True  # kept for highlighting
            else:
                token.stopped = False
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            if positions:
                token.pos = pos
            for text in terms:
                token.text = text
                yield token
            if not token.stopped:
                pos += 1


class FrenchAnalyzer(WordAnalyzer):
    """Stop words (French and English) dropped, the rest stemmed by Snowball French."""

    def terms(self, word):
        if len(word) < 2 or word in STOP:
            return ()
        return (_stem(word),)


class RootAnalyzer(WordAnalyzer):
    """The first `size` letters of the words longer than that, stop words dropped, where
    stems part ways: "développeuse", "développeur" → "develo"; "électricité",
    "électricienne" → "electr". Shorter words are left to the stems."""

    def __init__(self, size: int = ROOT_SIZE) -> None:
        self.size = size

    def terms(self, word):
        if len(word) <= self.size or word in STOP:
            return ()
        return (word[: self.size],)


class PrefixAnalyzer(WordAnalyzer):
    """The starts of every word, of `minsize` to `maxsize` letters (as you type)."""

    def __init__(self, minsize: int = PREFIX_MIN, maxsize: int = PREFIX_MAX) -> None:
        self.minsize = minsize
        self.maxsize = maxsize

    def terms(self, word):
        return tuple(word[:size] for size in range(self.minsize, min(len(word), self.maxsize) + 1))


FRENCH = FrenchAnalyzer()
ROOTS = RootAnalyzer()
PREFIXES = PrefixAnalyzer()


SCHEMA = Schema(
    key=ID(unique=True, stored=True),  # kind:id:audience
    ref=ID(stored=True),  # kind:id — results collapse on it
    kind=ID(stored=True, sortable=True),  # a column: counting by kind stays cheap
    audience=ID(),
    replaced_for=KEYWORD(),  # audiences that read a fuller document of the same object
    title=TEXT(analyzer=FRENCH, stored=True, field_boost=3.0),
    body=TEXT(analyzer=FRENCH, stored=True),
    keywords=TEXT(analyzer=FRENCH, phrase=False, field_boost=1.5),  # no phrase across them
    roots=TEXT(analyzer=ROOTS, phrase=False, field_boost=0.5),
    prefix=TEXT(analyzer=PREFIXES, phrase=False, field_boost=2.0),
    object_id=STORED(),
)


def fields_of(doc: Document) -> dict[str, Any]:
    text = f"{doc.title} {doc.keywords} {doc.body}"
    return {
        "key": f"{doc.kind}:{doc.object_id}:{doc.audience}",
        "ref": f"{doc.kind}:{doc.object_id}",
        "kind": doc.kind,
        "audience": doc.audience,
        "replaced_for": " ".join(doc.replaced_for),
        "title": doc.title,
        "body": doc.body,
        "keywords": doc.keywords,
        "roots": text,
        "prefix": f"{doc.title} {doc.keywords}",
        "object_id": doc.object_id,
    }


@dataclass
class Found:
    hits: list  # Whoosh hits of the page, best first (with `highlights`)
    counts: dict[str, int]  # readable hits of every kind
    total: int  # readable hits of the kinds searched
    more: bool  # another page follows


class IndexUnavailable(Exception):
    """The index is missing or cannot be read (it is being rebuilt)."""


RETRIES = 3  # a concurrent commit may delete the files a reader just listed


def _retrying(action):
    """Run `action`, retrying the transient errors of an index being committed meanwhile."""
    for attempt in range(RETRIES):
        try:
            return action()
        except (FileNotFoundError, EmptyIndexError):
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.05)
    return None


def _open(folder: Path):
    """The index in `folder`, if built with this schema and these analysers."""
    ix = index.open_dir(str(folder))
    if not _current(ix.schema):
        ix.close()
        raise IndexUnavailable("the index was built with another schema: rebuild it")
    return ix


def _current(schema: Schema) -> bool:
    if sorted(schema.names()) != sorted(SCHEMA.names()):
        return False
    return all(
        type(schema[name]) is type(SCHEMA[name])
        and type(schema[name].format) is type(SCHEMA[name].format)
        and getattr(schema[name], "analyzer", None) == getattr(SCHEMA[name], "analyzer", None)
        for name in SCHEMA.names()
    )


# --- document sets --------------------------------------------------------------------------
# Counting and restricting with Whoosh matchers walks every posting of the audience terms
# (hundreds of thousands) in Python; sets intersect in C, and cost the size of the smaller.

_SEGMENT_SETS: "WeakKeyDictionary[Any, dict[tuple[str, str], frozenset[int]]]" = WeakKeyDictionary()


def _posting_docs(reader, fieldname: str, text: str) -> list[int]:
    """The documents of a term in one segment."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return []
    if type(matcher) is not W3LeafMatcher:  # e.g. deletions filtered out
        return list(matcher.all_ids())
    docs: list[int] = []
    while matcher.is_active():  # a block (up to 128 postings) at a time, decoded in C
        if matcher._data is None:
            matcher._read_data()
        docs.extend(accumulate(matcher._data[0]))  # document numbers are delta-encoded
        matcher._next_block()
    return docs


def _segment_set(reader, fieldname: str, text: str) -> frozenset[int]:
    """The documents of an audience, kind… term in a segment (kept while it is open)."""
    sets = _SEGMENT_SETS.setdefault(reader, {})
    key = (fieldname, text)
    if key not in sets:
        sets[key] = frozenset(_posting_docs(reader, fieldname, text))
    return sets[key]


def _matching(leaf, query: Query, terms: dict) -> set[int]:
    """The documents of one segment matching `query` (the queries `queries.py` builds);
    `terms` keeps each term's documents for the rest of the search."""
    if isinstance(query, Term):
        key = (id(leaf.reader()), query.fieldname, query.text)
        if key not in terms:
            terms[key] = set(_posting_docs(leaf.reader(), query.fieldname, query.text))
        return set(terms[key])
    if isinstance(query, Or):
        found: set[int] = set()
        for part in query.subqueries:
            found |= _matching(leaf, part, terms)
        return found
    if isinstance(query, And):
        found = _matching(leaf, query.subqueries[0], terms)
        for part in query.subqueries[1:]:
            if not found:
                break
            found &= _matching(leaf, part, terms)
        return found
    return set(query.docs(leaf))  # a phrase: Whoosh checks the positions


def _readable_docs(leaf, query: Query, audiences: set[str], terms: dict) -> dict[str, set[int]]:
    """The documents of a segment matching `query` that `audiences` read, by kind: of these
    audiences, except those replaced by a fuller one they also read (staff read a member's
    complete document, not also the members' one)."""
    found = _matching(leaf, query, terms)
    if not found:
        return {}
    reader = leaf.reader()
    readable: set[int] = set()
    for audience in audiences:
        readable |= found & _segment_set(reader, "audience", audience)
    for audience in audiences:
        readable -= _segment_set(reader, "replaced_for", audience)
    if not readable:
        return {}
    return {
        kind: docs
        for kind in _kinds(reader)
        if (docs := readable & _segment_set(reader, "kind", kind))
    }


#: Beyond this many hits, only these many are ranked (Whoosh scores in Python: ~10 µs a
#: hit): those matching in a title, keywords or word starts first, then the latest indexed.
#: Counts stay exact; the order past the first pages is approximate.
RANK_AT_MOST = 500
STRONG_FIELDS = frozenset({"title", "keywords", "prefix"})


def _to_rank(
    searcher, query: Query, shown: dict[int, set[int]], terms: dict
) -> dict[int, list[int]]:
    """The documents to score, by segment reader: all the shown ones, or the best cap."""
    total = sum(len(docs) for docs in shown.values())
    if total <= RANK_AT_MOST:
        return {key: sorted(docs) for key, docs in shown.items()}
    strong = [t for t in _term_leaves(query) if t.fieldname in STRONG_FIELDS]
    picked: dict[int, list[int]] = {}
    left = RANK_AT_MOST
    for first in (True, False):  # strong matches, then the others
        for leaf, _offset in reversed(searcher.leaf_searchers()):  # the latest segments first
            reader = leaf.reader()
            docs = shown.get(id(reader), set())
            if first:
                found: set[int] = set()
                for term in strong:
                    found |= _matching(leaf, term, terms)
                docs = docs & found
            else:
                docs = docs - set(picked.get(id(reader), ()))
            chosen = sorted(docs, reverse=True)[:left]
            picked.setdefault(id(reader), []).extend(chosen)
            left -= len(chosen)
            if left <= 0:
                break
        if left <= 0:
            break
    return {key: sorted(docs) for key, docs in picked.items()}


def _term_leaves(query: Query) -> list[Term]:
    if isinstance(query, Term):
        return [query]
    return [t for child in query.children() for t in _term_leaves(child)]


class _DocsQuery(Query):
    """Given documents of each segment, unscored (a constant): And-ed with a query, only
    they are scored, the query's postings being skipped to them."""

    fieldname = None  # no terms: nothing to highlight

    def __init__(self, docs: dict[int, list[int]]) -> None:
        self.docs_by_reader = docs

    def has_terms(self):
        return False

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return f"_DocsQuery({sum(map(len, self.docs_by_reader.values()))} documents)"

    def is_leaf(self):
        return True

    def estimate_size(self, ixreader):
        return len(self.docs_by_reader.get(id(ixreader), ()))

    def estimate_min_size(self, ixreader):
        return self.estimate_size(ixreader)

    def matcher(self, searcher, context=None):
        docs = self.docs_by_reader.get(id(searcher.reader()))
        if not docs:
            return NullMatcher()
        return ListMatcher(docs, all_weights=1.0)


def _kinds(reader) -> list[str]:
    return [kind.decode() if isinstance(kind, bytes) else kind for kind in reader.lexicon("kind")]


class WhooshBackend:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._searcher: Any = None

    # --- reading ---------------------------------------------------------------------------
    def exists(self) -> bool:
        """True if an index is there (whatever its state); never raises."""
        try:
            return index.exists_in(str(self.folder))
        except Exception:  # a corrupt table of contents
            return self.folder.exists() and any(self.folder.glob("_MAIN_*.toc"))

    def readable(self) -> bool:
        try:
            self.searcher()
        except IndexUnavailable:
            return False
        return True

    def searcher(self):
        """The shared searcher, refreshed if the index changed since it was opened."""
        with self._lock:
            try:
                if self._searcher is None:
                    self._searcher = _retrying(lambda: _open(self.folder).searcher())
                else:
                    self._searcher = _retrying(self._searcher.refresh)
            except Exception as error:  # missing, corrupt, half-swapped
                self._searcher = None
                raise IndexUnavailable(str(error)) from error
            return self._searcher

    def forget(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None

    def search(
        self, query: Query, audiences: set[str], kinds: list[str] | None, page: int, per_page: int
    ) -> "Found":
        """One page of hits among the documents readable by `audiences` (and of `kinds`, if
        given), best first, each object once; and the readable hits of every kind.

        The matching documents are found as sets (posting lists read a block at a time,
        audiences and kinds from per-segment sets kept while the segment is open) and
        counted by kind; then only those are scored, as many as the page needs."""
        searcher = self.searcher()
        counts: Counter[str] = Counter()
        shown: dict[int, set[int]] = {}  # id(segment reader) → its documents to show
        terms: dict = {}  # (id(segment reader), field, text) → documents
        for leaf, _offset in searcher.leaf_searchers():
            reader = leaf.reader()
            shown[id(reader)] = set()
            for kind, docs in _readable_docs(leaf, query, audiences, terms).items():
                counts[kind] += len(docs)
                if not kinds or kind in kinds:
                    shown[id(reader)] |= docs
        total = sum(len(docs) for docs in shown.values())
        start = (page - 1) * per_page
        if start >= total:
            return Found([], dict(counts), total, more=False)
        ranked = _DocsQuery(_to_rank(searcher, query, shown, terms))
        results = searcher.search(And([ranked, query]), limit=start + per_page, optimize=False)
        results.fragmenter = ContextFragmenter(maxchars=160, surround=40)
        results.formatter = HtmlFormatter(tagname="mark", classname="hit")
        hits = results[start : start + per_page]
        return Found(hits, dict(counts), total, start + per_page < total)

    # --- writing ---------------------------------------------------------------------------
    def update(
        self,
        refs: list[tuple[str, int]],
        docs: list[Document],
        fresh: Iterable[tuple[str, int]] = (),
    ) -> None:
        """Replace every document of the objects `refs` by `docs` (none: delete them);
        `fresh` objects were never indexed, so nothing of theirs is looked for (deleting
        opens every segment, the larger part of writing a new chat message).

        During a rebuild the refs are also journaled, to be replayed into the new index."""
        self._journal(refs)
        if not self.exists():
            return  # a rebuild will include them
        writer = _retrying(lambda: AsyncWriter(index.open_dir(str(self.folder)), delay=0.1))
        for kind, object_id in set(refs) - set(fresh):
            writer.delete_by_term("ref", f"{kind}:{object_id}")
        for doc in docs:
            writer.add_document(**fields_of(doc))
        writer.commit()

    def _journal_path(self) -> Path:
        return self.folder.with_name(self.folder.name + ".journal")

    def _journal(self, refs: list[tuple[str, int]]) -> None:
        if self.folder.with_name(self.folder.name + ".building").exists():
            with self._journal_path().open("a") as journal:
                journal.writelines(f"{kind}:{object_id}\n" for kind, object_id in refs)

    def take_journal(self) -> list[tuple[str, int]]:
        """The refs written during the last rebuild (the journal is emptied)."""
        path = self._journal_path()
        if not path.exists():
            return []
        lines = path.read_text().split()
        path.unlink(missing_ok=True)
        refs = []
        for line in dict.fromkeys(lines):
            kind, _, object_id = line.rpartition(":")
            if object_id.isdigit():
                refs.append((kind, int(object_id)))
        return refs

    @contextmanager
    def rebuilding(self) -> Iterator[None]:
        """One rebuild at a time across processes (a lock file beside the index)."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        with open(self.folder.with_name(self.folder.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def rebuild(self, docs: Iterable[Document], procs: int = 1) -> int:
        """Write a fresh index beside the live one, then swap it in. Returns the count.

        The caller holds `rebuilding()` and then replays `take_journal()`."""
        building = self.folder.with_name(self.folder.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        self._journal_path().unlink(missing_ok=True)
        building.mkdir(parents=True)
        ix = index.create_in(str(building), SCHEMA)
        count = 0
        writer = ix.writer(procs=procs, limitmb=WRITER_MB, multisegment=procs > 1)
        for doc in docs:
            writer.add_document(**fields_of(doc))
            count += 1
            if count % SEGMENT_DOCS == 0:  # sorted in memory, written as one segment
                writer.commit(merge=False)
                writer = ix.writer(procs=procs, limitmb=WRITER_MB, multisegment=procs > 1)
        writer.commit(merge=False)
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        with self._lock:
            if self.folder.exists():
                self.folder.rename(old)
            building.rename(self.folder)
        self.forget()
        shutil.rmtree(old, ignore_errors=True)
        return count
