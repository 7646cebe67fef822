"""Who downloaded which letter (R10): the `letter_read` table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "letter_read",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("staff_id", sa.String(), nullable=False),
        sa.Column("part", sa.String(), nullable=False),
        sa.Column("door", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("letter_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_read_letter_id"), ["letter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_read_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_read_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("letter_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_read_staff_id"))
        batch_op.drop_index(batch_op.f("ix_letter_read_party_id"))
        batch_op.drop_index(batch_op.f("ix_letter_read_letter_id"))
    op.drop_table("letter_read")
