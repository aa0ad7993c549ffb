"""The index writer process, so that writing the index never takes the server's CPU.

Each server process starts one (`ProcessWriter`) and sends it, through its standard input,
one JSON line per committed transaction: the refs to replace and their documents. The
writer gathers what arrives within `delay` seconds into one Whoosh commit, and answers a
`{"flush": n}` line with `n` once everything sent before it is written. It writes what it
has and stops when its input closes (its server stopped). Once a Whoosh commit holds a
transaction's documents, it deletes that transaction's entries of the search journal (in the
database named by `TERREAU_SEARCH_JOURNAL_URL`): what a crash loses is written again at start.

    python -m network.search <index folder> <delay in seconds>
"""

import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, delete

from network.core.database import configure_engine, write_intent
from network.core.registries import Document
from network.search.backend import WhooshBackend
from network.search.models import SearchJournalEntry

log = logging.getLogger(__name__)
Ref = tuple[str, int]
JOURNAL_URL = "TERREAU_SEARCH_JOURNAL_URL"
#: A document's fields, as its line for the writer gives them (`asdict` without its deep copy).
_DOCUMENT_FIELDS = tuple(field.name for field in fields(Document))


def forget_journal(engine: Engine | None, ids: list[int], batch: int = 500) -> None:
    """Delete these journal entries (their documents are in the index); a failure only
    leaves them to be replayed."""
    if engine is None or not ids:
        return
    try:
        with write_intent(True), engine.begin() as connection:
            for start in range(0, len(ids), batch):
                part = ids[start : start + batch]
                connection.execute(
                    delete(SearchJournalEntry).where(SearchJournalEntry.id.in_(part))
                )
    except Exception:
        log.exception("could not clear the search journal (it is replayed at start)")


class LineReader:
    """Lines from a pipe, waiting at most a given time for the next one (a buffered file
    would hide its buffered lines from `select`)."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buffer = fd, b""

    def readline(self, timeout: float | None = None) -> bytes | None:
        """The next line; b"" once the pipe is closed; None if none came within `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return b""
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"


class ProcessWriter:
    """The server's side: starts the writer process when first needed (again if it died)."""

    def __init__(self, folder: Path, delay: float, database: str | None = None) -> None:
        self.folder, self.delay, self.database = folder, delay, database
        self._process: subprocess.Popen | None = None
        self._answers: LineReader | None = None
        self._lock = threading.Lock()  # one line at a time (a greenlet lock under gevent)
        self._flushes = 0

    def submit(
        self, refs: list[Ref], docs: list[Document], fresh: list[Ref], journal: Iterable[int] = ()
    ) -> None:
        """Hand over a transaction's documents (`fresh`: refs of objects it created;
        `journal`: its journal entries, deleted once the documents are written)."""
        line = {
            "refs": refs,
            "docs": [{name: getattr(doc, name) for name in _DOCUMENT_FIELDS} for doc in docs],
            "fresh": fresh,
            "journal": list(journal),
        }
        with self._lock:
            self._send(line)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted is written; False on timeout."""
        with self._lock:
            self._flushes += 1
            number = self._flushes
            self._send({"flush": number})
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                answer = self._answers.readline(left)  # type: ignore[union-attr]
                if not answer:
                    return False  # none in time, or it died
                if json.loads(answer) == number:
                    return True
            return False

    def close(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.stdin.close()  # type: ignore[union-attr]
                self._process.wait(timeout=30)

    def _send(self, line: dict[str, Any]) -> None:
        data = (json.dumps(line) + "\n").encode()
        try:
            self._write(data)
        except OSError:  # it died (a broken pipe): once more with a new one
            log.warning("the search index writer stopped; starting it again")
            self._process = None
            self._write(data)

    def _write(self, data: bytes) -> None:
        if self._process is None or self._process.poll() is not None:
            env = dict(os.environ)
            if self.database:  # in the environment: no password on a command line
                env[JOURNAL_URL] = self.database
            self._process = subprocess.Popen(
                [sys.executable, "-m", "network.search", str(self.folder), str(self.delay)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
            self._answers = LineReader(self._process.stdout.fileno())  # type: ignore[union-attr]
        self._process.stdin.write(data)  # type: ignore[union-attr]
        self._process.stdin.flush()  # type: ignore[union-attr]


def serve(
    search: WhooshBackend,
    delay: float,
    lines: LineReader,
    answers: IO[bytes],
    journal: Engine | None = None,
) -> None:
    """The writer's loop: gather, write, clear their `journal` entries, answer flushes;
    until `lines` ends."""
    pending: dict[Ref, tuple[list[Document], bool]] = {}  # ref → its documents, fresh?
    written: list[int] = []  # journal entries of what `pending` holds
    flushes: list[int] = []
    ended = False
    while not ended:
        ended = _gather(lines, pending, flushes, delay, written)
        if pending:
            refs = list(pending)
            docs = [doc for found, _fresh in pending.values() for doc in found]
            fresh = [ref for ref, (_found, is_fresh) in pending.items() if is_fresh]
            pending.clear()
            try:
                search.update(refs, docs, fresh)
            except Exception:  # the journal keeps them: written again at start
                log.exception("search index update failed; `flask search reindex` repairs it")
            else:
                forget_journal(journal, written)
            written.clear()
        for number in flushes:
            answers.write(f"{number}\n".encode())
        answers.flush()
        flushes.clear()


def _gather(
    lines: LineReader, pending: dict, flushes: list[int], delay: float, journal: list[int]
) -> bool:
    """Read a first line (waiting as long as needed), then what comes within `delay`, or
    until a flush. True when the input has ended."""
    deadline = None
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        raw = lines.readline(left)
        if raw is None:
            return False
        if not raw:
            return True
        line = json.loads(raw)
        if "flush" in line:
            flushes.append(line["flush"])
            return False
        fresh = {(kind, object_id) for kind, object_id in line["fresh"]}
        journal.extend(line.get("journal", ()))
        for kind, object_id in line["refs"]:  # a later version replaces an earlier one
            ref = (kind, object_id)
            earlier = pending.pop(ref, None)  # not written yet: still fresh if it was
            pending[ref] = (
                [
                    Document(**doc | {"replaced_for": tuple(doc["replaced_for"])})
                    for doc in line["docs"]
                    if (doc["kind"], doc["object_id"]) == ref
                ],
                earlier[1] if earlier else ref in fresh,
            )
        if deadline is None:
            deadline = time.monotonic() + delay


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the writer ends when its server
    # has stopped (its input closes), after writing what it was given.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s search-writer %(message)s")
    folder, delay = Path(sys.argv[1]), float(sys.argv[2])
    journal = None
    if os.environ.get(JOURNAL_URL):
        journal = create_engine(os.environ[JOURNAL_URL])
        configure_engine(journal)
    serve(WhooshBackend(folder), delay, LineReader(sys.stdin.fileno()), sys.stdout.buffer, journal)
