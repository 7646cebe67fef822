"""The tables of the codec's decode audit, the contact gate's log, closed cases (R17), the import
ledger and letters (R10).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 08:39:44.994764
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "closed_case",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("closure_key", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("case_reference", sa.String(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("closure_key"),
    )
    with op.batch_alter_table("closed_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closed_case_case_reference"), ["case_reference"], unique=False)
        batch_op.create_index(batch_op.f("ix_closed_case_party_id"), ["party_id"], unique=False)

    op.create_table(
        "contact",
        sa.Column("contact_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("case_reference", sa.String(), nullable=True),
        sa.Column("handling", sa.String(), nullable=False),
        sa.Column("respond_by", sa.Date(), nullable=True),
        sa.Column("possible_breach", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_handling"), ["handling"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_party_id"), ["party_id"], unique=False)
        batch_op.create_index("ix_contact_party_received", ["party_id", "received_at"], unique=False)

    op.create_table(
        "decode_audit",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("namespace", sa.String(), nullable=False),
        sa.Column("payload_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("decode_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decode_audit_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "imported_party",
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("workflow_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("party_id"),
    )
    op.create_table(
        "letter",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("letter_id"),
    )
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_party_id"), ["party_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_party_id"))
        batch_op.drop_index(batch_op.f("ix_letter_kind"))

    op.drop_table("letter")
    op.drop_table("imported_party")
    with op.batch_alter_table("decode_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decode_audit_staff_id"))

    op.drop_table("decode_audit")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_party_received")
        batch_op.drop_index(batch_op.f("ix_contact_party_id"))
        batch_op.drop_index(batch_op.f("ix_contact_handling"))

    op.drop_table("contact")
    with op.batch_alter_table("closed_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closed_case_party_id"))
        batch_op.drop_index(batch_op.f("ix_closed_case_case_reference"))

    op.drop_table("closed_case")
