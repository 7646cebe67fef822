"""A document a door hands over to be saved: a letter, or a subject access export."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Download:
    """A document's bytes, with its type and the file name to save it under."""

    filename: str
    media_type: str
    content: bytes
