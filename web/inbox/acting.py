"""The colleagues' forms: report an incident, record an ask, give a warning, propose a
restriction with its measures, request an adjustment, seek advice on it and decide it, close
a case (R17); and "Act on a party", where a member of staff picks the party and what to do.

Each form is the API's message filled in by a person: it is validated by the same model
(policy.messages), its actor is the signed-in person as `services.acting.authorise` finds
them (never a form field), and it goes through the same services (services.party_acts) as
the API's routes. A form is offered only to the roles the permission table lets take its
action; one opened anyway, or posted, is refused, saying which rule refused it and why.
"""

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from client.door import Acting
from policy.fields import PARTY_ID_PATTERN
from policy.fields import Door as Entrance
from policy.measures import PARAMETERS
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    CaseClosure,
    IncidentReport,
    RestrictionRequest,
    WarningIssue,
)
from policy.permissions import PERMISSIONS, Action, NotPermitted, may
from policy.replies import PartyStatus
from policy.vocabulary import (
    BEHAVIOUR_CODES,
    BLOCKABLE_CHANNELS,
    Advice,
    Category,
    ContactChannel,
    ContactPeriod,
    LetterFormat,
    Measure,
    PartyKind,
    Role,
    WarningMethod,
    Weekday,
    in_words,
)
from records.tables import StaffRow, WebSessionRow
from services import party_acts
from services.acting import Principal, UnknownStaff, permit
from services.message_ids import IdOfAnotherParty
from web.deps import Door, FrontDoor, PartyId
from web.inbox.problems import Problem, from_validation, shown
from web.inbox.routes import _party_status, _redirect, _render, _SignInNeeded, _staff, form_key, signed_form

router = APIRouter(prefix="/inbox", include_in_schema=False)


@dataclass(frozen=True)
class Act:
    """One of the colleagues' forms on a party.

    Args:
        slug: Its path under the party: /inbox/parties/{party_id}/{slug}.
        action: The permission table's row that allows it.
        title: What it does, as its heading and its link say.
        template: Its page.
        questions: A field to what the form says when it is missing or wrong.
        ids: A field to the input the error summary links to, where its id is not its name.
        needs_incidents: It names incidents on the party's file (an ask, a warning, a restriction).
    """

    slug: str
    action: Action
    title: str
    template: str
    questions: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    needs_incidents: bool = False


_WHEN = "Enter the date and time, for example 7 December 2026, 14:30"
ACTS: dict[str, Act] = {
    act.slug: act
    for act in (
        Act(
            "incident",
            Action.REPORT_INCIDENT,
            "Report an incident",
            "act_incident.html",
            {
                "category": "Choose the kind of behaviour",
                "behaviour_code": "Choose what happened",
                "occurred_at": _WHEN.replace("Enter", "Enter when it happened:"),
            },
        ),
        Act(
            "ask",
            Action.RECORD_ASK,
            "Record an ask to stop",
            "act_ask.html",
            {
                "incident_ids": "Choose at least one incident",
                "asked_at": _WHEN.replace("Enter", "Enter when you asked:"),
            },
            needs_incidents=True,
        ),
        Act(
            "warning",
            Action.ISSUE_WARNING,
            "Give a warning",
            "act_warning.html",
            {
                "incident_ids": "Choose at least one incident",
                "communicated_at": _WHEN.replace("Enter", "Enter when the warning was given:"),
                "reasons": "Enter the reasons for the warning: they go in its letter (R10)",
            },
            needs_incidents=True,
        ),
        Act(
            "restriction",
            Action.PROPOSE_RESTRICTION,
            "Propose a restriction",
            "act_restriction.html",
            {
                "incident_ids": "Choose at least one incident",
                "measures": "Choose at least one measure",
                "reasons": "Enter the reasons for the restriction: they go in its letter (R10)",
                "contact_arrangements": "Enter what contact continues, and how (R10)",
            },
            needs_incidents=True,
        ),
        Act(
            "close-case",
            Action.CLOSE_CASE,
            "Close a case with no further reply (R17)",
            "act_close_case.html",
            {
                "case_reference": "Enter the case reference",
                "closed_at": _WHEN.replace("Enter", "Enter when the party was told:"),
            },
        ),
        Act(
            "adjustments",
            Action.REQUEST_ADJUSTMENT,
            "Request an adjustment",
            "act_adjustments.html",
            {
                "description": "Describe the adjustment the party asked for",
                "requested_at": _WHEN.replace("Enter", "Enter when they asked:"),
            },
        ),
    )
}
# Deciding an adjustment is a form of its own, on one adjustment.
DECIDE_ADJUSTMENT = Act(
    "decision",
    Action.DECIDE_ADJUSTMENT,
    "Decide an adjustment",
    "act_adjustment_decision.html",
    {"agree": "Choose whether to agree the adjustment", "reason": "Enter the reason for the decision"},
    {"agree": "agree"},
)

