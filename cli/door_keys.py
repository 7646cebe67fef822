"""`ubp door-keys`: the door's Ed25519 signing keys, and the public keys the workers trust.

Local: works on the key files on this machine; not an action on a party. The
private file belongs on the API's host only; the workers get the public file.
"""

from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail
from client.door import DoorKeyError, DoorKeys
from client.keys import write_key_file
from settings import get_settings

app = typer.Typer(
    help="The door's signing keys (Ed25519): the API seals each message with them, the workers check the seal",
    no_args_is_help=True,
)

KeyFile = Annotated[
    Path | None, typer.Option("--file", help="the door key file; default UBP_DOOR_KEY_FILE (var/door-keys.json)")
]


def _path(file: Path | None) -> Path:
    return file or get_settings().door_key_file


def _read(path: Path) -> DoorKeys:
    try:
        return DoorKeys.from_json(path.read_text(), str(path))
    except FileNotFoundError:
        fail(f"no door keys at {path}: `ubp door-keys generate --file {path}` makes them", 1)
    except DoorKeyError as err:
        fail(str(err), 1)


@app.command("generate")
def generate(file: KeyFile = None) -> None:
    """Make a new door key file holding one new key; refuses to overwrite one.

    The file is readable by its owner only: keep it on the API's host."""
    path = _path(file)
    keys = DoorKeys.generate()
    try:
        write_key_file(path, keys.to_json(), replace=False)
    except FileExistsError:
        fail(f"there are door keys at {path} already: `ubp door-keys rotate` adds one", 2)
    typer.echo(f"{path}: door key {keys.active_id} (seals)")


@app.command("public")
def public(
    file: KeyFile = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the public keys here; default: print them")] = None,
) -> None:
    """The public halves, for the workers (UBP_DOOR_PUBLIC_KEY_FILE).

    With them a worker checks seals; it cannot make one."""
    text = _read(_path(file)).public_json()
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text)
    typer.echo(f"{out}: the public keys the workers trust")


@app.command("list")
def list_keys(file: KeyFile = None) -> None:
    """The door key ids, the one that seals marked."""
    keys = _read(_path(file))
    for key_id in sorted(keys.keys):
        typer.echo(f"{key_id}\t{'seals' if key_id == keys.active_id else 'checked only'}")


@app.command("rotate")
def rotate(file: KeyFile = None) -> None:
    """Add a new door key and make it the one that seals. First give the workers the new public
    keys (`ubp door-keys public`) and restart them, then restart the API: a worker that does not
    trust the new key refuses what it seals. Keep the old public keys while histories holding
    their seals may still be replayed."""
    path = _path(file)
    rotated = _read(path).rotated()
    write_key_file(path, rotated.to_json(), replace=True)
    typer.echo(f"{path}: door key {rotated.active_id} (seals); older keys kept for checking")
