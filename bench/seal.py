"""What the door's seal costs per message, measured alone: signing in the door, checking in the worker.

    .venv/bin/python -m bench.seal [--iterations 2000 --repeats 7 --writes 500]

For a typical incident report (the one `bench.run` sends) and a restriction
request (two measures, reasons and contact arrangements), in microseconds per
message:

- sign: `DoorKeys.seal`, what the door (or a local tool's PartyClient) adds to
  each message that changes a party: the canonical JSON of the message and
  its authority (`policy.authority.signed_bytes`), one Ed25519 signature, and
  the message copied with its authority;
- verify: `DoorVerifier.refusal`, what the party workflow runs on each message
  before applying it (an update twice: in its validator and in its handler;
  and again whenever a history is replayed): the same canonical JSON, one
  Ed25519 check, and the checks of who acted against the permission table;
- the parts: the canonical JSON alone, Ed25519 sign and verify alone;
- for scale, the codec on the same sealed message: the pydantic converter's
  payload, then AES-256-GCM (`client.codec`), and back (`WorkerCodec`, as the
  worker decodes), and the payload's size before and after the seal;
- what the worker writes for it (`--writes`, 0 skips): the effects of one
  incident report written to a records database on SQLite in a temporary
  folder (`RecordStore.apply`, one transaction, as the write_effects
  local activity does), unsealed and alone as before the seal, against sealed
  with the record of who acted (`policy.authority.acted`, a row of its own),
  alternating; and the write batch's JSON and its trip through the converter
  and the codec, as the local activity's input.

Keys are made for the run (nothing is read from or written to var/). Each
figure is CPU time (the process's, so waiting for a core does not count):
the best and the median over `--repeats` of the mean over `--iterations`
calls; the writes are medians, as wall time and CPU time.
"""

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cryptography
from pydantic import BaseModel
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.contacts import email_only_restriction
from bench.run import load_average, report
from client.codec import EncryptionCodec, WorkerCodec
from client.door import Acting, DoorKeys
from client.keys import generate
from policy import rules
from policy.authority import acted, signed_bytes
from policy.effects import EffectBatch
from policy.fields import Door
from policy.messages import PartyRef
from policy.state import PartyState
from policy.vocabulary import Role
from records.db import make_engine
from records.schema import upgrade_schema
from records.store import RecordStore

NAMESPACE = "default"


def per_call_us(call: Callable[[], object], iterations: int, repeats: int) -> tuple[float, float]:
    """The CPU time of one call in microseconds (this process's, so time spent waiting for
    a core other processes hold does not count): the best and the median over `repeats`
    of the mean over `iterations` calls."""
    for _ in range(min(iterations, 200)):  # warm caches and lazy imports
        call()
    means = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(iterations):
            call()
        means.append(1e6 * (time.process_time() - t0) / iterations)
    return min(means), statistics.median(means)


def round_trip(message: BaseModel, encoder: EncryptionCodec, decoder: WorkerCodec) -> BaseModel:
    """`message` as a payload is written by a client and read by the worker: the pydantic
    converter's JSON, encrypted, decrypted and marked, and parsed back."""
    converter = pydantic_data_converter.payload_converter
    parsed: BaseModel = converter.from_payload(
        decoder.decrypt(encoder.encrypt(converter.to_payload(message))), type(message)
    )
    return parsed


def measure(
    name: str, handler: str, message: BaseModel, acting: Acting, door: DoorKeys, iterations: int, repeats: int
) -> None:
    verifier = door.verifier()
    encoder = EncryptionCodec(generate(), NAMESPACE)
    decoder = WorkerCodec(encoder.key_ring, NAMESPACE)
    sealed = door.seal(handler, message, acting)
    assert verifier.refusal(handler, sealed) is None, "the seal must hold"
    authority = sealed.authority  # type: ignore[attr-defined]  # every sealed message has one
    signing_key = door.keys[door.active_id]
    public_key = signing_key.public_key()
    to_sign = signed_bytes(handler, sealed, authority)
    signature = signing_key.sign(to_sign)
    plain = pydantic_data_converter.payload_converter.to_payload(message)
    payload = pydantic_data_converter.payload_converter.to_payload(sealed)
    encrypted = encoder.encrypt(payload)

    rows = [
        ("sign (DoorKeys.seal)", lambda: door.seal(handler, message, acting)),
        ("verify (DoorVerifier.refusal)", lambda: verifier.refusal(handler, sealed)),
        ("  canonical JSON (signed_bytes)", lambda: signed_bytes(handler, sealed, authority)),
        ("  Ed25519 sign alone", lambda: signing_key.sign(to_sign)),
        ("  Ed25519 verify alone", lambda: public_key.verify(signature, to_sign)),
        ("codec: encrypt (AES-256-GCM)", lambda: encoder.encrypt(payload)),
        ("codec: decrypt (WorkerCodec)", lambda: decoder.decrypt(encrypted)),
        ("to payload, encrypt, decrypt, from payload: unsealed", lambda: round_trip(message, encoder, decoder)),
        ("the same, sealed", lambda: round_trip(sealed, encoder, decoder)),
    ]
    print(f"## {name} ({handler}), µs of CPU per message: best, median")
    for label, call in rows:
        best, median = per_call_us(call, iterations, repeats)
        print(f"  {label:52s} {best:7.1f} {median:7.1f}")
    print(
        f"  payload JSON: {len(plain.data)} bytes unsealed, {len(payload.data)} sealed "
        f"(+{len(payload.data) - len(plain.data)}); signed bytes {len(to_sign)}; "
        f"encrypted payload {encrypted.ByteSize()} bytes"
    )


