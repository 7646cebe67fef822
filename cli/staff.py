"""`ubp staff`: staff, the roles they hold, and their sign-in tokens."""

from typing import Annotated

import typer

from cli.common import fail, records
from policy.vocabulary import Role

app = typer.Typer(help="Staff and the roles they hold (R7, R16)", no_args_is_help=True)


@app.command("add")
def staff_add(
    staff_id: Annotated[str, typer.Argument(help="the id staff use in messages (--by)")],
    name: Annotated[str, typer.Option(help="their name")],
    role: Annotated[list[Role], typer.Option("--role", help="a role they hold (repeatable)")],
) -> None:
    """Add a member of staff, or replace the name and roles of one already known (and make them active)."""
    with records() as store:
        try:
            row = store.add_staff(staff_id, name, role)
        except ValueError as err:
            fail(str(err), 2)
    typer.echo(f"{row.staff_id}: {row.name} ({', '.join(row.roles)})")


@app.command("list")
def staff_list(
    role: Annotated[Role | None, typer.Option(help="only staff holding this role")] = None,
) -> None:
    """List staff and their roles."""
    with records() as store:
        rows = store.list_staff(role)
    for row in rows:
        typer.echo(f"{row.staff_id}\t{row.name}\t{','.join(row.roles)}\t{'active' if row.active else 'inactive'}")


@app.command("token")
def staff_token(staff_id: Annotated[str, typer.Argument(help="who the token signs in as")]) -> None:
    """Issue a bearer token for the HTTP API and the inbox; it is shown only now (a hash is kept)."""
    with records() as store:
        try:
            token = store.issue_token(staff_id)
        except ValueError as err:
            fail(str(err), 2)
    typer.echo(token)


@app.command("revoke-tokens")
def staff_revoke_tokens(staff_id: str) -> None:
    """Withdraw every token of a member of staff."""
    with records() as store:
        count = store.revoke_tokens(staff_id)
    typer.echo(f"{staff_id}: {count} token{'s' if count != 1 else ''} withdrawn")


@app.command("deactivate")
def staff_deactivate(staff_id: str) -> None:
    """Mark a member of staff inactive: they no longer decide tasks."""
    with records() as store:
        if not store.set_staff_active(staff_id, False):
            fail(f"unknown member of staff {staff_id!r}", 2)
    typer.echo(f"{staff_id}: inactive")
