"""`ubp`: run the dev stack, send case-system messages, show a party's status."""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.service import RPCError

from policy.messages import AskRecord, IncidentReport, RestrictionRequest, WarningIssue
from policy.vocabulary import BEHAVIOUR_CODES, Category, Measure, PartyKind, WarningMethod
from settings import get_settings
from starter import demo
from starter.client import PartyClient, connect

app = typer.Typer(help="Unacceptable-behaviour policy orchestrator", no_args_is_help=True)

Party = Annotated[str, typer.Option("--party", help="the case system's party id")]
Incidents = Annotated[list[str], typer.Option("--incident", help="incident id (repeatable)")]
By = Annotated[str, typer.Option("--by", help="staff id of the colleague")]
At = Annotated[
    str | None, typer.Option("--at", help="ISO 8601 with offset, e.g. 2026-11-20T10:30:00+00:00; default now")
]


def _fail(message: str, code: int) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _build(model: type[BaseModel], **fields) -> BaseModel:
    """Validate a message here, so a mistake is named before anything is sent."""
    try:
        return model.model_validate(fields)
    except ValidationError as err:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in err.errors()
        )
        _fail(f"invalid {model.__name__}:\n{problems}", 2)
        raise  # unreachable: _fail exits


def _send(call: Callable[[PartyClient], Awaitable[BaseModel | None]]) -> None:
    async def go() -> BaseModel | None:
        settings = get_settings()
        client = await connect(settings)
        return await call(PartyClient(client, settings.task_queue, settings.timezone))

    try:
        result = asyncio.run(go())
    except WorkflowUpdateFailedError as err:
        _fail(f"refused: {err.cause.message if err.cause else err}", 1)
    except WorkflowQueryFailedError as err:
        _fail(f"query failed: {err}", 1)
    except RPCError as err:
        _fail(f"Temporal: {err.message}", 1)
    except RuntimeError as err:
        _fail(str(err), 1)
    if result is not None:
        typer.echo(result.model_dump_json(indent=2))


def _at(value: str | None) -> str:
    return value or datetime.now(UTC).isoformat()


@app.command()
def dev(
    seed_demo: Annotated[bool, typer.Option(help="create the demo parties once the worker runs")] = False,
) -> None:
    """Start the Temporal dev server (SQLite file under var/) and the worker; Ctrl+C stops both."""
    from starter.devstack import run_dev_stack

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        asyncio.run(run_dev_stack(get_settings(), seed_demo=seed_demo))
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as err:
        _fail(str(err), 1)


@app.command()
def worker() -> None:
    """Run a worker against an existing Temporal server (UBP_TEMPORAL_ADDRESS)."""
    import worker as worker_module

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(worker_module.main())


@app.command("report-incident")
def report_incident(
    party: Party,
    category: Annotated[Category, typer.Option(help="R2 category")],
    code: Annotated[str, typer.Option(help="behaviour code under the category (see `ubp vocabulary`)")],
    by: By,
    at: At = None,
    kind: Annotated[PartyKind, typer.Option()] = PartyKind.INDIVIDUAL,
    professional: Annotated[bool, typer.Option(help="R7: acting in a professional capacity")] = False,
    experienced_by: Annotated[str | None, typer.Option()] = None,
    channel: str = "unspecified",
    summary: str = "",
    incident_id: Annotated[str | None, typer.Option(help="idempotency key; default a new id")] = None,
    wait: Annotated[bool, typer.Option(help="wait for the policy's answer (update) or fire and forget (signal)")] = True,
) -> None:
    """Report an incident (R2, R18)."""
    report = _build(
        IncidentReport,
        incident_id=incident_id or f"inc-{uuid.uuid4().hex[:12]}",
        party={"party_id": party, "kind": kind, "professional_capacity": professional},
        category=category,
        behaviour_code=code,
        occurred_at=_at(at),
        reported_by=by,
        experienced_by=experienced_by,
        channel=channel,
        summary=summary,
    )
    _send(lambda c: c.report_incident(report) if wait else c.send_incident(report))


@app.command()
def ask(party: Party, incident: Incidents, by: By, at: At = None, notes: str = "") -> None:
    """Record an ask (R4)."""
    message = _build(
        AskRecord,
        ask_id=f"ask-{uuid.uuid4().hex[:12]}",
        party_id=party,
        incident_ids=incident,
        asked_at=_at(at),
        asked_by=by,
        notes=notes,
    )
    _send(lambda c: c.record_ask(message))


@app.command()
def warn(
    party: Party,
    incident: Incidents,
    by: By,
    reasons: Annotated[str, typer.Option(help="R10: why, in plain words")],
    at: At = None,
    method: WarningMethod = WarningMethod.WRITTEN,
) -> None:
    """Issue a warning (R5, R10)."""
    message = _build(
        WarningIssue,
        warning_id=f"warn-{uuid.uuid4().hex[:12]}",
        party_id=party,
        incident_ids=incident,
        communicated_at=_at(at),
        issued_by=by,
        method=method,
        reasons=reasons,
    )
    _send(lambda c: c.issue_warning(message))


@app.command()
def restrict(
    party: Party,
    incident: Incidents,
    by: By,
    reasons: Annotated[str, typer.Option(help="R10: why")],
    arrangements: Annotated[str, typer.Option(help="R10: what contact continues and how")],
    measure: Annotated[list[Measure] | None, typer.Option(help="R8 measure (repeatable)")] = None,
    replaces: Annotated[str | None, typer.Option(help="R11: restriction id this one replaces")] = None,
    at: At = None,
) -> None:
    """Apply a restriction (R6-R14)."""
    message = _build(
        RestrictionRequest,
        restriction_id=f"res-{uuid.uuid4().hex[:12]}",
        party_id=party,
        incident_ids=incident,
        measures=measure or [],
        proposed_by=by,
        reasons=reasons,
        contact_arrangements=arrangements,
        replaces_restriction_id=replaces,
        decided_at=_at(at),
    )
    _send(lambda c: c.apply_restriction(message))


@app.command()
def status(party_id: str) -> None:
    """Show a party's stage, deadlines and record summary."""
    _send(lambda c: c.status(party_id))


@app.command()
def vocabulary() -> None:
    """List the categories, behaviour codes and measures the policy knows."""
    for category in Category:
        typer.echo(f"{category.value}: {', '.join(sorted(BEHAVIOUR_CODES[category]))}")
    typer.echo(f"measures: {', '.join(m.value for m in Measure)}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create a few demo parties at different stages, to see real workflows in the UI."""

    async def go() -> None:
        settings = get_settings()
        client = await connect(settings)
        for line in await demo.seed(PartyClient(client, settings.task_queue, settings.timezone)):
            typer.echo(line)

    try:
        asyncio.run(go())
    except RuntimeError as err:
        _fail(str(err), 1)

