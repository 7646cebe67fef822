"""`ubp door-keys`: the door's signing keys made, rotated and shared as public keys, and a worker
trusting the public file alone: it checks the door's seals and cannot make one."""

import stat
from datetime import UTC, datetime

from typer.testing import CliRunner

from client.door import Acting, DoorKeys, load_verifier
from policy.authority import signed_bytes
from policy.fields import Door
from policy.messages import IncidentReport
from policy.vocabulary import Role
from settings import Settings
from starter.ubp import app
from tests.helpers import incident, new_party
from workflows.party import INCIDENT_SIGNAL


def _ubp(*args: str):
    return CliRunner().invoke(app, ["door-keys", *args])


def test_made_once_owner_only_rotated_and_shared_as_public_keys(tmp_path):
    private, public = tmp_path / "door.json", tmp_path / "public.json"
    made = _ubp("generate", "--file", str(private))
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    again = _ubp("generate", "--file", str(private))
    assert again.exit_code == 2 and "rotate" in again.output
    first = DoorKeys.from_json(private.read_text(), "door")

    assert _ubp("rotate", "--file", str(private)).exit_code == 0
    keys = DoorKeys.from_json(private.read_text(), "door")
    assert first.active_id in keys.keys and keys.active_id != first.active_id
    listed = _ubp("list", "--file", str(private)).output.splitlines()
    assert sorted(listed) == sorted([f"{keys.active_id}\tseals", f"{first.active_id}\tchecked only"])
    assert _ubp("public", "--file", str(private), "--out", str(public)).exit_code == 0
    assert "private" not in public.read_text()

    # A worker given only the public file trusts seals made with either key, and no other's.
    verifier = load_verifier(Settings(door_key_file=tmp_path / "absent.json", door_public_key_file=public))
    report = incident(new_party(), datetime(2026, 12, 1, 10, tzinfo=UTC))
    by = Acting(report.reported_by, Role.COLLEAGUE, Door.API)
    for signer in (first, keys):
        assert verifier.refusal(INCIDENT_SIGNAL, signer.seal(INCIDENT_SIGNAL, report, by)) is None
    stranger = DoorKeys.generate().seal(INCIDENT_SIGNAL, report, by)
    assert "does not trust" in str(verifier.refusal(INCIDENT_SIGNAL, stranger))


def test_missing_keys_say_how_to_make_them(tmp_path):
    missing = _ubp("list", "--file", str(tmp_path / "none.json"))
    assert missing.exit_code == 1 and "ubp door-keys generate" in missing.output


def test_a_seal_made_before_a_field_was_added_still_holds():
    """A message sealed by the previous release's door, read by a worker whose message has a
    new field (with its default), verifies: fields at their defaults are not signed
    (policy.authority.signed_bytes), so an upgrade refuses no message in flight."""
    report = incident(new_party(), datetime(2026, 12, 1, 10, tzinfo=UTC))
    sealed = DoorKeys.generate().seal(INCIDENT_SIGNAL, report, Acting(report.reported_by, Role.COLLEAGUE, Door.API))
    assert sealed.authority is not None

    class NextIncidentReport(IncidentReport):
        added_later: str | None = None

    upgraded = NextIncidentReport.model_validate_json(sealed.model_dump_json())
    signed = signed_bytes(INCIDENT_SIGNAL, sealed, sealed.authority)
    assert signed_bytes(INCIDENT_SIGNAL, upgraded, sealed.authority) == signed
    altered = upgraded.model_copy(update={"added_later": "set by someone else"})
    assert signed_bytes(INCIDENT_SIGNAL, altered, sealed.authority) != signed
