"""Ended calls and ground rules at the ask stage (issue 28, R4a): `ended_call`, one row per
call or meeting a colleague ended after an ask, with its ground rules in `data`.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ended_call",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("call_key", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("ask_id", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(), nullable=False),
        sa.Column("ground_rules_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("call_key"),
    )
    with op.batch_alter_table("ended_call", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ended_call_party_id"), ["party_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ended_call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ended_call_party_id"))
    op.drop_table("ended_call")
