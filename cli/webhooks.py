"""`ubp webhooks`: case systems' webhook subscriptions (issue 25), their deliveries, and replaying
them, through the HTTP API as the signed-in principal (operations: manage_webhooks)."""

from typing import Annotated

import typer
from pydantic import TypeAdapter

from cli.common import TokenFile, api, echo_json, segment
from policy.events import EventType
from policy.webhooks import DeliveryStatus
from services.webhooks import DeliveryInfo, WebhookInfo

app = typer.Typer(help="Webhooks for case systems: add, list, remove, deliveries, replay", no_args_is_help=True)

WebhookId = Annotated[str, typer.Argument(help="the subscription's id, e.g. wh-3f9a...")]
WEBHOOKS = TypeAdapter(list[WebhookInfo])
DELIVERIES = TypeAdapter(list[DeliveryInfo])


@app.command("add")
def add(
    url: Annotated[str, typer.Option("--url", help="where events are POSTed")],
    types: Annotated[
        list[EventType] | None, typer.Option("--type", help="an event type it hears (repeat); none: all")
    ] = None,
    text: Annotated[
        list[str] | None, typer.Option("--text", help="free text its events may hold (repeat): summary, reasons ...")
    ] = None,
    token_file: TokenFile = None,
) -> None:
    """Add a subscription; it hears the events recorded from now on. Prints it as JSON, with its
    signing secret (`secret`, whsec_...): shown this once, give it to the case system."""
    form = {"url": url, "types": [t.value for t in types or []], "text_fields": text or []}
    echo_json(api("POST", "/webhooks", token_file=token_file, json=form))


@app.command("list")
def list_(
    removed: Annotated[bool, typer.Option("--removed", help="the removed ones too")] = False,
    token_file: TokenFile = None,
) -> None:
    """Each subscription: id, active or removed, URL, types (all: every type), free text allowed, added by."""
    found = WEBHOOKS.validate_python(api("GET", "/webhooks", token_file=token_file, params={"removed": removed}).json())
    for w in found:
        state = "active" if w.active else f"removed by {w.removed_by} {w.removed_at:%Y-%m-%dT%H:%M:%SZ}"
        types = ",".join(w.types) or "all"
        text = ",".join(w.text_fields) or "-"
        typer.echo(f"{w.webhook_id}\t{state}\t{w.url}\t{types}\t{text}\tadded by {w.created_by}")
    if not found:
        typer.echo("no webhooks")


@app.command("remove")
def remove(webhook_id: WebhookId, token_file: TokenFile = None) -> None:
    """Remove a subscription: its deliveries stop; their record stays."""
    echo_json(api("DELETE", f"/webhooks/{segment(webhook_id)}", token_file=token_file))


@app.command("deliveries")
def deliveries(
    webhook_id: Annotated[str | None, typer.Option("--webhook", help="one subscription's")] = None,
    status: Annotated[DeliveryStatus | None, typer.Option("--status", help="of this status only")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 200,
    token_file: TokenFile = None,
) -> None:
    """Deliveries, newest first, tab-separated: webhook, event id, party, type, status, attempts,
    next attempt (pending) or delivered at, last HTTP status, last error."""
    params = {"webhook": webhook_id, "status": status.value if status else None, "limit": limit}
    found = DELIVERIES.validate_python(
        api("GET", "/webhooks/deliveries", token_file=token_file, params={k: v for k, v in params.items() if v}).json()
    )
    for d in found:
        when = d.next_attempt_at or d.delivered_at
        cells = [d.webhook_id, d.event_id, d.party_id, d.type, d.status, d.attempts, when, d.last_status, d.last_error]
        typer.echo("\t".join("-" if c is None else str(c) for c in cells))


@app.command("replay")
def replay(
    webhook_id: WebhookId,
    after: Annotated[
        str | None, typer.Option("--after", help="every event after this feed cursor; default: the failed ones")
    ] = None,
    token_file: TokenFile = None,
) -> None:
    """Deliver again the subscription's failed events (or every one after a cursor), now, in order."""
    params = {"after": after} if after else None
    echo_json(api("POST", f"/webhooks/{segment(webhook_id)}/replay", token_file=token_file, params=params))
