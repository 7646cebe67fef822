"""The codec endpoint: Temporal payloads decrypted for operations staff, for the Temporal UI and CLI.

Temporal's remote codec protocol: `POST /codec/decode` and `/codec/encode`
with `{"payloads": [...]}` in proto3 JSON (metadata values and data in
base64) and the namespace in `X-Namespace`. The Temporal UI calls from its
own origin, so these two paths answer CORS for the UI's origins
(`UBP_CODEC_CORS_ORIGINS`), preflights included; it sends the inbox's
session cookie when "include cross-origin credentials" is on. The CLI sends
a bearer token (`temporal workflow show --codec-endpoint ... --codec-auth
"Bearer <token>"`).

Only staff the permission table lets decode payloads (`decode_payloads`: operations) may decode or
encode; each decode is written to the audit log (who, when, namespace, how
many payloads; never the content) before it is answered.
"""

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, status
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from client.codec import PayloadDecryptionError
from client.keys import KeyRingError
from policy.permissions import Action, NotPermitted
from services.acting import Principal, permit
from web.deps import Door, signed_in_or_session
from web.errors import Invalid, Problem

PREFIX = "/codec"
log = logging.getLogger(__name__)
router = APIRouter(prefix=PREFIX, tags=["codec"])


class PayloadJson(BaseModel):
    """A Temporal payload in proto3 JSON."""

    model_config = ConfigDict(extra="allow")  # e.g. `externalPayloads`: passed on as they are

    metadata: dict[str, str] = Field(default_factory=dict, description="values in base64")
    data: str = Field(default="", description="base64")


# A page of the Temporal UI decodes one event's payloads at a time: far fewer than this.
MAX_PAYLOADS = 1000


class PayloadsJson(BaseModel):
    payloads: list[PayloadJson] = Field(max_length=MAX_PAYLOADS)


Namespace = Annotated[str, Header(alias="X-Namespace", description="the Temporal namespace of the payloads")]

ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body is not JSON"},
    401: {"model": Problem, "description": "not signed in: no bearer token or inbox session, or an unknown one"},
    403: {"model": Problem, "description": "signed in without a role that may read decrypted payloads"},
    422: {
        # A body that breaks the schema is answered as every route answers it (Invalid); a
        # body that is not payloads, or does not decrypt, with the reason (Problem).
        "model": Problem | Invalid,
        "description": "not payloads, or a payload that does not decrypt (the key id named); or a body that breaks"
        " the schema, each problem naming its field",
    },
}


async def operations_staff(staff: Annotated[Principal, Depends(signed_in_or_session)]) -> Principal:
    """The signed-in member of staff, if they may read decrypted payloads."""
    try:
        permit(staff, Action.DECODE_PAYLOADS)
    except NotPermitted as err:
        log.warning("codec endpoint refused %s: %s", staff.id, err)
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(err)) from None
    return staff


Operations = Annotated[Principal, Depends(operations_staff)]


def _proto(body: PayloadsJson) -> Payloads:
    try:
        return json_format.ParseDict(body.model_dump(exclude_defaults=True), Payloads())
    except json_format.ParseError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"not Temporal payloads: {err}") from None


def _json(payloads: Payloads) -> dict[str, Any]:
    return json_format.MessageToDict(payloads)


@router.post("/decode", summary="Decrypt payloads (audited)", responses=ANSWERS)
async def decode(body: PayloadsJson, namespace: Namespace, staff: Operations, door: Door) -> dict[str, Any]:
    """The payloads decrypted; those that were never encrypted come back as they are."""
    payloads = _proto(body)
    try:
        await door.codec(namespace).decode_wrapper(payloads)
    except (KeyRingError, PayloadDecryptionError) as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from None
    await run_in_threadpool(door.store.record_decode, staff.id, namespace, len(payloads.payloads))
    log.info("%s decoded %d payloads of namespace %s", staff.id, len(payloads.payloads), namespace)
    return _json(payloads)


@router.post("/encode", summary="Encrypt payloads with the active key", responses=ANSWERS)
async def encode(body: PayloadsJson, namespace: Namespace, staff: Operations, door: Door) -> dict[str, Any]:
    """The payloads encrypted, e.g. a signal's input typed into the Temporal UI."""
    payloads = _proto(body)
    await door.codec(namespace).encode_wrapper(payloads)
    return _json(payloads)


class _CodecCors:
    """Starlette's CORS handling, on the codec paths only: the rest of the API and the inbox
    answer no cross-origin calls."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST", "OPTIONS"],
            allow_headers=["content-type", "x-namespace", "authorization"],
            allow_credentials=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{PREFIX}/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def add_codec_cors(app: FastAPI, origins: list[str]) -> None:
    """Answer CORS, preflights included, for the Temporal UI at `origins` on the codec paths."""
    app.add_middleware(_CodecCors, origins=origins)
