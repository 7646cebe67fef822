"""An erasure holds the party's file (issue "Outages, races and message storms lose nothing"):
`erasure_hold` names a party whose file is being erased, so that a new run of its workflow
started meanwhile waits to read the file until the erasure is done, rather than starting from
a file about to go.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasure_hold",
        sa.Column("held_party_id", sa.String(), nullable=False),
        sa.Column("erasure_id", sa.String(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("held_party_id"),
    )


def downgrade() -> None:
    op.drop_table("erasure_hold")
