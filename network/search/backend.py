"""The Whoosh backend: a French-aware schema, one long-lived searcher, safe writers.

Whoosh allows one writer at a time: writes go through `AsyncWriter`, which buffers and
retries in a background thread when another process holds the lock, so a user's request
never fails or waits for it. A rebuild writes a fresh index beside the live one and swaps
it in (writers and the swap take turns: `WhooshBackend.swapping`). The searcher is kept
open and refreshed (cheaply) when the index changes.
"""

import fcntl
import logging
import os
import re
import shutil
import struct
import threading
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, groupby
from operator import itemgetter
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.exc import SQLAlchemyError
from whoosh.analysis import Analyzer, Token
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3FieldWriter,
    W3LeafMatcher,
    W3TermsReader,
    _lenfield,
)
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.index import _DEF_INDEX_NAME as INDEX_NAME
from whoosh.index import TOC, EmptyIndexError
from whoosh.lang import stemmer_for_language
from whoosh.lang.stopwords import stoplists
from whoosh.matching import ListMatcher, NullMatcher, ReadTooFar
from whoosh.query import And, Or, Query, Term
from whoosh.reading import TermNotFound
from whoosh.support.charset import accent_map
from whoosh.util.numeric import byte_to_length
from whoosh.writing import AsyncWriter, SegmentWriter

from network.core.registries import MEMBERS, STAFF, Document

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
    approximate: frozenset[str] = frozenset()  # kinds whose count is an estimate


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


def _storage(folder: Path) -> FileStorage:
    """The index's files, read with plain reads: a file truncated or rewritten under a
    memory map kills the whole process (SIGBUS) where a short read raises an exception."""
    return FileStorage(str(folder), supports_mmap=False)


def _open_dir(folder: Path):
    return _storage(folder).open_index()


FileState = dict[str, tuple[int, int, int]]  # file name → (size, mtime, inode)


def _used_files(searcher) -> set[str]:
    """The files a searcher reads: its table of contents and its segments' compound files
    (a file being written by a concurrent commit is none of them)."""
    names = {TOC._filename(INDEX_NAME, searcher.reader().generation())}
    for leaf, _offset in searcher.leaf_searchers():
        segment = leaf.reader().segment()
        if segment is not None and segment.is_compound():
            names.add(segment.make_filename(segment.COMPOUND_EXT))
    return names


def _file_state(folder: Path, names: Iterable[str]) -> FileState:
    """Size, modification time and inode of these files of the index (missing ones left
    out): a few `stat`s, cheap enough for every search."""
    state = {}
    for name in names:
        try:
            info = os.stat(folder / name)
        except FileNotFoundError:
            continue
        state[name] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return state


def _tampered(before: FileState, now: FileState) -> bool:
    """True if a file the searcher read changed since (Whoosh never rewrites one: a commit
    writes new files, so this is a truncation, a copy over it, a damaged disk…)."""
    return any(name in now and now[name] != state for name, state in before.items())


_SEGMENT_HEADER = struct.Struct("!qi")  # a compound segment: its directory's offset, length


def _check_segments(folder: Path, names: Iterable[str]) -> None:
    """Raise IndexUnavailable if a segment file is shorter or longer than its own header says
    (its directory of contents ends the file)."""
    for name in names:
        if not name.endswith(".seg"):
            continue
        with open(folder / name, "rb") as file:
            header = file.read(_SEGMENT_HEADER.size)
            size = file.seek(0, os.SEEK_END)
        if len(header) < _SEGMENT_HEADER.size or sum(_SEGMENT_HEADER.unpack(header)) != size:
            raise IndexUnavailable(f"the segment file {name} is damaged")


def _open(folder: Path):
    """The index in `folder`, if built with this schema and these analysers."""
    ix = _open_dir(folder)
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


_whoosh_skip_to = W3LeafMatcher.skip_to


def _skip_to(self, targetid):
    """`W3LeafMatcher.skip_to`, by bisection inside a block: Whoosh steps posting by
    posting, up to 127 steps of two method calls for every hit scored through a dense term.
    (Term vectors, whose ids are bytes, keep Whoosh's.)"""
    if self._byteids:
        return _whoosh_skip_to(self, targetid)
    if not self.is_active():
        raise ReadTooFar
    if targetid <= self.id():
        return
    if targetid > self._maxid:
        self._skip_to_block(lambda: targetid > self._maxid)
        if not self.is_active():
            return
    if self._ids is None:
        self._read_ids()
    self._i = bisect_left(self._ids, targetid, self._i)  # < the block's length: its max ≥ target


