"""Data protection in the inbox: a party's subject access export (UK GDPR Art. 15) to check and
download, a correction or the person's dispute of a record on their file (Art. 16), and the
register of markers in force (restrictions and stops, their approval and review), for staff
whose role may (policy.permissions). Each page calls one service, which checks the permission
table and logs what it must."""

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from policy.corrections import AnnexKind, CorrectionForm, RecordKind
from policy.dates import local_date
from policy.fields import Door as Entrance
from policy.permissions import NotPermitted
from policy.refusals import PolicyRefusal
from records.tables import StaffRow, WebSessionRow
from services.acting import Principal
from services.corrections import add_correction
from services.markers import as_csv, marker_register
from services.subject_access import ExportFormat, NoFile, subject_access, subject_access_summary
from web.deps import Door
from web.downloads import download_response
from web.inbox.problems import Problem, shown
from web.inbox.routes import _plain, _redirect, _render, _SignInNeeded, _staff, form_key, signed_form

router = APIRouter(prefix="/inbox", include_in_schema=False)


@router.get("/parties/{party_id}/subject-access", response_class=HTMLResponse)
async def subject_access_page(request: Request, party_id: str, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    page: dict[str, Any] = {"staff": staff, "form_key": form_key(session), "heading": "Subject access"}
    try:
        export = await run_in_threadpool(
            subject_access_summary, door.store, party_id, door.settings, Principal.of(staff), Entrance.INBOX
        )
    except NotPermitted as refused:
        return _render(request, door, "message.html", status.HTTP_403_FORBIDDEN, message=str(refused), **page)
    except NoFile as err:
        return _render(request, door, "message.html", status.HTTP_404_NOT_FOUND, message=str(err), **page)
    return _render(request, door, "subject_access.html", export=export, formats=list(ExportFormat), **page)


@router.get("/parties/{party_id}/subject-access.{fmt}")
async def subject_access_download(request: Request, party_id: str, fmt: str, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    page: dict[str, Any] = {"staff": staff, "form_key": form_key(session), "heading": "Subject access"}
    if fmt not in ExportFormat.__members__.values():
        message = f"An export is .pdf, .html or .json, not .{fmt}."
        return _render(request, door, "message.html", status.HTTP_404_NOT_FOUND, message=message, **page)
    try:
        document = await run_in_threadpool(
            subject_access,
            door.store,
            party_id,
            ExportFormat(fmt),
            door.settings,
            Principal.of(staff),
            Entrance.INBOX,
        )
    except NotPermitted as refused:
        return _render(request, door, "message.html", status.HTTP_403_FORBIDDEN, message=str(refused), **page)
    except NoFile as err:
        return _render(request, door, "message.html", status.HTTP_404_NOT_FOUND, message=str(err), **page)
    return download_response(document)


def _corrections_page(
    request: Request,
    door: Door,
    staff: StaffRow,
    session: WebSessionRow,
    party_id: str,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> Response:
    form = values or {"correction_id": f"correction-{uuid.uuid4().hex[:12]}", "kind": "", "about_kind": ""}
    return _render(
        request,
        door,
        "corrections.html",
        code,
        staff=staff,
        form_key=form_key(session),
        party_id=party_id,
        values=form,
        record_kinds=list(RecordKind),
        **shown([Problem(error)] if error else []),
    )


@router.get("/parties/{party_id}/corrections", response_class=HTMLResponse)
async def corrections_page(request: Request, party_id: str, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    return _corrections_page(request, door, staff, session, party_id)


@router.post("/parties/{party_id}/corrections")
async def post_correction(request: Request, party_id: str, door: Door) -> Response:
    posted = await signed_form(request, door)
    if isinstance(posted, Response):
        return posted
    staff, session, form = posted
    values = {name: str(form.get(name) or "") for name in ("correction_id", "kind", "about_kind", "about_id", "text")}
    values["letter"] = "yes" if form.get("letter") else ""

    def again(error: str, code: int) -> Response:
        return _corrections_page(request, door, staff, session, party_id, values, error, code)

    if values["kind"] not in AnnexKind.__members__.values():
        return again("Choose whether it is a correction or the person's statement.", 422)
    try:
        correction = CorrectionForm.model_validate({k: v for k, v in values.items() if k != "kind"} | {
            "letter": bool(values["letter"])})  # fmt: skip
    except ValidationError as err:
        return again(_plain(err), status.HTTP_422_UNPROCESSABLE_CONTENT)
    try:
        added = await run_in_threadpool(
            add_correction,
            door.store,
            party_id,
            AnnexKind(values["kind"]),
            correction,
            door.settings,
            Principal.of(staff),
            Entrance.INBOX,
        )
    except NotPermitted as refused:
        return again(str(refused), status.HTTP_403_FORBIDDEN)
    except NoFile as err:
        return again(str(err), status.HTTP_404_NOT_FOUND)
    except PolicyRefusal as err:
        return again(str(err), status.HTTP_409_CONFLICT)
    what = "correction" if added.kind == AnnexKind.CORRECTION else "the person's statement"
    done = "was already on file" if added.duplicate else "is on the party's file"
    letter = f", and on letter {added.letter_id}" if added.letter_id else ""
    return _redirect(f"/inbox/parties/{party_id}", flash=f"The {what} about {added.about_id} {done}{letter}.")


def _instant(door: Door, day: str) -> tuple[datetime, str]:
    """The instant the register is for: the end of the local day given (YYYY-MM-DD), else now."""
    now = datetime.now(UTC)
    try:
        chosen = datetime.strptime(day, "%Y-%m-%d").date()
    except ValueError:
        return now, local_date(now, door.settings.timezone).isoformat()
    end = datetime.combine(chosen + timedelta(days=1), time(), ZoneInfo(door.settings.timezone))
    return (end - timedelta(seconds=1)).astimezone(UTC), chosen.isoformat()


async def _register(request: Request, door: Door, day: str, csv: bool) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    page: dict[str, Any] = {"staff": staff, "form_key": form_key(session), "heading": "Register of markers"}
    at, shown = _instant(door, day)
    try:
        rows = await run_in_threadpool(marker_register, door.store, at, Principal.of(staff))
    except NotPermitted as refused:
        return _render(request, door, "message.html", status.HTTP_403_FORBIDDEN, message=str(refused), **page)
    if csv:
        headers = {"Content-Disposition": f'attachment; filename="markers-{shown}.csv"', "Cache-Control": "no-store"}
        return Response(as_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
    return _render(request, door, "markers.html", rows=rows, at=at, day=shown, **page)


@router.get("/markers", response_class=HTMLResponse)
async def markers_page(request: Request, door: Door, date: str = "") -> Response:
    return await _register(request, door, date, csv=False)


@router.get("/markers.csv")
async def markers_csv(request: Request, door: Door, date: str = "") -> Response:
    return await _register(request, door, date, csv=True)
