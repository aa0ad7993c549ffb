"""Co-contracts: each party confirms or declines their part.

Revision ID: 0018_cocontract_confirmations
Revises: 0017_assembly_documents
Create Date: 2026-12-05

Parts declared before this revision already counted as collaborations and went to the
accounting team: they are marked confirmed.
"""

import sqlalchemy as sa
from alembic import op

import network.core.models

revision = "0018_cocontract_confirmations"
down_revision = "0017_assembly_documents"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("aid_cocontract_parts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sa.Enum(
                    "pending",
                    "confirmed",
                    "declined",
                    name="partstate",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="confirmed",
            )
        )
        batch_op.add_column(
            sa.Column(
                "answered_at", network.core.models.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("aid_cocontract_parts", schema=None) as batch_op:
        batch_op.alter_column("state", server_default=None)


def downgrade():
    with op.batch_alter_table("aid_cocontract_parts", schema=None) as batch_op:
        batch_op.drop_column("answered_at")
        batch_op.drop_column("state")
