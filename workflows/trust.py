"""The doors' public keys this worker process trusts: the party workflow checks each
message's seal with them (policy.authority) before applying it.

Set once by the worker when it is built (`worker.build_worker`), and by a replayer
before it replays: the keys are configuration, which workflow code may not read
itself, and the same keys give the same answer on every replay. One set per
process; keep every key whose seals a kept history holds.
"""

from policy.authority import DoorVerifier

_trusted: list[DoorVerifier] = []


def trust(verifier: DoorVerifier) -> None:
    """Check seals with `verifier` from now on, in this process."""
    _trusted[:] = [verifier]


def verifier() -> DoorVerifier:
    """The verifier set by `trust`.

    Raises:
        RuntimeError: None was set: the workflow task fails and is retried (nothing is
            lost) until a worker that trusts the door's keys takes it.
    """
    if not _trusted:
        raise RuntimeError("this worker trusts no door key: build it with worker.build_worker (UBP_DOOR_KEY_FILE)")
    return _trusted[0]
