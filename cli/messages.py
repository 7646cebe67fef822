"""Case-system messages from the command line: incidents, asks, warnings, restrictions, status."""

import uuid
from typing import Annotated

import typer

from cli.common import At, By, Incidents, Party, at_or_now, build, send
from policy.messages import AskRecord, IncidentReport, RestrictionRequest, WarningIssue
from policy.vocabulary import (
    BEHAVIOUR_CODES,
    Category,
    Measure,
    PartyKind,
    WarningMethod,
)

app = typer.Typer()


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
    wait: Annotated[
        bool, typer.Option(help="wait for the policy's answer (update) or fire and forget (signal)")
    ] = True,
) -> None:
    """Report an incident (R2, R18)."""
    report = build(
        IncidentReport,
        incident_id=incident_id or f"inc-{uuid.uuid4().hex[:12]}",
        party={"party_id": party, "kind": kind, "professional_capacity": professional},
        category=category,
        behaviour_code=code,
        occurred_at=at_or_now(at),
        reported_by=by,
        experienced_by=experienced_by,
        channel=channel,
        summary=summary,
    )
    send(lambda c: c.report_incident(report) if wait else c.send_incident(report))


@app.command()
def ask(party: Party, incident: Incidents, by: By, at: At = None, notes: str = "") -> None:
    """Record an ask (R4)."""
    message = build(
        AskRecord,
        ask_id=f"ask-{uuid.uuid4().hex[:12]}",
        party_id=party,
        incident_ids=incident,
        asked_at=at_or_now(at),
        asked_by=by,
        notes=notes,
    )
    send(lambda c: c.record_ask(message))


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
    message = build(
        WarningIssue,
        warning_id=f"warn-{uuid.uuid4().hex[:12]}",
        party_id=party,
        incident_ids=incident,
        communicated_at=at_or_now(at),
        issued_by=by,
        method=method,
        reasons=reasons,
    )
    send(lambda c: c.issue_warning(message))


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
    message = build(
        RestrictionRequest,
        restriction_id=f"res-{uuid.uuid4().hex[:12]}",
        party_id=party,
        incident_ids=incident,
        measures=measure or [],
        proposed_by=by,
        reasons=reasons,
        contact_arrangements=arrangements,
        replaces_restriction_id=replaces,
        decided_at=at_or_now(at),
    )
    send(lambda c: c.apply_restriction(message))


@app.command()
def status(party_id: str) -> None:
    """Show a party's stage, deadlines and record summary."""
    send(lambda c: c.status(party_id))


@app.command()
def vocabulary() -> None:
    """List the categories, behaviour codes and measures the policy knows."""
    for category in Category:
        typer.echo(f"{category.value}: {', '.join(sorted(BEHAVIOUR_CODES[category]))}")
    typer.echo(f"measures: {', '.join(m.value for m in Measure)}")