W3LeafMatcher.skip_to = _skip_to  # type: ignore[method-assign]

# A term's statistics (where its postings are, how many) are looked up in the segment's hash
# table file: several seeks and reads each time, and a search asks each of its terms' several
# times per segment (to order an And, to estimate, to open the postings). Segments never
# change: each remembers the answers (the frequent words are asked again and again).
TERM_INFOS_KEPT = 20_000  # per segment
_whoosh_term_info = W3TermsReader.term_info


def _term_info(self, fieldname: str, tbytes: bytes):
    """`W3TermsReader.term_info`, remembered (None: not in the segment)."""
    infos = self.__dict__.setdefault("_known_infos", {})
    key = (fieldname, tbytes)
    if key in infos:
        info = infos[key]
    else:
        if len(infos) >= TERM_INFOS_KEPT:
            infos.clear()
        try:
            info = _whoosh_term_info(self, fieldname, tbytes)
        except TermNotFound:
            info = None
        infos[key] = info
    if info is None:
        raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
    return info


def _term_statistic(statistic: str):
    def read(self, fieldname: str, tbytes: bytes) -> int:
        try:
            return getattr(_term_info(self, fieldname, tbytes), statistic)()
        except TermNotFound as missing:
            raise KeyError(str(missing)) from None  # as Whoosh's own: the reader answers 0

    return read


# Posting blocks, remembered per segment: a sampled search reads the start of its frequent
# terms' posting lists, the same blocks for every query with those words (each costs a header
# read of several small reads, and 75-90 µs to decompress and unpickle).
BLOCKS_KEPT = 4_096  # headers and decoded blocks per segment (a block: up to 128 postings)
_whoosh_goto = W3LeafMatcher._goto
_whoosh_read_data = W3LeafMatcher._read_data


def _blocks_of(postfile) -> dict:
    blocks = postfile.__dict__.setdefault("_known_blocks", {})
    if len(blocks) >= BLOCKS_KEPT:
        blocks.clear()
    return blocks


def _goto(self, position: int) -> None:
    """`W3LeafMatcher._goto` (to the block at `position`), its header remembered."""
    blocks = _blocks_of(self._postfile)
    header = blocks.get(position)
    if header is None:
        _whoosh_goto(self, position)
        blocks[position] = (
            self._lastblock,
            self._nextoffset,
            self._dataoffset,
            self._blocklength,
            self._maxid,
            self._maxweight,
            self._compression,
            self._minlength,
            self._maxlength,
        )
        return
    self._data = self._ids = self._weights = self._values = None
    self._i = 0
    (
        last,
        self._nextoffset,
        self._dataoffset,
        self._blocklength,
        self._maxid,
        self._maxweight,
        self._compression,
        self._minlength,
        self._maxlength,
    ) = header
    if last:
        self._lastblock = True


def _read_data(self) -> None:
    """`W3LeafMatcher._read_data` (the block's postings), remembered."""
    blocks = _blocks_of(self._postfile)
    key = ("data", self._dataoffset)
    data = blocks.get(key)
    if data is None:
        _whoosh_read_data(self)
        blocks[key] = self._data
    else:
        self._data = data


W3LeafMatcher._goto = _goto  # type: ignore[method-assign]
W3LeafMatcher._read_data = _read_data  # type: ignore[method-assign]
W3TermsReader.term_info = _term_info  # type: ignore[method-assign]
W3TermsReader.doc_frequency = _term_statistic("doc_frequency")  # type: ignore[method-assign]
W3TermsReader.frequency = _term_statistic("weight")  # type: ignore[method-assign]


class _LengthsInMemory:
    """The lengths a segment flush asks for every posting it writes (a document's field
    length), read whole once per field: Whoosh's reader seeks and reads one byte of the
    lengths file for each posting (millions of reads for a rebuild's segment)."""

    _TABLE = [byte_to_length(b) if b else None for b in range(256)]

    def __init__(self, reader) -> None:
        self._reader = reader
        self._lengths: dict[str, list[int | None] | None] = {}

    def of_field(self, fieldname: str) -> list[int | None] | None:
        """Each document's length in the field (None: the field has no lengths)."""
        if fieldname not in self._lengths:
            column = self._reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if column is None:
                self._lengths[fieldname] = None
            else:
                data = column._dbfile.get(column._basepos, column._count * column._fixedlen)
                self._lengths[fieldname] = [self._TABLE[b] for b in data]
        return self._lengths[fieldname]

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        lengths = self.of_field(fieldname)
        if lengths is None:
            return default
        return lengths[docnum] if docnum < len(lengths) else None

    def close(self) -> None:
        self._reader.close()


