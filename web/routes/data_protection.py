"""Data protection for staff and case systems: a party's subject access export (UK GDPR Art. 15),
corrections and disputes (Art. 16), and the register of markers in force. Each route only
translates HTTP to one service call (services.subject_access, services.corrections,
services.markers), which checks the permission table and logs what it must."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from policy.corrections import AnnexKind, CorrectionForm
from policy.fields import AwareDatetime
from policy.fields import Door as Entrance
from policy.markers import MarkerRow
from policy.refusals import PolicyRefusal
from services.corrections import CorrectionAdded, add_correction
from services.markers import as_csv, marker_register
from services.subject_access import ExportFormat, NoFile, subject_access
from web.deps import Caller, Door, PartyId
from web.downloads import download_response
from web.errors import ERRORS, Problem, Refusal, with_body

router = APIRouter(tags=["data protection"], responses=ERRORS)

NO_FILE: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "the party has no file"}}


@router.get(
    "/parties/{party_id}/subject-access",
    response_class=Response,
    responses={
        200: {"description": "the export: JSON, or one readable document (HTML, tagged PDF) with a cover note"},
        **NO_FILE,
    },
    summary="A party's subject access export (UK GDPR Art. 15)",
)
async def export(
    party_id: PartyId, door: Door, caller: Caller, format: Annotated[ExportFormat, Query()] = ExportFormat.JSON
) -> Response:
    """Everything on the party's file, other people's personal data left out or redacted by rule
    (docs/data-protection.md). Only the roles that handle requests may export (403 otherwise);
    every export is logged on the party's file (who, when, which format, how many of each kind
    of record), never its content."""
    try:
        document = await run_in_threadpool(
            subject_access, door.store, party_id, format, door.settings, caller, Entrance.API
        )
    except NoFile as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from None
    return download_response(document)


async def _annex(party_id: str, kind: AnnexKind, body: CorrectionForm, door: Door, caller: Caller) -> Any:
    try:
        return await run_in_threadpool(
            add_correction, door.store, party_id, kind, body, door.settings, caller, Entrance.API
        )
    except NoFile as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from None
    except PolicyRefusal as err:
        return JSONResponse(Refusal(rule=err.rule, detail=str(err)).model_dump(), status.HTTP_409_CONFLICT)


CORRECTION_ANSWERS: dict[int | str, dict[str, Any]] = {**NO_FILE, **with_body()}


@router.post(
    "/parties/{party_id}/corrections",
    responses=CORRECTION_ANSWERS,
    summary="Correct a record on a party's file (Art. 16); the original is kept",
)
async def correct(party_id: PartyId, body: CorrectionForm, door: Door, caller: Caller) -> CorrectionAdded:
    """A manager or a senior role adds a correction beside a record (`about_kind`, `about_id`);
    the record is kept as it was. It shows on the timeline and in every later export. 409
    (`Art. 16`) if no such record is on the party's file. `correction_id` is the idempotency
    key: sent again, it is recorded once (`duplicate: true`). With `letter: true` it is put on a
    letter to the person (`letter_id`), kept with their letters (`GET /parties/{id}/letters`)
    to send as any other."""
    answer: CorrectionAdded = await _annex(party_id, AnnexKind.CORRECTION, body, door, caller)
    return answer


@router.post(
    "/parties/{party_id}/disputes",
    responses=CORRECTION_ANSWERS,
    summary="Add the person's statement that a record is wrong (Art. 16)",
)
async def dispute(party_id: PartyId, body: CorrectionForm, door: Door, caller: Caller) -> CorrectionAdded:
    """Any colleague adds the person's own statement (`text`, in their words) beside the record
    they dispute; the record is kept as it was. As for a correction otherwise."""
    answer: CorrectionAdded = await _annex(party_id, AnnexKind.DISPUTE, body, door, caller)
    return answer


class RegisterFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


@router.get(
    "/markers",
    response_model=list[MarkerRow],
    responses={200: {"content": {"text/csv": {}}, "description": "the markers in force, as JSON or CSV"}},
    summary="The register of markers: restrictions and stops in force, their approval and review",
)
async def markers(
    door: Door,
    caller: Caller,
    at: Annotated[AwareDatetime | None, Query(description="the instant, ISO 8601 with offset; default now")] = None,
    format: Annotated[RegisterFormat, Query()] = RegisterFormat.JSON,
) -> Any:
    """Every restriction and zero-tolerance stop in force at `at`: grounds, reasons, measures,
    start and end, who approved it (null: none was needed), its review task, due date and state;
    `review_overdue` when a review is still open past its due date. For managers and the senior
    roles (403 otherwise)."""
    rows = await run_in_threadpool(marker_register, door.store, at or datetime.now(UTC), caller)
    if format == RegisterFormat.CSV:
        headers = {"Content-Disposition": 'attachment; filename="markers.csv"', "Cache-Control": "no-store"}
        return Response(as_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
    return rows
