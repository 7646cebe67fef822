"""`ubp staff`: staff, the roles they hold, case systems' accounts, and their sign-in tokens.

Each runs against the records database on this machine: whoever runs them holds
its credentials already, so they check no token."""

from datetime import UTC, datetime
from typing import Annotated

import typer

from cli.common import fail, records
from policy.vocabulary import Role
from records.staff import DEFAULT_TOKEN_DAYS, token_id_of
from records.tables import StaffRow

LOCAL = "Local: runs against the records database on this machine; not an action on a party."
app = typer.Typer(
    help=f"Staff, the roles they hold (R7, R16), case systems' accounts, sign-in tokens. {LOCAL}",
    no_args_is_help=True,
)


Digest = Annotated[
    bool | None,
    typer.Option("--digest/--no-digest", help="the daily digest of their open tasks; default: as before"),
]


@app.command("add")
def staff_add(
    staff_id: Annotated[str, typer.Argument(help="their staff id: who the file says acted, once they sign in")],
    name: Annotated[str, typer.Option(help="their name")],
    role: Annotated[list[Role], typer.Option("--role", help="a role they hold (repeatable)")],
    email: Annotated[
        str | None, typer.Option(help="where their notices go; default: the address on file, if any")
    ] = None,
    digest: Digest = None,
) -> None:
    """Add a member of staff, or replace the name and roles of one already known (and make them active).

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        try:
            row = store.add_staff(staff_id, name, role, email=email, digest=digest)
        except ValueError as err:
            fail(str(err), 2)
    typer.echo(f"{row.staff_id}: {row.name} ({', '.join(row.roles)}) {_contact(row)}")
    if not row.email:
        _warn_no_email([row.staff_id])


@app.command("email")
def staff_email(
    staff_id: Annotated[str, typer.Argument(help="a known member of staff")],
    address: Annotated[str, typer.Argument(help="their email address; 'none' removes it (and the digest)")],
    digest: Digest = None,
) -> None:
    """Set where a member of staff's notices go, and whether they get the daily digest.

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        try:
            row = store.set_email(staff_id, None if address.lower() == "none" else address, digest)
        except ValueError as err:
            fail(str(err), 2)
    typer.echo(f"{row.staff_id}: {_contact(row)}")
    if not row.email:
        _warn_no_email([row.staff_id])


@app.command("add-system")
def staff_add_system(
    system_id: Annotated[str, typer.Argument(help="the case system's account id: the file names it as carrying (via)")],
    name: Annotated[str, typer.Option(help="what it is called")],
    acts_for: Annotated[
        list[str] | None,
        typer.Option(
            "--acts-for",
            help="a staff id it may act for (repeatable; '*': any active member of staff); none: only for itself",
        ),
    ] = None,
) -> None:
    """Add a case system's own account, or replace its name and whom it may act for (and make it active).

    With its token (`ubp staff token SYSTEM_ID`) it acts for itself (the contact gate, status, letters,
    imports) and, naming them (`--for`, or the body's actor field), for the staff it may act for.

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        try:
            row = store.add_system(system_id, name, acts_for or [])
        except ValueError as err:
            fail(str(err), 2)
    typer.echo(f"{row.staff_id}: {row.name} (case system) acts for {_acts_for(row)}")


@app.command("list")
def staff_list(
    role: Annotated[Role | None, typer.Option(help="only staff holding this role")] = None,
) -> None:
    """List staff and case systems.

    Each line: id, name, roles, active or not, email address ('-' for none), digest or not, person
    or system, and whom a system acts for ('-' for a person).

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        rows = store.list_staff(role)
    for row in rows:
        state = "active" if row.active else "inactive"
        digest = "digest" if row.digest else "-"
        acts_for = _acts_for(row) if row.kind == "system" else "-"
        typer.echo(
            f"{row.staff_id}\t{row.name}\t{','.join(row.roles)}\t{state}\t{row.email or '-'}\t{digest}"
            f"\t{row.kind}\t{acts_for}"
        )
    _warn_no_email([row.staff_id for row in rows if row.active and not row.email and row.kind == "person"])


