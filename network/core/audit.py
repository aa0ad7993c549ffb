"""Audit log of security and governance events, hash-chained so that no entry can be edited,
removed or reordered unnoticed.

Each entry carries `seq` (1, 2, 3… without gaps), `prev_hash` (the hash of entry seq - 1) and
`hash`, the SHA-256 of its canonical serialisation (`entry_hash`). `record` adds an entry to
the caller's transaction; the chain is computed when that transaction commits and the single
`audit_chain_head` row (the last seq and hash) moves with it: two transactions appending at
once take turns, never fork the chain. On PostgreSQL the entries are inserted unsealed with
the transaction's other changes, then one statement (`SEAL`) locks the head, chains the
entries after it and moves it: the lock is held by that statement and the COMMIT that
follows only (every audited write waits for it, a burst of sign-ins included). The database
computes the hashes there from the serialisation prepared in Python (`_unchained`): the
same `entry_hash`, byte for byte. SQLite serialises its writers already: the entries are
chained in memory under its write lock and inserted sealed.
The head can be written down or sent out of band; `verify` walks the chain and names the
first broken entry (`flask audit verify`).

Retention: `purge_before(cutoff)` deletes a prefix of the chain and keeps its last hash as a
checkpoint (`base_seq`, `base_hash` of the head row), itself chained as an `audit_purged`
entry, so the remaining chain still verifies. On PostgreSQL a trigger (migration
0020_audit_chain) refuses any UPDATE of a sealed entry and any DELETE outside that purge.

Details hold ids and short values, never names or e-mail addresses; their text is
neutralised (control, line and bidirectional characters replaced) so that no entry forges a
log line or a line of the staff page.
"""

import enum
import hashlib
import json
import logging
import math
import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, delete, event, func, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from network.core.models import AnySession, Base, utcnow

log = logging.getLogger("terreau.audit")

GENESIS = "0" * 64  # the prev_hash of entry 1
FORMAT = 1  # version of the canonical serialisation (part of every hash)
HEAD_ID = 1
PURGED = "audit_purged"
MAX_TEXT = 500  # characters of one text value in details
MAX_DEPTH = 6
ACTION = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
#: Control characters (C0, DEL, C1), line and paragraph separators, bidirectional controls
#: and lone surrogates: replaced by U+FFFD in details.
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_PENDING = "terreau_audit_pending"
CHAIN_COLUMNS = (
    "id",
    "seq",
    "created_at",
    "action",
    "actor_id",
    "subject_id",
    "ip",
    "details",
    "prev_hash",
    "hash",
)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The chain: null only until the recording transaction commits.
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row: the last entry's seq and hash, and the checkpoint left by purges."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    base_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    base_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


_request_ip: ContextVar[str | None] = ContextVar("terreau_request_ip", default=None)


def set_request_ip(ip: str | None) -> None:
    """The boundary tells where the request comes from (None outside requests)."""
    _request_ip.set(ip)


