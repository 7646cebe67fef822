"""`ubp keys`: the key ring that encrypts payloads in Temporal. Shows key ids, never keys."""

from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail
from client.keys import KeyRing, KeyRingError, generate, load_key_ring, read_key_file, write_key_file
from settings import get_settings

app = typer.Typer(
    help="The key ring that encrypts payloads in Temporal (AES-256-GCM): ids only are ever shown",
    no_args_is_help=True,
)

KeyFile = Annotated[
    Path | None,
    typer.Option("--file", help="the key ring file; default UBP_ENCRYPTION_KEY_FILE (var/encryption-keys.json)"),
]


def _path(file: Path | None) -> Path:
    return file or get_settings().encryption_key_file


@app.command("generate")
def keys_generate(file: KeyFile = None) -> None:
    """Make a new key ring file holding one new key (readable by its owner only); refuses to overwrite one.

    Local: works on the key files on this machine; not an action on a party."""
    path = _path(file)
    ring = generate()
    try:
        write_key_file(path, ring.to_json(), replace=False)
    except FileExistsError:
        fail(f"there is a key ring at {path} already: `ubp keys rotate` adds a key to it", 2)
    typer.echo(f"{path}: key {ring.active_id} (active)")


@app.command("list")
def keys_list(file: KeyFile = None) -> None:
    """The key ids in the ring (--file, else the one configured), the active one marked.

    Local: works on the key files on this machine; not an action on a party."""
    try:
        ring = read_key_file(file) if file else load_key_ring(get_settings())
    except KeyRingError as err:
        fail(str(err), 1)
    for key_id in ring.ids:
        typer.echo(f"{key_id}\t{'active' if key_id == ring.active_id else 'decrypts only'}")


@app.command("rotate")
def keys_rotate(file: KeyFile = None) -> None:
    """Add a new key to the ring file and make it the active one; the older keys stay, to decrypt
    what they encrypted. Restart the workers and the API afterwards, so they encrypt with it.

    Local: works on the key files on this machine; not an action on a party."""
    if file is None and get_settings().encryption_keys is not None:
        fail(
            "the key ring comes from UBP_ENCRYPTION_KEYS: rotate the file it was made from "
            "(`ubp keys rotate --file PATH`) and set the variable from it again",
            2,
        )
    path = _path(file)
    try:
        ring: KeyRing = read_key_file(path)
    except KeyRingError as err:
        fail(str(err), 1)
    rotated = ring.rotated()
    write_key_file(path, rotated.to_json(), replace=True)
    older = ", ".join(k for k in rotated.ids if k != rotated.active_id)
    typer.echo(f"{path}: key {rotated.active_id} (active); older keys kept to decrypt: {older}")
