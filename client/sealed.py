"""Secrets kept in the records database sealed under the key ring (AES-256-GCM, as the codec):
a copy of the database alone does not give them away. Used for webhook signing secrets,
which must be read back whole to sign (a hash would not do)."""

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from client.codec import NONCE_BYTES
from client.keys import KeyRing


def seal(key_ring: KeyRing, secret: str, bound_to: str) -> tuple[str, bytes]:
    """`secret` encrypted with the ring's active key, bound to `bound_to` (the row's id: a sealed
    secret copied to another row does not open). Returns the key's id and the nonce and ciphertext."""
    nonce = os.urandom(NONCE_BYTES)
    key_id = key_ring.active_id
    return key_id, nonce + AESGCM(key_ring.key(key_id)).encrypt(nonce, secret.encode(), bound_to.encode())


def unseal(key_ring: KeyRing, key_id: str, sealed: bytes, bound_to: str) -> str:
    """The secret `seal` sealed.

    Raises:
        UnknownKeyError: The key that sealed it is no longer in the ring.
        cryptography.exceptions.InvalidTag: It was altered, or sealed for another row.
    """
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    return AESGCM(key_ring.key(key_id)).decrypt(nonce, ciphertext, bound_to.encode()).decode()
