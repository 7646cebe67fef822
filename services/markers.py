"""The register of markers for every door (the HTTP API and its CSV, the inbox, `ubp markers`):
every restriction and zero-tolerance stop in force at an instant, with its grounds, approver,
review and end, late reviews flagged (policy.markers). For the roles the permission table gives
READ_MARKER_REGISTER."""

import csv
import io
from datetime import datetime

from policy.markers import MarkerRow, register
from policy.permissions import Action
from records.store import RecordStore
from services.acting import Principal, permit

CSV_COLUMNS = [
    "party_id", "restriction_id", "marker", "grounds", "reasons", "measures", "started_at", "ends_at",
    "approved_by", "put_in_force_by", "review_task_id", "review_due_at", "review", "review_overdue", "reviewed_by",
]  # fmt: skip


def marker_register(store: RecordStore, at: datetime, reader: Principal) -> list[MarkerRow]:
    """The markers in force at `at`, by party.

    Raises:
        NotPermitted: `reader` may not read the register.
    """
    permit(reader, Action.READ_MARKER_REGISTER)
    return register(store.marker_files(at), at)


def as_csv(rows: list[MarkerRow]) -> str:
    """The register as CSV, one marker a line, instants in ISO 8601 UTC, measures joined by "; "."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS)
    writer.writeheader()
    for row in rows:
        values = row.model_dump(mode="json") | {"review_overdue": row.review_overdue}
        writer.writerow({c: _cell("; ".join(values[c]) if c == "measures" else values[c]) for c in CSV_COLUMNS})
    return out.getvalue()


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A value a spreadsheet shows as written: staff's words (grounds, reasons) that start like
    a formula are quoted with a leading apostrophe, which spreadsheets take as "text"."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
