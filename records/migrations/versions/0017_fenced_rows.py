"""Fenced rows (issue "Outages, races and message storms lose nothing"): each row saved whole
(the party, asks, ended calls, warnings, restrictions, tasks, adjustments) keeps the run and
step of its latest save, so a save written late by a worker whose workflow task had timed
out cannot put back an older one within the run. Rows written before this start at 0.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FENCED = ("party", "ask", "ended_call", "warning", "restriction", "task", "adjustment")


def upgrade() -> None:
    for table in FENCED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("fence_run", sa.BigInteger(), nullable=False, server_default="0"))
            batch_op.add_column(sa.Column("fence_step", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table in FENCED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("fence_step")
            batch_op.drop_column("fence_run")
