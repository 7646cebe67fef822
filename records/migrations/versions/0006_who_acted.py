"""Who acted (issue "Who acted is who signed in"): case systems' accounts on the staff
list (`staff.kind`, `staff.acts_for`), the principal of every message applied
(`acted`), and every read of a party's file (`file_read`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(), server_default="person", nullable=False))
        batch_op.add_column(sa.Column("acts_for", sa.JSON(), server_default="[]", nullable=False))
    op.create_table(
        "acted",
        sa.Column("act_key", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("message_kind", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("via", sa.String(), nullable=True),
        sa.Column("door", sa.String(), nullable=False),
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("act_key"),
    )
    with op.batch_alter_table("acted", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_acted_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_acted_actor"), ["actor"], unique=False)
    op.create_table(
        "file_read",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("staff_id", sa.String(), nullable=False),
        sa.Column("via", sa.String(), nullable=True),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("door", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("file_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_file_read_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_file_read_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("file_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_read_staff_id"))
        batch_op.drop_index(batch_op.f("ix_file_read_party_id"))
    op.drop_table("file_read")
    with op.batch_alter_table("acted", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acted_actor"))
        batch_op.drop_index(batch_op.f("ix_acted_party_id"))
    op.drop_table("acted")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("acts_for")
        batch_op.drop_column("kind")
