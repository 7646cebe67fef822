"""Lines of the bulk import's file (services.imports, docs/contract.md "Bulk import"), one per
record, as a body's old case system would write them: the import tests and the scale run's
parties (bench/scale.py) are made of these."""

from datetime import datetime
from typing import Any

CODES = {"aggressive_or_abusive": "verbal_abuse", "zero_tolerance": "threat_of_harm"}


def incident_line(pid: str, n: int, at: datetime, category: str = "aggressive_or_abusive", **party: Any) -> dict:
    return {
        "record": "incident",
        "incident_id": f"{pid}-i{n}",
        "party": {"party_id": pid, **party},
        "category": category,
        "behaviour_code": CODES[category],
        "occurred_at": at.isoformat(),
        "reported_by": "colleague-1",
        "experienced_by": "colleague-2",
    }


def ask_line(pid: str, incident: int, at: datetime) -> dict:
    return {
        "record": "ask",
        "ask_id": f"{pid}-a{incident}",
        "party_id": pid,
        "incident_ids": [f"{pid}-i{incident}"],
        "asked_at": at.isoformat(),
        "asked_by": "colleague-1",
    }


def warning_line(pid: str, incident: int, at: datetime) -> dict:
    return {
        "record": "warning",
        "warning_id": f"{pid}-w{incident}",
        "party_id": pid,
        "incident_ids": [f"{pid}-i{incident}"],
        "communicated_at": at.isoformat(),
        "issued_by": "colleague-2",
        "reasons": "Abuse continued after we asked you to stop.",
    }


def restriction_line(
    pid: str,
    incident: int,
    at: datetime,
    measures: list | None = None,
    arrangements: str = "Email your caseworker only.",
) -> dict:
    return {
        "record": "restriction",
        "restriction_id": f"{pid}-r{incident}",
        "party_id": pid,
        "incident_ids": [f"{pid}-i{incident}"],
        "measures": measures or [{"measure": "single_contact_channel", "channels": ["email"]}],
        "proposed_by": "manager-1",
        "reasons": "The abuse continued during the warning.",
        "contact_arrangements": arrangements,
        "decided_at": at.isoformat(),
    }
