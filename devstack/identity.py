"""The dev stack's and the tests' OpenID provider: devstack/oidc/provider.mjs (the certified
`oidc-provider` package, on Node), started with the inbox as its one client and the given
accounts. `npm ci --prefix devstack/oidc` (scripts/setup.sh) installs it.
"""

import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from devstack.server import free_port, port_open

HERE = Path(__file__).parent / "oidc"
CLIENT_ID = "ubp-inbox"
# Dev and tests only: the provider runs on loopback, and nothing but test data is behind it.
CLIENT_SECRET = "dev-only-inbox-secret"
PASSWORD = "dev-only-password"


def unavailable() -> str:
    """Why the provider cannot start here ('' if it can), saying how to fix it."""
    if shutil.which("node") is None:
        return "Node.js is not installed: the dev identity provider runs on it (Node 20.19 or later)"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return "the dev identity provider is not installed: `bash scripts/setup.sh` (npm ci --prefix devstack/oidc)"
    return ""


@dataclass
class Account:
    """Someone who can sign in at the provider: their subject, what its ID token says, how they signed in."""

    subject: str
    name: str
    roles: list[str] = field(default_factory=list)
    amr: list[str] = field(default_factory=lambda: ["pwd"])


class DevIdentityProvider:
    """The provider on a free port of 127.0.0.1; `start()`, then `stop()`.

    Args:
        redirect_uri: The inbox's callback (`.../inbox/signed-in`).
        accounts: Who may sign in (each with PASSWORD).
        port: Its port; a free one if None.
    """

    def __init__(self, redirect_uri: str, accounts: list[Account], port: int | None = None) -> None:
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._config: dict[str, Any] = {
            "port": self.port,
            "issuer": self.issuer,
            "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri]}],
            "accounts": {
                a.subject: {"password": PASSWORD, "amr": a.amr, "claims": {"name": a.name, "roles": a.roles}}
                for a in accounts
            },
        }
        self._process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="ubp-idp-")

    def settings(self) -> dict[str, Any]:
        """The inbox's settings for this provider (as values: they may update a Settings)."""
        return {"oidc_issuer": self.issuer, "oidc_client_id": CLIENT_ID, "oidc_client_secret": SecretStr(CLIENT_SECRET)}

    def start(self, timeout: float = 20.0) -> None:
        why_not = unavailable()
        if why_not:
            raise RuntimeError(why_not)
        config = Path(self._dir.name) / "provider.json"
        config.write_text(json.dumps(self._config))
        log = (Path(self._dir.name) / "provider.log").open("wb")
        self._process = subprocess.Popen(
            ["node", str(HERE / "provider.mjs"), str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while not port_open(f"127.0.0.1:{self.port}"):
            if self._process.poll() is not None or time.monotonic() > deadline:
                why = self.log()
                self.stop()
                raise RuntimeError(f"the dev identity provider did not start: {why}")
            time.sleep(0.05)

    def log(self) -> str:
        path = Path(self._dir.name) / "provider.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self._dir.cleanup()
