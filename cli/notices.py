"""`ubp notices`: the notices to staff, what became of them, and sending one again."""

from typing import Annotated

import typer

from cli.common import fail, records
from policy.vocabulary import NoticeStatus

app = typer.Typer(help="Notices to staff about their tasks, sent by mail", no_args_is_help=True)


@app.command("list")
def notices_list(
    status: Annotated[NoticeStatus | None, typer.Option(help="only notices in this status")] = None,
    party: Annotated[str | None, typer.Option("--party", help="only this party's notices")] = None,
) -> None:
    """List notices, oldest first: id, party, status, when closed, recipients, then any problem.

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        rows = store.notices(party_id=party, status=status)
    for row in rows:
        closed = row.closed_at.isoformat() if row.closed_at else "-"
        line = f"{row.notice_id}\t{row.party_id}\t{row.status}\t{closed}\t{','.join(row.recipients or []) or '-'}"
        problems = [p for p in (row.problem, *(row.not_reached or [])) if p]
        typer.echo(line + (f"\t{'; '.join(problems)}" if problems else ""))


@app.command("retry")
def notices_retry(
    notice_ids: Annotated[list[str] | None, typer.Argument(help="the notices to send again")] = None,
    all_undeliverable: Annotated[bool, typer.Option("--all-undeliverable", help="every undeliverable notice")] = False,
) -> None:
    """Queue undeliverable (or skipped) notices again, once the cause is put right (an address
    added, the mail settings fixed); the next dispatch sends them.

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        ids = list(notice_ids or [])
        if all_undeliverable:
            ids += [n.notice_id for n in store.notices(status=NoticeStatus.UNDELIVERABLE)]
        if not ids:
            fail("name the notices to send again, or give --all-undeliverable", 2)
        refused = [notice_id for notice_id in ids if not store.requeue_notice(notice_id)]
    for notice_id in ids:
        if notice_id not in refused:
            typer.echo(f"{notice_id}: queued again")
    if refused:
        fail(f"not undeliverable or skipped (unknown, queued or sent): {', '.join(refused)}", 1)