def incident_batches(door: DoorKeys | None, parties: int, tag: str) -> list[EffectBatch]:
    """The write batch of each incident report, 10 to each of `parties` new parties, as the
    party workflow makes it: sealed and with who acted when `door` is given, else as before the seal."""
    batches = []
    for p in range(parties):
        party_id = f"seal-{tag}-{p}"
        state = PartyState(party=PartyRef(party_id=party_id))
        for i in range(10):
            message = report(party_id, i)
            if door is not None:
                message = door.seal("report_incident", message, Acting(message.reported_by, Role.COLLEAGUE, Door.API))
            now = datetime.now(UTC)
            _, effects = rules.apply_incident(state, message, now)
            if door is not None:
                effects.append(acted(party_id, message, now))
            batches.append(EffectBatch(party_id=party_id, effects=effects))
    return batches


def measure_writes(door: DoorKeys, writes: int, repeats: int) -> None:
    """Write each incident's batch in a transaction of its own, before the seal and after, alternating."""
    print(f"## The write of one incident's effects (RecordStore.apply, SQLite), per incident, {writes} each way")
    with tempfile.TemporaryDirectory(prefix="ubp-seal-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'records.db'}")
        upgrade_schema(engine)
        store = RecordStore(engine)
        times: dict[str, list[float]] = {"before the seal": [], "sealed, with who acted": []}
        cpu: dict[str, list[float]] = {name: [] for name in times}
        carried: dict[str, list[float]] = {name: [] for name in times}
        encoder = EncryptionCodec(generate(), NAMESPACE)
        decoder = WorkerCodec(encoder.key_ring, NAMESPACE)
        sizes: dict[str, list[int]] = {name: [] for name in times}
        parties = max(1, writes // 10)
        for repeat in range(repeats):
            for name in times if repeat % 2 == 0 else reversed(list(times)):
                batches = incident_batches(door if name.startswith("sealed") else None, parties, f"{repeat}{name[0]}")
                t0, c0 = time.perf_counter(), time.process_time()
                for batch in batches:
                    store.apply(batch)
                times[name].append(1000 * (time.perf_counter() - t0) / len(batches))
                cpu[name].append(1000 * (time.process_time() - c0) / len(batches))
                t0 = time.perf_counter()
                for batch in batches:
                    round_trip(batch, encoder, decoder)
                carried[name].append(1000 * (time.perf_counter() - t0) / len(batches))
                sizes[name] += [len(pydantic_data_converter.payload_converter.to_payload(b).data) for b in batches]
        engine.dispose()
    for name, values in times.items():
        print(f"  {name:24s} write {statistics.median(values):5.2f} ms, CPU {statistics.median(cpu[name]):5.2f} ms; "
              f"batch JSON {statistics.mean(sizes[name]):.0f} bytes, through the converter and codec (the local "
              f"activity's input) {statistics.median(carried[name]):5.3f} ms (medians of {len(values)})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=2000, help="calls per repeat")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--writes", type=int, default=500, help="incidents written each way a repeat; 0 skips")
    args = parser.parse_args()
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    print(f"Python {platform.python_version()}, cryptography {cryptography.__version__}, {cpu}")
    print(f"load average at the start: {load_average()}")
    door = DoorKeys.generate()
    incident = report("seal-p1", 1)
    measure(
        "IncidentReport",
        "report_incident_and_wait",
        incident,
        Acting(actor=incident.reported_by, role=Role.COLLEAGUE, door=Door.API),
        door,
        args.iterations,
        args.repeats,
    )
    request = email_only_restriction("seal-p1", datetime.now(UTC))
    measure(
        "RestrictionRequest",
        "apply_restriction",
        request,
        Acting(actor=request.proposed_by, role=Role.MANAGER, door=Door.API),
        door,
        args.iterations,
        args.repeats,
    )
    if args.writes > 0:
        measure_writes(door, args.writes, args.repeats)
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