ADVICE_LABELS = {
    Advice.ASK: "ask the person to stop (R4)",
    Advice.WARN: "give a warning (R5)",
    Advice.RESTRICT: "consider a restriction (R6)",
    Advice.RESTRICT_WITHOUT_WARNING: "a restriction without a warning first may be justified (R13)",
    Advice.RESTRICTION_EXTENDED: "the restriction in force was extended (R12)",
    Advice.CONSIDER_STEPPING_UP: "consider stepping up to a stronger restriction (R11)",
    Advice.ZERO_TOLERANCE_APPLIED: "direct contact is stopped at once, and a manager reviews it (R15)",
}


def party_actions(staff: StaffRow, party_id: str) -> list[tuple[str, str]]:
    """The forms on a party that `staff` may use, as (link, text): only what their roles may do."""
    roles = {Role(r) for r in staff.roles}
    party = quote(party_id, safe="")
    return [(f"/inbox/parties/{party}/{act.slug}", act.title) for act in ACTS.values() if may(roles, act.action)]


def _refusal_text(err: NotPermitted) -> str:
    """A refusal of the permission table in plain words: the rule, and the roles that may."""
    return f"You may not do this. Rule {err.rule}: {in_words(str(err).split(': ', 1)[-1])}."


def refused(
    request: Request, door: FrontDoor, staff: StaffRow, session: WebSessionRow, title: str, err: NotPermitted
) -> Response:
    """The page a person gets for a form their roles may not use (403): which rule refused it, and why."""
    return _render(
        request,
        door,
        "message.html",
        status.HTTP_403_FORBIDDEN,
        staff=staff,
        form_key=form_key(session),
        heading=title,
        message_title="Your role may not do this",
        message=_refusal_text(err),
    )


def _new_id(prefix: str) -> str:
    """A fresh id for a message the form sends: sent again (a double click, a retry), it is the same message."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def _values(form: FormData) -> dict[str, Any]:
    """The form as sent: lists for fields with several values (checkboxes), else text."""
    values: dict[str, Any] = {}
    for key in form:
        many = [str(v) for v in form.getlist(key)]
        values[key] = many if key in _LISTS or key.endswith("-channels") or key.endswith("-days") else many[-1]
    return values


_LISTS = {"incident_ids", "measures"}


def _when(text: str | None, zone: str) -> datetime | str | None:
    """A date and time the form gives in the body's time zone (an `<input type=datetime-local>`),
    as an aware instant; what does not parse is handed on as it is, for the model to refuse."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        return text


def _text(values: dict[str, Any], name: str) -> str | None:
    value = str(values.get(name) or "").strip()
    return value or None


async def _page(
    request: Request,
    door: FrontDoor,
    staff: StaffRow,
    session: WebSessionRow,
    party_id: str,
    act: Act,
    *,
    values: dict[str, Any] | None = None,
    problems: list[Problem] | None = None,
    code: int = 200,
    **context: Any,
) -> Response:
    try:
        permit(Principal.of(staff), act.action)
    except NotPermitted as err:
        return refused(request, door, staff, session, act.title, err)
    party: PartyStatus | None = None
    party_problem = None
    if act.needs_incidents or act.slug == "adjustments":
        party, party_problem = await _party_status(door, staff, party_id)
    values = values or {}
    values.setdefault("message_id", _new_id(act.slug[:3]))
    return _render(
        request,
        door,
        act.template,
        code,
        staff=staff,
        form_key=form_key(session),
        act=act,
        party_id=party_id,
        party=party,
        party_problem=party_problem,
        values=values,
        now=datetime.now(UTC).astimezone(ZoneInfo(door.settings.timezone)).strftime("%Y-%m-%dT%H:%M"),
        categories=[(c, sorted(BEHAVIOUR_CODES[c])) for c in Category],
        channels=list(ContactChannel),
        blockable=[c for c in ContactChannel if c in BLOCKABLE_CHANNELS],
        measures=list(Measure),
        with_terms=set(PARAMETERS),
        periods=list(ContactPeriod),
        weekdays=list(Weekday),
        party_kinds=list(PartyKind),
        warning_methods=list(WarningMethod),
        letter_formats=list(LetterFormat),
        may_decide_adjustments=may({Role(r) for r in staff.roles}, Action.DECIDE_ADJUSTMENT),
        may_seek_advice=may({Role(r) for r in staff.roles}, Action.SEEK_ADVICE),
        **context,
        **shown(problems or [], act.ids),
    )


