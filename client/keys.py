"""The key ring that encrypts payloads: key ids to 256-bit AES keys, and the id new payloads use.

A key ring is JSON, in a file (`ubp keys generate`) or in the environment
(`UBP_ENCRYPTION_KEYS`, the same JSON):

    {"active": "20261124-3f9a1c", "keys": {"20261124-3f9a1c": "<32 bytes, base64>"}}

Rotation adds a key and makes it active; the older keys stay in the ring so
that what they encrypted still decodes. Key material never leaves this
module in printable form: a ring's repr, every error and every log line name
key ids only.
"""

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from settings import Settings

KEY_BYTES = 32  # AES-256
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HOW_TO_MAKE_ONE = (
    "make one with `ubp keys generate --file PATH` and set UBP_ENCRYPTION_KEY_FILE=PATH "
    '(or UBP_ENCRYPTION_KEYS="$(cat PATH)")'
)


class KeyRingError(RuntimeError):
    """The key ring is missing or malformed; the message says what to do and names key ids only.

    A RuntimeError, like every failure the CLI and the dev stack report as a message.
    """


class UnknownKeyError(KeyRingError):
    """A payload names a key that is not in this process's key ring."""

    def __init__(self, key_id: str, ring_ids: list[str]) -> None:
        super().__init__(
            f"the payload was encrypted with key {key_id!r}, which is not in this key ring "
            f"(it holds {', '.join(ring_ids)}); nothing is lost: add key {key_id!r} back to the ring "
            "and restart, and it decodes"
        )
        self.key_id = key_id


@dataclass(frozen=True)
class KeyRing:
    """Key ids to 256-bit keys, and the id that encrypts new payloads.

    Args:
        active_id: The key that encrypts; it must be in `keys`.
        keys: Every key that may still decode something, by id.

    Raises:
        KeyRingError: A bad id, a key that is not 32 bytes, or an active id not in `keys`.
    """

    active_id: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            if not KEY_ID_PATTERN.match(key_id):
                raise KeyRingError(f"key id {key_id!r} must match {KEY_ID_PATTERN.pattern}")
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"key {key_id!r} must be {KEY_BYTES} bytes (AES-256), not {len(key)}")
        if self.active_id not in self.keys:
            raise KeyRingError(f"the active key {self.active_id!r} is not in the ring ({', '.join(self.ids)})")

    def __repr__(self) -> str:
        return f"KeyRing(active_id={self.active_id!r}, ids={self.ids!r})"

    @property
    def ids(self) -> list[str]:
        return sorted(self.keys)

    def key(self, key_id: str) -> bytes:
        """The key named `key_id`.

        Raises:
            UnknownKeyError: It is not in the ring.
        """
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownKeyError(key_id, self.ids) from None

    def rotated(self, now: datetime | None = None) -> "KeyRing":
        """This ring plus a new key, which becomes the active one."""
        key_id = new_key_id(now)
        return KeyRing(key_id, {**self.keys, key_id: secrets.token_bytes(KEY_BYTES)})

    def including(self, other: "KeyRing") -> "KeyRing":
        """This ring, also able to decode what `other`'s keys encrypted; this ring's active key stays.

        Raises:
            KeyRingError: The two rings hold different keys under one id.
        """
        clash = [k for k in self.keys.keys() & other.keys.keys() if self.keys[k] != other.keys[k]]
        if clash:
            raise KeyRingError(f"two different keys share the id(s) {', '.join(sorted(clash))}")
        return KeyRing(self.active_id, {**other.keys, **self.keys})

    def to_json(self) -> str:
        keys = {key_id: base64.b64encode(key).decode() for key_id, key in sorted(self.keys.items())}
        return json.dumps({"active": self.active_id, "keys": keys}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> "KeyRing":
        """Parse a key ring; `source` names where it came from in errors (never the content).

        Raises:
            KeyRingError: It is not a key ring.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise KeyRingError(f"{source} is not JSON; {HOW_TO_MAKE_ONE}") from None
        shaped = isinstance(data, dict) and isinstance(data.get("active"), str) and isinstance(data.get("keys"), dict)
        if not shaped:
            raise KeyRingError(f'{source} must be {{"active": ID, "keys": {{ID: BASE64, ...}}}}; {HOW_TO_MAKE_ONE}')
        keys = {}
        for key_id, encoded in data["keys"].items():
            try:
                keys[key_id] = base64.b64decode(str(encoded), validate=True)
            except (binascii.Error, ValueError):
                raise KeyRingError(f"{source}: key {key_id!r} is not base64") from None
        try:
            return cls(data["active"], keys)
        except KeyRingError as err:
            raise KeyRingError(f"{source}: {err}") from None


def new_key_id(now: datetime | None = None) -> str:
    """A key id that sorts by creation date and does not clash: `20261124-3f9a1c`."""
    return f"{(now or datetime.now(UTC)):%Y%m%d}-{secrets.token_hex(3)}"


def generate(now: datetime | None = None) -> KeyRing:
    """A new ring of one fresh key."""
    key_id = new_key_id(now)
    return KeyRing(key_id, {key_id: secrets.token_bytes(KEY_BYTES)})


def read_key_file(path: Path) -> KeyRing:
    """The key ring in `path`.

    Raises:
        KeyRingError: The file is missing, unreadable or malformed.
    """
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise KeyRingError(f"no key ring at {path}; {HOW_TO_MAKE_ONE}") from None
    except OSError as err:
        raise KeyRingError(f"cannot read the key ring at {path}: {err.strerror}") from None
    return KeyRing.from_json(text, str(path))


def write_key_file(path: Path, text: str, *, replace: bool) -> None:
    """Write a key file (`KeyRing.to_json`, `DoorKeys.to_json`) to `path`, readable by its owner only, all at once.

    Args:
        replace: False: refuse if `path` exists (another process may have just made it).

    Raises:
        FileExistsError: `path` exists and `replace` is False.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w") as out:  # mkstemp made it 0600
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if it exists: never overwrites a ring
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def load_key_ring(settings: Settings) -> KeyRing:
    """The key ring in the settings: `UBP_ENCRYPTION_KEYS`, else the file `UBP_ENCRYPTION_KEY_FILE`.

    Raises:
        KeyRingError: There is none, or it is malformed; the message says how to make one.
    """
    if settings.encryption_keys is not None:
        return KeyRing.from_json(settings.encryption_keys.get_secret_value(), "UBP_ENCRYPTION_KEYS")
    return read_key_file(settings.encryption_key_file)


def dev_key_ring(settings: Settings) -> KeyRing:
    """The key ring in the settings, creating the key file with one new key when there is none.

    Only the dev stack, the tests and the benchmark call this: a production
    process that made up its own key would write payloads nobody else can read.
    """
    if settings.encryption_keys is None and not settings.encryption_key_file.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            write_key_file(settings.encryption_key_file, generate().to_json(), replace=False)
    return load_key_ring(settings)
