"""`ubp letters`: a party's letters (R10), one letter's PDF or HTML, and marking one sent."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.common import build, fail, records
from policy.vocabulary import SendingMethod
from services.letters import (
    LetterNotFound,
    LetterPart,
    LetterRefused,
    LetterSentForm,
    letter_document,
    mark_sent,
    party_letters,
)
from services.staff import StaffCheckFailed, require_active

app = typer.Typer(help="Letters to parties (R10): list, download, mark sent", no_args_is_help=True)

LetterId = Annotated[str, typer.Argument(help="the letter's id, e.g. letter:warning:w-1")]


@app.command("list")
def letters_list(party_id: Annotated[str, typer.Argument(help="the case system's party id")]) -> None:
    """The party's letters, oldest first: id, kind, produced, sent (or "not sent") and how, content hash."""
    with records() as store:
        try:
            letters = party_letters(store, party_id)
        except LetterNotFound as err:
            fail(str(err), 1)
    for letter in letters:
        sent = f"{letter.sent_at.isoformat()}\t{letter.sent_method}" if letter.sent_at else "not sent\t-"
        typer.echo(
            f"{letter.letter_id}\t{letter.kind}\t{letter.produced_at.isoformat()}\t{sent}\t{letter.content_hash}"
        )
    if not letters:
        typer.echo(f"no letters on file for {party_id}")


@app.command("sent")
def letters_sent(
    letter_id: LetterId,
    method: Annotated[SendingMethod, typer.Option("--method", help="how it was sent")],
    at: Annotated[str | None, typer.Option("--at", help="ISO 8601 with offset; default now; not in the future")] = None,
) -> None:
    """Record that the letter was sent; the first time and method stand (a repeat says `duplicate`)."""
    form = build(LetterSentForm, sent_at=at, method=method)
    with records() as store:
        try:
            sent = mark_sent(store, letter_id, form, datetime.now(UTC))
        except LetterNotFound as err:
            fail(str(err), 1)
        except LetterRefused as err:
            fail(str(err), 2)
    typer.echo(sent.model_dump_json(indent=2))


@app.command("get")
def letters_get(
    letter_id: LetterId,
    out: Annotated[Path, typer.Option("--out", help="the file to write")],
    by: Annotated[str, typer.Option("--by", help="your staff id: who read it, kept in the letter's read log")],
    pdf: Annotated[bool, typer.Option("--pdf/--html", help="the PDF (default) or the HTML")] = True,
) -> None:
    """Write the letter's PDF or HTML, exactly as stored (what its content hash covers)."""
    with records() as store:
        try:
            require_active(store, by)
            document = letter_document(store, letter_id, LetterPart.PDF if pdf else LetterPart.HTML, by, "cli")
        except StaffCheckFailed as err:
            fail(str(err), 2)
        except LetterNotFound as err:
            fail(str(err), 1)
    try:
        out.write_bytes(document.content)
    except OSError as err:
        fail(f"cannot write the letter: {err}", 1)
    typer.echo(f"{letter_id}: {out} ({len(document.content)} bytes)")
