"""What the door's seal costs per message, measured alone: signing in the door, checking in the worker.

    .venv/bin/python -m bench.seal [--iterations 2000 --repeats 7]

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
  worker decodes), and the payload's size before and after the seal.

Keys are made for the run (nothing is read from or written to var/). Each
figure is the median over `--repeats` of the mean over `--iterations` calls.
"""

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cryptography
from pydantic import BaseModel
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.run import load_average, report
from client.codec import EncryptionCodec, WorkerCodec
from client.door import Acting, DoorKeys
from client.keys import generate
from policy.authority import signed_bytes
from policy.fields import Door
from policy.messages import RestrictionRequest
from policy.vocabulary import Role

NAMESPACE = "default"


def restriction() -> RestrictionRequest:
    """A restriction as a manager proposes one: email only, to a named caseworker (R8)."""
    return RestrictionRequest.model_validate(
        {
            "restriction_id": "seal-p1-r1",
            "party_id": "seal-p1",
            "incident_ids": ["seal-p1-i2"],
            "measures": [
                {"measure": "single_contact_channel", "channels": ["email"]},
                {"measure": "single_named_contact", "named_contact": "caseworker-7"},
            ],
            "proposed_by": "manager-1",
            "reasons": "The abuse continued during the warning.",
            "contact_arrangements": "Email caseworker-7 only.",
            "decided_at": datetime.now(UTC),
        }
    )


def per_call_us(call: Callable[[], object], iterations: int, repeats: int) -> float:
    """Median over `repeats` of the mean time of one call, in microseconds."""
    for _ in range(min(iterations, 200)):  # warm caches and lazy imports
        call()
    means = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(iterations):
            call()
        means.append(1e6 * (time.perf_counter() - t0) / iterations)
    return statistics.median(means)


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

    def sealed_round_trip() -> object:
        decoded = decoder.decrypt(encoder.encrypt(pydantic_data_converter.payload_converter.to_payload(sealed)))
        return pydantic_data_converter.payload_converter.from_payload(decoded, type(sealed))

    rows = [
        ("sign (DoorKeys.seal)", lambda: door.seal(handler, message, acting)),
        ("verify (DoorVerifier.refusal)", lambda: verifier.refusal(handler, sealed)),
        ("  canonical JSON (signed_bytes)", lambda: signed_bytes(handler, sealed, authority)),
        ("  Ed25519 sign alone", lambda: signing_key.sign(to_sign)),
        ("  Ed25519 verify alone", lambda: public_key.verify(signature, to_sign)),
        ("codec: encrypt (AES-256-GCM)", lambda: encoder.encrypt(payload)),
        ("codec: decrypt (WorkerCodec)", lambda: decoder.decrypt(encrypted)),
        ("to payload, encrypt, decrypt, from payload", sealed_round_trip),
    ]
    print(f"## {name} ({handler}), µs per message")
    for label, call in rows:
        print(f"  {label:45s} {per_call_us(call, iterations, repeats):7.1f}")
    print(
        f"  payload JSON: {len(plain.data)} bytes unsealed, {len(payload.data)} sealed "
        f"(+{len(payload.data) - len(plain.data)}); signed bytes {len(to_sign)}; "
        f"encrypted payload {encrypted.ByteSize()} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=2000, help="calls per repeat")
    parser.add_argument("--repeats", type=int, default=7)
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
    request = restriction()
    measure(
        "RestrictionRequest",
        "apply_restriction",
        request,
        Acting(actor=request.proposed_by, role=Role.MANAGER, door=Door.API),
        door,
        args.iterations,
        args.repeats,
    )
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
