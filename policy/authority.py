"""Who acted, and the door's proof of it: what a party's workflow checks before it applies a message.

A door (the HTTP API, the inbox, the CLI through the API) authenticates a
principal, checks the permission table (policy.permissions), fills in the
message's acting person from the principal, and seals the message: an
`Authority` naming who acted, in which role, through which door and carried
by which system, signed with the door's Ed25519 key over the message and the
authority together. The workers hold only the public keys, so neither a
plain Temporal client, the Temporal UI, nor a client holding the encryption
key ring can make a seal; and a worker cannot make one either.

Ed25519 (from `cryptography`, already the codec's AES-GCM library): small
signatures, fast checks (tens of microseconds), and a verifying key that can be
handed to every worker without handing them the power to sign.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel

from policy.effects import Acted
from policy.fields import Authority
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    CaseClosure,
    EndedCallRecord,
    GroundRulesLift,
    IncidentReport,
    RestrictionRequest,
    TaskDecision,
    WarningIssue,
)
from policy.payloads import ErasureRequest
from policy.permissions import Action, may

M = TypeVar("M", bound=BaseModel)

# The metadata the worker's codec puts on each payload it decrypted (client.codec.WorkerCodec):
# a message without it came unencrypted, and is refused.
DECRYPTED = "ubp-decrypted"
# The encoding the worker's codec gives a payload that does not authenticate under its key,
# and the metadata saying why: the party workflow refuses it instead of failing on it.
UNDECRYPTABLE = b"binary/ubp-undecryptable"
UNDECRYPTABLE_REASON = "ubp-undecryptable-reason"


def payload_refusal(metadata: Mapping[str, bytes]) -> str | None:
    """Why a payload reached the worker unfit to be applied, from its metadata alone:
    unencrypted, or encrypted but not authenticating. None when it was decrypted."""
    if metadata.get("encoding") == UNDECRYPTABLE:
        reason = metadata.get(UNDECRYPTABLE_REASON, b"").decode(errors="replace")
        return f"does not decrypt: {reason}"
    if DECRYPTED not in metadata:
        return "unencrypted: the worker takes only messages encrypted with the key ring and sealed by the door"
    return None


# The field of each message that names who acted; the door fills it from the principal.
ACTOR_FIELD: dict[type[BaseModel], str] = {
    IncidentReport: "reported_by",
    AskRecord: "asked_by",
    EndedCallRecord: "ended_by",
    GroundRulesLift: "lifted_by",
    WarningIssue: "issued_by",
    RestrictionRequest: "proposed_by",
    TaskDecision: "decided_by",
    AdjustmentRequest: "recorded_by",
    AdviceRequest: "requested_by",
    AdjustmentDecision: "decided_by",
    CaseClosure: "closed_by",
    # Not a message to a party's workflow: the erasure workflow checks its seal the same way.
    ErasureRequest: "requested_by",
}

# The erasure workflow's name for its one "handler", in what the door signs.
ERASE_PARTY = "erase_party"

# What each workflow message handler does, for the workflow's own check of the
# sealed role (a task decision's is checked against the task by the policy).
HANDLER_ACTION: dict[str, Action | None] = {
    "report_incident": Action.REPORT_INCIDENT,
    "report_incident_and_wait": Action.REPORT_INCIDENT,
    "record_ask": Action.RECORD_ASK,
    "record_ended_call": Action.RECORD_ENDED_CALL,
    "lift_ground_rules": Action.LIFT_GROUND_RULES,
    "issue_warning": Action.ISSUE_WARNING,
    "apply_restriction": Action.PROPOSE_RESTRICTION,
    "decide_task": None,
    "request_adjustment": Action.REQUEST_ADJUSTMENT,
    "seek_advice": Action.SEEK_ADVICE,
    "decide_adjustment": Action.DECIDE_ADJUSTMENT,
    "record_case_closure": Action.CLOSE_CASE,
    ERASE_PARTY: Action.ERASE_PARTY,
}


def _message_key(message: BaseModel) -> tuple[str, str]:
    """What kind of entry a message makes on the file, and its id there."""
    match message:
        case IncidentReport():
            return "incident", message.incident_id
        case AskRecord():
            return "ask", message.ask_id
        case EndedCallRecord():
            return "ended_call", message.call_id
        case GroundRulesLift():
            return "ground_rules_lift", message.call_id
        case WarningIssue():
            return "warning", message.warning_id
        case RestrictionRequest():
            return "restriction", message.restriction_id
        case TaskDecision():
            return "decision", message.decision_id
        case AdjustmentRequest():
            return "adjustment_request", message.adjustment_id
        case AdviceRequest():
            return "advice_request", message.adjustment_id
        case AdjustmentDecision():
            return "adjustment_decision", message.adjustment_id
        case CaseClosure():
            return "case_closure", message.case_reference
    raise TypeError(f"{type(message).__name__} is not a message that changes a party")


def acted(party_id: str, message: BaseModel, at: datetime) -> Acted:
    """The file's record of who acted: the sealed message's principal, once per message."""
    authority = getattr(message, "authority", None)
    if authority is None:
        raise ValueError("only a sealed message says who acted")
    kind, message_id = _message_key(message)
    return Acted(party_id=party_id, message_kind=kind, message_id=message_id, authority=authority, at=at)


def unsealed(message: M) -> M:
    """The message as the party's state and file keep it: who acted is recorded once, by
    `acted`, so the seal is not carried again through every write and continue-as-new."""
    return message.model_copy(update={"authority": None})


def actor_of(message: BaseModel) -> str:
    """The staff id a message names as who acted."""
    return str(getattr(message, ACTOR_FIELD[type(message)]))


def action_of(handler: str, message: BaseModel) -> Action | None:
    """The action a message takes through `handler` (stepping up, R11, when it replaces a restriction;
    forcing an erasure, R3)."""
    if isinstance(message, RestrictionRequest) and message.replaces_restriction_id:
        return Action.STEP_UP
    if isinstance(message, ErasureRequest) and message.force:
        return Action.FORCE_ERASURE
    return HANDLER_ACTION[handler]


def signed_bytes(handler: str, message: BaseModel, authority: Authority) -> bytes:
    """What the door signs: the handler, the message without its authority, and the
    authority without its signature, as canonical JSON.

    Fields at their defaults are left out, so that a field added to a message later
    (with a default, as every added field must have) leaves the seals made before it
    holding: a message sealed by the previous release's door, not yet applied when
    the workers were upgraded, is still accepted. A field at its default means the
    same whether it was sent or not, so nothing a sender meant goes unsigned."""
    body = message.model_dump(mode="json", exclude={"authority"}, exclude_defaults=True)
    sealed = authority.model_dump(mode="json", exclude={"signature"}, exclude_defaults=True)
    return json.dumps(
        {"handler": handler, "message": body, "authority": sealed}, sort_keys=True, separators=(",", ":")
    ).encode()


class DoorVerifier:
    """The doors' public keys, by key id: checks seals, never makes them.

    Args:
        public_keys: Key id to the raw 32-byte Ed25519 public key.
    """

    def __init__(self, public_keys: Mapping[str, bytes]) -> None:
        self._keys = {key_id: Ed25519PublicKey.from_public_bytes(raw) for key_id, raw in public_keys.items()}

    def refusal(self, handler: str, message: Any) -> str | None:
        """Why `message`, sent to `handler`, may not be applied; None when its seal holds.

        The reason names what is wrong, never the message's content: it is kept
        on the party's file among the rejected messages.
        """
        authority: Authority | None = getattr(message, "authority", None)
        if authority is None:
            return "not sealed by the door: messages that change a party come through the API, the inbox or the CLI"
        key = self._keys.get(authority.key_id)
        if key is None:
            return f"sealed with door key {authority.key_id!r}, which this worker does not trust"
        try:
            key.verify(base64.b64decode(authority.signature, validate=True), signed_bytes(handler, message, authority))
        except (InvalidSignature, binascii.Error, ValueError):
            return "the door's seal does not match the message: it was altered, or not made by the door"
        actor = actor_of(message)
        if authority.actor != actor:
            return f"the message names {actor!r} as acting, but the door authenticated {authority.actor!r}"
        if isinstance(message, TaskDecision) and message.role != authority.role:
            return f"the decision is in the role {message.role.value!r}, but the door allowed {authority.role.value!r}"
        if isinstance(message, ErasureRequest) and message.role != authority.role:
            named = message.role.value if message.role else None
            return f"the request names the role {named!r}, but the door allowed {authority.role.value!r}"
        action = action_of(handler, message)
        if action is not None and not may({authority.role}, action):
            return f"the role {authority.role.value!r} may not {action.value}"
        return None
