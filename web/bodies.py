"""Request bodies: the contract's messages, with ids that the path or the
Idempotency-Key header may give instead."""

from typing import TYPE_CHECKING, Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, create_model

from policy.authority import ACTOR_FIELD
from policy.fields import Message, MessageId, NoSeal, PartyId, StaffId
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    CaseClosure,
    EndedCallRecord,
    GroundRulesLift,
    InboundContact,
    IncidentReport,
    RestrictionRequest,
    WarningIssue,
)

M = TypeVar("M", bound=Message)

IDEMPOTENCY_KEY = "idempotency key; else the Idempotency-Key header"
FROM_THE_PATH = "default: the path's"
WHO_ACTS = (
    "who acted: default, and for a member of staff always, the signed-in person; "
    "a case system names the member of staff it acts for, where its account allows"
)


def body_of(message: type[M], *, key: str | None = None, from_path: tuple[str, ...] = ()) -> type[M]:
    """`message` as a request body: its `key` (idempotency key) and `from_path` ids optional,
    who acted optional (the door fills it from the principal), and no seal: the door makes that."""
    optional: dict[str, Any] = {
        name: (
            (PartyId if name == "party_id" else MessageId) | None,
            Field(default=None, description=IDEMPOTENCY_KEY if name == key else FROM_THE_PATH),
        )
        for name in (*((key,) if key else ()), *from_path)
    }
    actor = ACTOR_FIELD.get(message)
    if actor is not None:
        optional[actor] = (StaffId | None, Field(default=None, description=WHO_ACTS))
        optional["authority"] = (NoSeal, Field(default=None, description="made by the door, never sent"))
    body: type[M] = create_model(f"{message.__name__}Body", __base__=message, __doc__=message.__doc__, **optional)
    return body


if TYPE_CHECKING:
    # A class made at run time cannot annotate a parameter for mypy; each body
    # subclasses its message (only its ids may be left out), so the message
    # stands in for it. FastAPI reads the real classes below.
    IncidentReportBody = IncidentReport
    AskRecordBody = AskRecord
    EndedCallRecordBody = EndedCallRecord
    GroundRulesLiftBody = GroundRulesLift
    WarningIssueBody = WarningIssue
    RestrictionRequestBody = RestrictionRequest
    AdjustmentRequestBody = AdjustmentRequest
    AdviceRequestBody = AdviceRequest
    AdjustmentDecisionBody = AdjustmentDecision
    InboundContactBody = InboundContact
    CaseClosureBody = CaseClosure
else:
    IncidentReportBody = body_of(IncidentReport, key="incident_id")
    AskRecordBody = body_of(AskRecord, key="ask_id", from_path=("party_id",))
    EndedCallRecordBody = body_of(EndedCallRecord, key="call_id", from_path=("party_id",))
    GroundRulesLiftBody = body_of(GroundRulesLift, from_path=("party_id", "call_id"))
    WarningIssueBody = body_of(WarningIssue, key="warning_id", from_path=("party_id",))
    RestrictionRequestBody = body_of(RestrictionRequest, key="restriction_id", from_path=("party_id",))
    AdjustmentRequestBody = body_of(AdjustmentRequest, key="adjustment_id", from_path=("party_id",))
    AdviceRequestBody = body_of(AdviceRequest, from_path=("party_id", "adjustment_id"))
    AdjustmentDecisionBody = body_of(AdjustmentDecision, from_path=("party_id", "adjustment_id"))
    InboundContactBody = body_of(InboundContact, key="contact_id", from_path=("party_id",))
    CaseClosureBody = body_of(CaseClosure, from_path=("party_id",))


def mismatch(field: tuple[str, ...], given: str, expected: str) -> dict[str, Any]:
    return {
        "type": "value_error",
        "loc": ("body", *field),
        "msg": f"Value error, {'.'.join(field)} {given!r} does not match the path's {expected!r}",
        "input": given,
    }


def message_from(
    model: type[M],
    body: BaseModel,
    *,
    path: dict[str, str],
    id_field: str | None = None,
    key: str | None = None,
    actor: str | None = None,
) -> M:
    """The message a body stands for: ids left out are filled from the path and
    the Idempotency-Key header, and ids given must agree with them; who acted is
    `actor`, as the services layer found it (services.acting.authorise).

    Raises:
        RequestValidationError: (422) naming the field that disagrees or is missing.
    """
    values = dict(body)
    if actor is not None:
        values[ACTOR_FIELD[model]] = actor
    errors: list[dict[str, Any]] = []
    for name, expected in path.items():
        given = values.get(name)
        if given is None:
            values[name] = expected
        elif given != expected:
            errors.append(mismatch((name,), given, expected))
    if id_field is not None:
        given = values.get(id_field)
        if given is None and key is None:
            errors.append(
                {
                    # Not pydantic's "missing": the body may leave the id out when the header gives it,
                    # and a client (or a fuzzer) reading "missing" would take the field as required.
                    "type": "missing_id",
                    "loc": ("body", id_field),
                    "msg": f"Field required: give {id_field} in the body or the Idempotency-Key header",
                    "input": None,
                }
            )
        elif given is None:
            values[id_field] = key
        elif key is not None and key != given:
            errors.append(
                {
                    "type": "value_error",
                    "loc": ("header", "Idempotency-Key"),
                    "msg": f"Value error, Idempotency-Key {key!r} differs from the body's {id_field} {given!r}",
                    "input": key,
                }
            )
    if errors:
        raise RequestValidationError(errors)
    try:
        return model.model_validate(values)
    except ValidationError as err:  # the body was valid already: this is a path or header value
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in err.errors(include_url=False, include_context=False)]
        ) from None
