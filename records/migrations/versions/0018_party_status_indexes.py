"""What is live on a party's file, by party (issue 30): the parties list and the party search
count each listed party's restrictions in force, its live warnings and its open tasks. With an
index of the party alone and one of the status alone, PostgreSQL served each count by
intersecting the two bitmaps, reading every in-force restriction's or open task's entry for
each party listed (bench/scale.py's plans at 100,000 parties: 0.3-0.4 ms a count, 73 ms a page
of 50). An index of the party and the status (for tasks: of the party, over the open tasks
only) reads the listed party's own rows.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN_TASK = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table("restriction", schema=None) as batch_op:
        batch_op.create_index("ix_restriction_party_status", ["party_id", "status"], unique=False)
    with op.batch_alter_table("warning", schema=None) as batch_op:
        batch_op.create_index("ix_warning_party_status", ["party_id", "status"], unique=False)
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_open_party", ["party_id"], unique=False, postgresql_where=_OPEN_TASK, sqlite_where=_OPEN_TASK
        )


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_open_party")
    with op.batch_alter_table("warning", schema=None) as batch_op:
        batch_op.drop_index("ix_warning_party_status")
    with op.batch_alter_table("restriction", schema=None) as batch_op:
        batch_op.drop_index("ix_restriction_party_status")