_FIELD_AND_TERM = itemgetter(0, 1)


def _add_postings(fieldwriter, schema, lengths: _LengthsInMemory | None, items) -> None:
    """`FieldWriter.add_postings` for a rebuild's segment: the same blocks written, but each
    term's postings added a block at a time (Whoosh adds and checks them one by one through
    three method calls: a third of a rebuild's time). `items` are sorted postings
    (field name, term bytes, document, weight, value bytes)."""
    field = None
    for (fieldname, btext), group in groupby(items, key=_FIELD_AND_TERM):
        if fieldname != field:
            if field is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field = fieldname
            field_lengths = lengths.of_field(fieldname) if lengths else None
        postings = [posting for posting in group if posting[2] != -1]  # -1: spelling words
        if not postings:
            continue
        fieldwriter.start_term(btext)
        writer = fieldwriter._postwriter
        limit = writer._blocklimit
        for start in range(0, len(postings), limit):
            if start:  # a full block, and more postings: written (the last one at the end)
                writer._write_block()
            block = postings[start : start + limit]
            ids = [posting[2] for posting in block]
            weights = [posting[3] for posting in block]
            writer._ids.extend(ids)
            writer._weights.extend(weights)
            writer._maxweight = max(writer._maxweight, *weights)
            writer._values.extend(value for posting in block if (value := posting[4]))
            if field_lengths is not None:
                if ids[-1] < len(field_lengths):
                    found = [n for doc in ids if (n := field_lengths[doc])]
                else:
                    found = [n for doc in ids if (n := lengths.doc_field_length(doc, fieldname))]  # type: ignore[union-attr]
                if found:
                    shortest, longest = min(found), max(found)
                    if writer._minlength is None or shortest < writer._minlength:
                        writer._minlength = shortest
                    writer._maxlength = max(writer._maxlength, longest)
        fieldwriter.finish_term()
    if field is not None:
        fieldwriter.finish_field()


def _rebuild_writer(ix, procs: int):
    """A writer of a rebuild's segment: postings sorted in memory, written a block at a
    time, lengths read whole."""
    writer = ix.writer(procs=procs, limitmb=WRITER_MB, multisegment=procs > 1)
    if isinstance(writer, SegmentWriter) and isinstance(writer.fieldwriter, W3FieldWriter):
        per_document_reader = writer.per_document_reader
        writer.per_document_reader = lambda: _LengthsInMemory(per_document_reader())
        writer.fieldwriter.add_postings = partial(_add_postings, writer.fieldwriter)
    return writer


# --- document sets --------------------------------------------------------------------------
# Counting and restricting with Whoosh matchers walks every posting of the audience terms
# (hundreds of thousands) in Python; sets intersect in C, and cost the size of the smaller.

_SEGMENT_SETS: "WeakKeyDictionary[Any, dict[tuple[str, str], frozenset[int]]]" = WeakKeyDictionary()


Span = tuple[int, int] | None  # the first and last documents to read (None: all)


