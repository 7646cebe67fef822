"""The codec endpoint for the Temporal UI and CLI: who may decode (401/403), the audit log,
CORS for the UI, and the Temporal CLI's `--codec-endpoint` against it."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.client import WorkflowHistory

from client.codec import ENCODING, KEY_ID
from client.connection import DEFAULT_NAMESPACE, key_ring_of, without_codec
from client.history import history_payloads
from client.keys import generate
from devstack.server import free_port, temporal_cli
from policy.vocabulary import Role
from records.store import RecordStore
from tests.helpers import marked_party, payloads_holding
from tests.sessions import sign_in
from web.app import api_server, create_app
from workflows.party import workflow_id_for

STAFF = {
    "ops-1": ("Oakley Operations", [Role.OPERATIONS]),
    "manager-1": ("Morgan Manager", [Role.MANAGER]),
    "colleague-1": ("Casey Colleague", [Role.COLLEAGUE]),
}
UI_ORIGIN = "http://127.0.0.1:8233"


@dataclass
class Codec:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    store: RecordStore

    def bearer(self, staff_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[staff_id]}"}

    async def post(
        self, path: str, payloads: list[dict[str, Any]], staff_id: str | None = None, **headers: str
    ) -> httpx.Response:
        sent = {"X-Namespace": DEFAULT_NAMESPACE} | (self.bearer(staff_id) if staff_id else {}) | headers
        return await self.http.post(f"/codec/{path}", json={"payloads": payloads}, headers=sent)


def _staff_and_tokens(store: RecordStore) -> dict[str, str]:
    for staff_id, (name, roles) in STAFF.items():
        store.add_staff(staff_id, name, roles)
    return {staff_id: store.issue_token(staff_id) for staff_id in STAFF}


@pytest_asyncio.fixture
async def codec(parties, store, settings) -> AsyncIterator[Codec]:
    tokens = _staff_and_tokens(store)
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Codec(http, tokens, store)


async def _stored_payloads(env, parties, marker: str) -> tuple[str, list[dict[str, Any]]]:
    """A marked party's payloads as Temporal stores them, in the codec protocol's JSON."""
    party = await marked_party(parties, await env.get_current_time(), marker)
    handle = without_codec(env.client).get_workflow_handle(workflow_id_for(party.party_id))
    payloads = history_payloads(await handle.fetch_history())
    return party.party_id, json_format.MessageToDict(Payloads(payloads=payloads))["payloads"]


async def test_decode_answers_operations_staff_and_is_audited_without_content(time_skipping_env, parties, codec):
    marker = f"MARKER-{uuid.uuid4().hex}"
    _, stored = await _stored_payloads(time_skipping_env, parties, marker)
    assert marker not in json.dumps(stored)

    nobody = await codec.post("decode", stored)
    assert nobody.status_code == 401 and nobody.headers["WWW-Authenticate"] == "Bearer"
    assert (await codec.post("decode", stored, Authorization="Bearer ubp_not-a-token")).status_code == 401
    for staff_id in ("manager-1", "colleague-1"):
        refused = await codec.post("decode", stored, staff_id)
        assert refused.status_code == 403 and "that needs one of: operations" in refused.json()["detail"]
    assert codec.store.decodes() == []

    answer = await codec.post("decode", stored, "ops-1")
    assert answer.status_code == 200, answer.text
    decoded = answer.json()["payloads"]
    assert len(decoded) == len(stored)
    assert marker in json.dumps(_values(decoded))

    [entry] = codec.store.decodes()
    assert (entry.staff_id, entry.namespace, entry.payload_count) == ("ops-1", DEFAULT_NAMESPACE, len(stored))
    assert marker not in entry.model_dump_json()


def _values(payloads: list[dict[str, Any]]) -> list[Any]:
    """The JSON values inside payloads in the codec protocol's JSON (base64 data)."""
    proto = json_format.ParseDict({"payloads": payloads}, Payloads())
    return [json.loads(p.data) for p in proto.payloads if p.metadata.get("encoding") == b"json/plain"]


async def test_inbox_session_decodes_too(time_skipping_env, parties, codec):
    marker = f"MARKER-{uuid.uuid4().hex}"
    _, stored = await _stored_payloads(time_skipping_env, parties, marker)
    sign_in(codec.http, codec.store, "ops-1")
    answer = await codec.post("decode", stored)
    assert answer.status_code == 200 and marker in json.dumps(_values(answer.json()["payloads"]))
    assert [e.staff_id for e in codec.store.decodes()] == ["ops-1"]


