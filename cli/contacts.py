"""`ubp contact` (the contact gate: R8, R17, R19) and `ubp close-case` (R17)."""

import uuid
from typing import Annotated

import typer

from cli.common import At, By, Party, at_or_now, build, fail, records, send
from client.parties import PartyClient
from policy.contacts import ContactAnswer
from policy.messages import CaseClosure, InboundContact
from policy.vocabulary import ContactChannel
from services.contacts import ContactRefused, answer_contact

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
    with records() as store:

        async def gate(parties: PartyClient) -> ContactAnswer:
            try:
                return await answer_contact(parties, store, message)
            except ContactRefused as err:
                fail(f"refused: {err}", 1)

        send(gate)


@app.command("close-case")
def close_case(
    party: Party,
    case: Annotated[str, typer.Option("--case", help="the case reference")],
    by: By,
    at: At = None,
    notes: str = "",
) -> None:
    """Record that a case is closed and the party told no further reply will be made (R17)."""
    message = build(
        CaseClosure, party_id=party, case_reference=case, closed_at=at_or_now(at), closed_by=by, notes=notes
    )
    send(lambda c: c.record_case_closure(message))
