"""The locked dependencies checked for known vulnerabilities (pip-audit), for the test command.

    python scripts/audit.py                 # audit requirements/main.lock and dev.lock
    python scripts/audit.py --report FILE   # judge a pip-audit JSON report already made

Fails (exit 1) on a known vulnerability in a locked package, unless
requirements/audit-ignore.txt lists its id with a reason (`ID  why it does not apply or
what waits on it`); a listed id without a reason fails too.

pip-audit asks PyPI's advisory data for each package at its locked version. When that
service cannot be reached, pip-audit itself passes ("No known vulnerabilities found")
having checked nothing; here such a run says so, names the packages left unchecked, and
passes (exit 0) unless UBP_AUDIT_REQUIRED is set (a release build: docs/operations.md,
"Releases"), when it fails (exit 2). Why not always fail: an outage of an outside service
says nothing of the code under test, and on networks that reach the package index but not
the advisory service (these machines: the index's per-version JSON answers 404) the suite
would never pass; a release is not cut without the check (UBP_AUDIT_REQUIRED=1).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = [ROOT / "requirements" / "main.lock", ROOT / "requirements" / "dev.lock"]
IGNORE_FILE = ROOT / "requirements" / "audit-ignore.txt"
UNCHECKED_REQUIRED = "UBP_AUDIT_REQUIRED is set: a release is not cut unchecked"
UNCHECKED_PASSING = "passing anyway (the test command's verdict is on the code); a release sets UBP_AUDIT_REQUIRED=1"


def read_ignored(path: Path) -> dict[str, str]:
    """The vulnerability ids to pass over, each with its reason.

    Raises:
        ValueError: A line names an id without a reason.
    """
    ignored: dict[str, str] = {}
    if not path.exists():
        return ignored
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            raise ValueError(f"{path.name}, line {number}: {vuln_id} has no reason; say why it is ignored")
        ignored[vuln_id] = reason.strip()
    return ignored


def judge(report: dict, ignored: dict[str, str], *, required: bool) -> tuple[int, list[str]]:
    """The exit code and the lines to print for a pip-audit JSON report.

    A vulnerability is passed over when its id or one of its aliases is in `ignored`.
    """
    lines: list[str] = []
    found: list[str] = []
    unchecked: list[str] = []
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            unchecked.append(dep["name"])
            continue
        for vuln in dep.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            reason = next((ignored[i] for i in ids if i in ignored), None)
            fixed_in = ", ".join(vuln["fix_versions"]) or "none yet"
            what = f"{dep['name']} {dep['version']}: {' / '.join(ids)} (fixed in {fixed_in})"
            if reason is None:
                found.append(what)
            else:
                lines.append(f"ignored, as {IGNORE_FILE.name} says ({reason}): {what}")
    if found:
        lines += ["known vulnerabilities in the locked dependencies:", *found]
        lines.append(f"upgrade them (scripts/lock.sh), or list each id in {IGNORE_FILE.name} with a reason")
        return 1, lines
    checked = len(report.get("dependencies", [])) - len(unchecked)
    if unchecked:
        first = next(dep["skip_reason"] for dep in report["dependencies"] if "skip_reason" in dep)
        lines.append(
            f"pip-audit got no advisories for {len(unchecked)} of {checked + len(unchecked)} locked packages, "
            f"which were NOT checked ({first}; ...): {', '.join(unchecked)}"
        )
        if required:
            lines.append(UNCHECKED_REQUIRED)
            return 2, lines
        lines.append(UNCHECKED_PASSING)
        return 0, lines
    lines.append(f"no known vulnerabilities in the {checked} locked packages")
    return 0, lines


class Unreachable(Exception):
    """pip-audit could not reach the advisory service at all."""


# What requests says when no connection could be made (pip-audit does not catch it).
NO_CONNECTION = ("requests.exceptions.ConnectionError", "requests.exceptions.ProxyError", "requests.exceptions.Timeout")


def run_pip_audit() -> dict:
    """pip-audit's JSON report on the locks: pinned and hashed, so nothing is resolved or installed.

    Raises:
        Unreachable: No connection to the advisory service could be made.
        RuntimeError: pip-audit failed otherwise.
    """
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        args = [sys.executable, "-m", "pip_audit", "--require-hashes", "--disable-pip", "--progress-spinner", "off"]
        for lock in LOCKS:
            args += ["-r", str(lock)]
        done = subprocess.run([*args, "--aliases", "on", "-f", "json", "-o", str(out)], capture_output=True, text=True)
        # pip-audit exits 1 when it finds a vulnerability (the report says which); without a report it failed.
        if not out.exists():
            last = done.stderr.strip().splitlines()[-1:] or [""]
            if last[0].startswith(NO_CONNECTION):
                raise Unreachable(last[0][:500])
            raise RuntimeError(f"pip-audit failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
        return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="judge this pip-audit JSON report instead of running pip-audit")
    parser.add_argument("--ignore-file", type=Path, default=IGNORE_FILE)
    options = parser.parse_args()
    try:
        ignored = read_ignored(options.ignore_file)
    except ValueError as err:
        print(err)
        return 1
    required = bool(os.environ.get("UBP_AUDIT_REQUIRED"))
    try:
        report = json.loads(options.report.read_text()) if options.report else run_pip_audit()
    except Unreachable as err:
        print(f"pip-audit reached no advisory service, so NOTHING was checked: {err}")
        print(UNCHECKED_REQUIRED if required else UNCHECKED_PASSING)
        return 2 if required else 0
    code, lines = judge(report, ignored, required=required)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