async def test_encode_then_decode_round_trip(time_skipping_env, codec):
    plain = {"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "IndyaXR0ZW4gaW4gdGhlIFVJIg=="}
    assert (await codec.post("encode", [plain], "manager-1")).status_code == 403
    encoded = await codec.post("encode", [plain], "ops-1")
    assert encoded.status_code == 200
    sealed = json_format.ParseDict(encoded.json(), Payloads()).payloads[0]
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID].decode() == key_ring_of(time_skipping_env.client).active_id
    decoded = await codec.post("decode", encoded.json()["payloads"], "ops-1")
    assert decoded.json()["payloads"] == [plain]


async def test_undecodable_payloads_are_named_not_shown(time_skipping_env, parties, store, settings, codec):
    one = {"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "MQ=="}
    sealed = (await codec.post("encode", [one], "ops-1")).json()["payloads"]
    other_namespace = await codec.post("decode", sealed, "ops-1", **{"X-Namespace": "other"})
    assert other_namespace.status_code == 422 and "not from namespace 'other'" in other_namespace.json()["detail"]
    no_namespace = await codec.http.post("/codec/decode", json={"payloads": sealed}, headers=codec.bearer("ops-1"))
    assert no_namespace.status_code == 422

    # An API holding other keys: the payload's key is named, its content is not shown.
    stranger = create_app(parties, store, settings, key_ring=generate())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=stranger), base_url="http://testserver") as http:
        unknown = await http.post(
            "/codec/decode",
            json={"payloads": sealed},
            headers={"X-Namespace": DEFAULT_NAMESPACE} | codec.bearer("ops-1"),
        )
    key_id = key_ring_of(time_skipping_env.client).active_id
    assert unknown.status_code == 422 and f"key '{key_id}'" in unknown.json()["detail"]


# --- CORS for the Temporal UI -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/codec/decode?preserveStorageRefs=true", "/codec/encode"])
async def test_preflight_from_the_ui_is_answered_on_both_paths(codec, path):
    answer = await codec.http.options(
        path,
        headers={
            "Origin": UI_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == UI_ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert {"content-type", "x-namespace", "authorization"} <= {h.strip() for h in allowed.split(",")}


async def test_cors_only_for_the_ui_and_only_on_the_codec_paths(codec):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-namespace"}
    foreign = await codec.http.options("/codec/decode", headers={"Origin": "https://elsewhere.example"} | preflight)
    assert foreign.status_code == 400 and "access-control-allow-origin" not in foreign.headers
    # A refusal still reaches the UI's page (so it can say why), with its status.
    refused = await codec.post("decode", [], Origin=UI_ORIGIN)
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == UI_ORIGIN
    for path in ("/healthz", "/inbox/sign-in"):
        answer = await codec.http.get(path, headers={"Origin": UI_ORIGIN})
        assert "access-control-allow-origin" not in answer.headers


# --- the Temporal CLI ------------------------------------------------------------------------


async def _temporal(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        temporal_cli(), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_temporal_cli_shows_the_party_decoded_through_the_codec_endpoint(
    time_skipping_env, parties, store, settings
):
    tokens = _staff_and_tokens(store)
    marker = f"MARKER-{uuid.uuid4().hex}"
    party = await marked_party(parties, await time_skipping_env.get_current_time(), marker)
    api = api_server(settings.model_copy(update={"api_port": free_port()}), parties, store, embedded=True)
    serving = asyncio.create_task(api.serve())
    try:
        while not api.started:
            await asyncio.sleep(0.05)
        endpoint = f"http://127.0.0.1:{api.config.port}/codec"
        show = ["workflow", "show", "-w", workflow_id_for(party.party_id), "-o", "json", "--address",
                time_skipping_env.client.service_client.config.target_host, "--codec-endpoint", endpoint]  # fmt: skip
        code, out, err = await _temporal(*show, "--codec-auth", f"Bearer {tokens['ops-1']}")
        assert code == 0, err
        shown = b"".join(p.data for p in payloads_holding(WorkflowHistory.from_json(party.party_id, out), marker))
        for text in ("said on the call", "was asked", "continued"):
            assert f"{marker} {text}".encode() in shown
        assert store.decodes() and {e.staff_id for e in store.decodes()} == {"ops-1"}
    finally:
        api.should_exit = True
        await serving
