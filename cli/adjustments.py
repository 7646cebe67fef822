"""`ubp adjustment`: reasonable adjustments (R16), through the HTTP API as the signed-in principal."""

import uuid
from typing import Annotated

import typer

from cli.common import At, For, Party, TokenFile, api, at_or_now, body, echo_json, segment
from policy.messages import AdjustmentDecision, AdjustmentRequest, AdviceRequest

app = typer.Typer(help="R16: reasonable adjustments", no_args_is_help=True)


@app.command("request")
def adjustment_request(
    party: Party,
    description: Annotated[str, typer.Option(help="the adjustment asked for")],
    at: At = None,
    adjustment_id: Annotated[str | None, typer.Option(help="idempotency key; default a new id")] = None,
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Record a reasonable adjustment the party asked for, as the signed-in member of staff."""
    message = body(
        AdjustmentRequest,
        acting_for,
        adjustment_id=adjustment_id or f"adj-{uuid.uuid4().hex[:12]}",
        party_id=party,
        description=description,
        requested_at=at_or_now(at),
    )
    echo_json(api("POST", f"/parties/{segment(party)}/adjustments", token_file=token_file, json=message))


@app.command("advice")
def adjustment_advice(
    adjustment_id: str,
    party: Party,
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Ask a specialist adviser about a requested adjustment (a task for them), as the signed-in member of staff."""
    message = body(AdviceRequest, acting_for, adjustment_id=adjustment_id, party_id=party)
    path = f"/parties/{segment(party)}/adjustments/{segment(adjustment_id)}/advice"
    echo_json(api("POST", path, token_file=token_file, json=message))


@app.command("decide")
def adjustment_decide(
    adjustment_id: str,
    party: Party,
    agree: Annotated[bool, typer.Option("--agree/--decline", help="agree to it, or decline it (after advice)")],
    reason: Annotated[str, typer.Option(help="why")],
    at: At = None,
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Agree or decline a requested adjustment, as the signed-in member of staff; declining needs
    specialist advice first (R16)."""
    message = body(
        AdjustmentDecision,
        acting_for,
        adjustment_id=adjustment_id,
        party_id=party,
        agree=agree,
        reason=reason,
        decided_at=at_or_now(at),
    )
    path = f"/parties/{segment(party)}/adjustments/{segment(adjustment_id)}/decision"
    echo_json(api("POST", path, token_file=token_file, json=message))
