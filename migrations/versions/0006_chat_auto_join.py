"""Chat: channels every new member joins (the general and announcement channels)

Revision ID: 0006_chat_auto_join
Revises: 0005_workspaces
Create Date: 2026-12-05 14:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_chat_auto_join'
down_revision = '0005_workspaces'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('auto_join', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('auto_join')
