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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.analysis import Analyzer, Token
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.index import EmptyIndexError
from whoosh.lang import stemmer_for_language
from whoosh.lang.stopwords import stoplists
from whoosh.query import And, Not, Or, Query, Term
from whoosh.support.charset import accent_map
from whoosh.writing import AsyncWriter

from network.search.registry import Document

log = logging.getLogger(__name__)
PREFIX_MIN = 2
PREFIX_MAX = 8
ROOT_SIZE = 6


_WORD = re.compile(r"\w+")
_CACHE_LIMIT = 200_000  # distinct words per analyser; vocabularies are Zipfian


class WordAnalyzer(Analyzer):
    """Words (`\\w+`), lower-cased and accent-folded, each turned into its index terms.

    One pass and one cache per analyser: a word seen before costs a dictionary look-up
    instead of a chain of filters and a Snowball stemmer (most words of a text repeat)."""

    def terms(self, folded: str) -> tuple[str, ...]:
        """The terms of a folded word, all at its position (none: a stop word)."""
        raise NotImplementedError

    def analyse(self, word: str) -> tuple[str, ...]:
        cache = _CACHES.setdefault(repr(self), {})
        terms = cache.get(word)
        if terms is None:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            terms = cache[word] = self.terms(word.lower().translate(accent_map))
        return terms

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
        cache = _CACHES.setdefault(repr(self), {})
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for match in _WORD.finditer(value):
            word = match.group()
            terms = cache.get(word)
            if terms is None:
                terms = self.analyse(word)
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


_CACHES: dict[str, dict[str, tuple[str, ...]]] = {}
_stem = stemmer_for_language("fr")


class FrenchAnalyzer(WordAnalyzer):
    """Stop words (French and English) dropped, the rest stemmed by Snowball French."""

    def terms(self, folded):
        if len(folded) < 2 or folded in STOP:
            return ()
        return (_stem(folded),)


class RootAnalyzer(WordAnalyzer):
    """The first `ROOT_SIZE` letters of words of 4 letters or more, stop words dropped:
    "développeuse", "développeur" → "develo"."""

    def terms(self, folded):
        if len(folded) < 4 or folded in STOP:
            return ()
        return (folded[:ROOT_SIZE],)


class PrefixAnalyzer(WordAnalyzer):
    """The starts of every word, from PREFIX_MIN to PREFIX_MAX letters (as you type)."""

    def terms(self, folded):
        return tuple(folded[:size] for size in range(PREFIX_MIN, min(len(folded), PREFIX_MAX) + 1))


STOP = frozenset(stoplists["fr"]) | frozenset(stoplists["en"])
FRENCH = FrenchAnalyzer()
ROOTS = RootAnalyzer()
PREFIXES = PrefixAnalyzer()


def folded(word: str) -> str:
    """A word as the analysers see it (lower-case, accents folded)."""
    return word.lower().translate(accent_map)


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
                    self._searcher = _retrying(lambda: index.open_dir(str(self.folder)).searcher())
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

    @staticmethod
    def _readable_by(audiences: set[str], kinds: list[str] | None) -> Query:
        """Documents of these audiences, except those replaced by a fuller one they also read
        (staff read a member's complete document, not also the members' one)."""
        names = sorted(audiences)
        allowed: Query = And(
            [
                Or([Term("audience", a) for a in names]),
                Not(Or([Term("replaced_for", a) for a in names])),
            ]
        )
        if kinds:
            allowed = And([allowed, Or([Term("kind", k) for k in kinds])])
        return allowed

    def search(
        self, query: Query, audiences: set[str], kinds: list[str] | None, page: int, per_page: int
    ):
        """One page of hits among the documents readable by `audiences`, each object once.

        The same pass groups every hit by kind (`groups_by_kind`): no second search for the
        counts when all kinds are searched."""
        restricted = And([query, self._readable_by(audiences, kinds)])
        results = self.searcher().search_page(restricted, page, pagelen=per_page, groupedby="kind")
        results.results.fragmenter = ContextFragmenter(maxchars=160, surround=40)
        results.results.formatter = HtmlFormatter(tagname="mark", classname="hit")
        return results

    @staticmethod
    def groups_by_kind(page) -> dict[str, int]:
        return {kind: len(docs) for kind, docs in page.results.groups("kind").items()}

    def counts(self, query: Query, audiences: set[str]) -> dict[str, int]:
        """Hits per kind, for the viewer's audiences only."""
        restricted = And([query, self._readable_by(audiences, None)])
        results = self.searcher().search(restricted, limit=None, groupedby="kind")
        return {kind: len(refs) for kind, refs in results.groups("kind").items()}

    # --- writing ---------------------------------------------------------------------------
    def update(self, refs: list[tuple[str, int]], docs: list[Document]) -> None:
        """Replace every document of the objects `refs` by `docs` (none: delete them).

        During a rebuild the refs are also journaled, to be replayed into the new index."""
        self._journal(refs)
        if not self.exists():
            return  # a rebuild will include them
        writer = _retrying(lambda: AsyncWriter(index.open_dir(str(self.folder)), delay=0.1))
        for kind, object_id in refs:
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
        writer = ix.writer(procs=procs, limitmb=256, multisegment=procs > 1)
        count = 0
        for doc in docs:
            writer.add_document(**fields_of(doc))
            count += 1
        writer.commit()
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        with self._lock:
            if self.folder.exists():
                self.folder.rename(old)
            building.rename(self.folder)
        self.forget()
        shutil.rmtree(old, ignore_errors=True)
        return count
