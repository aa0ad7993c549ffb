"""Audit log: a hash chain, its head, and (PostgreSQL) a trigger keeping it append-only.

Revision ID: 0020_audit_chain
Revises: 0019_search_documents
Create Date: 2026-12-05

The entries already stored are chained here, in id order (seq 1, 2, 3…), with the
serialisation of `network.core.audit.entry_hash` (frozen: see its docstring); the head row
takes the last one. On PostgreSQL the trigger `audit_events_append_only` refuses any change
of a sealed entry (sealing fills the chain columns of a new one once) and any deletion except
by the retention purge, which sets `terreau.audit_retention` for its transaction.
"""

import sqlalchemy as sa
from alembic import op

import network.core.models
from network.core.audit import GENESIS, entry_hash

revision = "0020_audit_chain"
down_revision = "0019_search_documents"
branch_labels = None
depends_on = None

GUARD = """
CREATE OR REPLACE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('terreau.audit_retention', true) = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: entries are only removed by the retention purge'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.hash IS NULL AND NEW.id = OLD.id AND NEW.action = OLD.action
     AND NEW.created_at = OLD.created_at
     AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
     AND NEW.subject_id IS NOT DISTINCT FROM OLD.subject_id
     AND NEW.ip IS NOT DISTINCT FROM OLD.ip
     AND NEW.details::text = OLD.details::text THEN
    RETURN NEW;  -- sealing a new entry into the chain
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: entries never change'
    USING ERRCODE = 'insufficient_privilege';
END
$$;
"""
TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
"""


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("base_seq", sa.BigInteger(), nullable=False),
        sa.Column("base_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    seq, last = _chain_existing()
    op.bulk_insert(
        head, [{"id": 1, "seq": seq, "hash": last, "base_seq": 0, "base_hash": GENESIS}]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GUARD)
        op.execute(TRIGGER)


def _chain_existing() -> tuple[int, str]:
    """Chain the stored entries in id order; (last seq, last hash)."""
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer),
        sa.column("created_at", network.core.models.UTCDateTime(timezone=True)),
        sa.column("action", sa.String),
        sa.column("actor_id", sa.Integer),
        sa.column("subject_id", sa.Integer),
        sa.column("ip", sa.String),
        sa.column("details", sa.JSON),
        sa.column("seq", sa.BigInteger),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(events).order_by(events.c.id)).all()
    seq, prev = 0, GENESIS
    for row in rows:
        seq += 1
        digest = entry_hash(
            seq,
            row.created_at,
            row.action,
            row.actor_id,
            row.subject_id,
            row.ip,
            row.details if row.details is not None else {},
            prev,
        )
        bind.execute(
            events.update()
            .where(events.c.id == row.id)
            .values(seq=seq, prev_hash=prev, hash=digest)
        )
        prev = digest
    return seq, prev


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_guard()")
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
