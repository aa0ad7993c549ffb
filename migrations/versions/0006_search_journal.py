"""Search journal: changes not yet in the search index, replayed at start

Revision ID: 0006_search_journal
Revises: 0005_workspaces
Create Date: 2026-12-05 13:40:00

"""
from alembic import op
import sqlalchemy as sa

import network.core.models


# revision identifiers, used by Alembic.
revision = '0006_search_journal'
down_revision = '0005_workspaces'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_journal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('created_at', network.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_journal'))
    )


def downgrade():
    op.drop_table('search_journal')
