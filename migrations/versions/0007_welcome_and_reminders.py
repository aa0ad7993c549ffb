"""The guided first run, the invitee's language, reminders of official notices

Revision ID: 0007_welcome_and_reminders
Revises: 0006_search_journal
Create Date: 2026-12-05 13:30:00

Members who already have an account have had their first run: `welcomed_at` is set to
their creation date, so only new members are guided.
"""

import sqlalchemy as sa
from alembic import op

import network.core.models

revision = "0007_welcome_and_reminders"
down_revision = "0006_search_journal"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("welcome_step", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("welcomed_at", network.core.models.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE members SET welcomed_at = created_at")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=5), nullable=True))
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminded_at", network.core.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("locale")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("welcomed_at")
        batch_op.drop_column("welcome_step")
