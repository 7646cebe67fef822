"""`ubp schemas`: the JSON Schema of every message and answer of the contract, into docs/schemas/.

Generated from the models, so the files say what the code accepts and
answers; `tests/test_schemas.py` fails when they differ. Messages are
described as they are validated (what a case system sends), answers as they
are serialised (what it gets back).
"""

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, TypeAdapter

from policy.contacts import ContactAnswer, GateView
from policy.corrections import CorrectionForm
from policy.events import DATA_OF, typed_event
from policy.imports import ImportLine
from policy.markers import MarkerRow
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    CaseClosure,
    EndedCallRecord,
    GroundRulesLift,
    InboundContact,
    IncidentReport,
    RestrictionRequest,
    TaskDecision,
    WarningIssue,
)
from policy.replies import CaseClosureOutcome, CommandOutcome, IncidentOutcome, PartyStatus, TaskOutcomeReply
from policy.subject_access import SubjectAccessExport
from records.letters import LetterInfo
from records.task_list import TaskListing
from services.corrections import CorrectionAdded
from services.decisions import DecisionForm
from services.imports import LineReport
from services.letters import LetterSent, LetterSentForm
from services.task_claims import Assignment, Reassignment, TaskClaim
from services.webhooks import EventPage, WebhookCreated, WebhookForm
from settings import PROJECT_ROOT

SCHEMA_DIR = PROJECT_ROOT / "docs" / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# What a case system sends: the messages (as signals, updates or HTTP bodies), the
# HTTP task decision and letter sent, and a line of a bulk import.
MESSAGES: dict[str, Any] = {
    "IncidentReport": IncidentReport,
    "AskRecord": AskRecord,
    "EndedCallRecord": EndedCallRecord,
    "GroundRulesLift": GroundRulesLift,
    "WarningIssue": WarningIssue,
    "RestrictionRequest": RestrictionRequest,
    "TaskDecision": TaskDecision,
    "AdjustmentRequest": AdjustmentRequest,
    "AdviceRequest": AdviceRequest,
    "AdjustmentDecision": AdjustmentDecision,
    "CaseClosure": CaseClosure,
    "InboundContact": InboundContact,
    "DecisionForm": DecisionForm,
    "LetterSentForm": LetterSentForm,
    "ImportLine": ImportLine,
    "CorrectionForm": CorrectionForm,
    "WebhookForm": WebhookForm,
    "Assignment": Assignment,
    "Reassignment": Reassignment,
}
# What it gets back.
ANSWERS: dict[str, Any] = {
    "IncidentOutcome": IncidentOutcome,
    "CommandOutcome": CommandOutcome,
    "TaskOutcomeReply": TaskOutcomeReply,
    "CaseClosureOutcome": CaseClosureOutcome,
    "ContactAnswer": ContactAnswer,
    "PartyStatus": PartyStatus,
    "GateView": GateView,
    "TaskListing": TaskListing,
    "LetterInfo": LetterInfo,
    "LetterSent": LetterSent,
    "ImportLineReport": LineReport,
    "CorrectionAdded": CorrectionAdded,
    "MarkerRow": MarkerRow,
    "SubjectAccessExport": SubjectAccessExport,
    "EventPage": EventPage,
    "WebhookCreated": WebhookCreated,
    "TaskClaim": TaskClaim,
}
# The events a case system hears (issue 25), one per type: each webhook's body, and each event of the feed.
EVENTS: dict[str, Any] = {f"event-{t.value}": typed_event(t) for t in DATA_OF}


def _schema(name: str, model: Any, mode: Literal["validation", "serialization"]) -> dict[str, Any]:
    adapter = TypeAdapter(model) if not (isinstance(model, type) and issubclass(model, BaseModel)) else None
    body = adapter.json_schema(mode=mode) if adapter else model.model_json_schema(mode=mode)
    return {"$schema": DIALECT, "$id": f"{name}.json", "title": body.pop("title", name), **body}


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema, for every message and answer."""
    documents = {f"{n}.json": _schema(n, m, "validation") for n, m in MESSAGES.items()}
    documents |= {f"{n}.json": _schema(n, m, "serialization") for n, m in ANSWERS.items()}
    documents |= {f"{n}.json": _schema(n, m, "serialization") for n, m in EVENTS.items()}
    return documents


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


app = typer.Typer()


@app.command("schemas")
def schemas(
    out: Annotated[Path, typer.Option(help="the folder to write them to")] = SCHEMA_DIR,
    check: Annotated[bool, typer.Option(help="only check the folder matches the code (exit 1 if not)")] = False,
) -> None:
    """Write the JSON Schema of every message and answer (docs/schemas/ by default).

    Local: writes files from the code on this machine; not an action on a party."""
    documents = schema_documents()
    if check:
        stale = sorted(
            name
            for name, doc in documents.items()
            if not (out / name).exists() or (out / name).read_text(encoding="utf-8") != render(doc)
        )
        extra = sorted(p.name for p in out.glob("*.json") if p.name not in documents)
        if stale or extra:
            typer.secho(f"out of date: {', '.join(stale + extra)}; run `ubp schemas`", fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
        typer.echo(f"{len(documents)} schemas match the code")
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in documents.items():
        (out / name).write_text(render(doc), encoding="utf-8")
    for stray in out.glob("*.json"):
        if stray.name not in documents:
            stray.unlink()
    typer.echo(f"wrote {len(documents)} schemas to {out}")
