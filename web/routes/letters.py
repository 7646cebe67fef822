"""R10's letters for case systems: `/parties/{id}/letters`, `/letters/{id}` (and its PDF and
HTML), `/letters/{id}/sent`. The services check who may read and log each read (services.letters)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from policy.fields import Door as Entrance
from policy.permissions import Action
from records.letters import LetterInfo
from services.letters import (
    MEDIA_TYPES,
    LetterPart,
    LetterSent,
    LetterSentForm,
    letter_document,
    letter_info,
    mark_sent,
    party_letters,
)
from web.deps import Caller, Door, PartyId
from web.downloads import download_response
from web.errors import ERRORS, Problem, with_body

router = APIRouter(tags=["letters"], responses=ERRORS)


class _PartConvertor(Convertor[str]):
    """A letter's part in a path: `pdf` or `html` only, so that `/letters/{id}/sent` is never
    taken for a part (a GET there is then 405, as for any method a path does not take)."""

    regex = "|".join(part.value for part in LetterPart)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("letter_part", _PartConvertor())

LetterId = Annotated[str, Path(min_length=1, max_length=400, description="the letter's id, e.g. `letter:warning:w-1`")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "no such letter"}}


@router.get(
    "/parties/{party_id}/letters",
    responses={404: {"model": Problem, "description": "the party has no file"}},
    summary="A party's letters (R10), without their text",
)
async def list_letters(party_id: PartyId, door: Door, caller: Caller) -> list[LetterInfo]:
    """Every letter on the party's file, in the order they were made: its id, kind, the
    decision it explains (`subject_id`, `decided_at`), when it was produced, its content
    hash, and when and how it was sent (null until the case system says so). Each read is
    logged on the party's file: who, when, through which door."""
    return await run_in_threadpool(party_letters, door.store, party_id, caller, Entrance.API)


@router.get("/letters/{letter_id}", responses=NOT_FOUND, summary="One letter's metadata (R10)")
async def get_letter(letter_id: LetterId, door: Door, caller: Caller) -> LetterInfo:
    """Each read is logged on the party's file: who, when, through which door."""
    return await run_in_threadpool(letter_info, door.store, letter_id, caller, Entrance.API)


@router.post(
    "/letters/{letter_id}/sent",
    responses={**NOT_FOUND, **with_body("`sent_at` is not before the letter was produced")},
    summary="Record that a letter was sent (R10)",
)
async def letter_sent(letter_id: LetterId, body: LetterSentForm, door: Door, caller: Caller) -> LetterSent:
    """When (`sent_at`, default now; not in the future) and how (`method`) the case system
    sent the letter. The first call stands: a repeat changes nothing and answers the first
    time and method with `duplicate: true`, so a lost answer may be retried."""
    await door.authorise(caller, Action.MARK_LETTER_SENT)
    return await run_in_threadpool(mark_sent, door.store, letter_id, body, datetime.now(UTC))


@router.get(
    "/letters/{letter_id}/{part:letter_part}",
    response_class=Response,
    responses={
        200: {
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()},
            "description": "the letter as stored, with a Content-Disposition file name",
        },
        **NOT_FOUND,
    },
    summary="A letter's PDF or HTML, as stored",
)
async def get_letter_file(letter_id: LetterId, part: LetterPart, door: Door, caller: Caller) -> Response:
    """`pdf` or `html`: the bytes its `content_hash` covers. Each download is logged before
    it is served: who, when, which part, through which door."""
    document = await run_in_threadpool(letter_document, door.store, letter_id, part, caller, Entrance.API)
    return download_response(document)
