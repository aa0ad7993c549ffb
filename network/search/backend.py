"""The Whoosh backend: a French-aware schema, one long-lived searcher, safe writers.

Whoosh allows one writer at a time: writes go through `AsyncWriter`, which buffers and
retries in a background thread when another process holds the lock, so a user's request
never fails or waits for it. A rebuild writes a fresh index beside the live one and swaps
it in. The searcher is kept open and refreshed (cheaply) when the index changes.
"""

import fcntl
import logging
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    NgramFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.lang.stopwords import stoplists
from whoosh.query import And, Or, Query, Term
from whoosh.support.charset import accent_map
from whoosh.writing import AsyncWriter

from network.search.registry import Document

log = logging.getLogger(__name__)
PREFIX_MAX = 8


class TruncateFilter(Filter):
    """Keep the first `size` characters: "développeuse", "développeur" → "develo"."""

    def __init__(self, size: int = 6) -> None:
        self.size = size

    def __call__(self, tokens):
        for token in tokens:
            token.text = token.text[: self.size]
            yield token


STOP = frozenset(stoplists["fr"]) | frozenset(stoplists["en"])
WORDS = RegexTokenizer(r"\w+") | LowercaseFilter() | CharsetFilter(accent_map)
FRENCH = WORDS | StopFilter(stoplist=STOP, minsize=2) | StemFilter(lang="fr")
ROOTS = WORDS | StopFilter(stoplist=STOP, minsize=4) | TruncateFilter(6)
PREFIXES = WORDS | NgramFilter(minsize=2, maxsize=PREFIX_MAX, at="start")

SCHEMA = Schema(
    key=ID(unique=True, stored=True),  # kind:id:audience
    ref=ID(stored=True),  # kind:id — results collapse on it
    kind=ID(stored=True),
    audience=ID(),
    title=TEXT(analyzer=FRENCH, stored=True, field_boost=3.0),
    body=TEXT(analyzer=FRENCH, stored=True),
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
        "title": doc.title,
        "body": f"{doc.keywords}\n{doc.body}".strip(),
        "roots": text,
        "prefix": f"{doc.title} {doc.keywords}",
        "object_id": doc.object_id,
    }


class IndexUnavailable(Exception):
    """The index is missing or cannot be read (it is being rebuilt)."""


class WhooshBackend:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._index: Any = None
        self._searcher: Any = None

    # --- reading ---------------------------------------------------------------------------
    def exists(self) -> bool:
        return index.exists_in(str(self.folder))

    def searcher(self):
        """The shared searcher, refreshed if the index changed since it was opened."""
        with self._lock:
            try:
                if self._searcher is None:
                    self._index = index.open_dir(str(self.folder))
                    self._searcher = self._index.searcher()
                else:
                    self._searcher = self._searcher.refresh()
            except Exception as error:  # missing, corrupt, half-swapped
                self._index = self._searcher = None
                raise IndexUnavailable(str(error)) from error
            return self._searcher

    def forget(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._index = self._searcher = None

    def search(
        self, query: Query, audiences: set[str], kinds: list[str] | None, page: int, per_page: int
    ):
        """(hits page, highlighter-ready results) for documents readable by `audiences`."""
        allowed: Query = Or([Term("audience", a) for a in sorted(audiences)])
        if kinds:
            allowed = And([allowed, Or([Term("kind", k) for k in kinds])])
        searcher = self.searcher()
        results = searcher.search_page(
            query,
            page,
            pagelen=per_page,
            filter=allowed,
            collapse="ref",
            collapse_limit=1,
            terms=True,
        )
        results.results.fragmenter = ContextFragmenter(maxchars=160, surround=40)
        results.results.formatter = HtmlFormatter(tagname="mark", classname="hit")
        return results

    def counts(self, query: Query, audiences: set[str]) -> dict[str, int]:
        """Hits per kind (each object once), for the viewer's audiences only."""
        allowed = Or([Term("audience", a) for a in sorted(audiences)])
        results = self.searcher().search(
            query, filter=allowed, limit=None, groupedby="kind", collapse="ref", collapse_limit=1
        )
        return {kind: len(refs) for kind, refs in results.groups("kind").items()}

    # --- writing ---------------------------------------------------------------------------
    def update(self, refs: list[tuple[str, int]], docs: list[Document]) -> None:
        """Replace every document of the objects `refs` by `docs` (none: delete them)."""
        if not self.exists():
            return  # a rebuild will include them
        writer = AsyncWriter(index.open_dir(str(self.folder)), delay=0.1)
        for kind, object_id in refs:
            writer.delete_by_term("ref", f"{kind}:{object_id}")
        for doc in docs:
            writer.add_document(**fields_of(doc))
        writer.commit()

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

        The caller holds `rebuilding()`."""
        building = self.folder.with_name(self.folder.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
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
