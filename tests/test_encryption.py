"""Personal data never in plain text in Temporal: the payload codec, the key ring and its
rotation, `ubp keys`, and a party's history read with and without the codec."""

import asyncio
import base64
import json
import os
import re
import stat
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowHistory
from temporalio.exceptions import ApplicationError
from typer.testing import CliRunner

from client.codec import ENCODING, KEY_ID, EncryptionCodec, PayloadDecryptionError, is_encrypted
from client.connection import DEFAULT_NAMESPACE, data_converter, key_ring_of, without_codec
from client.history import history_payloads, party_history, payloads_in
from client.keys import KeyRing, KeyRingError, UnknownKeyError, dev_key_ring, generate, load_key_ring, read_key_file
from client.parties import PartyClient
from settings import Settings
from starter.ubp import app as ubp_app
from tests.helpers import in_the_sqlite_pass_only, incident, local_parties, marked_party, new_party, payloads_holding
from worker import build_worker
from workflows import search_attributes as sa
from workflows.party import workflow_id_for


def _plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


def _key_material(ring: KeyRing) -> list[str]:
    """Every way a key could show up in text: raw, base64, hex."""
    return [form for key in ring.keys.values() for form in (base64.b64encode(key).decode(), key.hex(), str(key))]


# --- the codec ----------------------------------------------------------------------


async def test_payload_is_encrypted_whole_and_names_its_key():
    ring = generate()
    codec = EncryptionCodec(ring, "default")
    [sealed] = await codec.encode([_plain("Raised voice and insults")])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == ring.active_id.encode()
    assert set(sealed.metadata) == {"encoding", KEY_ID}, "the original metadata is inside the ciphertext"
    assert b"insults" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [_plain("Raised voice and insults")]


async def test_same_payload_encrypts_differently_each_time():
    codec = EncryptionCodec(generate(), "default")
    first, second = await codec.encode([_plain("x"), _plain("x")])
    assert first.data != second.data


async def test_payloads_written_before_encryption_pass_through_decode():
    codec = EncryptionCodec(generate(), "default")
    old = [_plain("written before encryption"), Payload(metadata={"encoding": b"binary/null"})]
    assert await codec.decode(old) == old


async def test_payload_from_another_namespace_or_altered_does_not_decode():
    ring = generate()
    [sealed] = await EncryptionCodec(ring, "default").encode([_plain("x")])
    with pytest.raises(PayloadDecryptionError, match="not from namespace 'other'"):
        await EncryptionCodec(ring, "other").decode([sealed])
    altered = Payload()
    altered.CopyFrom(sealed)
    altered.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(PayloadDecryptionError, match="does not authenticate"):
        await EncryptionCodec(ring, "default").decode([altered])


async def test_failure_message_and_details_are_encrypted_its_type_is_not():
    converter = data_converter(generate(), DEFAULT_NAMESPACE)
    marker = f"MARKER-{uuid.uuid4().hex}"
    refusal = ApplicationError(f"R14: {marker} was not warned", marker, type="PolicyRefusal", non_retryable=True)
    failure = Failure()
    await converter.encode_failure(refusal, failure)
    assert failure.message == "Encoded failure" and failure.application_failure_info.type == "PolicyRefusal"
    assert marker.encode() not in failure.SerializeToString()
    decoded = await converter.decode_failure(failure)
    assert isinstance(decoded, ApplicationError)
    assert (decoded.message, decoded.type, list(decoded.details)) == (
        f"R14: {marker} was not warned",
        "PolicyRefusal",
        [marker],
    )


# --- keys and rotation --------------------------------------------------------------


async def test_after_rotation_old_payloads_decode_and_new_ones_use_the_new_key():
    old_ring = generate()
    [old] = await EncryptionCodec(old_ring, "default").encode([_plain("before rotation")])
    rotated = old_ring.rotated()
    assert rotated.active_id != old_ring.active_id and set(rotated.ids) == {old_ring.active_id, rotated.active_id}
    codec = EncryptionCodec(rotated, "default")
    [new] = await codec.encode([_plain("after rotation")])
    assert new.metadata[KEY_ID] == rotated.active_id.encode()
    assert await codec.decode([old, new]) == [_plain("before rotation"), _plain("after rotation")]


async def test_unknown_key_names_its_id_and_decodes_once_the_key_is_back():
    lost = generate()
    [sealed] = await EncryptionCodec(lost, "default").encode([_plain("kept")])
    other = generate()
    with pytest.raises(UnknownKeyError, match=f"key '{lost.active_id}'") as raised:
        await EncryptionCodec(other, "default").decode([sealed])
    assert raised.value.key_id == lost.active_id
    assert await EncryptionCodec(other.including(lost), "default").decode([sealed]) == [_plain("kept")]