def record(
    session: AnySession,
    action: str,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to `session` (committed, and chained, with the caller's
    transaction). `details`: ids and short values; text in them is neutralised."""
    if not ACTION.match(action):
        raise ValueError(f"audit action {action!r} is not a lower-case identifier")
    clean = neutralise(details)
    ip = _request_ip.get()
    entry = AuditEvent(
        created_at=utcnow(),
        action=action,
        actor_id=actor_id,
        subject_id=subject_id,
        ip=neutralise(ip)[:64] if ip else None,
        details=clean,
    )
    session.add(entry)
    session.info.setdefault(_PENDING, []).append(entry)
    # JSON with ASCII escapes: one log line per event, whatever the details hold.
    log.info("%s actor=%s subject=%s %s", action, actor_id, subject_id, canonical(clean))
    return entry


# --- neutralising and hashing ----------------------------------------------------------------


def neutralise(value: Any, depth: int = 0) -> Any:
    """`value` as plain JSON data whose text has no control, line-breaking or bidirectional
    character, each text at most MAX_TEXT characters."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return neutralise(value.value, depth)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict) and depth < MAX_DEPTH:
        return {neutralise(str(k), depth): neutralise(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset) and depth < MAX_DEPTH:
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [neutralise(v, depth + 1) for v in items]
    text_value = UNSAFE.sub("\ufffd", value if isinstance(value, str) else str(value))
    return text_value if len(text_value) <= MAX_TEXT else text_value[: MAX_TEXT - 1] + "…"


def canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def entry_hash(
    seq: int,
    created_at: datetime,
    action: str,
    actor_id: int | None,
    subject_id: int | None,
    ip: str | None,
    details: Any,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of an entry's canonical serialisation. Never change this format: the
    migration 0020_audit_chain, every stored hash and `SEAL` (which computes it in
    PostgreSQL around `_unchained`) rely on it (bump FORMAT instead)."""
    when = created_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = [FORMAT, seq, when, action, actor_id, subject_id, ip, details, prev_hash]
    return hashlib.sha256(canonical(payload).encode()).hexdigest()


def _hash_of(entry: Any, seq: int, prev_hash: str) -> str:
    return entry_hash(
        seq,
        entry.created_at,
        entry.action,
        entry.actor_id,
        entry.subject_id,
        entry.ip,
        entry.details,
        prev_hash,
    )


# --- sealing at commit -------------------------------------------------------------------------


def locked_head(session: AnySession) -> AuditChainHead:
    """The head row, locked until the transaction ends (created when missing)."""
    query = (
        select(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    known = session.identity_map.get(session.identity_key(AuditChainHead, HEAD_ID))
    if known is not None and known in session.dirty:
        return known  # locked and changed earlier in this transaction (a purge, a seal)
    with session.no_autoflush:
        head = session.scalars(query).first()
        if head is None:
            _create_head(session)
            head = session.scalars(query).one()
    return head


def _create_head(session: AnySession) -> None:
    """The head row, continuing from the last sealed entry if any (a lost head row must not
    make the next entries collide with the existing ones)."""
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.seq.is_not(None))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    values = {"id": HEAD_ID, "seq": 0, "hash": GENESIS, "base_seq": 0, "base_hash": GENESIS}
    if last is not None:
        values.update(seq=last.seq, hash=last.hash)
    dialect = session.get_bind().dialect.name
    statement = insert(AuditChainHead).values(**values)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(AuditChainHead).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = statement.prefix_with("OR IGNORE")
    session.execute(statement)


#: Locks the head, chains the entries :ids after it (in this order) and moves it, in one
#: statement; answers each entry's (id, seq, prev_hash, hash). An entry's hash is `entry_hash`:
#: the SHA-256 of `[FORMAT,seq,` + its `_unchained` serialisation + `,"prev_hash"]`, all ASCII.
SEAL = text(
    """
    WITH RECURSIVE head AS MATERIALIZED (
        SELECT seq, hash FROM audit_chain_head WHERE id = :head_id FOR UPDATE
    ), entry AS (
        SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:unchained AS text[]))
            WITH ORDINALITY AS entry (id, unchained, n)
    ), chain (n, seq, prev_hash, hash) AS (
        SELECT CAST(0 AS bigint), seq, CAST(NULL AS text), CAST(hash AS text) FROM head
        UNION ALL
        SELECT chain.n + 1, chain.seq + 1, chain.hash, encode(sha256(convert_to(
            '[' || :format || ',' || (chain.seq + 1) || ',' || entry.unchained
                || ',"' || chain.hash || '"]', 'UTF8')), 'hex')
        FROM chain JOIN entry ON entry.n = chain.n + 1
    ), moved AS (
        UPDATE audit_chain_head SET seq = last.seq, hash = last.hash
        FROM (SELECT seq, hash FROM chain ORDER BY n DESC LIMIT 1) AS last
        WHERE audit_chain_head.id = :head_id
        RETURNING audit_chain_head.id
    ), sealed AS (
        UPDATE audit_events
        SET seq = chain.seq, prev_hash = chain.prev_hash, hash = chain.hash
        FROM chain JOIN entry ON entry.n = chain.n
        WHERE audit_events.id = entry.id AND audit_events.hash IS NULL
        RETURNING audit_events.id, audit_events.seq, audit_events.prev_hash, audit_events.hash
    )
    SELECT sealed.* FROM sealed, moved ORDER BY sealed.seq
    """
)


def seal(session: AnySession, entries: Iterable[AuditEvent]) -> int:
    """Chain `entries` (in this order) after the head, in the caller's transaction (which
    commits). PostgreSQL: stored and sealed now (`SEAL`); SQLite: chained in memory, stored by
    the commit's flush."""
    entries = list(entries)
    if not entries:
        return 0
    for entry in entries:
        if entry.created_at is None:
            entry.created_at = utcnow()
        if entry.details is None:
            entry.details = {}
    if session.get_bind().dialect.name == "postgresql":
        _seal_stored(session, entries)
    else:
        head = locked_head(session)
        links = _links(entries, head.seq, head.hash)
        for entry, (seq, prev_hash, digest) in zip(entries, links, strict=True):
            entry.seq, entry.prev_hash, entry.hash = seq, prev_hash, digest
        head.seq, head.hash = links[-1][0], links[-1][2]
    return len(entries)


