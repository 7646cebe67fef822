"""Events for case systems (issue 25): `event`, the outbox written with each change to a party's
file; `event_clock`, the last position given; `webhook`, the subscriptions; `webhook_delivery`,
each event owed to a subscription and what became of it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("party_seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("position"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_party_seq", ["party_id", "party_seq"], unique=True)
        batch_op.create_index(batch_op.f("ix_event_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_type"), ["type"], unique=False)
    op.create_table(
        "event_clock",
        sa.Column("clock_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("clock_id"),
    )
    # The one row each sequencing of new events locks.
    op.execute("INSERT INTO event_clock (clock_id, position) VALUES (1, 0)")
    op.create_table(
        "webhook",
        sa.Column("webhook_id", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("secret_key_id", sa.String(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("text_fields", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(), nullable=True),
        sa.Column("scanned_position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id"),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("delivery_key", sa.String(), nullable=False),
        sa.Column("webhook_id", sa.String(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("delivery_key"),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_delivery_due", ["webhook_id", "status", "party_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_delivery_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_delivery_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_delivery_webhook_id"), ["webhook_id"], unique=False)


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("webhook")
    op.drop_table("event_clock")
    op.drop_table("event")