def test_key_material_never_in_repr_or_errors(tmp_path):
    ring = generate().rotated()
    texts = [repr(ring), str(ring)]
    for broken in (
        {"active": "missing", "keys": json.loads(ring.to_json())["keys"]},
        {"active": ring.active_id, "keys": {ring.active_id: base64.b64encode(b"short").decode()}},
    ):
        with pytest.raises(KeyRingError) as raised:
            KeyRing.from_json(json.dumps(broken), "the test ring")
        texts.append(str(raised.value))
    path = tmp_path / "keys.json"
    path.write_text(ring.to_json()[:-5])  # truncated
    with pytest.raises(KeyRingError) as raised:
        read_key_file(path)
    texts.append(str(raised.value))
    for text in texts:
        for secret in _key_material(ring):
            assert secret not in text


def test_no_key_ring_configured_says_how_to_make_one(tmp_path):
    with pytest.raises(KeyRingError, match="ubp keys generate"):
        load_key_ring(Settings(encryption_key_file=tmp_path / "none.json"))


def test_dev_key_ring_is_made_once_owner_only_then_reused(tmp_path):
    settings = Settings(encryption_key_file=tmp_path / "var" / "keys.json")
    first = dev_key_ring(settings)
    assert stat.S_IMODE(os.stat(settings.encryption_key_file).st_mode) == 0o600
    assert dev_key_ring(settings).keys == first.keys


def test_ring_in_the_environment_wins_over_the_file(tmp_path, monkeypatch):
    ring = generate()
    monkeypatch.setenv("UBP_ENCRYPTION_KEYS", ring.to_json())
    assert load_key_ring(Settings(encryption_key_file=tmp_path / "none.json")).keys == ring.keys


