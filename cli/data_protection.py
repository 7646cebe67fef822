"""`ubp subject-access`, `ubp correct`, `ubp dispute` and `ubp markers`: data protection (UK GDPR
Art. 15 and 16, the register of markers in force), through the HTTP API as the signed-in principal,
which checks the permission table and logs every export."""

import uuid
from pathlib import Path
from typing import Annotated

import typer

from cli.common import Party, TokenFile, api, build, echo_json, fail, instant, segment
from policy.corrections import CorrectionForm, RecordKind
from services.subject_access import ExportFormat

app = typer.Typer()

AboutKind = Annotated[RecordKind, typer.Option("--about-kind", help="the kind of record it is about")]
AboutId = Annotated[str, typer.Option("--about", help="the record's id (a case reference for a closed case)")]
CorrectionId = Annotated[str | None, typer.Option("--id", help="idempotency key; default a new id")]
OnLetter = Annotated[
    bool, typer.Option("--letter", help="put it on a letter to the person, kept with their letters to send")
]


@app.command("subject-access")
def subject_access(
    party_id: Annotated[str, typer.Argument(help="the case system's party id")],
    out: Annotated[Path, typer.Option("--out", help="the file to write")],
    format: Annotated[ExportFormat, typer.Option("--format", help="pdf or html (one document), or json")] = (
        ExportFormat.PDF
    ),
    token_file: TokenFile = None,
) -> None:
    """Export everything on a party's file for a subject access request (Art. 15); the export is
    logged with who signed in, never its content."""
    params = {"format": format.value}
    content = api("GET", f"/parties/{segment(party_id)}/subject-access", token_file=token_file, params=params).content
    try:
        out.write_bytes(content)
    except OSError as err:
        fail(f"cannot write the export: {err}", 1)
    typer.echo(f"{party_id}: {out} ({len(content)} bytes)")


def _annex(
    path: str, party: str, kind: RecordKind, about: str, text: str, letter: bool, id_: str | None, token: Path | None
) -> None:
    form = build(
        CorrectionForm,
        correction_id=id_ or f"correction-{uuid.uuid4().hex[:12]}",
        about_kind=kind,
        about_id=about,
        text=text,
        letter=letter,
    )
    echo_json(api("POST", f"/parties/{segment(party)}/{path}", token_file=token, json=form.model_dump(mode="json")))


@app.command("correct")
def correct(
    party: Party,
    about_kind: AboutKind,
    about: AboutId,
    text: Annotated[str, typer.Option("--text", help="the correction")],
    letter: OnLetter = False,
    correction_id: CorrectionId = None,
    token_file: TokenFile = None,
) -> None:
    """Correct a record on a party's file (Art. 16): added beside it, the original kept."""
    _annex("corrections", party, about_kind, about, text, letter, correction_id, token_file)


@app.command("dispute")
def dispute(
    party: Party,
    about_kind: AboutKind,
    about: AboutId,
    text: Annotated[str, typer.Option("--text", help="the person's statement, in their words")],
    letter: OnLetter = False,
    correction_id: CorrectionId = None,
    token_file: TokenFile = None,
) -> None:
    """Add the person's statement that a record on their file is wrong (Art. 16), the original kept."""
    _annex("disputes", party, about_kind, about, text, letter, correction_id, token_file)


@app.command("markers")
def markers(
    at: Annotated[str | None, typer.Option("--at", help="ISO 8601 with offset; default now")] = None,
    csv: Annotated[bool, typer.Option("--csv/--json", help="CSV (default) or JSON")] = True,
    token_file: TokenFile = None,
) -> None:
    """The register of markers: every restriction and zero-tolerance stop in force, its grounds,
    approver, review and end; a review open past its due date is flagged (`review_overdue`)."""
    params = {"format": "csv" if csv else "json"}
    if at is not None:
        params["at"] = instant(at, "--at").isoformat()
    answer = api("GET", "/markers", token_file=token_file, params=params)
    if csv:
        typer.echo(answer.text, nl=False)
    else:
        echo_json(answer)
