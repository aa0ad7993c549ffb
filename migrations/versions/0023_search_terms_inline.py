"""The search documents' vectors kept in their rows (PostgreSQL; nothing on SQLite).

Revision ID: 0023_search_terms_inline
Revises: 0022_client_ids
Create Date: 2026-12-06

`terms` gets storage MAIN: compressed but kept in the row (TOASTed only when the row would
not fit a page), so that matching a kind's newest documents reads no TOAST table. Rows
already written keep their storage until written again: `flask search reindex` rewrites
them all.
"""

from alembic import op

revision = "0023_search_terms_inline"
down_revision = "0022_client_ids"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_documents ALTER COLUMN terms SET STORAGE MAIN")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_documents ALTER COLUMN terms SET STORAGE EXTENDED")