def _posting_docs(reader, fieldname: str, text: str, span: Span = None) -> list[int]:
    """The documents of a term in one segment (those within `span`, if given: the blocks
    before it are skipped on their headers, those after it not read)."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return []
    if type(matcher) is not W3LeafMatcher:  # e.g. deletions filtered out
        if span is None:
            return list(matcher.all_ids())
        if matcher.is_active():
            matcher.skip_to(span[0])
        docs_: list[int] = []
        while matcher.is_active() and matcher.id() <= span[1]:
            docs_.append(matcher.id())
            matcher.next()
        return docs_
    first, last = span or (0, -1)
    if first:
        matcher._skip_to_block(lambda: matcher._maxid < first)
    docs: list[int] = []
    while matcher.is_active():  # a block (up to 128 postings) at a time, decoded in C
        if matcher._data is None:
            matcher._read_data()
        docs.extend(accumulate(matcher._data[0]))  # document numbers are delta-encoded
        if span is not None and matcher._maxid >= last:
            break
        matcher._next_block()
    if span is not None:
        return [doc for doc in docs if first <= doc <= last]
    return docs


def _segment_set(reader, fieldname: str, text: str) -> frozenset[int]:
    """The documents of an audience, kind… term in a segment (kept while it is open)."""
    sets = _SEGMENT_SETS.setdefault(reader, {})
    key = (fieldname, text)
    if key not in sets:
        sets[key] = frozenset(_posting_docs(reader, fieldname, text))
    return sets[key]


def _posting_among(reader, fieldname: str, text: str, among: list[int]) -> set[int]:
    """Those of the documents `among` (in order) that a term's postings hold in one segment:
    only the blocks that could hold one are decoded (a header read skips the others)."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return set()
    found: set[int] = set()
    if type(matcher) is not W3LeafMatcher:  # e.g. deletions filtered out
        for doc in among:
            if not matcher.is_active():
                break
            matcher.skip_to(doc)
            if matcher.is_active() and matcher.id() == doc:
                found.add(doc)
        return found
    index_ = 0
    while matcher.is_active() and index_ < len(among):
        target = among[index_]
        if matcher._maxid < target:
            matcher._skip_to_block(lambda: matcher._maxid < target)  # noqa: B023 (used at once)
            continue
        if matcher._data is None:
            matcher._read_data()
        block = set(accumulate(matcher._data[0]))
        while index_ < len(among) and among[index_] <= matcher._maxid:
            if among[index_] in block:
                found.add(among[index_])
            index_ += 1
        matcher._next_block()
    return found


def _matching(
    leaf, query: Query, terms: dict, span: Span = None, among: set[int] | None = None
) -> set[int]:
    """The documents of one segment matching `query` (the queries `queries.py` builds), within
    `span` if given, among the documents `among` if given (those only are looked for);
    `terms` keeps each term's documents for the rest of the search."""
    if isinstance(query, Term):
        if among is not None:
            return _posting_among(leaf.reader(), query.fieldname, query.text, sorted(among))
        key = (id(leaf.reader()), query.fieldname, query.text, span)
        if key not in terms:
            terms[key] = set(_posting_docs(leaf.reader(), query.fieldname, query.text, span))
        return set(terms[key])
    if isinstance(query, Or):
        found: set[int] = set()
        for part in query.subqueries:
            found |= _matching(leaf, part, terms, span, among)
        return found
    if isinstance(query, And):  # the rarest part first: the others often need not be read
        reader = leaf.reader()
        first, *others = sorted(query.subqueries, key=lambda q: q.estimate_size(reader))
        found = _matching(leaf, first, terms, span, among)
        for part in others:
            if not found:
                break
            few = len(found) * AMONG_RATIO < _postings(part, reader)  # look for those only
            found &= _matching(leaf, part, terms, span, found if few else None)
        return found
    docs = set(query.docs(leaf))  # a phrase: Whoosh checks the positions
    if span is not None:
        docs = {d for d in docs if span[0] <= d <= span[1]}
    return docs if among is None else docs & among


#: A query's part is looked for only among the documents the rarer parts matched when its
#: postings are this many times more: a header read (9 µs) skips each block holding none,
#: where decoding one costs 90 µs.
AMONG_RATIO = 8


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


# --- frequent terms ---------------------------------------------------------------------------
# A query whose terms are in tens of thousands of documents (the commonest words, their first
# letters) would read, count and set-intersect all their postings: 300-600 ms at 300,000
# documents. Past `LARGE` possible matches, each kind of result is sampled instead: its first
# readable documents in the last segments (mostly the newest documents, though merges reorder
# small segments), enough for about `SAMPLE_MATCHES` matches, are matched exactly: their
# postings only, read from the start of the segment's posting lists (skipping blocks costs a
# header read each, 9 µs; decoding one, with its positions, 75 µs). If the rest of the kind
# would hold few matches at the sample's rate, it is matched exactly too (its postings are
# then few); otherwise the kind's count is the sample's rate times its readable documents
# ("about N"), and the hits shown come from the sample, ranked.

LARGE = 2_000  # possible matches (the terms' document frequencies) past which kinds are sampled
LARGE_POSTINGS = 40_000  # …or postings to read (~0.7 µs each: a rare word and a common one)
SAMPLE_MATCHES = 600  # matches a kind's sample should hold (±4 % on an estimate)
SAMPLE_MAX = 30_000  # documents of a kind sampled at most
EXACT_REST = 2_000  # estimated matches in the rest of a kind under which it is matched exactly
EXACT_REST_POSTINGS = 30_000  # …if that reads fewer postings than this (~20 ms)
_KIND_SETS: "WeakKeyDictionary[Any, dict[frozenset[str], dict]]" = WeakKeyDictionary()
_AUDIENCE_SETS_KEPT = 256  # distinct audience sets remembered per segment


