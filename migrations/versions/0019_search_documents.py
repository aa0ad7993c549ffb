"""The PostgreSQL search backend's documents table (empty and unused on SQLite).

Revision ID: 0019_search_documents
Revises: 0018_cocontract_confirmations
Create Date: 2026-12-05

On PostgreSQL: the `unaccent` extension (contrib) and a `french_unaccent` text search
configuration (accents folded, then the French Snowball stemmer); the `terms` column is a
`tsvector` with a GIN index.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import network.core.models

revision = "0019_search_documents"
down_revision = "0018_cocontract_confirmations"
branch_labels = None
depends_on = None

FRENCH_UNACCENT = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
        CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION french_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END
$$
"""


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute(FRENCH_UNACCENT)
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=120), nullable=False),
        sa.Column("replaced_for", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column(
            "terms", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True
        ),
        sa.Column("written_at", network.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint(
            "kind", "object_id", "audience", name=op.f("uq_search_documents_kind")
        ),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index("ix_search_documents_kind_id", ["kind", "id"], unique=False)
        batch_op.create_index(
            "ix_search_documents_terms", ["terms"], unique=False, postgresql_using="gin"
        )


def downgrade():
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_terms", postgresql_using="gin")
        batch_op.drop_index("ix_search_documents_kind_id")
    op.drop_table("search_documents")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent")