# What each form sends: from the form's values, the party and who acts, to the message, sent
# through the services layer; the answer is the flash shown on the party's timeline.
Send = Callable[[FrontDoor, dict[str, Any], str, Acting, Principal], Awaitable[str]]


async def _incident(door: FrontDoor, v: dict[str, Any], party_id: str, by: Acting, who: Principal) -> str:
    report = IncidentReport.model_validate(
        {
            "incident_id": v.get("message_id"),
            "party": {
                "party_id": party_id,
                "kind": v.get("party-kind") or PartyKind.INDIVIDUAL,
                "professional_capacity": v.get("party-professional_capacity") == "yes",
            },
            "category": v.get("category") or None,
            "behaviour_code": v.get("behaviour_code") or None,
            "occurred_at": _when(v.get("occurred_at"), door.settings.timezone),
            "reported_by": by.actor,
            "experienced_by": _text(v, "experienced_by"),
            "channel": v.get("channel") or "unspecified",
            "case_reference": _text(v, "case_reference"),
            "summary": v.get("summary") or "",
        }
    )
    outcome = await party_acts.report_incident(door.parties, door.store, report, by)
    assert outcome is not None  # waited for
    advice = "; ".join(ADVICE_LABELS[a] for a in outcome.advice) or "no further step"
    done = "was already on file" if outcome.duplicate else "is on the party's file"
    return f"Incident {outcome.incident_id} {done}. The policy's advice: {advice}."


async def _ask(door: FrontDoor, v: dict[str, Any], party_id: str, by: Acting, who: Principal) -> str:
    ask = AskRecord.model_validate(
        {
            "ask_id": v.get("message_id"),
            "party_id": party_id,
            "incident_ids": v.get("incident_ids") or [],
            "asked_at": _when(v.get("asked_at"), door.settings.timezone),
            "asked_by": by.actor,
            "adjustment_discussed": v.get("adjustment_discussed") != "no",
            "notes": v.get("notes") or "",
        }
    )
    outcome = await party_acts.record_ask(door.parties, door.store, ask, by)
    return f"The ask {outcome.message_id} is on the party's file{' (already)' if outcome.duplicate else ''}."


async def _warning(door: FrontDoor, v: dict[str, Any], party_id: str, by: Acting, who: Principal) -> str:
    warning = WarningIssue.model_validate(
        {
            "warning_id": v.get("message_id"),
            "party_id": party_id,
            "incident_ids": v.get("incident_ids") or [],
            "communicated_at": _when(v.get("communicated_at"), door.settings.timezone),
            "issued_by": by.actor,
            "method": v.get("method") or WarningMethod.WRITTEN,
            "reasons": v.get("reasons") or "",
        }
    )
    outcome = await party_acts.issue_warning(door.parties, door.store, warning, by)
    until = f", until {outcome.warning.expires_at:%d %B %Y}" if outcome.warning else ""
    return f"The warning {outcome.message_id} is on the party's file{until}; its letter is being written."