def _kind_docs(reader, audiences: frozenset[str], kind: str) -> tuple[frozenset[int], list[int]]:
    """The documents of `kind` in a segment that `audiences` read (see `_readable_docs`), as
    a set and in order (kept while the segment is open, for the audiences present in the
    segment: viewers whose private channels are elsewhere share them)."""
    audiences = frozenset(a for a in audiences if _segment_set(reader, "audience", a))
    per_audiences = _KIND_SETS.setdefault(reader, {})
    if audiences not in per_audiences and len(per_audiences) >= _AUDIENCE_SETS_KEPT:
        per_audiences.clear()
    by_kind = per_audiences.setdefault(audiences, {})
    if kind not in by_kind:
        docs = _segment_set(reader, "kind", kind)
        readable: set[int] = set()
        for audience in audiences:
            readable |= docs & _segment_set(reader, "audience", audience)
        for audience in audiences:
            readable -= _segment_set(reader, "replaced_for", audience)
        by_kind[kind] = (frozenset(readable), sorted(readable))
    return by_kind[kind]


class _KindSample:
    """A kind's readable documents in the segments (newest first), matched a chunk at a time
    from the start of each segment."""

    def __init__(self, leaves: list, query: Query, audiences: frozenset[str], kind: str) -> None:
        self.query = query
        self.segments = [(leaf, *_kind_docs(leaf.reader(), audiences, kind)) for leaf in leaves]
        self.total = sum(len(ordered) for _leaf, _readable, ordered in self.segments)
        self.read = [0] * len(self.segments)  # documents sampled in each segment
        self.sampled = self.matched = 0
        self.found: dict[int, set[int]] = {}

    def take(self, size: int, terms: dict) -> None:
        """Match the next `size` documents."""
        for number, (leaf, _readable, ordered) in enumerate(self.segments):
            if size <= 0:
                return
            chunk = ordered[self.read[number] : self.read[number] + size]
            if not chunk:
                continue
            docs = _matching(leaf, self.query, terms, (chunk[0], chunk[-1])) & set(chunk)
            self.found.setdefault(id(leaf.reader()), set()).update(docs)
            self.read[number] += len(chunk)
            self.sampled += len(chunk)
            self.matched += len(docs)
            size -= len(chunk)

    def rest_postings(self) -> float:
        """About how many postings matching every document not sampled yet would read."""
        cost = 0.0
        for number, (leaf, _readable, ordered) in enumerate(self.segments):
            if self.read[number] < len(ordered):
                reader = leaf.reader()
                share = (len(ordered) - self.read[number]) / max(reader.doc_count_all(), 1)
                cost += _postings(self.query, reader) * share
        return cost

    def take_rest(self, terms: dict) -> None:
        """Match every document not sampled yet."""
        for number, (leaf, readable, ordered) in enumerate(self.segments):
            rest = ordered[self.read[number] :]
            if rest:
                docs = _matching(leaf, self.query, terms, (rest[0], rest[-1])) & readable
                self.found.setdefault(id(leaf.reader()), set()).update(docs)
                self.matched += len(docs)
        self.sampled = self.total


def _postings(query: Query, reader) -> int:
    """About how many postings `_matching` reads for `query` in a segment."""
    if isinstance(query, Term):
        return reader.doc_frequency(query.fieldname, query.text)
    parts = [_postings(part, reader) for part in query.children()]
    if isinstance(query, And) and min(parts, default=0) == 0:
        return 0  # the rarest part first: nothing else is read
    return sum(parts) or query.estimate_size(reader)


