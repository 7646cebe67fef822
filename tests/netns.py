"""A few hosts on one machine, for the multi-host fault test (tests/test_hosts.py): network
namespaces, each linked by a veth pair to a bridge in the root namespace, which is the
services host. Needs root and iproute2 (`why_unavailable` says when they are missing)."""

import os
import random
import re
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from types import TracebackType


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def why_unavailable() -> str | None:
    """Why network namespaces cannot be made here, or None if they can."""
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2) to make network namespaces with"
    if os.geteuid() != 0:
        return "network namespaces (`ip netns add`) need root"
    probe = f"ubp-probe-{uuid.uuid4().hex[:8]}"
    try:
        _ip("netns", "add", probe)
    except RuntimeError as refused:
        return f"network namespaces cannot be made here: {refused}"
    _ip("netns", "del", probe)
    return None


def _free_subnet() -> str:
    """A 10.x.y.0/24 no interface or route of this machine uses: the first three octets."""
    in_use = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    in_use += subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, check=True).stdout
    while True:
        prefix = f"10.{random.randint(64, 254)}.{random.randint(0, 255)}"
        if not re.search(rf"(^|\s){re.escape(prefix)}\.", in_use, re.MULTILINE):
            return prefix


class Hosts:
    """Hosts named `names`, each a network namespace with one link to the services host
    (the root namespace, at `services_ip`) on a /24 of its own. The names of the
    namespaces, links and subnet are this run's own, so that runs side by side (the test
    suite's two passes, two CI jobs) do not meet. A context manager: leaving it deletes
    them all, whatever happened (stop the processes in them first)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.run_id = uuid.uuid4().hex[:6]
        self._prefix = _free_subnet()
        self.services_ip = f"{self._prefix}.1"
        self._bridge = f"ubp{self.run_id}br"

    def namespace(self, name: str) -> str:
        return f"ubp-{self.run_id}-{name}"

    def ip(self, name: str) -> str:
        return f"{self._prefix}.{2 + self.names.index(name)}"

    def _link(self, name: str) -> str:
        """The services host's end of the host's link (at most 15 characters, as Linux requires)."""
        return f"ubp{self.run_id}{name}"[:15]

    def cut(self, name: str) -> None:
        """Take the host's link down: nothing passes between it and the services host."""
        _ip("link", "set", self._link(name), "down")

    def restore(self, name: str) -> None:
        _ip("link", "set", self._link(name), "up")

    def __enter__(self) -> "Hosts":
        try:
            _ip("link", "add", self._bridge, "type", "bridge")
            _ip("addr", "add", f"{self.services_ip}/24", "dev", self._bridge)
            _ip("link", "set", self._bridge, "up")
            for name in self.names:
                namespace, link, peer = self.namespace(name), self._link(name), f"ubp{self.run_id}p{name}"[:15]
                _ip("netns", "add", namespace)
                _ip("link", "add", link, "type", "veth", "peer", "name", peer)
                _ip("link", "set", peer, "netns", namespace)
                _ip("link", "set", link, "master", self._bridge)
                _ip("link", "set", link, "up")
                _ip("-n", namespace, "addr", "add", f"{self.ip(name)}/24", "dev", peer)
                _ip("-n", namespace, "link", "set", peer, "up")
                _ip("-n", namespace, "link", "set", "lo", "up")
        except BaseException:
            self._delete()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._delete()

    def _delete(self) -> None:
        # Each step on its own: a half-made set of hosts is deleted as far as it got.
        for name in self.names:
            for args in (("netns", "del", self.namespace(name)), ("link", "del", self._link(name))):
                try:
                    _ip(*args)
                except RuntimeError:
                    pass  # not made, or gone with its namespace
        try:
            _ip("link", "del", self._bridge)
        except RuntimeError:
            pass
