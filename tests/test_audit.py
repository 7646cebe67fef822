"""The vulnerability check of the locked dependencies (scripts/audit.py): how it judges
pip-audit's JSON report. pip-audit itself runs in the test command (scripts/test.sh)."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit.py"

VULNERABLE = {
    "dependencies": [
        {"name": "jinja2", "version": "3.1.6", "vulns": []},
        {
            "name": "starlette",
            "version": "0.1.0",
            "vulns": [{"id": "GHSA-aaaa-bbbb-cccc", "fix_versions": ["0.2.0"], "aliases": ["CVE-2099-0001"]}],
        },
    ],
    "fixes": [],
}
UNREACHABLE = {
    "dependencies": [
        {"name": "jinja2", "skip_reason": "Dependency not found on PyPI and could not be audited: jinja2 (3.1.6)"},
        {
            "name": "starlette",
            "skip_reason": "Dependency not found on PyPI and could not be audited: starlette (0.1.0)",
        },
    ],
    "fixes": [],
}


def audit(
    tmp_path: Path, report: dict, ignore: str = "", *, required: bool = False
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "report.json").write_text(json.dumps(report))
    (tmp_path / "ignore.txt").write_text(ignore)
    env = {"UBP_AUDIT_REQUIRED": "1"} if required else {}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--report", "report.json", "--ignore-file", "ignore.txt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )


def test_a_known_vulnerability_fails_the_check_naming_it(tmp_path: Path) -> None:
    done = audit(tmp_path, VULNERABLE)
    assert done.returncode == 1
    assert "starlette 0.1.0: GHSA-aaaa-bbbb-cccc / CVE-2099-0001 (fixed in 0.2.0)" in done.stdout


@pytest.mark.parametrize("listed", ["GHSA-aaaa-bbbb-cccc", "CVE-2099-0001"])
def test_a_vulnerability_listed_with_a_reason_passes_by_id_or_alias(tmp_path: Path, listed: str) -> None:
    done = audit(tmp_path, VULNERABLE, f"# why\n{listed}  only in the test server, never reached by users\n")
    assert done.returncode == 0, done.stdout
    assert "ignored" in done.stdout and "only in the test server" in done.stdout


def test_a_listed_vulnerability_without_a_reason_fails(tmp_path: Path) -> None:
    done = audit(tmp_path, VULNERABLE, "GHSA-aaaa-bbbb-cccc\n")
    assert done.returncode == 1
    assert "has no reason" in done.stdout


def test_an_unreachable_advisory_service_is_said_and_fails_only_a_release(tmp_path: Path) -> None:
    done = audit(tmp_path, UNREACHABLE)
    assert done.returncode == 0
    assert "2 of 2 locked packages, which were NOT checked" in done.stdout and "jinja2, starlette" in done.stdout
    assert audit(tmp_path, UNREACHABLE, required=True).returncode == 2


def test_the_image_lock_is_within_the_test_lock_and_pyproject_pins_are_locked() -> None:
    """The tests run on exactly the versions the image installs, and both locks follow
    pyproject.toml (scripts/lock.sh remakes them after a change there)."""
    root = SCRIPT.parent.parent

    def pins(lock: str) -> dict[str, str]:
        found = {}
        for line in (root / "requirements" / lock).read_text().splitlines():
            if line and not line[0].isspace() and not line.startswith("#"):
                name, _, rest = line.partition("==")
                found[name.lower().replace("_", "-")] = rest.split()[0].split(";")[0]
        return found

    main, dev = pins("main.lock"), pins("dev.lock")
    assert {name: dev.get(name) for name in main} == main
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    for wanted, lock in [(project["dependencies"], main), (project["optional-dependencies"]["test"], dev)]:
        for requirement in wanted:
            name, _, version = requirement.partition("==")
            name = name.split("[")[0].lower().replace("_", "-")
            assert lock.get(name) == version, f"{requirement} is not in the lock: run scripts/lock.sh"
