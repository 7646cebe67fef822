"""`ubp letters`: a party's letters (R10), one letter's PDF or HTML, and marking one sent,
through the HTTP API as the signed-in principal (every download is logged there)."""

from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter

from cli.common import TokenFile, api, build, echo_json, fail, segment
from policy.vocabulary import SendingMethod
from records.letters import LetterInfo
from services.letters import LetterSentForm

app = typer.Typer(help="Letters to parties (R10): list, download, mark sent", no_args_is_help=True)

LetterId = Annotated[str, typer.Argument(help="the letter's id, e.g. letter:warning:w-1")]
LETTERS = TypeAdapter(list[LetterInfo])


@app.command("list")
def letters_list(
    party_id: Annotated[str, typer.Argument(help="the case system's party id")], token_file: TokenFile = None
) -> None:
    """The party's letters, oldest first: id, kind, produced, sent (or "not sent") and how, content hash."""
    letters = LETTERS.validate_python(api("GET", f"/parties/{segment(party_id)}/letters", token_file=token_file).json())
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
    token_file: TokenFile = None,
) -> None:
    """Record that the letter was sent; the first time and method stand (a repeat says `duplicate`)."""
    form = build(LetterSentForm, sent_at=at, method=method)
    answer = api(
        "POST",
        f"/letters/{segment(letter_id)}/sent",
        token_file=token_file,
        json=form.model_dump(mode="json", exclude_none=True),
    )
    echo_json(answer)


@app.command("get")
def letters_get(
    letter_id: LetterId,
    out: Annotated[Path, typer.Option("--out", help="the file to write")],
    pdf: Annotated[bool, typer.Option("--pdf/--html", help="the PDF (default) or the HTML")] = True,
    token_file: TokenFile = None,
) -> None:
    """Write the letter's PDF or HTML, exactly as stored (what its content hash covers); the
    download is logged with who signed in."""
    part = "pdf" if pdf else "html"
    content = api("GET", f"/letters/{segment(letter_id)}/{part}", token_file=token_file).content
    try:
        out.write_bytes(content)
    except OSError as err:
        fail(f"cannot write the letter: {err}", 1)
    typer.echo(f"{letter_id}: {out} ({len(content)} bytes)")
