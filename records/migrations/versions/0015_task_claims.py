"""Claims on tasks (issue 26, the task list): who works an open task now, who gave it to them,
and the decision being sent (columns of `task`), and the claim log `task_claim_event`: who
claimed, gave back, assigned and reassigned each task.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("assigned_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("deciding_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("deciding_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_task_claimed_by"), ["claimed_by"], unique=False)
    op.create_table(
        "task_claim_event",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.String(), nullable=False),
        sa.Column("changed_by", sa.String(), nullable=False),
        sa.Column("previous_holder", sa.String(), nullable=True),
        sa.Column("holder", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("task_claim_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_claim_event_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_claim_event_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_claim_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_claim_event_task_id"))
        batch_op.drop_index(batch_op.f("ix_task_claim_event_party_id"))
    op.drop_table("task_claim_event")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_claimed_by"))
        batch_op.drop_column("deciding_since")
        batch_op.drop_column("deciding_by")
        batch_op.drop_column("assigned_by")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
