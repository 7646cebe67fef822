"""`ubp retention` and `ubp party erase`: R3's retention period, and erasure on request."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from temporalio.service import RPCError

from cli.common import fail, records
from client.connection import connect
from client.retention import RetentionClient
from policy.vocabulary import FORCED_ERASURE_ROLES, Role
from records.store import RecordStore
from services.retention import ErasureRefused, apply_retention, erase_party, retention_report
from services.staff import StaffCheckFailed
from settings import get_settings

T = TypeVar("T")

app = typer.Typer(help="R3: the retention period, what it removes, and the removal log", no_args_is_help=True)
party_app = typer.Typer(help="One party's file", no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="your staff id: who asks, kept in the removal log")]
SENIOR = " or ".join(sorted(role.value for role in FORCED_ERASURE_ROLES))


def _run(call: Callable[[RetentionClient], Awaitable[T]]) -> T:
    """Connect to Temporal, make the call; the refusals and failures become clear exits."""

    async def go() -> T:
        settings = get_settings()
        return await call(RetentionClient(await connect(settings), settings.task_queue))

    try:
        return asyncio.run(go())
    except ErasureRefused as err:
        fail(str(err), 1)
    except ValidationError as err:
        fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors()), 2)
    except (StaffCheckFailed, ValueError) as err:
        fail(str(err), 2)
    except RPCError as err:
        fail(f"Temporal: {err.message}", 1)
    except RuntimeError as err:
        fail(str(err), 1)


@app.command("report")
def report() -> None:
    """What the retention period (UBP_RETENTION_YEARS) would remove now: counts only, no party named."""
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
def apply(by: By) -> None:
    """Remove now every file past the retention period, and its closed workflow runs; never a party
    with anything live. The schedule ubp-retention-sweep does the same every day."""
    with records() as store:
        totals = _run(lambda retention: apply_retention(retention, store, get_settings(), by))
    typer.echo(
        f"removed: {totals.parties} parties, {totals.executions} workflow runs, {sum(totals.rows.values())} rows"
    )
    typer.echo(f"kept, something live: {totals.held} parties")


@app.command("log")
def log(party: Annotated[str | None, typer.Option("--party", help="only erasure requests for this party")] = None):
    """Every sweep and erasure: when, kind, outcome, who (and role), how many, why."""
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
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="why: the request and its reference, kept in the log")],
    role: Annotated[
        Role | None, typer.Option("--role", help="the role you act in; ombudsman or executive_team to force")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="erase even though something about the party is live")] = False,
) -> None:
    """Erase one party's file and its workflow runs, on request. Refused while anything about the
    party is live unless forced by someone acting in a senior role; logged either way."""
    settings = get_settings()
    with records() as store:
        outcome = _run(
            lambda retention: erase_party(
                retention, store, settings, party_id=party_id, by=by, reason=reason, role=role, force=force
            )
        )
    forced = f" (forced: {'; '.join(outcome.live)})" if outcome.forced else ""
    typer.echo(
        f"party {party_id} erased{forced}: {outcome.executions} workflow runs, {sum(outcome.rows.values())} rows"
    )
