"""Who imported a party (issue "Who acted is who signed in"): `ubp import` signs in with a
token, and the import ledger keeps the principal (`imported_party.imported_by`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("imported_party", schema=None) as batch_op:
        batch_op.add_column(sa.Column("imported_by", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imported_party", schema=None) as batch_op:
        batch_op.drop_column("imported_by")
