"""Members' data: consents (dated, revocable), data exports, and the record of exits.

Revision ID: 0021_member_data
Revises: 0020_audit_chain
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

import network.core.models

revision = "0021_member_data"
down_revision = "0020_audit_chain"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "e_convocation",
                "email_digest",
                "presence",
                name="purpose",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", network.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_consents_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["members.id"], name=op.f("fk_consents_recorded_by_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consents_member_purpose", ["member_id", "purpose", "id"], unique=False
        )

    op.create_table(
        "data_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "building",
                "ready",
                "failed",
                "expired",
                name="exportstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", network.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ready_at", network.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", network.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_data_exports_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_exports_member_id"), ["member_id"], unique=False)

    op.create_table(
        "member_exits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("run_by_id", sa.Integer(), nullable=True),
        sa.Column("run_at", network.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("writings_deleted", sa.Boolean(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_exits_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["run_by_id"], ["members.id"], name=op.f("fk_member_exits_run_by_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_exits")),
        sa.UniqueConstraint("member_id", name=op.f("uq_member_exits_member_id")),
    )


def downgrade():
    op.drop_table("member_exits")
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_exports_member_id"))

    op.drop_table("data_exports")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_member_purpose")

    op.drop_table("consents")
