"""Client ids on posts, comments and bookings: a submit sent again makes nothing more.

Revision ID: 0022_client_ids
Revises: 0021_member_data
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_client_ids"
down_revision = "0021_member_data"
branch_labels = None
depends_on = None

# Unique indexes rather than constraints: SQLite adds them without rebuilding the tables.
INDEXES = (
    ("posts", "uq_posts_author_client", ["author_id", "client_id"]),
    ("comments", "uq_comments_author_client", ["author_id", "client_id"]),
    (
        "workspace_bookings",
        "uq_workspace_bookings_client",
        ["created_by_id", "client_id", "start_at"],
    ),
)


def upgrade():
    for table, index, columns in INDEXES:
        op.add_column(table, sa.Column("client_id", sa.String(length=64), nullable=True))
        op.create_index(index, table, columns, unique=True)


def downgrade():
    for table, index, _columns in INDEXES:
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("client_id")
