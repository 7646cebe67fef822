"""`ubp retention` and `ubp party erase`: R3's retention period, and erasure on request.

`ubp party erase` goes through the HTTP API as the signed-in principal, which
seals the request; `ubp retention apply` needs the records database anyway, and
checks the token there. Both are allowed by the permission table only, and the
removal log names who signed in.
"""

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from cli.common import TokenFile, api, build, fail, records, segment, signed_in
from client.connection import connect
from client.retention import RetentionClient
from policy.payloads import ErasureOutcome, RemovalTotals
from policy.permissions import Action
from policy.vocabulary import Role
from records.store import RecordStore
from services.acting import Principal
from services.retention import ErasureForm, apply_retention, retention_report
from settings import get_settings

app = typer.Typer(help="R3: the retention period, what it removes, and the removal log", no_args_is_help=True)
party_app = typer.Typer(help="One party's file", no_args_is_help=True)


@app.command("report")
def report() -> None:
    """What the retention period (UBP_RETENTION_YEARS) would remove now: counts only, no party named.

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        try:
            found = retention_report(store, get_settings(), datetime.now(UTC))
        except ValueError as err:
            fail(str(err), 2)
    typer.echo(f"retention period: {found.years} years after a party's last activity")
    typer.echo(f"last activity before: {found.cutoff.isoformat()}")
    typer.echo(f"parties whose file would go: {found.parties}")
    typer.echo(f"parties past the period kept, something live: {found.held}")
    for table, count in sorted(found.rows.items()):
        typer.echo(f"  {table}: {count} rows")


@app.command("apply")
def apply(token_file: TokenFile = None) -> None:
    """Remove now every file past the retention period, and its closed workflow runs; never a party
    with anything live. The schedule ubp-retention-sweep does the same every day. Signed in with a
    token (UBP_TOKEN), checked against the records database: a manager or a senior role (R3);
    the removal log names who. The workers' own retention period decides what goes."""
    with records() as store:
        caller = signed_in(store, token_file, Action.APPLY_RETENTION)
    totals = _sweep(caller)
    typer.echo(
        f"removed: {totals.parties} parties, {totals.executions} workflow runs, {sum(totals.rows.values())} rows"
    )
    typer.echo(f"kept, something live: {totals.held} parties")


def _sweep(caller: Principal) -> RemovalTotals:
    """Run the sweep as `caller` and wait for it; Temporal's failures become clear exits."""

    async def go() -> RemovalTotals:
        settings = get_settings()
        retention = RetentionClient(await connect(settings), settings.task_queue)
        return await apply_retention(retention, settings, caller)

    try:
        return asyncio.run(go())
    except WorkflowFailureError as err:  # the workers have no retention period
        fail(f"the sweep failed: {err.cause.__cause__ or err.cause}", 1)
    except RPCError as err:
        fail(f"Temporal: {err.message}", 1)
    except RuntimeError as err:
        fail(str(err), 1)


@app.command("log")
def log(party: Annotated[str | None, typer.Option("--party", help="only erasure requests for this party")] = None):
    """Every sweep and erasure: when, kind, outcome, who (and role), how many, why.

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        lines = _log_lines(store, party)
    for line in lines:
        typer.echo(line)


def _log_lines(store: RecordStore, party: str | None) -> list[str]:
    lines = []
    for row in store.removal_log(party_id=party):
        who = f"{row.by} ({row.role})" if row.role else row.by
        subject = f"party {row.erased_party_id}" if row.erased_party_id else f"{row.parties} parties"
        forced = " forced" if row.forced else ""
        lines.append(
            f"{row.at.isoformat()}\t{row.kind}\t{row.outcome}{forced}\t{who}\t{subject}, {row.held} held,"
            f" {row.executions} runs, {sum(row.rows.values())} rows\t{row.reason}"
        )
    return lines


@party_app.command("erase")
def erase(
    party_id: Annotated[str, typer.Argument(help="the case system's party id")],
    reason: Annotated[str, typer.Option("--reason", help="why: the request and its reference, kept in the log")],
    role: Annotated[
        Role | None,
        typer.Option(
            "--role",
            help="the role you act in; default the first you hold that may (ombudsman or executive_team to force)",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="erase even though something about the party is live")] = False,
    token_file: TokenFile = None,
) -> None:
    """Erase one party's file and its workflow runs, on request, as the signed-in member of staff
    (a manager or a senior role). Refused while anything about the party is live unless forced by
    someone acting as the Ombudsman or the Executive Team; logged either way."""
    form = build(ErasureForm, reason=reason, role=role, force=force)
    answer = api(
        "POST",
        f"/parties/{segment(party_id)}/erasure",
        token_file=token_file,
        json=form.model_dump(mode="json", exclude_none=True),
    )
    outcome = ErasureOutcome.model_validate(answer.json())
    forced = f" (forced: {'; '.join(outcome.live)})" if outcome.forced else ""
    typer.echo(
        f"party {party_id} erased{forced}: {outcome.executions} workflow runs, {sum(outcome.rows.values())} rows"
    )
