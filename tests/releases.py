"""The releases the upgrade and rollback tests run against (tests/test_upgrade.py).

Each release is a tag and the commit it names, kept in tests/releases.json so a clone
without tags (a CI that fetches the branch only) still finds it: the commit is on main.
A release runs from its own tree (`git archive` of the commit) in a virtual environment
of its own. When its locked dependencies are HEAD's, the environment reads HEAD's
installed packages (a `.pth` line) instead of installing them again, which takes
minutes; otherwise it installs the release's own lock files, checked against their hashes.
"""

import fcntl
import json
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RELEASES_FILE = Path(__file__).with_name("releases.json")
LOCKS = ("requirements/main.lock", "requirements/dev.lock")


@dataclass(frozen=True)
class Release:
    """A release installed from its commit: its tree and the Python of its environment."""

    tag: str
    commit: str
    tree: Path
    python: Path

    def run(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run the release's Python in its tree; its output."""
        done = subprocess.run(
            [str(self.python), *args], cwd=self.tree, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.tag}: {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def schema_head(self) -> str:
        """The records database revision the release's code needs."""
        return self.run("-c", "from records.schema import head_revision; print(head_revision())").strip()


def releases() -> dict[str, str]:
    """Every release so far, oldest first: tag to commit."""
    return json.loads(RELEASES_FILE.read_text())


def previous_release() -> str | None:
    """The latest release's tag; None before the first."""
    return next(reversed(releases()), None)


def _git(*args: str, cwd: Path = PROJECT_ROOT) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True).stdout


def install(tag: str, where: Path) -> Release:
    """The release `tag`, unpacked and installed under `where` (kept between runs, by commit).

    Raises:
        LookupError: The commit of the release is not in this clone.
    """
    commit = releases()[tag]
    try:
        _git("cat-file", "-e", f"{commit}^{{commit}}")
    except subprocess.CalledProcessError:
        raise LookupError(f"release {tag}'s commit {commit} is not in this clone (git fetch it)") from None
    where.mkdir(parents=True, exist_ok=True)
    # The suite's two passes run side by side: one installs, the other waits and finds it done.
    with open(where / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _install(tag, commit, where / tag)


def _install(tag: str, commit: str, home: Path) -> Release:
    tree, venv, stamp = home / "tree", home / "venv", home / "installed"
    python = venv / "bin" / "python"
    if stamp.exists() and stamp.read_text() == commit:
        return Release(tag, commit, tree, python)
    subprocess.run(["rm", "-rf", str(home)], check=True)
    tree.mkdir(parents=True)
    archive = _git("archive", "--format=tar", commit)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    if all((tree / lock).read_bytes() == (PROJECT_ROOT / lock).read_bytes() for lock in LOCKS):
        # The same pins, hash for hash: HEAD's installed packages are the release's.
        (site / "release-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    else:
        locks = [arg for lock in LOCKS for arg in ("-r", str(tree / lock))]
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps", *locks], check=True
        )
    # The release's own code is its tree (the processes run in it), as it was tagged.
    (site / "release-code.pth").write_text(f"{tree}\n")
    stamp.write_text(commit)
    return Release(tag, commit, tree, python)
