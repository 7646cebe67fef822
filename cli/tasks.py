"""`ubp tasks`: the task list, deciding a task, and who works it: claim, give back, assign, reassign (through
the HTTP API, as the signed-in principal)."""

import json
from typing import Annotated

import typer

from cli.common import For, TokenFile, api, build, echo_json, instant, records, segment
from policy.vocabulary import Role, SupportOption, TaskKind, TaskOutcome
from services.decisions import DecisionForm

app = typer.Typer(help="Human tasks: the task list, deciding a task, and who works it", no_args_is_help=True)


@app.command("list")
def tasks_list(
    role: Annotated[Role | None, typer.Option(help="tasks this role may decide now")] = None,
    person: Annotated[str | None, typer.Option(help="tasks this member of staff may decide")] = None,
    kind: Annotated[TaskKind | None, typer.Option(help="tasks of this kind")] = None,
    party: Annotated[str | None, typer.Option(help="one party's tasks")] = None,
    due_before: Annotated[str | None, typer.Option(help="due before this ISO 8601 instant (with offset)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the whole tasks as JSON")] = False,
) -> None:
    """List open tasks from the records database, soonest due first.

    Local: runs against the records database on this machine; not an action on a party."""
    before = instant(due_before, "--due-before") if due_before else None
    with records() as store:
        listed = store.open_tasks(role=role, person=person, kind=kind, party_id=party, due_before=before)
        holders = store.holders([t.task_id for t in listed])
    if as_json:
        typer.echo(json.dumps([t.model_dump(mode="json") for t in listed], indent=2))
        return
    for t in listed:
        due = t.due_at.isoformat() if t.due_at else "unplanned"
        flags = " ESCALATED" if t.escalated_at else ""
        flags += " OVERDUE" if t.overdue_since else ""
        flags += f" CLAIMED-BY {holders[t.task_id]}" if t.task_id in holders else ""
        roles = ",".join(r.value for r in t.deciding_roles())
        typer.echo(f"{t.task_id}\t{t.party_id}\t{t.kind.value}\tdue {due}{flags}\t[{roles}]\t{t.summary}")


@app.command("decide")
def tasks_decide(
    task_id: str,
    outcome: Annotated[TaskOutcome, typer.Option(help="the decision")],
    role: Annotated[
        Role | None, typer.Option(help="the role you decide in; default: the first you hold that may decide it now")
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
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Decide a task as the signed-in member of staff, in --role (checked against the permission
    table and the staff list before the workflow checks the task)."""
    form = build(
        DecisionForm,
        decided_by=acting_for,
        outcome=outcome,
        role=role,
        reason=reason,
        police_referral=police_referral,
        support_offered=support or [],
    )
    answer = api(
        "POST",
        f"/tasks/{segment(task_id)}/decision",
        token_file=token_file,
        json=form.model_dump(mode="json", exclude_none=True),
        headers={"Idempotency-Key": decision_id} if decision_id else None,
    )
    echo_json(answer)


@app.command("claim")
def tasks_claim(task_id: str, token_file: TokenFile = None) -> None:
    """Claim a task: work on it as the signed-in member of staff (only someone who may decide it now);
    while the claim holds, nobody else may decide it."""
    echo_json(api("POST", f"/tasks/{segment(task_id)}/claim", token_file=token_file))


@app.command("unclaim")
def tasks_unclaim(task_id: str, token_file: TokenFile = None) -> None:
    """Give a task back: your own claim, or, as a manager, someone else's."""
    echo_json(api("DELETE", f"/tasks/{segment(task_id)}/claim", token_file=token_file))


@app.command("assign")
def tasks_assign(
    task_id: str,
    to: Annotated[str, typer.Option(help="the colleague who works the task from now (one who may decide it)")],
    reason: Annotated[str, typer.Option(help="why, for the task's claim log")] = "",
    token_file: TokenFile = None,
) -> None:
    """Assign a task to a colleague who may decide it, as a manager; whoever had it no longer does."""
    body = {"to": to, "reason": reason}
    echo_json(api("POST", f"/tasks/{segment(task_id)}/assignment", token_file=token_file, json=body))


@app.command("reassign")
def tasks_reassign(
    from_staff: Annotated[str, typer.Option("--from", help="whose open tasks move (someone who left, or is away)")],
    reason: Annotated[str, typer.Option(help="why, for each task's claim log")],
    to: Annotated[
        str | None, typer.Option(help="who takes them where they may decide them; default: back to nobody")
    ] = None,
    token_file: TokenFile = None,
) -> None:
    """Move every open task someone holds, as a manager: to --to where they may decide it, back to nobody
    otherwise. Prints each task moved and who holds it now."""
    body = {"from_staff": from_staff, "to": to, "reason": reason}
    echo_json(api("POST", "/tasks/reassignments", token_file=token_file, json=body))
