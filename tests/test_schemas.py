"""docs/schemas/: the JSON Schema of every message and answer matches the code, and says
what the code accepts (R2, R8, R17, R19)."""

import json
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest

from cli.schemas import SCHEMA_DIR, render, schema_documents
from holiday_calendar import england_and_wales
from policy.contacts import GateSource, GateView, answer_contact, calendar_years
from policy.messages import InboundContact


def _validator(name: str) -> Any:
    return jsonschema_rs.validator_for(json.loads((SCHEMA_DIR / f"{name}.json").read_text()), validate_formats=True)


def test_the_schema_files_are_those_the_code_generates():
    """Regenerate with `ubp schemas` after changing a message or an answer."""
    documents = schema_documents()
    on_disk = {p.name for p in SCHEMA_DIR.glob("*.json")}
    assert on_disk == set(documents), "run `ubp schemas`"
    stale = [name for name, doc in documents.items() if (SCHEMA_DIR / name).read_text() != render(doc)]
    assert not stale, f"out of date, run `ubp schemas`: {stale}"


CONTACT = {"contact_id": "c-1", "party_id": "p-1", "received_at": "2027-03-25T10:00:00+00:00", "channel": "email"}
INCIDENT = {
    "incident_id": "i-1",
    "party": {"party_id": "p-1"},
    "category": "aggressive_or_abusive",
    "behaviour_code": "verbal_abuse",
    "occurred_at": "2027-03-25T10:00:00Z",
    "reported_by": "colleague-1",
}
RESTRICTION = {
    "restriction_id": "r-1",
    "party_id": "p-1",
    "incident_ids": ["i-1"],
    "measures": [
        {"measure": "single_contact_channel", "channels": ["email"]},
        {"measure": "extended_response_time", "working_days": 20},
        "meeting_about_behaviour",
    ],
    "proposed_by": "manager-1",
    "reasons": "Abuse continued during the warning.",
    "contact_arrangements": "Email your caseworker only.",
    "decided_at": "2027-03-25T10:00:00Z",
}


@pytest.mark.parametrize(
    ("name", "message", "valid"),
    [
        ("InboundContact", CONTACT, True),
        ("InboundContact", CONTACT | {"channel": "pigeon"}, False),
        ("InboundContact", CONTACT | {"received_at": "1780000000"}, False),
        ("InboundContact", CONTACT | {"raises_new_complaint": 0}, False),
        ("InboundContact", CONTACT | {"colour": "red"}, False),
        ("IncidentReport", INCIDENT, True),
        ("IncidentReport", INCIDENT | {"behaviour_code": "doxing"}, False),  # R2: not under its category
        ("RestrictionRequest", RESTRICTION, True),
        ("RestrictionRequest", RESTRICTION | {"measures": [{"measure": "single_named_contact"}]}, False),
        ("RestrictionRequest", RESTRICTION | {"measures": ["banish"]}, False),
        (
            "CaseClosure",
            {"party_id": "p-1", "case_reference": "C-1", "closed_at": "2027-03-25T10:00:00Z", "closed_by": "cw-1"},
            True,
        ),
        ("ImportLine", {"record": "incident", **INCIDENT}, True),
        ("ImportLine", {"record": "warning", **INCIDENT}, False),
    ],
)
def test_r2_r8_r17_the_schemas_accept_what_the_code_accepts(name, message, valid):
    assert _validator(name).is_valid(message) is valid


def test_r19_a_gate_answer_matches_its_schema():
    contact = InboundContact.model_validate(CONTACT)
    view = GateView(party_id="p-1")
    answer = answer_contact(
        view,
        contact,
        calendar=england_and_wales(*calendar_years(view, contact)),
        prior_contacts={},
        answered_from=GateSource.NONE,
        answered_at=datetime(2027, 3, 25, 10, 1, tzinfo=UTC),
    )
    assert _validator("ContactAnswer").is_valid(answer.model_dump(mode="json"))
