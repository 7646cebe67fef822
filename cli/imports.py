"""`ubp import FILE`: adopt parties, with their history, from another case system."""

from pathlib import Path
from typing import Annotated

import typer

from cli.common import TokenFile, fail, records, run, signed_in
from client.parties import PartyClient
from policy.permissions import Action
from services.imports import ImportReport, LineStatus, import_parties, read_lines

app = typer.Typer()


@app.command("import")
def import_file(
    path: Annotated[
        Path,
        typer.Argument(
            help="JSON Lines: one incident, ask, warning, restriction, approval or "
            "closed_case per line (docs/contract.md, Bulk import)"
        ),
    ],
    report: Annotated[
        Path | None,
        typer.Option(help="where to write the report, one JSON line per input line; default FILE.report.jsonl"),
    ] = None,
    token_file: TokenFile = None,
) -> None:
    """Import parties whole or not at all, with their original dates; safe to run again.

    Each party's lines are replayed through the policy's rules: what expired is
    expired, what is live is live, and its workflow starts if anything is. No
    task or notice is made for what the old case system had already decided.
    Exits 1 if any line was refused (the report says why).

    Signed in with a token (UBP_TOKEN), checked against the records database: a
    manager, or the case system's own account (R3); the import ledger names who.
    """
    try:
        text = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        fail(f"{path}: {err.strerror}", 2)
    grouped, orphans = read_lines(text)
    with records() as store:
        caller = signed_in(store, token_file, Action.IMPORT_PARTIES)
        with typer.progressbar(length=len(grouped), label="importing parties") as bar:

            async def go(parties: PartyClient) -> ImportReport:
                return await import_parties(parties, store, grouped, by=caller.id, on_party=lambda: bar.update(1))

            result = run(go)
    lines = sorted([*orphans, *result.lines], key=lambda r: r.line)
    out = report or path.with_name(path.name + ".report.jsonl")
    out.write_text("".join(r.model_dump_json() + "\n" for r in lines), encoding="utf-8")
    refused = [r for r in lines if r.status == LineStatus.REFUSED]
    typer.echo(
        f"{result.parties_imported} parties imported ({result.workflows_started} workflows started), "
        f"{result.parties_already_imported} already imported, {result.parties_refused} refused; "
        f"{len(refused)} of {len(lines)} lines refused; report: {out}"
    )
    for r in refused[:20]:
        typer.secho(f"  line {r.line} ({r.party_id or 'no party'}): {r.reason}", fg=typer.colors.RED, err=True)
    if refused:
        raise typer.Exit(1)
