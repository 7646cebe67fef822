"""Reads that scale (issue 30): the task list filters, orders and pages open tasks in the database,
and a timeline page reads one page of a party's incidents.

- `task.overdue_since` (as in the task's `data`), for the task list's overdue filter; filled from
  `data` for the tasks already on file;
- partial indexes of the open tasks, one per order of the task list (soonest due, by kind and
  soonest due, by when opened);
- `incident (party_id, occurred_at, incident_id)`: a timeline page counts and pages a party's
  incidents in date order;
- `acted (party_id, message_kind, message_id)`: a timeline page reads who acted for its own
  incidents only;
- `party (party_id varchar_pattern_ops)`: the parties list finds a party by the start of its id,
  which PostgreSQL not in the C collation cannot serve from the primary key (on SQLite, whose
  LIKE uses no index, it is kept empty).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from records.tables import UtcDateTime

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN_TASK = sa.text("status = 'open'")
_OPEN_TASK_INDEXES = {
    "ix_task_open_due": ["due_at", "seq"],
    "ix_task_open_kind_due": ["kind", "due_at", "seq"],
    "ix_task_open_created": ["created_at", "seq"],
}


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overdue_since", sa.DateTime(timezone=True), nullable=True))
    _fill_overdue_since()
    with op.batch_alter_table("task", schema=None) as batch_op:
        for name, columns in _OPEN_TASK_INDEXES.items():
            batch_op.create_index(name, columns, unique=False, postgresql_where=_OPEN_TASK, sqlite_where=_OPEN_TASK)
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.create_index(
            "ix_party_id_pattern",
            ["party_id"],
            unique=False,
            postgresql_ops={"party_id": "varchar_pattern_ops"},
            sqlite_where=sa.false(),
        )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index("ix_incident_party_occurred", ["party_id", "occurred_at", "incident_id"], unique=False)
    with op.batch_alter_table("acted", schema=None) as batch_op:
        batch_op.create_index("ix_acted_party_kind", ["party_id", "message_kind", "message_id"], unique=False)


def _fill_overdue_since() -> None:
    """The column from each task's `data`, where the workflow marked it overdue.

    Read and written through the models' own timestamp type, so SQLite holds it as every other
    timestamp (the JSON's ISO text is not SQLite's stored form).
    """
    task = sa.table(
        "task",
        sa.column("seq", sa.Integer),
        sa.column("data", sa.JSON),
        sa.column("overdue_since", UtcDateTime),
    )
    connection = op.get_bind()
    updates = [
        {"key": seq, "overdue_since": datetime.fromisoformat(data["overdue_since"]).astimezone(UTC)}
        for seq, data in connection.execute(sa.select(task.c.seq, task.c.data))
        if data.get("overdue_since")
    ]
    if updates:
        connection.execute(
            task.update().where(task.c.seq == sa.bindparam("key")).values(overdue_since=sa.bindparam("overdue_since")),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("acted", schema=None) as batch_op:
        batch_op.drop_index("ix_acted_party_kind")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_party_occurred")
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.drop_index("ix_party_id_pattern")
    with op.batch_alter_table("task", schema=None) as batch_op:
        for name in _OPEN_TASK_INDEXES:
            batch_op.drop_index(name)
        batch_op.drop_column("overdue_since")
