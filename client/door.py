"""The door's signing keys: sealing a message with who acted (policy.authority), and the
public keys the workers trust.

A door key file is JSON, readable by its owner only (`ubp door-keys generate`):

    {"active": "20261206-3f9a1c", "keys": {"20261206-3f9a1c": {"private": "<32 bytes, base64>"}}}

and the public half, for the workers (`ubp door-keys public`):

    {"keys": {"20261206-3f9a1c": {"public": "<32 bytes, base64>"}}}

Only the API (and local tools on its machine: the demo data, the benchmark)
holds the private keys; the workers hold the public ones. Rotating adds a key
and makes it active; workers must trust the new public key before the door
seals with it, and keep trusting the old ones while histories that hold their
seals may still be replayed.
"""

import base64
import binascii
import contextlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from pydantic import BaseModel

from client.keys import KEY_ID_PATTERN, new_key_id, write_key_file
from policy.authority import DoorVerifier, actor_of, signed_bytes
from policy.fields import Authority, Door
from policy.vocabulary import Role
from settings import Settings

M = TypeVar("M", bound=BaseModel)
HOW_TO_MAKE_ONE = "make one with `ubp door-keys generate --file PATH` and set UBP_DOOR_KEY_FILE=PATH"


class DoorKeyError(RuntimeError):
    """The door's keys are missing or malformed; the message says what to do and names key ids only."""


@dataclass(frozen=True)
class Acting:
    """Who acts, as the services layer found them: only `services.acting` makes one for a request.

    Args:
        actor: The member of staff who acts, or the case system acting for itself.
        role: The role they act in (the permission table's).
        via: The case system that carries it for `actor`, if one does.
        door: Where the principal was authenticated.
    """

    actor: str
    role: Role
    door: Door
    via: str | None = None


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class DoorKeys:
    """The door's Ed25519 private keys by id, and the one that seals."""

    active_id: str
    keys: dict[str, Ed25519PrivateKey] = field(repr=False)

    def __post_init__(self) -> None:
        for key_id in self.keys:
            if not KEY_ID_PATTERN.match(key_id):
                raise DoorKeyError(f"door key id {key_id!r} must match {KEY_ID_PATTERN.pattern}")
        if self.active_id not in self.keys:
            raise DoorKeyError(f"the active door key {self.active_id!r} is not among {sorted(self.keys)}")

    @classmethod
    def generate(cls, now: datetime | None = None) -> "DoorKeys":
        key_id = new_key_id(now)
        return cls(key_id, {key_id: Ed25519PrivateKey.generate()})

    def rotated(self, now: datetime | None = None) -> "DoorKeys":
        key_id = new_key_id(now)
        return DoorKeys(key_id, {**self.keys, key_id: Ed25519PrivateKey.generate()})

    def public_keys(self) -> dict[str, bytes]:
        return {key_id: _raw_public(key) for key_id, key in self.keys.items()}

    def verifier(self) -> DoorVerifier:
        return DoorVerifier(self.public_keys())

    def to_json(self) -> str:
        keys = {k: {"private": base64.b64encode(_raw_private(v)).decode()} for k, v in sorted(self.keys.items())}
        return json.dumps({"active": self.active_id, "keys": keys}, indent=2) + "\n"

    def public_json(self) -> str:
        keys = {k: {"public": base64.b64encode(v).decode()} for k, v in sorted(self.public_keys().items())}
        return json.dumps({"keys": keys}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> "DoorKeys":
        """Parse a door key file; `source` names it in errors (never the content).

        Raises:
            DoorKeyError: It is not one.
        """
        entries = _entries(text, source, "private")
        try:
            active = json.loads(text)["active"]
        except (KeyError, TypeError):
            raise DoorKeyError(f'{source} has no "active" key id; {HOW_TO_MAKE_ONE}') from None
        try:
            return cls(str(active), {k: Ed25519PrivateKey.from_private_bytes(v) for k, v in entries.items()})
        except ValueError:
            raise DoorKeyError(f"{source}: a private key is not 32 bytes of Ed25519") from None

    def seal(self, handler: str, message: M, acting: Acting, now: datetime | None = None) -> M:
        """`message` with the door's seal: who acted, the role, the door, the carrying system.

        Raises:
            ValueError: The message names someone other than `acting.actor` as acting:
                the services layer fills it from the principal, so this is a bug.
        """
        unsigned = Authority(
            actor=acting.actor,
            role=acting.role,
            via=acting.via,
            door=acting.door,
            sealed_at=now or datetime.now(UTC),
            key_id=self.active_id,
            signature="-",
        )
        if actor_of(message) != acting.actor:
            raise ValueError(f"the message names {actor_of(message)!r} as acting, not {acting.actor!r}")
        signature = self.keys[self.active_id].sign(signed_bytes(handler, message, unsigned))
        authority = unsigned.model_copy(update={"signature": base64.b64encode(signature).decode()})
        return message.model_copy(update={"authority": authority})


def _entries(text: str, source: str, part: str) -> dict[str, bytes]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise DoorKeyError(f"{source} is not JSON; {HOW_TO_MAKE_ONE}") from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, dict) or not keys:
        raise DoorKeyError(f'{source} must be {{"keys": {{ID: {{"{part}": BASE64}}}}}}; {HOW_TO_MAKE_ONE}')
    found = {}
    for key_id, entry in keys.items():
        try:
            found[key_id] = base64.b64decode(str(entry[part]), validate=True)
        except (KeyError, TypeError, binascii.Error, ValueError):
            raise DoorKeyError(f"{source}: door key {key_id!r} has no base64 {part!r} part") from None
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise DoorKeyError(f"no door keys at {path}; {HOW_TO_MAKE_ONE}") from None
    except OSError as err:
        raise DoorKeyError(f"cannot read the door keys at {path}: {err.strerror}") from None


def load_door_keys(settings: Settings) -> DoorKeys:
    """The door's signing keys (`UBP_DOOR_KEY_FILE`).

    Raises:
        DoorKeyError: There are none, or they are malformed.
    """
    return DoorKeys.from_json(_read(settings.door_key_file), str(settings.door_key_file))


def dev_door_keys(settings: Settings) -> DoorKeys:
    """The door keys in the settings, making the file when there is none: the dev stack,
    the tests and the benchmark only (a production door that made up its own key would
    seal messages no worker trusts)."""
    if not settings.door_key_file.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            write_key_file(settings.door_key_file, DoorKeys.generate().to_json(), replace=False)
    return load_door_keys(settings)


def load_verifier(settings: Settings) -> DoorVerifier:
    """The public keys a worker trusts: `UBP_DOOR_PUBLIC_KEY_FILE`, else the public halves of
    `UBP_DOOR_KEY_FILE`.

    Raises:
        DoorKeyError: Neither is there, or it is malformed.
    """
    if settings.door_public_key_file is not None:
        path = settings.door_public_key_file
        return DoorVerifier(_entries(_read(path), str(path), "public"))
    return load_door_keys(settings).verifier()
