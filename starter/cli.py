"""`ubp`: run the dev stack, send case-system messages, show a party's status."""

import asyncio
import json
import logging
import os
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError

from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    IncidentReport,
    RestrictionRequest,
    TaskDecision,
    WarningIssue,
)
from policy.vocabulary import (
    BEHAVIOUR_CODES,
    Category,
    Measure,
    PartyKind,
    Role,
    SupportOption,
    TaskKind,
    TaskOutcome,
    WarningMethod,
)
from settings import get_settings
from starter import demo
from starter.client import PartyClient, connect

if TYPE_CHECKING:
    from records.store import RecordStore

app = typer.Typer(help="Unacceptable-behaviour policy orchestrator", no_args_is_help=True)
staff_app = typer.Typer(help="Staff and the roles they hold (R7, R16)", no_args_is_help=True)
tasks_app = typer.Typer(help="Human tasks: the task list, and deciding a task", no_args_is_help=True)
adjustment_app = typer.Typer(help="R16: reasonable adjustments", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
app.add_typer(tasks_app, name="tasks")
app.add_typer(adjustment_app, name="adjustment")

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


def _instant(value: str, option: str) -> datetime:
    """An ISO 8601 instant with its offset, from a command-line option."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{option}: not an ISO 8601 date-time: {value!r}", 2)
        raise  # unreachable: _fail exits
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        _fail(f"{option}: include a time zone offset, e.g. 2026-12-24T17:00:00+00:00", 2)
    return parsed.astimezone(UTC)


@contextmanager
def _records() -> "Iterator[RecordStore]":
    """The records database in the settings (DATABASE_URL), tables created if missing."""
    from records.db import create_schema, make_engine
    from records.store import RecordStore

    engine = make_engine(get_settings().database_url)
    try:
        create_schema(engine)
        yield RecordStore(engine)
    except SQLAlchemyError as err:
        _fail(f"records database: {type(getattr(err, 'orig', None) or err).__name__}: {getattr(err, 'orig', err)}", 1)
    finally:
        engine.dispose()


@app.command()
def dev(
    seed_demo: Annotated[bool, typer.Option(help="create the demo parties once the worker runs")] = False,
) -> None:
    """Start the Temporal dev server (SQLite file under var/), the worker, and the HTTP API with the
    managers' inbox (UBP_API_PORT, default 8000); Ctrl+C stops them all."""
    from starter.devstack import run_dev_stack

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        asyncio.run(run_dev_stack(get_settings(), seed_demo=seed_demo))
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as err:
        _fail(str(err), 1)


@app.command()
def api() -> None:
    """Serve the HTTP API and the managers' inbox (UBP_API_HOST:UBP_API_PORT) against a running Temporal."""
    from records.db import create_schema, make_engine
    from records.store import RecordStore
    from starter.api import api_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings()

    async def go() -> None:
        client = await connect(settings)
        engine = make_engine(settings.database_url)
        create_schema(engine)
        parties = PartyClient(client, settings.task_queue, settings.timezone)
        base = f"http://{settings.api_host}:{settings.api_port}"
        logging.getLogger("ubp").info("inbox: %s/inbox  API docs: %s/docs", base, base)
        await api_server(settings, parties, RecordStore(engine)).serve()

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        pass
    except RuntimeError as err:
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

    async def go(store: "RecordStore") -> None:
        settings = get_settings()
        client = await connect(settings)
        for line in await demo.seed(PartyClient(client, settings.task_queue, settings.timezone), store):
            typer.echo(line)

    with _records() as store:
        try:
            asyncio.run(go(store))
        except RuntimeError as err:
            _fail(str(err), 1)



# --- staff -------------------------------------------------------------------------


@staff_app.command("add")
def staff_add(
    staff_id: Annotated[str, typer.Argument(help="the id staff use in messages (--by)")],
    name: Annotated[str, typer.Option(help="their name")],
    role: Annotated[list[Role], typer.Option("--role", help="a role they hold (repeatable)")],
) -> None:
    """Add a member of staff, or replace the name and roles of one already known (and make them active)."""
    with _records() as store:
        try:
            row = store.add_staff(staff_id, name, role)
        except ValueError as err:
            _fail(str(err), 2)
    typer.echo(f"{row.staff_id}: {row.name} ({', '.join(row.roles)})")


@staff_app.command("list")
def staff_list(
    role: Annotated[Role | None, typer.Option(help="only staff holding this role")] = None,
) -> None:
    """List staff and their roles."""
    with _records() as store:
        rows = store.list_staff(role)
    for row in rows:
        typer.echo(f"{row.staff_id}\t{row.name}\t{','.join(row.roles)}\t{'active' if row.active else 'inactive'}")


@staff_app.command("token")
def staff_token(staff_id: Annotated[str, typer.Argument(help="who the token signs in as")]) -> None:
    """Issue a bearer token for the HTTP API and the inbox; it is shown only now (a hash is kept)."""
    with _records() as store:
        try:
            token = store.issue_token(staff_id)
        except ValueError as err:
            _fail(str(err), 2)
    typer.echo(token)


@staff_app.command("revoke-tokens")
def staff_revoke_tokens(staff_id: str) -> None:
    """Withdraw every token of a member of staff."""
    with _records() as store:
        count = store.revoke_tokens(staff_id)
    typer.echo(f"{staff_id}: {count} token{'s' if count != 1 else ''} withdrawn")


@staff_app.command("deactivate")
def staff_deactivate(staff_id: str) -> None:
    """Mark a member of staff inactive: they no longer decide tasks."""
    with _records() as store:
        if not store.set_staff_active(staff_id, False):
            _fail(f"unknown member of staff {staff_id!r}", 2)
    typer.echo(f"{staff_id}: inactive")


# --- tasks -------------------------------------------------------------------------


@tasks_app.command("list")
def tasks_list(
    role: Annotated[Role | None, typer.Option(help="tasks this role may decide now")] = None,
    person: Annotated[str | None, typer.Option(help="tasks this member of staff may decide")] = None,
    kind: Annotated[TaskKind | None, typer.Option(help="tasks of this kind")] = None,
    party: Annotated[str | None, typer.Option(help="one party's tasks")] = None,
    due_before: Annotated[str | None, typer.Option(help="due before this ISO 8601 instant (with offset)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the whole tasks as JSON")] = False,
) -> None:
    """List open tasks from the records database, soonest due first."""
    before = _instant(due_before, "--due-before") if due_before else None
    with _records() as store:
        listed = store.open_tasks(role=role, person=person, kind=kind, party_id=party, due_before=before)
    if as_json:
        typer.echo(json.dumps([t.model_dump(mode="json") for t in listed], indent=2))
        return
    for t in listed:
        due = t.due_at.isoformat() if t.due_at else "unplanned"
        flags = " ESCALATED" if t.escalated_at else ""
        flags += " OVERDUE" if t.overdue_since else ""
        roles = ",".join(r.value for r in t.deciding_roles())
        typer.echo(f"{t.task_id}\t{t.party_id}\t{t.kind.value}\tdue {due}{flags}\t[{roles}]\t{t.summary}")


@tasks_app.command("decide")
def tasks_decide(
    task_id: str,
    by: Annotated[str, typer.Option("--by", help="staff id of the person deciding")],
    role: Annotated[Role, typer.Option(help="the role they decide in")],
    outcome: Annotated[TaskOutcome, typer.Option(help="the decision")],
    party: Annotated[
        str | None, typer.Option("--party", help="the task's party id; default: looked up in the records database")
    ] = None,
    reason: Annotated[str, typer.Option(help="why (required to reject, lift, step up or recuse)")] = "",
    police_referral: Annotated[
        bool | None,
        typer.Option("--police-referral/--no-police-referral", help="R15: required on a zero-tolerance review"),
    ] = None,
    support: Annotated[
        list[SupportOption] | None, typer.Option("--support", help="R18: support offered (repeatable)")
    ] = None,
    decision_id: Annotated[
        str | None, typer.Option(help="idempotency key, to retry a decision; default a new id")
    ] = None,
) -> None:
    """Decide a task, as a member of staff holding --role (checked against the staff list first)."""
    from starter.staff import StaffCheckFailed, require_role

    with _records() as store:
        try:
            require_role(store, by, role)
        except StaffCheckFailed as err:
            _fail(f"refused: {err}", 2)
        if party is None:
            row = store.task(task_id)
            if row is None:
                _fail(f"unknown task {task_id!r} in the records database; give --party", 2)
            party = row.party_id
    decision = _build(
        TaskDecision,
        decision_id=decision_id or f"dec-{uuid.uuid4().hex}",
        party_id=party,
        task_id=task_id,
        decided_by=by,
        role=role,
        outcome=outcome,
        reason=reason,
        police_referral=police_referral,
        support_offered=support or [],
        decided_at=datetime.now(UTC),
    )
    _send(lambda c: c.decide_task(decision))


# --- adjustments (R16) -----------------------------------------------------------------


@adjustment_app.command("request")
def adjustment_request(
    party: Party,
    description: Annotated[str, typer.Option(help="the adjustment asked for")],
    by: By,
    at: At = None,
    adjustment_id: Annotated[str | None, typer.Option(help="idempotency key; default a new id")] = None,
) -> None:
    """Record a reasonable adjustment the party asked for."""
    message = _build(
        AdjustmentRequest,
        adjustment_id=adjustment_id or f"adj-{uuid.uuid4().hex[:12]}",
        party_id=party,
        description=description,
        requested_at=_at(at),
        recorded_by=by,
    )
    _send(lambda c: c.request_adjustment(message))


@adjustment_app.command("advice")
def adjustment_advice(
    adjustment_id: str,
    party: Party,
    by: By,
) -> None:
    """Ask a specialist adviser about a requested adjustment (a task for them)."""
    message = _build(AdviceRequest, adjustment_id=adjustment_id, party_id=party, requested_by=by)
    _send(lambda c: c.seek_advice(message))


@adjustment_app.command("decide")
def adjustment_decide(
    adjustment_id: str,
    party: Party,
    agree: Annotated[bool, typer.Option("--agree/--decline", help="agree to it, or decline it (after advice)")],
    by: By,
    reason: Annotated[str, typer.Option(help="why")],
    at: At = None,
) -> None:
    """Agree or decline a requested adjustment; declining needs specialist advice first (R16)."""
    message = _build(
        AdjustmentDecision,
        adjustment_id=adjustment_id,
        party_id=party,
        agree=agree,
        decided_by=by,
        reason=reason,
        decided_at=_at(at),
    )
    _send(lambda c: c.decide_adjustment(message))


def main() -> None:
    """Console entry point. Ends with os._exit: the Temporal client's runtime
    threads can outlive interpreter shutdown and abort it (temporalio/sdk-python#300),
    which would turn a successful command's exit code into 134."""
    try:
        app(prog_name="ubp")
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