def measure_terms(v: dict[str, Any], zone: str) -> list[Any]:
    """The measures ticked, each with the parameters given under it (policy.measures), as the API takes them.

    The form's fields for a measure's parameters are named `{measure}-{parameter}`; a window of
    allowed contact times is the one the form offers (days, from, to).
    """
    items: list[Any] = []
    for name in v.get("measures") or []:
        if name not in {m.value for m in PARAMETERS}:
            items.append(name)
            continue
        measure = Measure(name)

        def given(parameter: str, measure: Measure = measure) -> Any:
            return v.get(f"{measure.value}-{parameter}") or None

        terms: dict[str, Any] = {"measure": name}
        if measure == Measure.SINGLE_NAMED_CONTACT:
            terms["named_contact"] = given("named_contact")
        elif measure in (Measure.SINGLE_CONTACT_CHANNEL, Measure.BLOCK_EMAILS_OR_REFUSE_CALLS):
            terms["channels"] = given("channels") or []
        elif measure == Measure.RESTRICT_ISSUES:
            terms["issues"] = [line.strip() for line in str(given("issues") or "").splitlines() if line.strip()]
        elif measure == Measure.RESTRICT_TIME_OR_VOLUME:
            count = given("max_contacts")
            terms["max_contacts"] = int(count) if count and count.isdigit() else count
            terms["per"] = given("per")
            if given("days") or given("starts") or given("ends"):
                terms["windows"] = [{"days": given("days") or [], "starts": given("starts"), "ends": given("ends")}]
        elif measure == Measure.EXTENDED_RESPONSE_TIME:
            days = given("working_days")
            terms["working_days"] = int(days) if days and days.isdigit() else days
            terms["from_latest_contact"] = given("from_latest_contact") == "yes"
        elif measure == Measure.TIME_OUT:
            terms["ends_at"] = _when(given("ends_at"), zone)
        elif measure == Measure.CONTACT_THROUGH_THIRD_PARTY:
            terms["third_party"] = given("third_party")
        items.append(terms)
    return items


async def _restriction(door: FrontDoor, v: dict[str, Any], party_id: str, by: Acting, who: Principal) -> str:
    request = RestrictionRequest.model_validate(
        {
            "restriction_id": v.get("message_id"),
            "party_id": party_id,
            "incident_ids": v.get("incident_ids") or [],
            "measures": measure_terms(v, door.settings.timezone),
            "proposed_by": by.actor,
            "reasons": v.get("reasons") or "",
            "contact_arrangements": v.get("contact_arrangements") or "",
            "decided_at": datetime.now(UTC),
        }
    )
    outcome = await party_acts.apply_restriction(door.parties, door.store, request, by)
    entry = outcome.restriction
    state = in_words(entry.status.value) if entry else "recorded"
    why = (
        f": needs approval ({'; '.join(entry.needs_approval_because)})"
        if entry and entry.needs_approval_because
        else ""
    )
    return f"The restriction {outcome.message_id} is {state}{why}."


async def _close_case(door: FrontDoor, v: dict[str, Any], party_id: str, by: Acting, who: Principal) -> str:
    closure = CaseClosure.model_validate(
        {
            "party_id": party_id,
            "case_reference": _text(v, "case_reference"),
            "closed_at": _when(v.get("closed_at"), door.settings.timezone),
            "closed_by": by.actor,
            "notes": v.get("notes") or "",
        }
    )
    outcome = await party_acts.close_case(door.parties, closure, by)
    return f"Case {outcome.case_reference} is closed: later written contact about it is logged without reply (R17)."


async def _adjustment(door: FrontDoor, v: dict[str, Any], party_id: str, by: Acting, who: Principal) -> str:
    request = AdjustmentRequest.model_validate(
        {
            "adjustment_id": v.get("message_id"),
            "party_id": party_id,
            "description": v.get("description") or "",
            "requested_at": _when(v.get("requested_at"), door.settings.timezone),
            "recorded_by": by.actor,
            "letter_format": v.get("letter_format") or None,
        }
    )
    await party_acts.request_adjustment(door.parties, door.store, request, by, who.viewer)
    return (
        f"The adjustment {request.adjustment_id} is recorded: a manager decides it, after a specialist's advice (R16)."
    )


SENDS: dict[str, Send] = {
    "incident": _incident,
    "ask": _ask,
    "warning": _warning,
    "restriction": _restriction,
    "close-case": _close_case,
    "adjustments": _adjustment,
}


def _measure_field(err: ValidationError, v: dict[str, Any]) -> list[Problem]:
    """A restriction's problems on the form's fields: a measure's parameter is `{measure}-{parameter}`."""
    ticked = list(v.get("measures") or [])
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        if len(loc) >= 3 and loc[0] == "measures" and isinstance(loc[1], int) and loc[1] < len(ticked):
            name = ticked[loc[1]]
            parameter = next((str(p) for p in reversed(loc[2:]) if isinstance(p, str) and p != name), "")
            message = str(e["msg"]).removeprefix("Value error, ")
            named = re.match(r"(\w+): (.*)", message)
            terms = PARAMETERS.get(name)  # a StrEnum key is found by its value
            if not parameter and named and terms is not None and named.group(1) in terms.model_fields:
                # A check across the measure's parameters names the one to give first.
                parameter, message = named.groups()
            where = f"{in_words(name).capitalize()}"
            problems.append(
                Problem(
                    f"{where}: {in_words(parameter)}: {message}" if parameter else f"{where}: {message}",
                    f"{name}-{parameter}" if parameter else "measures",
                )
            )
    return problems