def _sampled_kind(
    leaves: list, query: Query, audiences: frozenset[str], kind: str, terms: dict
) -> tuple[int, bool, dict[int, set[int]]]:
    """A kind's count (exact or estimated), whether it is estimated, and the matches found,
    by segment reader. A first sample of `SAMPLE_MATCHES` documents gives the rate of
    matches; more are sampled if the rate is low, up to `SAMPLE_MATCHES` matches expected."""
    sample = _KindSample(leaves, query, audiences, kind)
    sample.take(SAMPLE_MATCHES, terms)
    if sample.sampled < sample.total and sample.matched < SAMPLE_MATCHES // 2:
        wanted = round(SAMPLE_MATCHES * sample.sampled / max(sample.matched, 1))
        sample.take(min(wanted, SAMPLE_MAX) - sample.sampled, terms)
    left = sample.total - sample.sampled
    expected = sample.matched * left / sample.sampled if left else 0
    if left and (expected > EXACT_REST or sample.rest_postings() > EXACT_REST_POSTINGS):
        estimate = sample.matched + round(expected)
        return estimate, True, sample.found
    if left:  # few matches expected: their postings are few
        sample.take_rest(terms)
    return sample.matched, False, sample.found


def _sampled(
    searcher, query: Query, audiences: set[str], kinds: list[str] | None, terms: dict
) -> tuple[Counter[str], set[str], dict[int, set[int]]]:
    """Counts by kind (some estimated: those kinds), and the matches to show by segment."""
    leaves = [leaf for leaf, _offset in reversed(searcher.leaf_searchers())]
    counts: Counter[str] = Counter()
    estimated: set[str] = set()
    shown: dict[int, set[int]] = {id(leaf.reader()): set() for leaf in leaves}
    for kind in sorted({kind for leaf in leaves for kind in _kinds(leaf.reader())}):
        count, approximate, found = _sampled_kind(leaves, query, frozenset(audiences), kind, terms)
        if not count:
            continue
        counts[kind] = count
        if approximate:
            estimated.add(kind)
        if not kinds or kind in kinds:
            for key, docs in found.items():
                shown[key] |= docs
    return counts, estimated, shown


#: Beyond this many hits, only these many are ranked (Whoosh scores in Python: ~10 µs a
#: hit): those matching in a title, keywords or word starts first, then the latest indexed.
#: Counts stay exact; the order past the first pages is approximate. A sampled search (see
#: `LARGE`) ranks three pages: scoring a hit through dense postings decodes a block of each
#: of its terms (~90 µs each).
RANK_AT_MOST = 500
RANK_SAMPLED = 60
STRONG_FIELDS = frozenset({"title", "keywords", "prefix"})


def _to_rank(
    searcher, query: Query, shown: dict[int, set[int]], terms: dict, sampled: bool = False
) -> dict[int, list[int]]:
    """The documents to score, by segment reader: all the shown ones, or the best cap (a
    `sampled` search reads the strong fields' postings only around the shown ones)."""
    total = sum(len(docs) for docs in shown.values())
    cap = RANK_SAMPLED if sampled else RANK_AT_MOST
    if total <= cap:
        return {key: sorted(docs) for key, docs in shown.items()}
    strong = [t for t in _term_leaves(query) if t.fieldname in STRONG_FIELDS]
    picked: dict[int, list[int]] = {}
    left = cap
    for first in (True, False):  # strong matches, then the others
        for leaf, _offset in reversed(searcher.leaf_searchers()):  # the latest segments first
            reader = leaf.reader()
            docs = shown.get(id(reader), set())
            if first and docs:
                span = (min(docs), max(docs)) if sampled else None
                found: set[int] = set()
                for term in strong:
                    found |= _matching(leaf, term, terms, span)
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


def _lexicon(reader, fieldname: str) -> list[str]:
    return [t.decode() if isinstance(t, bytes) else t for t in reader.lexicon(fieldname)]


def _kinds(reader) -> list[str]:
    return _lexicon(reader, "kind")


class _SwapAwareWriter(AsyncWriter):
    """Whoosh's `AsyncWriter` (when the index's writer lock is busy, it keeps the changes
    and commits them from a thread once it gets the lock), whose thread holds the backend's
    swap lock too: it opens its writer then, on the index in place at that time."""

    def __init__(self, index, swapping, delay: float) -> None:
        super().__init__(index, delay=delay)
        self._swapping = swapping

    def run(self) -> None:
        with self._swapping(fcntl.LOCK_SH):
            super().run()


