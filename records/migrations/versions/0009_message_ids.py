"""The register of the ids case systems choose (issue "Outages, races and message storms
lose nothing"): `message_id` keeps which party each incident, ask, warning, restriction,
decision and adjustment id belongs to, so an id reused for another party is refused at
the door. Filled from the file's own rows, with their own instants (so no party's last
activity, which retention counts from, moves).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kind, table, id column, instant column: as services.message_ids names the kinds.
_ON_FILE = (
    ("incident", "incident", "incident_id", "received_at"),
    ("ask", "ask", "ask_id", "asked_at"),
    ("warning", "warning", "warning_id", "communicated_at"),
    ("restriction", "restriction", "restriction_id", "decided_at"),
    ("decision", "decision", "decision_id", "decided_at"),
    ("adjustment", "adjustment", "adjustment_id", "requested_at"),
)


def upgrade() -> None:
    op.create_table(
        "message_id",
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "message_id"),
    )
    with op.batch_alter_table("message_id", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_id_party_id"), ["party_id"], unique=False)
    for kind, table, id_column, at_column in _ON_FILE:
        op.execute(
            sa.text(
                # The names are the constants above; only the kind is a parameter.
                f"INSERT INTO message_id (kind, message_id, party_id, claimed_at) "
                f"SELECT :kind, {id_column}, party_id, {at_column} FROM {table}"
            ).bindparams(kind=kind)
        )


def downgrade() -> None:
    with op.batch_alter_table("message_id", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_id_party_id"))
    op.drop_table("message_id")
