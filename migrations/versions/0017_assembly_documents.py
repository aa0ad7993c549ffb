"""Documents joined to general assemblies (accounts, reports)

Revision ID: 0017_assembly_documents
Revises: 0016_mutual_aid
Create Date: 2026-12-05 21:30:00.000000

Named 0017: another branch adds a 0016; the lead rechains the two.
"""
from alembic import op
import sqlalchemy as sa

import network.core.models


# revision identifiers, used by Alembic.
revision = '0017_assembly_documents'
down_revision = '0016_mutual_aid'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assembly_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', network.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['members.id'], name=op.f('fk_assembly_documents_added_by_id_members')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assemblies.id'], name=op.f('fk_assembly_documents_assembly_id_assemblies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_documents')),
    sa.UniqueConstraint('key', name=op.f('uq_assembly_documents_key'))
    )
    with op.batch_alter_table('assembly_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_documents_assembly_id'), ['assembly_id'], unique=False)


def downgrade():
    with op.batch_alter_table('assembly_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_documents_assembly_id'))

    op.drop_table('assembly_documents')
