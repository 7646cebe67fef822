"""Nothing but the door changes a party (issue "Who acted is who signed in"): a plain Temporal
client's signal and update, a key-ring client's forged decision, an altered sealed message and
a start that hands the workflow a file of its own are refused. Nothing of theirs is on the
party's file; the refusal is, with its reason; the party keeps running and answering."""

import asyncio
import base64
import dataclasses
import json
from datetime import datetime, timedelta

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError

from client.codec import EncryptionCodec
from client.connection import without_codec
from client.door import Acting, DoorKeys
from policy.fields import Door
from policy.messages import TaskDecision
from policy.payloads import PartyWorkflowInput
from policy.state import PartyState
from policy.vocabulary import Role, Stage, TaskOutcome
from tests.helpers import ask, incident, new_party, wait_for_status, warning
from workflows.party import INCIDENT_SIGNAL, workflow_id_for


async def _warned(parties, now):
    """A party with a live warning: its workflow keeps running for six months."""
    party = new_party()
    first = incident(party, now - timedelta(days=3))
    await parties.report_incident(first)
    await parties.record_ask(ask(party, [first.incident_id], now - timedelta(days=2)))
    await parties.issue_warning(warning(party, [first.incident_id], now - timedelta(days=1)))
    return party, first


async def _rejected(store, party_id: str, count: int, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while len(rows := store.rejections(party_id)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"no rejection on file: {rows}"
        await asyncio.sleep(0.1)
    return rows


async def test_a_plain_clients_signal_and_update_are_refused_and_kept_among_the_rejections(
    time_skipping_env, parties, store
):
    now = await time_skipping_env.get_current_time()
    party, first = await _warned(parties, now)
    plain = without_codec(time_skipping_env.client)
    forged = incident(party, now - timedelta(hours=1), incident_id="forged-inc-1")
    handle = plain.get_workflow_handle(workflow_id_for(party.party_id))
    await handle.signal(INCIDENT_SIGNAL, forged.model_dump(mode="json"))
    record = ask(party, [first.incident_id], now - timedelta(hours=1)).model_dump(mode="json")
    record["asked_by"] = "c2"
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update("record_ask", record)

    rejected = await _rejected(store, party.party_id, 2)
    assert {r.message for r in rejected} == {INCIDENT_SIGNAL, "record_ask"}
    assert all(r.reason.startswith("unencrypted") for r in rejected), [r.reason for r in rejected]
    assert [r.message_id for r in rejected] == ["forged-inc-1", record["ask_id"]]
    assert "forged-inc-1" not in {i.incident_id for i in store.incidents(party.party_id)}
    assert len(store.asks(party.party_id)) == 1
    assert {a.message_kind for a in store.acted(party.party_id)} == {"incident", "ask", "warning"}

    # The party keeps running and answering, and the door's messages still apply.
    status = await parties.status(party.party_id)
    assert status.stage == Stage.WARNED and len(status.rejections) == 2
    await parties.report_incident(incident(party, now - timedelta(minutes=5), incident_id="genuine-inc-2"))
    assert "genuine-inc-2" in {i.incident_id for i in store.incidents(party.party_id)}


async def test_a_key_ring_client_cannot_forge_a_decision_nor_alter_a_sealed_one(time_skipping_env, parties, store):
    """The forger holds the encryption key ring (it encrypts as the door does) but not the door's key."""
    now = await time_skipping_env.get_current_time()
    party, first = await _warned(parties, now)
    client = time_skipping_env.client  # encrypts with the key ring
    handle = client.get_workflow_handle(workflow_id_for(party.party_id))
    decision = TaskDecision(
        decision_id="forged-dec-1",
        party_id=party.party_id,
        task_id=f"support-{first.incident_id}",
        decided_by="manager-1",
        role=Role.MANAGER,
        outcome=TaskOutcome.SUPPORT_RECORDED,
        support_offered=["employee_assistance_programme"],
        decided_at=now,
    )
    unsealed = decision
    own_key = DoorKeys.generate().seal("decide_task", decision, Acting("manager-1", Role.MANAGER, Door.API))
    genuine = parties.door.seal("decide_task", decision, Acting("manager-1", Role.MANAGER, Door.API))
    altered = genuine.model_copy(update={"decided_by": "exec-1"})
    resigned = genuine.model_copy(
        update={"authority": genuine.authority.model_copy(update={"key_id": parties.door.active_id + "x"})}
    )
    for forged in (unsealed, own_key, altered, resigned):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("decide_task", forged)
        assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "NotAuthorised"

    reasons = [r.reason for r in await _rejected(store, party.party_id, 4)]
    assert reasons[0].startswith("not sealed by the door")
    assert "which this worker does not trust" in reasons[1]
    assert reasons[2].startswith("the door's seal does not match the message")
    assert "which this worker does not trust" in reasons[3]
    assert store.decisions(party_id=party.party_id) == []
    status = await parties.status(party.party_id)
    assert [t.task_id for t in status.open_tasks] == [f"support-{first.incident_id}"]


async def test_a_seal_names_who_acted_and_the_message_must_agree(time_skipping_env, parties, store):
    now = await time_skipping_env.get_current_time()
    party, _ = await _warned(parties, now)
    # A manager's genuine seal on a colleague's message: the door never makes one, the workflow refuses it.
    report = incident(party, now - timedelta(hours=1), incident_id="mismatch-1")
    unsigned = parties.door.seal(INCIDENT_SIGNAL, report, Acting("colleague-1", Role.COLLEAGUE, Door.API))
    authority = unsigned.authority.model_copy(update={"actor": "manager-1"})
    forged = report.model_copy(update={"authority": authority})
    await time_skipping_env.client.get_workflow_handle(workflow_id_for(party.party_id)).signal(INCIDENT_SIGNAL, forged)
    [rejected] = await _rejected(store, party.party_id, 1)
    assert rejected.message_id == "mismatch-1"
    assert "mismatch-1" not in {i.incident_id for i in store.incidents(party.party_id)}


async def test_a_start_cannot_hand_the_workflow_a_file(time_skipping_env, parties, store, settings):
    """Only a run that continues as new carries a state: a client's start with one is ignored."""
    party = new_party()
    state = PartyState(party=party, stage=Stage.ZERO_TOLERANCE)
    await time_skipping_env.client.start_workflow(
        "PartyWorkflow",
        PartyWorkflowInput(party=party, timezone=settings.timezone, state=state),
        id=workflow_id_for(party.party_id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    parties.party_ids.add(party.party_id)
    [rejected] = await _rejected(store, party.party_id, 1)
    assert rejected.message == "start" and "carried a party's state" in rejected.reason
    status = await wait_for_status(parties, party.party_id, lambda s: not s.loading)
    assert status.stage == Stage.NONE


def test_the_seal_covers_the_message_as_it_travels():
    """What the door signs survives the trip through JSON exactly: the worker checks the same bytes."""
    keys = DoorKeys.generate()
    report = incident(new_party(), datetime(2026, 3, 1, 10, 0, 0, 123456).astimezone())
    sealed = keys.seal(INCIDENT_SIGNAL, report, Acting("colleague-1", Role.COLLEAGUE, Door.API))
    travelled = type(report).model_validate(json.loads(sealed.model_dump_json()))
    assert keys.verifier().refusal(INCIDENT_SIGNAL, travelled) is None
    assert keys.verifier().refusal("report_incident_and_wait", travelled) is not None  # bound to its handler
    signature = base64.b64decode(travelled.authority.signature)
    assert len(signature) == 64  # Ed25519


class TamperingCodec(EncryptionCodec):
    """Encrypts as the door does, then flips a bit: what an altered or forged ciphertext looks like."""

    def encrypt(self, payload: Payload) -> Payload:
        sealed = super().encrypt(payload)
        sealed.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
        return sealed


async def test_a_payload_that_does_not_decrypt_is_refused_and_never_wedges_the_party(
    time_skipping_env, parties, store, key_ring, settings
):
    """Raising on it would fail every workflow task of the party, for good: it is refused instead."""
    now = await time_skipping_env.get_current_time()
    party, first = await _warned(parties, now)
    config = time_skipping_env.client.config()
    config["data_converter"] = dataclasses.replace(
        config["data_converter"], payload_codec=TamperingCodec(key_ring, time_skipping_env.client.namespace)
    )
    tampering = Client(**config)
    handle = tampering.get_workflow_handle(workflow_id_for(party.party_id))
    await handle.signal(INCIDENT_SIGNAL, incident(party, now - timedelta(hours=1), incident_id="tampered-1"))
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update("record_ask", ask(party, [first.incident_id], now - timedelta(hours=1)))
    rejected = await _rejected(store, party.party_id, 2)
    assert all(r.reason.startswith("does not decrypt") and "does not authenticate" in r.reason for r in rejected)
    assert "tampered-1" not in {i.incident_id for i in store.incidents(party.party_id)}
    await parties.report_incident(incident(party, now - timedelta(minutes=5), incident_id="genuine-after"))
    assert (await parties.status(party.party_id)).incident_count == 2

    # A start whose input does not decrypt: the party its workflow id names runs from its file.
    other = new_party()
    await tampering.start_workflow(
        "PartyWorkflow",
        PartyWorkflowInput(party=other, timezone=settings.timezone),
        id=workflow_id_for(other.party_id),
        task_queue=settings.task_queue,
    )
    parties.party_ids.add(other.party_id)
    [refused] = await _rejected(store, other.party_id, 1)
    assert refused.message == "start" and "does not decrypt" in refused.reason
    await parties.report_incident(incident(other, now - timedelta(minutes=5), incident_id="genuine-other"))
    assert (await parties.status(other.party_id)).incident_count == 1
