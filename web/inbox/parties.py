"""Parties: find one by id, list those with something in force or coming due, and a party's
page, whose banner says what is in force and until when, with what the signed-in person may do.

The list reads the records database only (records.party_list), a page at a time; the party's
page asks its workflow for the status, as every door reads it (services.contacts.party_status:
allowed by the permission table, need to know applied, the read logged).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from policy.fields import Door as Entrance
from policy.permissions import Action, NotPermitted, may
from policy.replies import PartyStatus
from policy.vocabulary import Measure, RestrictionGrounds, RestrictionStatus, Role, Stage, WarningStatus, in_words
from records.party_list import WARNING_LAPSING_SOON, PartyFilter
from records.tables import StaffRow
from services.acting import Principal, permit
from services.contacts import party_status
from web.deps import Door, FrontDoor
from web.inbox.acting import party_actions
from web.inbox.problems import Problem, shown
from web.inbox.routes import _render, _SignInNeeded, _staff, form_key

router = APIRouter(prefix="/inbox", include_in_schema=False)

PARTIES_PER_PAGE = 50
# The list's yes-or-no filters: the query's name, and what its checkbox says.
FLAGS = {
    "restricted": "A restriction in force",
    "zero_tolerance": "Direct contact stopped (zero tolerance, R15)",
    "review_due": "A review open before a restriction ends",
    "warning_lapsing": f"A warning lapsing within {WARNING_LAPSING_SOON.days} days",
}
STAGES = {stage.value: in_words(stage.value).capitalize() for stage in Stage}


@dataclass(frozen=True)
class InForce:
    """One thing in force on a party, as its page's banner says it."""

    what: str
    until: datetime | None
    rule: str


def in_force(found: PartyStatus, now: datetime) -> list[InForce]:
    """What is in force on the party now, and until when: the stop of direct contact (R15),
    restrictions (R6-R12), live warnings (R5) and standing ground rules (R4a)."""
    lines = []
    for r in found.restrictions:
        if r.status != RestrictionStatus.IN_FORCE or not r.in_force_at(now):
            continue
        if r.grounds == RestrictionGrounds.ZERO_TOLERANCE or Measure.STOP_DIRECT_CONTACT in r.measures:
            lines.append(InForce("Direct contact is stopped (zero tolerance)", r.ends_at, "R15"))
        else:
            measures = ", ".join(in_words(m.value) for m in r.measures)
            lines.append(InForce(f"A restriction: {measures}", r.ends_at, "R8-R12"))
    lines += [InForce("A warning", w.expires_at, "R5") for w in found.warnings if w.status == WarningStatus.LIVE]
    for call in found.ended_calls:
        rules = call.standing()
        if rules is not None:
            lines.append(InForce(f"Ground rules for calls and meetings: {rules.text}", rules.until, "R4a"))
    return lines


def _contact_screen(staff: StaffRow, party_id: str) -> list[tuple[str, str]]:
    """The contact screen for this party, for those who take contacts (R8)."""
    if not may({Role(r) for r in staff.roles}, Action.ASK_CONTACT_GATE):
        return []
    return [(f"/inbox/contact?{urlencode({'party_id': party_id})}", "A contact from this party: what do I do?")]


def _not_permitted(request: Request, door: FrontDoor, err: NotPermitted, context: dict[str, Any]) -> Response:
    """The permission table refused the page (403), saying which rule and who may."""
    return _render(
        request, door, "message.html", status.HTTP_403_FORBIDDEN, heading="Not permitted", message=str(err), **context
    )


@router.get("/parties", response_class=HTMLResponse)
async def party_list(request: Request, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    context: dict[str, Any] = {"staff": staff, "form_key": form_key(session)}
    try:
        # Who may list parties: those who may read a party's status (R3).
        permit(Principal.of(staff), Action.READ_STATUS)
    except NotPermitted as err:
        return _not_permitted(request, door, err, context)
    given = request.query_params
    problems = []
    stage = given.get("stage", "")
    if stage and stage not in STAGES:
        problems.append(Problem("Choose a stage from the list", "stage"))
        stage = ""
    search = given.get("q", "").strip()
    if len(search) > 200:
        problems.append(Problem("Enter a party id of 200 characters or fewer", "q"))
        search = ""
    page = given.get("page", "1")
    number = int(page) if page.isdigit() and int(page) > 0 else 1
    flags = {name: given.get(name) == "yes" for name in FLAGS}
    where = PartyFilter(now=datetime.now(UTC), id_starts=search or None, stage=Stage(stage) if stage else None, **flags)
    found = await run_in_threadpool(
        door.store.party_page, where, limit=PARTIES_PER_PAGE, offset=(number - 1) * PARTIES_PER_PAGE
    )
    kept = {"q": search, "stage": stage, **{k: "yes" for k, v in flags.items() if v}}

    def query(n: int) -> str:
        return urlencode({**{k: v for k, v in kept.items() if v}, **({"page": n} if n > 1 else {})})

    return _render(
        request,
        door,
        "parties.html",
        status.HTTP_422_UNPROCESSABLE_CONTENT if problems else status.HTTP_200_OK,
        parties=found.parties,
        total=found.total,
        pages=-(-found.total // PARTIES_PER_PAGE),
        page=number,
        page_href=lambda n: f"/inbox/parties?{query(n)}",
        search=search,
        stage=stage,
        flags=flags,
        flag_labels=FLAGS,
        stages=STAGES,
        **shown(problems),
        **context,
    )


@router.get("/parties/{party_id}/overview", response_class=HTMLResponse)
async def party_page(request: Request, party_id: str, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    context: dict[str, Any] = {"staff": staff, "form_key": form_key(session)}
    if await run_in_threadpool(door.store.party, party_id) is None:
        message = f"No party {party_id} is on file. Check the id, or find the party in the list."
        return _render(request, door, "message.html", status.HTTP_404_NOT_FOUND, message=message, **context)
    try:
        found = await party_status(door.parties, door.store, party_id, Principal.of(staff), Entrance.INBOX)
    except NotPermitted as err:
        return _not_permitted(request, door, err, context)
    except (RPCError, WorkflowQueryFailedError) as err:
        message = f"Party {party_id}'s status cannot be read just now ({getattr(err, 'message', err)}). Try again."
        return _render(request, door, "message.html", status.HTTP_503_SERVICE_UNAVAILABLE, message=message, **context)
    now = datetime.now(UTC)
    return _render(
        request,
        door,
        "party.html",
        party_id=party_id,
        found=found,
        in_force=in_force(found, now),
        actions=[*_contact_screen(staff, party_id), *party_actions(staff, party_id)],
        **context,
    )
