"""`ubp end-call` and `ubp lift-ground-rules` (R4a), through the HTTP API as the signed-in principal."""

import uuid
from typing import Annotated

import typer

from cli.common import At, For, Party, TokenFile, api, at_or_now, body, echo_json, segment
from policy.messages import EndedCallRecord, GroundRulesLift
from policy.vocabulary import ContactChannel

app = typer.Typer()

Channel = Annotated[ContactChannel, typer.Option(help="phone (a call) or in_person (a meeting)")]
Why = Annotated[str, typer.Option(help="what continued after the request to stop")]
GroundRulesText = Annotated[
    str, typer.Option(help="R4a: ground rules future calls or meetings start by agreeing, in your words")
]


@app.command("end-call")
def end_call(
    party: Party,
    ask: Annotated[str, typer.Option("--ask", help="the ask whose request the behaviour continued after")],
    channel: Channel,
    why: Why,
    ground_rules: GroundRulesText = "",
    at: At = None,
    call_id: Annotated[str | None, typer.Option(help="idempotency key; default a new id")] = None,
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Record a call or meeting ended after an ask, and any ground rules (R4a), as the signed-in member of staff."""
    message = body(
        EndedCallRecord,
        acting_for,
        call_id=call_id or f"call-{uuid.uuid4().hex[:12]}",
        party_id=party,
        ask_id=ask,
        ended_at=at_or_now(at),
        channel=channel,
        why=why,
        ground_rules=ground_rules,
    )
    echo_json(api("POST", f"/parties/{segment(party)}/ended-calls", token_file=token_file, json=message))


@app.command("lift-ground-rules")
def lift_ground_rules(
    party: Party,
    call: Annotated[str, typer.Option("--call", help="the ended call whose ground rules are lifted")],
    reason: Annotated[str, typer.Option(help="why they are lifted early")],
    at: At = None,
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Lift an ended call's ground rules before they lapse (R4a), as the signed-in member of staff."""
    message = body(GroundRulesLift, acting_for, party_id=party, call_id=call, lifted_at=at_or_now(at), reason=reason)
    url = f"/parties/{segment(party)}/ended-calls/{segment(call)}/lift"
    echo_json(api("POST", url, token_file=token_file, json=message))
