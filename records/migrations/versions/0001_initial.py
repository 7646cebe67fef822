"""The initial schema: the fourteen tables the code made before migrations.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Until this revision the records database was made by `create_all` and a step
that added the columns an older table lacked. A database made that way holds
these tables already, with no `alembic_version`: this revision then creates
only what is missing and leaves every table, and so every row, as it is; it
refuses a database too old to have all the columns, naming them.

The tables are written out here, not imported from `records/tables.py`: this
revision must keep meaning the same when the models change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = sa.MetaData()

sa.Table(
    "adjustment",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("adjustment_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.String(), nullable=False),
    sa.Column("advice_task_id", sa.String(), nullable=True),
    sa.Column("decided_by", sa.String(), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("adjustment_id"),
    sa.Index("ix_adjustment_party_id", "party_id"),
    sa.Index("ix_adjustment_status", "status"),
)

sa.Table(
    "api_token",
    SCHEMA,
    sa.Column("token_sha256", sa.String(), nullable=False),
    sa.Column("staff_id", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("token_sha256"),
    sa.Index("ix_api_token_staff_id", "staff_id"),
)

sa.Table(
    "ask",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("ask_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("asked_by", sa.String(), nullable=False),
    sa.Column("categories", sa.JSON(), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("ask_id"),
    sa.Index("ix_ask_party_id", "party_id"),
)

sa.Table(
    "decision",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("decision_id", sa.String(), nullable=False),
    sa.Column("task_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("decided_by", sa.String(), nullable=False),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("outcome", sa.String(), nullable=False),
    sa.Column("reason", sa.String(), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("decision_id"),
    sa.Index("ix_decision_decided_by", "decided_by"),
    sa.Index("ix_decision_party_id", "party_id"),
    sa.Index("ix_decision_task_id", "task_id"),
)

sa.Table(
    "digest",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("digest_id", sa.String(), nullable=False),
    sa.Column("staff_id", sa.String(), nullable=False),
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("task_ids", sa.JSON(), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("digest_id"),
    sa.Index("ix_digest_staff_id", "staff_id"),
)

sa.Table(
    "incident",
    SCHEMA,
    sa.Column("incident_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("category", sa.String(), nullable=False),
    sa.Column("behaviour_code", sa.String(), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reported_by", sa.String(), nullable=False),
    sa.Column("experienced_by", sa.String(), nullable=True),
    sa.Column("channel", sa.String(), nullable=False),
    sa.Column("case_reference", sa.String(), nullable=True),
    sa.Column("summary", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("incident_id"),
    sa.Index("ix_incident_case_reference", "case_reference"),
    sa.Index("ix_incident_category", "category"),
    sa.Index("ix_incident_occurred_at", "occurred_at"),
    sa.Index("ix_incident_party_id", "party_id"),
)

sa.Table(
    "notice",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("notice_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("task_id", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("roles", sa.JSON(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("text", sa.String(), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("status", sa.String(), server_default=sa.text("'queued'"), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("recipients", sa.JSON(), nullable=True),
    sa.Column("not_reached", sa.JSON(), nullable=True),
    sa.Column("problem", sa.String(), nullable=True),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("notice_id"),
    sa.Index("ix_notice_party_id", "party_id"),
    sa.Index("ix_notice_sent_at", "sent_at"),
    sa.Index("ix_notice_status", "status"),
    sa.Index("ix_notice_task_id", "task_id"),
)

sa.Table(
    "party",
    SCHEMA,
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("professional_capacity", sa.Boolean(), nullable=False),
    sa.Column("stage", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("party_id"),
    sa.Index("ix_party_stage", "stage"),
)

sa.Table(
    "rejected_message",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("rejection_key", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("message", sa.String(), nullable=False),
    sa.Column("message_id", sa.String(), nullable=True),
    sa.Column("reason", sa.String(), nullable=False),
    sa.Column("payload", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("rejection_key"),
    sa.Index("ix_rejected_message_party_id", "party_id"),
)

sa.Table(
    "restriction",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("restriction_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("grounds", sa.String(), nullable=False),
    sa.Column("categories", sa.JSON(), nullable=False),
    sa.Column("measures", sa.JSON(), nullable=False),
    sa.Column("proposed_by", sa.String(), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_instance_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recurrence_window_ends_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("replaces_restriction_id", sa.String(), nullable=True),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("restriction_id"),
    sa.Index("ix_restriction_ends_at", "ends_at"),
    sa.Index("ix_restriction_party_id", "party_id"),
    sa.Index("ix_restriction_status", "status"),
)

sa.Table(
    "staff",
    SCHEMA,
    sa.Column("staff_id", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("roles", sa.JSON(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("email", sa.String(), nullable=True),
    sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("staff_id"),
)

sa.Table(
    "stage_change",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("change_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("from_stage", sa.String(), nullable=False),
    sa.Column("to_stage", sa.String(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("change_id"),
    sa.Index("ix_stage_change_party_id", "party_id"),
)

sa.Table(
    "task",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("task_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("subject_id", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("summary", sa.String(), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("escalated", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("candidate_roles", sa.JSON(), nullable=False),
    sa.Column("deciding_roles", sa.JSON(), nullable=False),
    sa.Column("excluded_staff", sa.JSON(), nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancellation_reason", sa.String(), nullable=True),
    sa.Column("cancelled_by_incident_id", sa.String(), nullable=True),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("task_id"),
    sa.Index("ix_task_due_at", "due_at"),
    sa.Index("ix_task_kind", "kind"),
    sa.Index("ix_task_party_id", "party_id"),
    sa.Index("ix_task_status", "status"),
)

sa.Table(
    "warning",
    SCHEMA,
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("warning_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("categories", sa.JSON(), nullable=False),
    sa.Column("communicated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("issued_by", sa.String(), nullable=False),
    sa.Column("method", sa.String(), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
    sa.UniqueConstraint("warning_id"),
    sa.Index("ix_warning_expires_at", "expires_at"),
    sa.Index("ix_warning_party_id", "party_id"),
    sa.Index("ix_warning_status", "status"),
)


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    if present & set(SCHEMA.tables):
        _check_columns(bind, present)
    SCHEMA.create_all(bind, checkfirst=True)


def downgrade() -> None:
    SCHEMA.drop_all(op.get_bind())


def _check_columns(bind: sa.Connection, present: set[str]) -> None:
    """Refuse a database made before migrations whose tables lack columns of this schema."""
    found = sa.inspect(bind)
    missing = [
        f"{table.name}.{column.name}"
        for table in SCHEMA.sorted_tables
        if table.name in present
        for column in table.columns
        if column.name not in {c["name"] for c in found.get_columns(table.name)}
    ]
    if missing:
        raise RuntimeError(
            "the records database was made by a version older than the last one before migrations, and lacks "
            f"{', '.join(missing)}: start that version (commit 278834e) on it once, which adds them, then upgrade"
        )