def test_ubp_keys_generate_list_rotate_show_ids_only(tmp_path):
    path = tmp_path / "keys.json"
    runner = CliRunner()

    def ubp(*args: str):
        return runner.invoke(ubp_app, [*args, "--file", str(path)])

    generated = ubp("keys", "generate")
    assert generated.exit_code == 0, generated.output
    first = read_key_file(path)
    assert first.active_id in generated.output
    assert ubp("keys", "generate").exit_code == 2, "a key ring is never overwritten"
    rotated = ubp("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    ring = read_key_file(path)
    assert ring.active_id != first.active_id and ring.keys[first.active_id] == first.keys[first.active_id]
    listed = ubp("keys", "list")
    assert listed.output.splitlines() == sorted(
        [f"{first.active_id}\tdecrypts only", f"{ring.active_id}\tactive"], key=lambda line: line.split("\t")[0]
    )
    for output in (generated.output, rotated.output, listed.output):
        for secret in _key_material(ring):
            assert secret not in output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


# --- a party's history, with and without the codec ------------------------------------

# What the SDK's core writes in plain JSON beside a local activity's (encrypted) result.
LOCAL_ACTIVITY_BOOKKEEPING = {
    "seq",
    "attempt",
    "activity_id",
    "activity_type",
    "complete_time",
    "backoff",
    "original_schedule_time",
    "activation_index",
}


def _unencrypted_by_kind(history: WorkflowHistory) -> dict[str, list[tuple[str, Payload]]]:
    """The payloads left in plain text, by what they are, with their name or detail key;
    anything unexpected under its event's attribute name."""
    found: dict[str, list[tuple[str, Payload]]] = {}
    for event in history.events:
        kind = event.WhichOneof("attributes") or ""
        attributes = getattr(event, kind)
        if kind == "upsert_workflow_search_attributes_event_attributes":
            named = [("search attribute", n, p) for n, p in attributes.search_attributes.indexed_fields.items()]
        elif kind == "marker_recorded_event_attributes":
            named = [("local activity bookkeeping", n, attributes.details[n].payloads[0]) for n in attributes.details]
        else:
            named = [(kind, "", p) for p in payloads_in(event)]
        for what, name, payload in named:
            if not is_encrypted(payload):
                found.setdefault(what, []).append((name, payload))
    return found


async def test_plain_client_sees_no_personal_data_the_codec_shows_it(time_skipping_env, parties):
    """The issue's check: incident summary, ask notes and warning reasons hold a marker;
    read without the codec, no payload holds it; read through the codec, they do."""
    marker = f"MARKER-{uuid.uuid4().hex}"
    party = await marked_party(parties, await time_skipping_env.get_current_time(), marker)
    handle = without_codec(time_skipping_env.client).get_workflow_handle(workflow_id_for(party.party_id))
    stored = await handle.fetch_history()
    payloads = history_payloads(stored)
    encrypted = [p for p in payloads if is_encrypted(p)]
    print(f"\nwith the codec: {len(payloads_holding(stored, marker))} of {len(payloads)} payloads hold the marker")
    assert payloads_holding(stored, marker) == []
    # Nothing else carries it either: not ids, search attributes, task queues or error types.
    assert not any(marker.encode() in event.SerializeToString() for event in stored.events)
    # Encrypted: everything but the search attributes and the SDK's own bookkeeping of local
    # activities (sequence number, attempt, type, times); neither ever holds personal data.
    plain = _unencrypted_by_kind(stored)
    assert set(plain) == {"search attribute", "local activity bookkeeping"}, plain
    assert len(encrypted) == len(payloads) - sum(len(found) for found in plain.values())
    assert {sa.STAGE.name, sa.PARTY_KIND.name, sa.OPEN_TASKS.name} <= {name for name, _ in plain["search attribute"]}
    for _, bookkeeping in plain["local activity bookkeeping"]:
        assert set(json.loads(bookkeeping.data)) <= LOCAL_ACTIVITY_BOOKKEEPING

    decoded = await party_history(time_skipping_env.client, party.party_id)
    holding = payloads_holding(decoded, marker)
    texts = b"".join(p.data for p in holding)
    assert b"said on the call" in texts and b"was asked" in texts and b"continued" in texts
    print(f"through the codec: {len(holding)} of {len(history_payloads(decoded))} payloads hold the marker")


async def test_without_the_codec_the_marker_is_in_the_history_and_the_worker_refuses_it(
    time_skipping_env, settings, store, door_keys
):
    """The control for the test above: a client without the codec (as before encryption) writes
    the marker into the history in plain text; the worker refuses what it sent, so nothing of
    it reaches the party's file but the refusals."""
    plain = without_codec(time_skipping_env.client)
    marker = f"MARKER-{uuid.uuid4().hex}"
    parties = local_parties(plain, settings.task_queue, settings.timezone, door_keys)
    party = new_party()
    report = incident(party, await time_skipping_env.get_current_time() - timedelta(hours=1))
    async with build_worker(time_skipping_env.client, settings):
        await parties.send_incident(report.model_copy(update={"summary": f"{marker} said on the call"}))
        for _ in range(200):
            if len(store.rejections(party.party_id)) == 2:
                break
            await asyncio.sleep(0.05)
        # Nothing live on its file: the party's workflow has completed by itself.
        stored = await parties.handle(party.party_id).fetch_history()
    total = len(history_payloads(stored))
    print(f"\nwithout the codec: {len(payloads_holding(stored, marker))} of {total} payloads hold the marker")
    assert len(payloads_holding(stored, marker)) >= 1
    assert [(r.message, r.reason.split(":")[0]) for r in store.rejections(party.party_id)] == [
        ("start", "start refused, unencrypted"),
        ("report_incident", "unencrypted"),
    ]
    assert store.incidents(party.party_id) == []


def _client_with(env_client: Client, ring: KeyRing) -> Client:
    return Client(
        env_client.service_client,
        namespace=env_client.namespace,
        data_converter=data_converter(ring, DEFAULT_NAMESPACE),
    )


async def test_party_carries_on_across_a_key_rotation(dev_server_env, settings, door_keys):
    """Old payloads decode after rotation: a party started under one key gets new messages
    under the next, on a new worker that replays the old history from the start. (On the
    dev server: the time-skipping one does not hand a party over from a stopped worker.)"""
    env_client = dev_server_env.client
    old_ring = generate()
    new_ring = old_ring.rotated()
    party = new_party()
    now = datetime.now(UTC)
    first = incident(party, now - timedelta(hours=2))
    second = incident(party, now - timedelta(hours=1))
    before = local_parties(_client_with(env_client, old_ring), settings.task_queue, settings.timezone, door_keys)
    after = local_parties(_client_with(env_client, new_ring), settings.task_queue, settings.timezone, door_keys)
    try:
        async with build_worker(before.client, settings):
            await before.report_incident(first)
        async with build_worker(after.client, settings):
            await after.report_incident(second)
            assert (await after.status(party.party_id)).incident_count == 2
        history = await party_history(after.client, party.party_id)
        stored = await without_codec(env_client).get_workflow_handle(workflow_id_for(party.party_id)).fetch_history()
        key_ids = {p.metadata[KEY_ID].decode() for p in history_payloads(stored) if is_encrypted(p)}
        assert key_ids == {old_ring.active_id, new_ring.active_id}
        assert payloads_holding(history, first.incident_id) and payloads_holding(history, second.incident_id)
    finally:
        await after.handle(party.party_id).terminate(reason="test finished")


async def test_client_without_the_key_is_told_which_key_and_nothing_is_lost(time_skipping_env, parties):
    party = new_party()
    await parties.report_incident(incident(party, await time_skipping_env.get_current_time()))
    key_id = key_ring_of(time_skipping_env.client).active_id
    stranger = PartyClient(_client_with(time_skipping_env.client, generate()), parties.task_queue, parties.timezone)
    with pytest.raises(Exception, match=f"key '{key_id}'"):
        await stranger.status(party.party_id)
    with pytest.raises(UnknownKeyError, match=f"key '{key_id}'"):
        await party_history(stranger.client, party.party_id)
    assert (await parties.status(party.party_id)).incident_count == 1
    assert payloads_holding(await party_history(time_skipping_env.client, party.party_id), party.party_id)


async def _ubp(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ubp"),
        *args,
        env=os.environ | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_ubp_history_prints_the_party_decoded(time_skipping_env, parties, key_ring):
    marker = f"MARKER-{uuid.uuid4().hex}"
    party = await marked_party(parties, await time_skipping_env.get_current_time(), marker)
    env = {"UBP_TEMPORAL_ADDRESS": time_skipping_env.client.service_client.config.target_host}

    code, out, err = await _ubp("history", party.party_id, env=env | {"UBP_ENCRYPTION_KEYS": key_ring.to_json()})
    assert code == 0, err
    events = json.loads(out)
    assert events[0]["type"] == "workflow_execution_started"
    assert events[0]["attributes"]["input"]["payloads"][0]["party"]["party_id"] == party.party_id
    for text in ("said on the call", "was asked", "continued"):
        assert f"{marker} {text}" in out

    code, out, err = await _ubp("history", party.party_id, env=env | {"UBP_ENCRYPTION_KEYS": generate().to_json()})
    assert code == 1 and key_ring.active_id in err and marker not in out + err

    code, _, err = await _ubp("history", "nobody-here", env=env | {"UBP_ENCRYPTION_KEYS": key_ring.to_json()})
    assert code == 1 and "no workflow for party 'nobody-here'" in err


def test_production_stack_refuses_to_start_without_a_key_ring():
    """docker-compose.yml: the key ring is a required secret of every service that talks to
    Temporal as the project (the worker, the API and the Schedules' deploy job), and the message
    when it is missing says how to make one."""
    compose = (Path(__file__).parent.parent / "docker-compose.yml").read_text()
    assert re.search(r'file: "\$\{UBP_ENCRYPTION_KEY_FILE:\?[^}]*ubp keys generate --file [^}]*\}"', compose)
    services = yaml.safe_load(compose)["services"]
    for name in ("worker", "api", "schedules"):
        assert services[name]["environment"]["UBP_ENCRYPTION_KEY_FILE"] == "/run/secrets/ubp-encryption-keys", name
        assert "ubp-encryption-keys" in services[name]["secrets"], name
    assert "UBP_ENCRYPTION_KEYS:" not in compose, "key material belongs in the secret file, not the environment"


@in_the_sqlite_pass_only("a worker without the payload's key")
async def test_worker_without_the_key_fails_the_task_and_nothing_is_lost(dev_server_env, settings, door_keys):
    """A worker whose ring lacks a payload's key cannot run the party: its workflow task fails,
    naming the key, and is retried. Once a worker has the key, the party goes on as if nothing
    happened. (On the dev server: the time-skipping one does not hand a party over.)"""
    env_client = dev_server_env.client
    ring, other = generate(), generate()
    party = new_party()
    now = datetime.now(UTC)
    owner = local_parties(_client_with(env_client, ring), settings.task_queue, settings.timezone, door_keys)
    handle = owner.handle(party.party_id)
    try:
        async with build_worker(owner.client, settings):
            await owner.report_incident(incident(party, now - timedelta(hours=2)))
        await owner.send_incident(incident(party, now - timedelta(hours=1)))
        # Later, with both keys (encrypting with the other's): reads the failures, and carries on.
        restored = local_parties(
            _client_with(env_client, other.including(ring)), settings.task_queue, settings.timezone, door_keys
        )
        async with build_worker(_client_with(env_client, other), settings):
            for _ in range(100):
                refused: list[BaseException] = []
                for event in (await handle.fetch_history()).events:
                    if event.HasField("workflow_task_failed_event_attributes"):
                        failure = Failure()
                        failure.CopyFrom(event.workflow_task_failed_event_attributes.failure)
                        refused.append(await restored.client.data_converter.decode_failure(failure))
                if any(isinstance(e, ApplicationError) and e.type == "UnknownKeyError" for e in refused):
                    break
                await asyncio.sleep(0.1)
        [unknown] = {str(e) for e in refused if isinstance(e, ApplicationError) and e.type == "UnknownKeyError"}
        assert f"key '{ring.active_id}'" in unknown
        async with build_worker(restored.client, settings):
            for _ in range(200):
                if (await restored.status(party.party_id)).incident_count == 2:
                    break
                await asyncio.sleep(0.1)
            assert (await restored.status(party.party_id)).incident_count == 2
    finally:
        await handle.terminate(reason="test finished")
