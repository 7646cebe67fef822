"""`ubp security-log`: the security log, newest first (also in the inbox, for operations staff)."""

from datetime import UTC, datetime
from typing import Annotated

import typer

from cli.common import records
from records.security_log import SecurityEvent

app = typer.Typer()


@app.command("security-log")
def security_log(
    kind: Annotated[SecurityEvent | None, typer.Option(help="only events of this kind")] = None,
    staff_id: Annotated[str | None, typer.Option("--account", help="only this account's events")] = None,
    since: Annotated[datetime | None, typer.Option(help="only events since (ISO 8601, UTC if no offset)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="at most this many")] = 200,
) -> None:
    """The security log: sign-ins and failures, sign-outs, sessions ended, tokens, role changes,
    refusals, decrypted reads, erasures.

    Each line, tab-separated: when (UTC), kind, account ('-': none), detail, route, status.

    Local: runs against the records database on this machine; not an action on a party."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with records() as store:
        events = store.security_events(kind=kind, staff_id=staff_id, since=since, limit=limit)
    for e in events:
        cells = [f"{e.at:%Y-%m-%dT%H:%M:%SZ}", e.kind, e.staff_id, e.detail, e.route, e.status]
        typer.echo("\t".join("-" if c is None else str(c) for c in cells))
