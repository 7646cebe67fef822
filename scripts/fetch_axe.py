"""axe-core for the browser tests' accessibility checks (tests/test_inbox_browser.py): the
pinned release from the npm registry, its sha512 checked against the registry's integrity,
axe.min.js kept in var/. At setup time only (scripts/browser-setup.sh runs it); the tests
never download.

Python's standard library only: a new machine has Python and pip, perhaps no npm.
Prints nothing and exits 0 when the file is in place; otherwise prints why on stdout
(for the tests' skip message) and exits 1.
"""

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
# `npm view axe-core@4.14.1 dist.integrity`
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
TARGET = Path(__file__).resolve().parent.parent / "var" / f"axe-core-{VERSION}" / "axe.min.js"


def integrity_of(data: bytes) -> str:
    """Subresource Integrity, as npm gives it: the algorithm, then the base64 digest."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch() -> str | None:
    """Put axe.min.js at TARGET; None when done, else what went wrong."""
    if TARGET.exists():
        return None
    try:
        with urllib.request.urlopen(TARBALL, timeout=60) as answer:
            data = answer.read()
    except OSError as err:
        return f"could not download {TARBALL} ({err}): run `python3 scripts/fetch_axe.py` once online"
    if integrity_of(data) != INTEGRITY:
        return f"{TARBALL} does not match its pinned integrity {INTEGRITY}: not used"
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            return f"{TARBALL} has no package/axe.min.js"
        script = member.read()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    partial = TARGET.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(TARGET)  # whole or not at all: a half-written file would pass for axe
    return None


if __name__ == "__main__":
    problem = fetch()
    if problem:
        print(problem)
        sys.exit(1)
