"""Case-system messages from the command line, through the HTTP API as the signed-in principal:
incidents, asks, warnings, restrictions, status."""

import uuid
from typing import Annotated

import typer

from cli.common import At, For, Incidents, Party, TokenFile, api, at_or_now, body, echo_json, segment
from cli.measures import MeasureOptions, measure_items
from policy.messages import AskRecord, IncidentReport, RestrictionRequest, WarningIssue
from policy.vocabulary import (
    BEHAVIOUR_CODES,
    Category,
    ContactChannel,
    ContactPeriod,
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
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Report an incident (R2, R18), as the signed-in member of staff."""
    report = body(
        IncidentReport,
        acting_for,
        incident_id=incident_id or f"inc-{uuid.uuid4().hex[:12]}",
        party={"party_id": party, "kind": kind, "professional_capacity": professional},
        category=category,
        behaviour_code=code,
        occurred_at=at_or_now(at),
        experienced_by=experienced_by,
        channel=channel,
        summary=summary,
    )
    answer = api(
        "POST",
        f"/parties/{segment(party)}/incidents",
        token_file=token_file,
        json=report,
        params={"wait": "true" if wait else "false"},
    )
    echo_json(answer)


@app.command()
def ask(
    party: Party,
    incident: Incidents,
    at: At = None,
    notes: str = "",
    ended_call: Annotated[
        ContactChannel | None,
        typer.Option(help="R4a: the call (phone) or meeting (in_person) of this ask was ended; see --why"),
    ] = None,
    why: Annotated[str, typer.Option(help="R4a: with --ended-call, what continued after the request")] = "",
    ground_rules: Annotated[
        str, typer.Option(help="R4a: with --ended-call, ground rules future calls or meetings start by agreeing")
    ] = "",
    ended_at: Annotated[str | None, typer.Option(help="R4a: when it was ended, ISO 8601; default --at")] = None,
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Record an ask (R4), as the signed-in member of staff; with --ended-call, the call or meeting
    ended as the behaviour continued after it, and any ground rules (R4a)."""
    asked_at = at_or_now(at)
    call = (
        {"ended_at": ended_at or asked_at, "channel": ended_call, "why": why, "ground_rules": ground_rules}
        if ended_call is not None
        else None
    )
    message = body(
        AskRecord,
        acting_for,
        ask_id=f"ask-{uuid.uuid4().hex[:12]}",
        party_id=party,
        incident_ids=incident,
        asked_at=asked_at,
        notes=notes,
        ended_call=call,
    )
    echo_json(api("POST", f"/parties/{segment(party)}/asks", token_file=token_file, json=message))


@app.command()
def warn(
    party: Party,
    incident: Incidents,
    reasons: Annotated[str, typer.Option(help="R10: why, in plain words")],
    at: At = None,
    method: WarningMethod = WarningMethod.WRITTEN,
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Issue a warning (R5, R10), as the signed-in member of staff."""
    message = body(
        WarningIssue,
        acting_for,
        warning_id=f"warn-{uuid.uuid4().hex[:12]}",
        party_id=party,
        incident_ids=incident,
        communicated_at=at_or_now(at),
        method=method,
        reasons=reasons,
    )
    echo_json(api("POST", f"/parties/{segment(party)}/warnings", token_file=token_file, json=message))


@app.command()
def restrict(
    party: Party,
    incident: Incidents,
    reasons: Annotated[str, typer.Option(help="R10: why")],
    arrangements: Annotated[str, typer.Option(help="R10: what contact continues and how")],
    measure: Annotated[list[Measure] | None, typer.Option(help="R8 measure (repeatable)")] = None,
    replaces: Annotated[str | None, typer.Option(help="R11: restriction id this one replaces")] = None,
    at: At = None,
    named_contact: Annotated[str | None, typer.Option(help="single_named_contact: the colleague's staff id")] = None,
    channel: Annotated[
        list[ContactChannel] | None, typer.Option(help="single_contact_channel: a channel allowed (repeatable)")
    ] = None,
    block: Annotated[
        list[ContactChannel] | None, typer.Option(help="block_emails_or_refuse_calls: email or phone (repeatable)")
    ] = None,
    issue: Annotated[
        list[str] | None, typer.Option(help="restrict_issues: a case reference still answered (repeatable)")
    ] = None,
    max_contacts: Annotated[
        int | None, typer.Option(help="restrict_time_or_volume: contacts allowed per --per")
    ] = None,
    per: Annotated[ContactPeriod | None, typer.Option(help="restrict_time_or_volume: day, week or month")] = None,
    window: Annotated[
        list[str] | None,
        typer.Option(help="restrict_time_or_volume: allowed times, 'monday,wednesday 10:00-12:00' (repeatable)"),
    ] = None,
    response_days: Annotated[
        int | None, typer.Option(help="extended_response_time: working days to reply (more than 10)")
    ] = None,
    from_latest_contact: Annotated[
        bool, typer.Option(help="extended_response_time: 10 working days from the most recent contact")
    ] = False,
    time_out_ends: Annotated[str | None, typer.Option(help="time_out: when it ends, ISO 8601 with offset")] = None,
    third_party: Annotated[str | None, typer.Option(help="contact_through_third_party: the third party's id")] = None,
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Apply a restriction (R6-R14), as the signed-in member of staff: its measures with their parameters (R8).

    A measure named with --measure and none of its options is sent by name: the
    contact gate then answers "see the arrangements" for it.
    """
    options = MeasureOptions(
        named_contact=named_contact,
        channels=tuple(channel or ()),
        blocked=tuple(block or ()),
        issues=tuple(issue or ()),
        max_contacts=max_contacts,
        per=per,
        windows=tuple(window or ()),
        response_days=response_days,
        from_latest_contact=from_latest_contact,
        time_out_ends=time_out_ends,
        third_party=third_party,
    )
    message = body(
        RestrictionRequest,
        acting_for,
        restriction_id=f"res-{uuid.uuid4().hex[:12]}",
        party_id=party,
        incident_ids=incident,
        measures=measure_items(measure or [], options),
        reasons=reasons,
        contact_arrangements=arrangements,
        replaces_restriction_id=replaces,
        decided_at=at_or_now(at),
    )
    echo_json(api("POST", f"/parties/{segment(party)}/restrictions", token_file=token_file, json=message))


@app.command()
def status(party_id: str, token_file: TokenFile = None) -> None:
    """Show a party's stage, deadlines and record summary, with its latest contacts."""
    echo_json(api("GET", f"/parties/{segment(party_id)}", token_file=token_file))


@app.command()
def vocabulary() -> None:
    """List the categories, behaviour codes and measures the policy knows.

    Local: reads the code on this machine; not an action on a party."""
    for category in Category:
        typer.echo(f"{category.value}: {', '.join(sorted(BEHAVIOUR_CODES[category]))}")
    typer.echo(f"measures: {', '.join(m.value for m in Measure)}")
    typer.echo(f"contact channels: {', '.join(c.value for c in ContactChannel)}")