class WhooshBackend:
    name = "whoosh"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._read_lock = threading.RLock()  # see `reading`
        self._searcher: Any = None
        self._files: FileState = {}  # the files the searcher opened, as they were

    # --- reading ---------------------------------------------------------------------------
    def exists(self) -> bool:
        """True if an index is there (whatever its state); never raises."""
        try:
            return _storage(self.folder).index_exists()
        except Exception:  # a corrupt table of contents
            return self.folder.exists() and any(self.folder.glob("_MAIN_*.toc"))

    def needs_build(self) -> bool:
        return False  # an index that exists was built (`readable` says if it can be read)

    def location(self) -> str:
        return str(self.folder)

    def count(self) -> int:
        return self.searcher().doc_count()

    def readable(self) -> bool:
        try:
            self.searcher()
        except IndexUnavailable:
            return False
        return True

    def searcher(self):
        """The shared searcher, refreshed if the index changed since it was opened; opened
        afresh if one of its files was changed in place (a table of contents rewritten with
        the same generation would otherwise go on serving the old one)."""
        with self._lock:
            try:
                if not self.folder.is_dir():
                    raise FileNotFoundError(self.folder)
                if self._files and _tampered(self._files, _file_state(self.folder, self._files)):
                    log.warning("the search index files changed in place: reopening it")
                    self._close()
                if self._searcher is None:
                    self._searcher = _retrying(lambda: _open(self.folder).searcher())
                else:
                    self._searcher = _retrying(self._searcher.refresh)
                used = _used_files(self._searcher)
                if used != set(self._files):  # opened or refreshed: check its new files
                    _check_segments(self.folder, used - set(self._files))
                    self._files = _file_state(self.folder, used)
            except Exception as error:  # missing, corrupt, half-swapped
                self._close()
                raise IndexUnavailable(str(error)) from error
            return self._searcher

    def warm(self) -> int:
        """Open the index and build what the first searches would build (each segment's sets
        of its kinds, `replaced_for` values and the members' and staff's audiences, and their
        readable documents by kind), then search it once, so that the first search after a
        start costs no more than the next ones. Returns how many documents the index holds
        (0: none to read)."""
        try:
            searcher = self.searcher()
            with self.reading():
                for leaf, _offset in searcher.leaf_searchers():
                    reader = leaf.reader()
                    for value in _lexicon(reader, "replaced_for"):
                        _segment_set(reader, "replaced_for", value)
                    for audiences in (frozenset({MEMBERS}), frozenset({MEMBERS, STAFF})):
                        for kind in _kinds(reader):
                            _kind_docs(reader, audiences, kind)
                # A search with snippets: the stored texts and Whoosh's scoring are opened.
                word = next(iter(searcher.reader().lexicon("body")), None)
                if word is not None:
                    text = word.decode() if isinstance(word, bytes) else word
                    for hit in self.search(Term("body", text), {MEMBERS}, None, 1, 20).hits:
                        hit.highlights("body")
                return searcher.doc_count_all()
        except IndexUnavailable:
            return 0  # searches will say so (and a rebuild makes one)

    def forget(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._searcher is not None:
            try:
                self._searcher.close()
            except Exception:  # a damaged index may fail to close too
                log.warning("could not close the search index", exc_info=True)
        self._searcher = None
        self._files = {}

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Around whatever reads the index (searching, highlighting): an error reading it (a
        damaged file) is `IndexUnavailable`, and the searcher is opened afresh next time.

        One reader at a time: the segments' files are read by seeking and reading shared
        file objects (no memory maps), which two threads would interleave (greenlets never
        do: the reads do not yield)."""
        try:
            with self._read_lock:
                yield
        except (IndexUnavailable, SQLAlchemyError):
            raise
        except Exception as error:
            log.exception("the search index could not be read")
            self.forget()
            raise IndexUnavailable(str(error)) from error

    def search(
        self, query: Query, audiences: set[str], kinds: list[str] | None, page: int, per_page: int
    ) -> "Found":
        """One page of hits among the documents readable by `audiences` (and of `kinds`, if
        given), best first, each object once; and the readable hits of every kind.

        The matching documents are found as sets (posting lists read a block at a time,
        audiences and kinds from per-segment sets kept while the segment is open) and
        counted by kind; then only those are scored, as many as the page needs. Past `LARGE`
        possible matches, kinds are sampled (see `_sampled`): some counts are then estimates
        (`Found.approximate`), and the hits come from the sample."""
        searcher = self.searcher()
        terms: dict = {}  # (id(segment reader), field, text, span) → documents
        reader = searcher.reader()
        sampled = query.estimate_size(reader) > LARGE or _postings(query, reader) > LARGE_POSTINGS
        if sampled:
            counts, estimated, shown = _sampled(searcher, query, audiences, kinds, terms)
        else:
            counts, estimated, shown = self._exact(searcher, query, audiences, kinds, terms)
        total = sum(counts[kind] for kind in counts if not kinds or kind in kinds)
        found = sum(len(docs) for docs in shown.values())  # what can be shown
        start = (page - 1) * per_page
        if start >= found:
            return Found([], dict(counts), total, False, frozenset(estimated))
        ranked = _DocsQuery(_to_rank(searcher, query, shown, terms, sampled))
        results = searcher.search(And([ranked, query]), limit=start + per_page, optimize=False)
        results.fragmenter = ContextFragmenter(maxchars=160, surround=40)
        results.formatter = HtmlFormatter(tagname="mark", classname="hit")
        hits = results[start : start + per_page]
        more = start + per_page < min(found, RANK_SAMPLED if sampled else RANK_AT_MOST)
        return Found(hits, dict(counts), total, more, frozenset(estimated))

    @staticmethod
    def _exact(searcher, query: Query, audiences: set[str], kinds: list[str] | None, terms: dict):
        """Exact counts by kind (none estimated), and the matches to show by segment."""
        counts: Counter[str] = Counter()
        shown: dict[int, set[int]] = {}  # id(segment reader) → its documents to show
        for leaf, _offset in searcher.leaf_searchers():
            reader = leaf.reader()
            shown[id(reader)] = set()
            for kind, docs in _readable_docs(leaf, query, audiences, terms).items():
                counts[kind] += len(docs)
                if not kinds or kind in kinds:
                    shown[id(reader)] |= docs
        return counts, set(), shown

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
        with self.swapping(fcntl.LOCK_SH):
            if not self.exists():
                return  # a rebuild will include them
            writer = _retrying(
                lambda: _SwapAwareWriter(_open_dir(self.folder), self.swapping, delay=0.1)
            )
            for kind, object_id in set(refs) - set(fresh):
                writer.delete_by_term("ref", f"{kind}:{object_id}")
            for doc in docs:
                writer.add_document(**fields_of(doc))
            writer.commit()

    @contextmanager
    def swapping(self, mode: int) -> Iterator[None]:
        """A lock file beside the index: writers hold it shared from opening the index to
        their commit, a rebuild alone while it swaps its index in. A writer opened on the old
        index would otherwise write its table of contents, which lists the old segments, into
        the new one (unreadable until rebuilt again)."""
        with self._locked(".swap", mode):
            yield

    @contextmanager
    def _locked(self, suffix: str, mode: int) -> Iterator[None]:
        """The file `suffix` beside the index locked (`flock`: across processes), as `mode`
        says, until it is closed."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        with open(self._beside(suffix), "a") as lock:
            fcntl.flock(lock, mode)
            yield

    def _beside(self, suffix: str) -> Path:
        """A file or folder beside the index's, named after it."""
        return self.folder.with_name(self.folder.name + suffix)

    def _journal_path(self) -> Path:
        return self._beside(".journal")

    def _journal(self, refs: list[tuple[str, int]]) -> None:
        if self._beside(".building").exists():
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
        with self._locked(".lock", fcntl.LOCK_EX):
            yield

    def rebuild(self, docs: Iterable[Document], procs: int = 1) -> int:
        """Write a fresh index beside the live one, then swap it in. Returns the count.

        The caller holds `rebuilding()` and then replays `take_journal()`."""
        building = self._beside(".building")
        shutil.rmtree(building, ignore_errors=True)
        self._journal_path().unlink(missing_ok=True)
        building.mkdir(parents=True)
        ix = _storage(building).create_index(SCHEMA)
        count = 0
        writer = _rebuild_writer(ix, procs)
        for doc in docs:
            writer.add_document(**fields_of(doc))
            count += 1
            if count % SEGMENT_DOCS == 0:  # sorted in memory, written as one segment
                writer.commit(merge=False)
                writer = _rebuild_writer(ix, procs)
        writer.commit(merge=False)
        old = self._beside(".old")
        shutil.rmtree(old, ignore_errors=True)
        with self.swapping(fcntl.LOCK_EX), self._lock:
            if self.folder.exists():
                self.folder.rename(old)
            building.rename(self.folder)
        self.forget()
        shutil.rmtree(old, ignore_errors=True)
        self._built_marker().touch()
        return count

    def _built_marker(self) -> Path:
        return self._beside(".built")

    def built_at(self) -> float:
        """When the last rebuild swapped its index in (a time stamp; 0 if never)."""
        try:
            return self._built_marker().stat().st_mtime
        except FileNotFoundError:
            return 0.0
