"""'A contact from this party: what do I do?': the contact gate (R8, R17, R19) on one screen,
for a member of staff taking a call or opening a letter.

They choose the party and the channel; the gate answers through the same service as the
API's POST /parties/{id}/contacts (services.contacts.answer_contact, which keeps the answer
in the party's contact log), and the page shows how to handle it, by when to reply, the
arrangements in force, and whether it may be a breach of a restriction (R12), with a button
to report it as an incident: the gate never reports one itself.
"""

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from temporalio.service import RPCError

from policy.contacts import ContactAnswer
from policy.fields import Door as Entrance
from policy.messages import InboundContact
from policy.permissions import Action, NotPermitted
from policy.vocabulary import ContactChannel, ContactHandling, in_words
from records.tables import StaffRow, WebSessionRow
from services.acting import Principal, permit
from services.contacts import answer_contact
from services.message_ids import IdOfAnotherParty
from web.deps import Door, FrontDoor
from web.inbox.acting import refused
from web.inbox.problems import Problem, from_validation, shown
from web.inbox.routes import _render, _SignInNeeded, _staff, form_key, signed_form

router = APIRouter(prefix="/inbox", include_in_schema=False)

TITLE = "A contact from this party: what do I do?"
# The gate's answer as an instruction to the person holding the phone or the letter.
HANDLING = {
    ContactHandling.RESPOND: "Deal with it as usual, and reply by the date below",
    ContactHandling.ROUTE_TO_NAMED_CONTACT: "Pass it to the party's named contact",
    ContactHandling.REPLY_WITH_ARRANGEMENTS: "Reply only to say how the party may contact us (the arrangements below)",
    ContactHandling.ONLY_THROUGH_THIRD_PARTY: "Deal with it only through the party's third party",
    ContactHandling.ANSWER_ALLOWED_ISSUES_ONLY: "Answer only the issues we still correspond on",
    ContactHandling.HOLD_UNTIL_TIME_OUT_ENDS: "Hold it: work on the case is paused until the time out ends",
    ContactHandling.READ_AND_FILE: "Read it and file it, without a reply",
    ContactHandling.LOG_WITHOUT_READING: "Log it without reading or replying: the case is closed (R17)",
    ContactHandling.RETURN_LETTER: "Return the letter: contact is stopped",
    ContactHandling.REFUSE_OR_BLOCK: "Refuse the call, or block the email: contact is stopped",
    ContactHandling.OVER_VOLUME_LIMIT: "It is over the party's limit of contacts: do not deal with it now",
    ContactHandling.OUTSIDE_CONTACT_TIMES: "It is outside the party's allowed contact times: do not deal with it now",
}
QUESTIONS = {"party_id": "Enter the party's id", "channel": "Choose how the contact reached us"}


def _values(form: Any) -> dict[str, Any]:
    return {key: str(form.get(key) or "").strip() for key in form}


def _incident_link(answer: ContactAnswer) -> str:
    """The incident form for this contact, filled in with what the gate knows (R12)."""
    contact = answer.contact
    breach = answer.possible_breach
    query = {
        "channel": contact.channel.value,
        "case_reference": contact.case_reference or "",
        "summary": f"A {in_words(contact.channel.value)} contact ({contact.contact_id}) against a restriction in force"
        f" ({', '.join(breach.restriction_ids) if breach else ''}): {breach.explanation if breach else ''}",
    }
    if breach and breach.categories:
        query["category"] = breach.categories[0].value
    return f"/inbox/parties/{quote(contact.party_id, safe='')}/incident?{urlencode(query)}"


def _page(
    request: Request,
    door: FrontDoor,
    staff: StaffRow,
    session: WebSessionRow,
    *,
    values: dict[str, Any] | None = None,
    answer: ContactAnswer | None = None,
    problems: list[Problem] | None = None,
    code: int = 200,
) -> Response:
    values = values or {}
    values.setdefault("contact_id", f"con-{uuid.uuid4().hex[:20]}")
    return _render(
        request,
        door,
        "contact.html",
        code,
        staff=staff,
        form_key=form_key(session),
        title=TITLE,
        values=values,
        channels=list(ContactChannel),
        answer=answer,
        handling=HANDLING[answer.handling] if answer else None,
        incident_link=_incident_link(answer) if answer and answer.possible_breach else None,
        **shown(problems or [], {"channel": "channel"}),
    )


@router.get("/contact", response_class=HTMLResponse)
async def contact_page(request: Request, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    try:
        permit(Principal.of(staff), Action.ASK_CONTACT_GATE)
    except NotPermitted as err:
        return refused(request, door, staff, session, TITLE, err)
    return _page(request, door, staff, session, values={"party_id": request.query_params.get("party_id", "")})


@router.post("/contact")
async def check_contact(request: Request, door: Door) -> Response:
    posted = await signed_form(request, door)
    if isinstance(posted, Response):
        return posted
    staff, session, form = posted
    values = _values(form)
    try:
        await door.authorise(Principal.of(staff), Action.ASK_CONTACT_GATE, None, Entrance.INBOX)
        contact = InboundContact.model_validate(
            {
                "contact_id": values.get("contact_id"),
                "party_id": values.get("party_id") or None,
                "received_at": datetime.now(UTC),
                "channel": values.get("channel") or None,
                "to_whom": values.get("to_whom") or None,
                "case_reference": values.get("case_reference") or None,
                "raises_new_complaint": values.get("raises_new_complaint") == "yes",
                "via_third_party": values.get("via_third_party") or None,
            }
        )
        answer = await answer_contact(door.parties, door.store, contact)
    except NotPermitted as err:
        return refused(request, door, staff, session, TITLE, err)
    except ValidationError as err:
        problems = from_validation(err, QUESTIONS)
        return _page(request, door, staff, session, values=values, problems=problems, code=422)
    except IdOfAnotherParty as err:
        return _page(request, door, staff, session, values=values, problems=[Problem(str(err))], code=409)
    except RPCError as err:
        problem = Problem(f"The gate cannot answer just now ({err.message}). Check it again.")
        return _page(request, door, staff, session, values=values, problems=[problem], code=503)
    # A fresh id for the next contact checked from this page: this one is answered and logged.
    values.pop("contact_id", None)
    return _page(request, door, staff, session, values=values, answer=answer, code=status.HTTP_200_OK)