def _links(entries: list[AuditEvent], seq: int, prev: str) -> list[tuple[int, str, str]]:
    """(seq, prev_hash, hash) of each of `entries` chained after the entry (seq, prev)."""
    links = []
    for entry in entries:
        seq += 1
        digest = _hash_of(entry, seq, prev)
        links.append((seq, prev, digest))
        prev = digest
    return links


def _seal_stored(session: AnySession, entries: list[AuditEvent]) -> None:
    """Insert `entries` unsealed (with the transaction's other changes), then chain them and
    move the head with `SEAL`."""
    session.flush()
    params = {
        "head_id": HEAD_ID,
        "format": FORMAT,
        "ids": [entry.id for entry in entries],
        "unchained": [_unchained(entry) for entry in entries],
    }
    rows = session.execute(SEAL, params).all()
    if not rows:  # no head row (a new database, or lost): created unless another writer did
        _create_head(session)
        rows = session.execute(SEAL, params).all()
    if len(rows) != len(entries):  # sealed meanwhile by `flask audit seal`
        raise RuntimeError("audit entries were sealed by another transaction")
    sealed = {row.id: (row.seq, row.prev_hash, row.hash) for row in rows}
    _seen_as_stored(session, entries, [sealed[entry.id] for entry in entries])


def _unchained(entry: AuditEvent) -> str:
    """The middle of the entry's `entry_hash` serialisation: what is neither its seq nor the
    previous hash, as `canonical` writes it (ASCII)."""
    when = entry.created_at.astimezone(UTC).isoformat(timespec="microseconds")
    values = [when, entry.action, entry.actor_id, entry.subject_id, entry.ip, entry.details]
    return canonical(values)[1:-1]


def _seen_as_stored(
    session: AnySession, entries: list[AuditEvent], links: list[tuple[int, str, str]]
) -> None:
    """The objects in memory as `SEAL` left the rows (not changes to flush)."""
    for entry, link in zip(entries, links, strict=True):
        for name, value in zip(("seq", "prev_hash", "hash"), link, strict=True):
            set_committed_value(entry, name, value)
    head = session.identity_map.get(session.identity_key(AuditChainHead, HEAD_ID))
    if head is not None:
        set_committed_value(head, "seq", links[-1][0])
        set_committed_value(head, "hash", links[-1][2])


@event.listens_for(Session, "before_commit")
def _seal_on_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, [])
    entries = [e for e in pending if e.hash is None and e in session]
    seen = {id(e) for e in entries}
    entries += sorted(
        (
            o
            for o in session.new
            if isinstance(o, AuditEvent) and o.hash is None and id(o) not in seen
        ),
        key=lambda o: o.created_at or utcnow(),
    )
    if entries:
        if session.get_bind().dialect.name != "postgresql":
            _flush_all_but(session, entries)
        seal(session, entries)


def _flush_all_but(session: Session, entries: list[AuditEvent]) -> None:
    """SQLite: write the transaction's other changes before the head is read, the entries
    then inserted sealed by the commit's flush."""
    held = [entry for entry in entries if entry in session.new]
    if len(session.new) == len(held) and not session.dirty and not session.deleted:
        return
    for entry in held:
        session.expunge(entry)
    try:
        session.flush()
    finally:
        session.add_all(held)


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def seal_unsealed(session: AnySession) -> int:
    """Chain the entries stored without a chain (written outside the app, or before the
    chain existed), in id order. `flask audit seal`; `verify` reports them until then."""
    entries = session.scalars(
        select(AuditEvent).where(AuditEvent.hash.is_(None)).order_by(AuditEvent.id)
    ).all()
    return seal(session, entries)


# --- verifying ---------------------------------------------------------------------------------


#: What `verify` finds broken, in English (pages translate the codes).
BREAKS = {
    "unsealed": "an entry stored outside the chain (flask audit seal)",
    "missing": "missing (the next entry is #{next})",
    "out_of_sequence": "out of sequence",
    "not_following": "does not follow the previous entry",
    "edited": "its content does not match its hash (edited)",
    "truncated": "the log ends at #{last} but the head is #{head}",
    "checkpoint": "the checkpoint differs from the recorded purge",
}


