"""`ubp contact` (the contact gate: R8, R17, R19) and `ubp close-case` (R17), through the HTTP
API as the signed-in principal."""

import uuid
from typing import Annotated

import typer

from cli.common import At, For, Party, TokenFile, api, at_or_now, body, build, echo_json, segment
from policy.messages import CaseClosure, InboundContact
from policy.vocabulary import ContactChannel

app = typer.Typer()


@app.command("contact")
def contact(
    party: Party,
    channel: Annotated[ContactChannel, typer.Option(help="how it arrived")],
    at: Annotated[
        str | None, typer.Option("--at", help="when it was received, ISO 8601 with offset; default now")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="the staff id it was addressed to")] = None,
    case: Annotated[str | None, typer.Option("--case", help="the case reference it is about")] = None,
    new_complaint: Annotated[bool, typer.Option(help="it raises a new complaint")] = False,
    via: Annotated[str | None, typer.Option(help="the third party it came through (their id)")] = None,
    contact_id: Annotated[str | None, typer.Option(help="idempotency key; default a new id")] = None,
    token_file: TokenFile = None,
) -> None:
    """Ask the contact gate how to handle an inbound contact and by when; the answer is logged."""
    message = build(
        InboundContact,
        contact_id=contact_id or f"con-{uuid.uuid4().hex[:12]}",
        party_id=party,
        received_at=at_or_now(at),
        channel=channel,
        to_whom=to,
        case_reference=case,
        raises_new_complaint=new_complaint,
        via_third_party=via,
    )
    answer = api(
        "POST",
        f"/parties/{segment(party)}/contacts",
        token_file=token_file,
        json=message.model_dump(mode="json", exclude_none=True),
    )
    echo_json(answer)


@app.command("close-case")
def close_case(
    party: Party,
    case: Annotated[str, typer.Option("--case", help="the case reference")],
    at: At = None,
    notes: str = "",
    acting_for: For = None,
    token_file: TokenFile = None,
) -> None:
    """Record that a case is closed and the party told no further reply will be made (R17).

    As the signed-in member of staff."""
    message = body(CaseClosure, acting_for, party_id=party, case_reference=case, closed_at=at_or_now(at), notes=notes)
    echo_json(api("POST", f"/parties/{segment(party)}/closed-cases", token_file=token_file, json=message))
