"""The removal log (R3): every retention sweep and erasure request, who, when, how many, why.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "removal_log",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("log_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("erased_party_id", sa.String(), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("parties", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("executions", sa.Integer(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("log_id"),
    )
    with op.batch_alter_table("removal_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_removal_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_removal_log_erased_party_id"), ["erased_party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_removal_log_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("removal_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_removal_log_kind"))
        batch_op.drop_index(batch_op.f("ix_removal_log_erased_party_id"))
        batch_op.drop_index(batch_op.f("ix_removal_log_at"))

    op.drop_table("removal_log")