def _problems_of(err: ValidationError, act: Act, v: dict[str, Any]) -> list[Problem]:
    if act.slug != "restriction":
        return from_validation(err, act.questions)
    on_measures = _measure_field(err, v)
    others = [p for p in from_validation(err, act.questions) if not p.field.startswith("measures-")]
    return others + on_measures


def _policy_refusal(err: WorkflowUpdateFailedError) -> str:
    """The party's workflow refused the message (the policy's rule, R14 and the others), in words."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type == "PolicyRefusal":
        rule = str(cause.details[0]) if cause.details else ""
        text = cause.message
        return text if not rule or text.startswith(rule) else f"{rule}: {text}"
    return f"The party's workflow refused it: {getattr(cause, 'message', None) or cause or err}"


async def _submit(request: Request, door: FrontDoor, party_id: str, act: Act) -> Response:
    posted = await signed_form(request, door)
    if isinstance(posted, Response):
        return posted
    staff, session, form = posted
    values = _values(form)
    principal = Principal.of(staff)

    async def again(problems: list[Problem], code: int) -> Response:
        return await _page(request, door, staff, session, party_id, act, values=values, problems=problems, code=code)

    try:
        by = await door.authorise(principal, act.action, None, Entrance.INBOX)
        flash = await SENDS[act.slug](door, values, party_id, by, principal)
    except NotPermitted as err:
        return refused(request, door, staff, session, act.title, err)
    except ValidationError as err:
        return await again(_problems_of(err, act, values), status.HTTP_422_UNPROCESSABLE_CONTENT)
    except UnknownStaff as err:
        return await again([Problem(f"{err}: enter the staff id of an active colleague", err.field)], 422)
    except IdOfAnotherParty as err:
        return await again([Problem(f"{err}: give another")], status.HTTP_409_CONFLICT)
    except WorkflowUpdateFailedError as err:
        return await again([Problem(in_words(_policy_refusal(err)))], status.HTTP_409_CONFLICT)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            message = f"Party {party_id} has no file yet: report an incident first."
            return await again([Problem(message)], status.HTTP_404_NOT_FOUND)
        message = f"The party's workflow cannot be reached just now ({err.message}). Send it again."
        return await again([Problem(message)], status.HTTP_503_SERVICE_UNAVAILABLE)
    # A request for an adjustment goes back to the party's adjustments, where it is asked about and decided.
    back = f"/inbox/parties/{quote(party_id, safe='')}"
    return _redirect(f"{back}/adjustments" if act.slug == "adjustments" else back, flash=flash)


def _form_routes(act: Act) -> None:
    """The GET (the form) and POST (sending it) of one act."""

    async def show(request: Request, party_id: PartyId, door: Door) -> Response:
        try:
            staff, session = await _staff(request, door)
        except _SignInNeeded as needed:
            return needed.response
        # A link may fill the form in (the contact screen's does), but never its message's id:
        # sent with the id of a message on file, the form would be taken as that message again.
        prefilled = {k: v for k, v in request.query_params.items() if k != "message_id"}
        return await _page(request, door, staff, session, party_id, act, values=prefilled)

    async def send(request: Request, party_id: PartyId, door: Door) -> Response:
        return await _submit(request, door, party_id, act)

    router.add_api_route(f"/parties/{{party_id}}/{act.slug}", show, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(f"/parties/{{party_id}}/{act.slug}", send, methods=["POST"])


for _act in ACTS.values():
    _form_routes(_act)


# --- An adjustment's advice and decision (R16): on one adjustment, from the adjustments page.


@router.post("/parties/{party_id}/adjustments/{adjustment_id}/advice")
async def seek_advice(request: Request, party_id: PartyId, adjustment_id: str, door: Door) -> Response:
    posted = await signed_form(request, door)
    if isinstance(posted, Response):
        return posted
    staff, session, _ = posted
    principal = Principal.of(staff)
    act = ACTS["adjustments"]
    try:
        by = await door.authorise(principal, Action.SEEK_ADVICE, None, Entrance.INBOX)
        advice = AdviceRequest(adjustment_id=adjustment_id, party_id=party_id, requested_by=by.actor)
        await party_acts.seek_advice(door.parties, advice, by, principal.viewer)
    except NotPermitted as err:
        return refused(request, door, staff, session, "Ask a specialist adviser", err)
    except ValidationError as err:
        return await _page(request, door, staff, session, party_id, act, problems=from_validation(err), code=422)
    except WorkflowUpdateFailedError as err:
        problems = [Problem(in_words(_policy_refusal(err)))]
        return await _page(request, door, staff, session, party_id, act, problems=problems, code=409)
    where = f"/inbox/parties/{quote(party_id, safe='')}/adjustments"
    return _redirect(where, flash=f"A specialist adviser is asked about adjustment {adjustment_id} (R16).")


async def _decision_page(
    request: Request,
    door: FrontDoor,
    staff: StaffRow,
    session: WebSessionRow,
    party_id: str,
    adjustment_id: str,
    **kwargs: Any,
) -> Response:
    where = f"/inbox/parties/{quote(party_id, safe='')}/adjustments/{quote(adjustment_id, safe='')}/decision"
    return await _page(
        request,
        door,
        staff,
        session,
        party_id,
        DECIDE_ADJUSTMENT,
        adjustment_id=adjustment_id,
        form_action=where,
        **kwargs,
    )


@router.get("/parties/{party_id}/adjustments/{adjustment_id}/decision", response_class=HTMLResponse)
async def adjustment_decision_page(request: Request, party_id: PartyId, adjustment_id: str, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    return await _decision_page(request, door, staff, session, party_id, adjustment_id)


@router.post("/parties/{party_id}/adjustments/{adjustment_id}/decision")
async def decide_adjustment(request: Request, party_id: PartyId, adjustment_id: str, door: Door) -> Response:
    posted = await signed_form(request, door)
    if isinstance(posted, Response):
        return posted
    staff, session, form = posted
    values = _values(form)
    principal = Principal.of(staff)
    again = _decision_page
    try:
        by = await door.authorise(principal, Action.DECIDE_ADJUSTMENT, None, Entrance.INBOX)
        agree = {"yes": True, "no": False}.get(str(values.get("agree")))
        decision = AdjustmentDecision.model_validate(
            {
                "adjustment_id": adjustment_id,
                "party_id": party_id,
                "agree": agree,
                "decided_by": by.actor,
                "reason": values.get("reason") or "",
                "decided_at": datetime.now(UTC),
            }
        )
        await party_acts.decide_adjustment(door.parties, decision, by, principal.viewer)
    except NotPermitted as err:
        return refused(request, door, staff, session, DECIDE_ADJUSTMENT.title, err)
    except ValidationError as err:
        problems = from_validation(err, DECIDE_ADJUSTMENT.questions)
        return await again(
            request, door, staff, session, party_id, adjustment_id, values=values, problems=problems, code=422
        )
    except WorkflowUpdateFailedError as err:
        problems = [Problem(in_words(_policy_refusal(err)))]
        return await again(
            request, door, staff, session, party_id, adjustment_id, values=values, problems=problems, code=409
        )
    verdict = "agreed" if decision.agree else "declined"
    where = f"/inbox/parties/{quote(party_id, safe='')}/adjustments"
    return _redirect(where, flash=f"Adjustment {adjustment_id} is {verdict}.")


# --- Act on a party: choose the party, then what to do.

_PARTY_ID = re.compile(PARTY_ID_PATTERN)


@router.get("/act", response_class=HTMLResponse)
async def act_page(request: Request, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    party_id = (request.query_params.get("party_id") or "").strip()
    problems = []
    if "party_id" in request.query_params and not _PARTY_ID.match(party_id):
        problems.append(
            Problem("Enter the party's id as the case system gives it (letters, digits, . _ : -)", "party_id")
        )
    chosen = party_id if party_id and not problems else None
    return _render(
        request,
        door,
        "act.html",
        status.HTTP_422_UNPROCESSABLE_CONTENT if problems else 200,
        staff=staff,
        form_key=form_key(session),
        party_id=party_id,
        actions=party_actions(staff, chosen) if chosen else [],
        permissions=PERMISSIONS,
        **shown(problems),
    )
