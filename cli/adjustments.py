"""`ubp adjustment`: reasonable adjustments (R16)."""

import uuid
from typing import Annotated

import typer

from cli.common import At, By, Party, at_or_now, build, send
from policy.messages import AdjustmentDecision, AdjustmentRequest, AdviceRequest

app = typer.Typer(help="R16: reasonable adjustments", no_args_is_help=True)


@app.command("request")
def adjustment_request(
    party: Party,
    description: Annotated[str, typer.Option(help="the adjustment asked for")],
    by: By,
    at: At = None,
    adjustment_id: Annotated[str | None, typer.Option(help="idempotency key; default a new id")] = None,
) -> None:
    """Record a reasonable adjustment the party asked for."""
    message = build(
        AdjustmentRequest,
        adjustment_id=adjustment_id or f"adj-{uuid.uuid4().hex[:12]}",
        party_id=party,
        description=description,
        requested_at=at_or_now(at),
        recorded_by=by,
    )
    send(lambda c: c.request_adjustment(message))


@app.command("advice")
def adjustment_advice(
    adjustment_id: str,
    party: Party,
    by: By,
) -> None:
    """Ask a specialist adviser about a requested adjustment (a task for them)."""
    message = build(AdviceRequest, adjustment_id=adjustment_id, party_id=party, requested_by=by)
    send(lambda c: c.seek_advice(message))


@app.command("decide")
def adjustment_decide(
    adjustment_id: str,
    party: Party,
    agree: Annotated[bool, typer.Option("--agree/--decline", help="agree to it, or decline it (after advice)")],
    by: By,
    reason: Annotated[str, typer.Option(help="why")],
    at: At = None,
) -> None:
    """Agree or decline a requested adjustment; declining needs specialist advice first (R16)."""
    message = build(
        AdjustmentDecision,
        adjustment_id=adjustment_id,
        party_id=party,
        agree=agree,
        decided_by=by,
        reason=reason,
        decided_at=at_or_now(at),
    )
    send(lambda c: c.decide_adjustment(message))
