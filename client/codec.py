"""AES-256-GCM payload encryption: what reaches Temporal is ciphertext, whatever it holds.

Each payload is serialised whole (metadata and data), encrypted with the key
ring's active key and a fresh 96-bit nonce, and sent as a new payload whose
metadata names only the encoding and the key id (`encryption-key-id`), so
that any key still in the ring decodes it after a rotation. The namespace is
bound as associated data: a payload copied into another namespace does not
decode. (The codec server learns the namespace from `X-Namespace`, never the
workflow id, so nothing narrower can be bound.)
"""

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from client.keys import KeyRing
from policy.authority import DECRYPTED, UNDECRYPTABLE, UNDECRYPTABLE_REASON

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class PayloadDecryptionError(RuntimeError):
    """An encrypted payload that does not decrypt: altered, from another namespace, or malformed."""


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


class EncryptionCodec(PayloadCodec):
    """Encrypts every payload with the active key; decrypts with the key its metadata names.

    Payloads without the encrypted encoding pass through `decode` unchanged:
    histories written before encryption was turned on must still replay.

    Args:
        key_ring: The keys.
        namespace: The Temporal namespace the payloads belong to (associated data).
    """

    def __init__(self, key_ring: KeyRing, namespace: str) -> None:
        self.key_ring = key_ring
        self.namespace = namespace
        self._associated_data = b"ubp-payload/" + namespace.encode()
        self._ciphers: dict[str, AESGCM] = {}

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.key_ring.key(key_id))
        return cipher

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt the encrypted payloads; the rest pass through.

        Raises:
            UnknownKeyError: A payload names a key this ring lacks (the error names the id).
            PayloadDecryptionError: A payload does not authenticate under its key.
        """
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.key_ring.active_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(key_id).encrypt(nonce, payload.SerializeToString(), self._associated_data)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if not is_encrypted(payload):
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        if not key_id:
            raise PayloadDecryptionError(f"an encrypted payload without its {KEY_ID} metadata")
        cipher = self._cipher(key_id)
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], self._associated_data)
        except InvalidTag:
            raise PayloadDecryptionError(
                f"a payload under key {key_id!r} does not authenticate: altered, or not from namespace "
                f"{self.namespace!r}"
            ) from None
        return Payload.FromString(plain)


class WorkerCodec(EncryptionCodec):
    """The worker's codec. It marks every payload it decrypted (`policy.authority.DECRYPTED`),
    and takes the mark off any that came unencrypted, so the party workflow can refuse a
    message that did not come encrypted, whatever its sender wrote.

    A payload that names a key in the ring but does not authenticate (altered, forged, or
    from another namespace) can never decode: raising would fail the workflow task on every
    retry and wedge the party for good. It comes through as a payload of its own encoding
    (`policy.authority.UNDECRYPTABLE`) saying why, which the party workflow refuses and
    keeps among its rejections; anything else fails to convert it, as before. A payload
    under a key the ring lacks still raises: nothing is lost, and it decodes once the key
    is back (a rotation that reached the senders before the workers).
    """

    def decrypt(self, payload: Payload) -> Payload:
        if not is_encrypted(payload):
            if DECRYPTED not in payload.metadata:
                return payload
            unmarked = Payload()
            unmarked.CopyFrom(payload)
            del unmarked.metadata[DECRYPTED]
            return unmarked
        try:
            plain = super().decrypt(payload)
        except PayloadDecryptionError as err:
            return Payload(metadata={"encoding": UNDECRYPTABLE, UNDECRYPTABLE_REASON: str(err).encode()})
        plain.metadata[DECRYPTED] = b"1"
        return plain
