"""Chat: channels every new member joins (general, announcements); images on messages

Revision ID: 0008_chat_arrivals_attachments
Revises: 0007_welcome_and_reminders
Create Date: 2026-12-05 14:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_chat_arrivals_attachments'
down_revision = '0007_welcome_and_reminders'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('auto_join', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('images', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('images')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('auto_join')
