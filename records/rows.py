"""Rows from the policy's models: each column the model has a field for, and the
whole model as `data` where the table keeps it (that is what states are rebuilt from)."""

import hashlib
import json
from datetime import UTC
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlmodel import SQLModel

from policy.state import Rejection
from records.tables import RejectionRow


def _plain(value: Any) -> Any:
    """Vocabulary values as their strings, for drivers that take only exact `str`."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def row_of(table: type[SQLModel], entry: BaseModel, **columns: Any) -> dict[str, Any]:
    """The row of `table` for `entry`, with `columns` (those the entry has no field
    for, such as the party id, or derived ones) given apart."""
    names = [name for name in table.model_fields if name != "seq"]
    fields = type(entry).model_fields
    row = {name: _plain(getattr(entry, name)) for name in names if name in fields and name not in columns}
    if "data" in names:
        row["data"] = entry.model_dump(mode="json")
    return row | {name: _plain(value) for name, value in columns.items()}


def rejection_row(party_id: str, rejection: Rejection) -> dict[str, Any]:
    received_at = rejection.received_at.astimezone(UTC)
    fingerprint = json.dumps(
        [
            party_id,
            received_at.isoformat(),
            rejection.message,
            rejection.message_id,
            rejection.reason,
            rejection.payload,
        ]
    )
    return row_of(
        RejectionRow,
        rejection,
        rejection_key=hashlib.sha256(fingerprint.encode()).hexdigest(),
        party_id=party_id,
        received_at=received_at,
    )