@dataclass
class Verdict:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""  # in English, for the command line
    code: str = ""  # what broke, for translated pages: see BREAKS

    def describe(self) -> str:
        if self.ok:
            return f"OK: {self.checked} entries verified; head #{self.head_seq} {self.head_hash}"
        where = f"entry #{self.broken_seq}" if self.broken_seq is not None else "the chain"
        if self.broken_id is not None:
            where += f" (id {self.broken_id})"
        return f"BROKEN at {where}: {self.reason}"


def head_of(session: AnySession) -> AuditChainHead | None:
    return session.get(AuditChainHead, HEAD_ID)


def verify(session: AnySession, batch: int = 2000) -> Verdict:
    """Walk the chain from the checkpoint to the head; the first broken entry is named."""
    head = head_of(session)
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else GENESIS
    base_seq = head.base_seq if head else 0
    base_hash = head.base_hash if head else GENESIS
    verdict = Verdict(False, 0, head_seq, head_hash)

    def broken(seq: int | None, entry_id: int | None, code: str, **values: Any) -> Verdict:
        verdict.broken_seq, verdict.broken_id, verdict.code = seq, entry_id, code
        verdict.reason = BREAKS[code].format(**values)
        return verdict

    unsealed = session.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.hash.is_(None)))
    if unsealed is not None:
        return broken(None, unsealed, "unsealed")
    expected, prev = base_seq + 1, base_hash
    last_purge: dict[str, Any] | None = None
    columns = [getattr(AuditEvent, name) for name in CHAIN_COLUMNS]
    rows = session.execute(
        select(*columns).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    )
    try:
        for entry in rows:
            if entry.seq != expected:
                if entry.seq is not None and entry.seq > expected:
                    return broken(expected, None, "missing", next=entry.seq)
                return broken(entry.seq, entry.id, "out_of_sequence")
            if entry.prev_hash != prev:
                return broken(expected, entry.id, "not_following")
            if _hash_of(entry, expected, prev) != entry.hash:
                return broken(expected, entry.id, "edited")
            if entry.action == PURGED:
                last_purge = entry.details
            prev, expected = entry.hash, expected + 1
            verdict.checked += 1
    finally:
        rows.close()  # a break found mid-way leaves no cursor open
    if (expected - 1, prev) != (head_seq, head_hash):
        return broken(expected, None, "truncated", last=expected - 1, head=head_seq)
    if base_seq and (
        last_purge is None
        or (last_purge.get("through_seq"), last_purge.get("through_hash")) != (base_seq, base_hash)
    ):
        return broken(base_seq + 1, None, "checkpoint")
    verdict.ok = True
    return verdict


# --- retention -------------------------------------------------------------------------------


class ChainBroken(Exception):
    def __init__(self, verdict: Verdict):
        self.verdict = verdict
        super().__init__(verdict.describe())


def purge_before(session: AnySession, cutoff: datetime, actor_id: int | None = None) -> int:
    """Delete the oldest entries created before `cutoff` (the longest such prefix of the
    chain: an older entry sealed after a newer one waits for the next purge) and keep the
    hash of the last one deleted as the checkpoint the chain now starts from, recorded in an
    `audit_purged` entry. A broken chain is not purged (`ChainBroken`): the evidence stays.
    The caller commits. Returns the number of entries deleted."""
    head = locked_head(session)
    verdict = verify(session)
    if not verdict.ok:
        raise ChainBroken(verdict)
    first_kept = session.scalar(
        select(func.min(AuditEvent.seq)).where(AuditEvent.created_at >= cutoff)
    )
    through = head.seq if first_kept is None else first_kept - 1
    if through <= head.base_seq:
        return 0
    through_hash = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == through))
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # the trigger lets this transaction delete
        session.execute(text("SELECT set_config('terreau.audit_retention', 'on', true)"))
    result: Any = session.execute(
        delete(AuditEvent).where(AuditEvent.seq <= through),
        execution_options={"synchronize_session": False},
    )
    count = result.rowcount
    if postgres:
        session.execute(text("SELECT set_config('terreau.audit_retention', 'off', true)"))
    head.base_seq, head.base_hash = through, through_hash or GENESIS
    record(
        session,
        PURGED,
        actor_id=actor_id,
        through_seq=through,
        through_hash=through_hash,
        count=count,
        before=cutoff.astimezone(UTC).isoformat(),
    )
    return count