def _acts_for(row: StaffRow) -> str:
    return ",".join(row.acts_for or []) or "nobody (itself only)"


def _contact(row: StaffRow) -> str:
    if not row.email:
        return "no email address"
    return f"<{row.email}>{', daily digest' if row.digest else ''}"


def _warn_no_email(staff_ids: list[str]) -> None:
    """On stderr, so lists stay readable by scripts: these people are told of no task."""
    if staff_ids:
        typer.secho(
            f"no email address, so no notices, for: {', '.join(staff_ids)} (`ubp staff email STAFF_ID ADDRESS`)",
            fg=typer.colors.YELLOW,
            err=True,
        )


@app.command("token")
def staff_token(
    staff_id: Annotated[str, typer.Argument(help="who the token signs in as: a case system, or a member of staff")],
    days: Annotated[int, typer.Option(min=1, help="how many days it is accepted for")] = DEFAULT_TOKEN_DAYS,
) -> None:
    """Issue a bearer token for the HTTP API and `ubp` (UBP_TOKEN); never for the inbox, which staff
    sign in to through the identity provider.

    It is shown only now: a hash is kept. It expires after --days.

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        try:
            token = store.issue_token(staff_id, days)
        except ValueError as err:
            fail(str(err), 2)
    typer.echo(token)


@app.command("tokens")
def staff_tokens(
    staff_id: Annotated[str | None, typer.Argument(help="only this account's")] = None,
) -> None:
    """List tokens: id, account, issued, expires, last used ('-': never); expired ones say so.

    Local: runs against the records database on this machine; not an action on a party."""
    now = datetime.now(UTC)
    with records() as store:
        rows = store.tokens(staff_id)
    for row in rows:
        used = f"{row.last_used_at:%Y-%m-%dT%H:%MZ}" if row.last_used_at else "-"
        expired = "\texpired" if row.expires_at <= now else ""
        typer.echo(
            f"{token_id_of(row)}\t{row.staff_id}\t{row.created_at:%Y-%m-%dT%H:%MZ}"
            f"\t{row.expires_at:%Y-%m-%dT%H:%MZ}\t{used}{expired}"
        )


@app.command("revoke-token")
def staff_revoke_token(
    token_id: Annotated[str, typer.Argument(help="the token's id, as `ubp staff tokens` lists it")],
) -> None:
    """Withdraw one token.

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        row = store.revoke_token(token_id)
    if row is None:
        fail(f"no token {token_id!r}: `ubp staff tokens` lists them", 2)
    typer.echo(f"{token_id}: withdrawn (it signed in as {row.staff_id})")


@app.command("revoke-tokens")
def staff_revoke_tokens(staff_id: str) -> None:
    """Withdraw every token of a member of staff or a case system.

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        count = store.revoke_tokens(staff_id)
    typer.echo(f"{staff_id}: {count} token{'s' if count != 1 else ''} withdrawn")


@app.command("link")
def staff_link(
    staff_id: Annotated[str, typer.Argument(help="a member of staff")],
    subject: Annotated[str, typer.Argument(help="their subject (sub) at the identity provider; 'none' unlinks")],
) -> None:
    """Say who signs in to the inbox as a member of staff: their identity provider's subject
    (Entra ID: the ID token's `sub` for this application).

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        try:
            row = store.link_subject(staff_id, None if subject.lower() == "none" else subject)
        except ValueError as err:
            fail(str(err), 2)
    typer.echo(f"{row.staff_id}: {'signs in as ' + subject if row.idp_subject else 'cannot sign in to the inbox'}")


@app.command("deactivate")
def staff_deactivate(staff_id: str) -> None:
    """Mark a member of staff (or a case system) inactive: they no longer sign in, act or decide tasks.

    Their inbox sessions end and their tokens are withdrawn at once (reactivating them brings neither back).

    Local: runs against the records database on this machine; not an action on a party."""
    with records() as store:
        if not store.set_staff_active(staff_id, False):
            fail(f"unknown member of staff {staff_id!r}", 2)
    typer.echo(f"{staff_id}: inactive")
