"""R10's letters for every door (the HTTP API, the inbox, `ubp letters`): a party's
letters, one letter's metadata or its stored HTML or PDF, and the case system's
word that it sent one.

Letters are made by the workflow's `make_letter` activity; here they are only
read, and marked sent once: the first time and method given stand, and a
repeat answers them again (`duplicate`), so a case system may retry freely.

Every read is checked against the permission table (READ_LETTERS) and logged
before it is answered: a list or a letter's metadata in the party's `file_read`
log, a download in the letter's own `letter_read` log. Never the content.
"""

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from policy.fields import AwareDatetime, Door
from policy.permissions import Action
from policy.vocabulary import SendingMethod
from records.letters import LetterInfo
from records.store import RecordStore
from services.acting import Principal, permit
from services.downloads import Download
from services.file_reads import log_read

# A case system's clock a little ahead of ours is not a letter sent in the future.
CLOCK_SKEW = timedelta(minutes=1)


class LetterSentForm(BaseModel):
    """The case system's word that it sent a letter."""

    model_config = ConfigDict(extra="forbid")

    sent_at: AwareDatetime | None = Field(
        default=None, description="when it was sent, ISO 8601 with offset; default now; not in the future"
    )
    method: SendingMethod

    @field_validator("sent_at")
    @classmethod
    def _not_in_the_future(cls, sent_at: datetime | None) -> datetime | None:
        if sent_at is not None and sent_at > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError(f"must not be in the future ({sent_at.isoformat()} is later than now)")
        return sent_at


class LetterSent(LetterInfo):
    """The letter as marked sent."""

    duplicate: bool = Field(description="true: it was marked sent before; the first time and method stand")


class LetterPart(StrEnum):
    PDF = "pdf"
    HTML = "html"


MEDIA_TYPES = {LetterPart.PDF: "application/pdf", LetterPart.HTML: "text/html; charset=utf-8"}


class LetterNotFound(Exception):
    """No letter (or no party) with that id is on file."""


class LetterRefused(Exception):
    """The letter cannot have been sent then: before it was made."""


def party_letters(store: RecordStore, party_id: str, reader: Principal, door: Door) -> list[LetterInfo]:
    """A party's letters without their text, in the order they were made; the read logged first.

    Raises:
        NotPermitted: `reader` may not read letters (R10).
        LetterNotFound: If the party has no file.
    """
    permit(reader, Action.READ_LETTERS)
    if store.party(party_id) is None:
        raise LetterNotFound(f"no party {party_id!r} is on file")
    letters = store.letter_infos(party_id)
    log_read(store, reader, party_id, "letters", door)
    return letters


def letter_info(store: RecordStore, letter_id: str, reader: Principal, door: Door) -> LetterInfo:
    """One letter's metadata; the read logged first.

    Raises:
        NotPermitted: `reader` may not read letters (R10).
        LetterNotFound: If no letter has the id.
    """
    permit(reader, Action.READ_LETTERS)
    info = _info(store, letter_id)
    log_read(store, reader, info.party_id, f"letter {letter_id}", door)
    return info


def _info(store: RecordStore, letter_id: str) -> LetterInfo:
    info = store.letter_info(letter_id)
    if info is None:
        raise LetterNotFound(f"no letter {letter_id!r} is on file")
    return info


def letter_document(store: RecordStore, letter_id: str, part: LetterPart, reader: Principal, door: Door) -> Download:
    """The letter's HTML or PDF exactly as stored (what its content hash covers),
    its download logged first (`letter_read`): who, when, which part, which door.

    Raises:
        NotPermitted: `reader` may not read letters (R10).
        LetterNotFound: If no letter has the id.
    """
    permit(reader, Action.READ_LETTERS)
    row = store.letter(letter_id)
    if row is None:
        raise LetterNotFound(f"no letter {letter_id!r} is on file")
    store.record_letter_read(row, reader.id, part.value, door.value, datetime.now(UTC))
    content = row.pdf if part == LetterPart.PDF else row.html.encode("utf-8")
    return Download(filename=letter_filename(letter_id, part), media_type=MEDIA_TYPES[part], content=content)


def letter_filename(letter_id: str, part: LetterPart) -> str:
    """A file name from the letter's id, safe on any system: `letter:warning:w1` -> `letter-warning-w1.pdf`."""
    return f"{re.sub(r'[^A-Za-z0-9_-]+', '-', letter_id).strip('-')}.{part.value}"


def mark_sent(store: RecordStore, letter_id: str, form: LetterSentForm, now: datetime) -> LetterSent:
    """Record that the case system sent the letter; the first time and method stand.

    Args:
        store: The records database.
        letter_id: The letter.
        form: When (default `now`) and how it was sent.
        now: The current instant.

    Returns:
        The letter as marked, `duplicate` true if it had been marked before.

    Raises:
        LetterNotFound: If no letter has the id.
        LetterRefused: If it would be marked sent before it was produced.
    """
    before = _info(store, letter_id)
    at = form.sent_at or now
    if before.sent_at is None and at < before.produced_at:
        raise LetterRefused(
            f"sent_at {at.isoformat()} is before the letter was produced ({before.produced_at.isoformat()})"
        )
    marked = store.mark_letter_sent(letter_id, at, form.method)
    return LetterSent(**_info(store, letter_id).model_dump(), duplicate=not marked)
