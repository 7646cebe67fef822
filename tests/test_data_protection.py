"""Data protection through the HTTP API, on Temporal's time-skipping server: a party with a full
history (incidents, an ask with an ended call and ground rules, a warning, a restriction run to
its end, a colleague's support, an adjustment, a closed case, a contact, letters), corrected and
disputed, exported whole as JSON and as a PDF read back; the register of markers at two dates.
The rules themselves are tested without Temporal in tests/test_data_protection_rules.py."""

import asyncio
import io
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest_asyncio
from pypdf import PdfReader

from policy.messages import AdjustmentDecision, AdjustmentRequest, CaseClosure, EndedCall, TaskDecision
from policy.timeline import EntryKind, Viewer, timeline
from policy.vocabulary import ContactChannel, RestrictionStatus, Role, SupportOption, TaskOutcome
from tests.cli_api import ubp_over_api
from tests.helpers import ask, incident, new_party, planned_task, restriction, wait_for_status, warning
from tests.test_api import Api, _staff_and_tokens
from web.app import create_app

# Words only the colleague's support holds (R18): never in an export.
SUPPORT_REASON = "Talked through the call with the colleague in private."
GROUND_RULES = "Calls end if voices are raised."


@pytest_asyncio.fixture
async def api(parties, store, settings) -> AsyncIterator[Api]:
    tokens = _staff_and_tokens(store)
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, tokens)


async def _letters(store, party_id: str, kinds: int) -> list[str]:
    """The party's letter ids once `kinds` of them are made (an activity, after each update)."""
    for _ in range(200):
        letters = store.letters(party_id)
        if len(letters) >= kinds:
            return [row.letter_id for row in letters]
        await asyncio.sleep(0.1)
    raise AssertionError(f"letters never made: {[row.letter_id for row in store.letters(party_id)]}")


async def test_art15_art16_a_full_history_is_exported_whole_without_what_is_left_out_and_read_back(
    time_skipping_env, parties, store, api, settings, monkeypatch, tmp_path
):
    now = await time_skipping_env.get_current_time()
    party = new_party()
    pid = party.party_id
    day = timedelta(days=1)
    first = incident(party, now - 10 * day)
    await parties.report_incident(first)
    asked = ask(party, [first.incident_id], now - 10 * day + timedelta(hours=1)).model_copy(
        update={
            "ended_call": EndedCall(
                ended_at=now - 10 * day + timedelta(hours=1, minutes=5),
                channel=ContactChannel.PHONE,
                why="Shouting went on.",
                ground_rules=GROUND_RULES,
            )
        }
    )
    await parties.record_ask(asked)
    second = incident(party, now - 9 * day)
    await parties.report_incident(second)
    warned = warning(party, [second.incident_id], now - 9 * day + timedelta(hours=1))
    await parties.issue_warning(warned)
    third = incident(party, now - 8 * day)
    await parties.report_incident(third)
    restricted = restriction(party, [third.incident_id], now - 8 * day + timedelta(hours=1))
    await parties.apply_restriction(restricted)
    await parties.request_adjustment(
        AdjustmentRequest(
            adjustment_id=f"adj-{pid}",
            party_id=pid,
            description="Letters in large print, please.",
            requested_at=now - 7 * day,
            recorded_by="colleague-2",
        )
    )
    await parties.decide_adjustment(
        AdjustmentDecision(
            adjustment_id=f"adj-{pid}",
            party_id=pid,
            agree=True,
            decided_by="manager-1",
            reason="Large print helps.",
            decided_at=now - 7 * day + timedelta(hours=1),
        )
    )
    support = f"support-{first.incident_id}"
    await planned_task(store, support)
    await parties.decide_task(
        TaskDecision(
            decision_id=f"d-{support}",
            party_id=pid,
            task_id=support,
            decided_by="manager-1",
            role=Role.MANAGER,
            outcome=TaskOutcome.SUPPORT_RECORDED,
            reason=SUPPORT_REASON,
            support_offered=[SupportOption.MENTAL_HEALTH_FIRST_AIDER],
            decided_at=now - 6 * day,
        )
    )
    await parties.record_case_closure(
        CaseClosure(party_id=pid, case_reference="CASE-1", closed_at=now - 5 * day, closed_by="colleague-1")
    )
    contact = {"contact_id": f"c-{pid}", "received_at": (now - 4 * day).isoformat(), "channel": "email"}
    answered = await api.client.post(f"/parties/{pid}/contacts", json=contact, headers=api.auth("colleague-9"))
    assert answered.status_code == 200, answered.text
    # In force from when it was applied (the workflow's clock), until six months after the last instance.
    in_force_at = await time_skipping_env.get_current_time()
    # R12: six months on, the restriction has run to its end, and its ending is written up too.
    await time_skipping_env.sleep(timedelta(days=200))
    status = await wait_for_status(
        parties, pid, lambda s: [r.status for r in s.restrictions] == [RestrictionStatus.EXPIRED]
    )
    letters = await _letters(store, pid, 4)

    # Art. 16: a manager corrects an incident; a colleague adds the person's statement disputing the warning.
    corrected_text = "The call was on 2 March, not 1 March."
    correction = {"correction_id": f"cor-{pid}", "about_kind": "incident", "about_id": first.incident_id,
                  "text": corrected_text, "letter": True}  # fmt: skip
    corrected = await api.client.post(f"/parties/{pid}/corrections", json=correction, headers=api.auth("manager-1"))
    assert corrected.status_code == 200 and corrected.json()["recorded_by"] == "manager-1", corrected.text
    # Put on a letter to the person, kept with their letters to send as any other.
    on_letter = corrected.json()["letter_id"]
    assert on_letter == f"letter:correction:cor-{pid}"
    letter = store.letter(on_letter)
    assert letter is not None and letter.kind == "correction" and letter.subject_id == first.incident_id
    letter_words = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.pdf)).pages).split())
    assert corrected_text in letter_words and "We have corrected our records" in letter_words
    again = await api.client.post(f"/parties/{pid}/corrections", json=correction, headers=api.auth("manager-1"))
    assert again.json()["duplicate"] is True
    refused = await api.client.post(f"/parties/{pid}/corrections", json=correction, headers=api.auth("colleague-9"))
    assert refused.status_code == 403 and refused.json()["rule"] == "Art. 16", refused.text
    dispute = {"correction_id": f"dis-{pid}", "about_kind": "warning", "about_id": warned.warning_id,
               "text": "I never raised my voice."}  # fmt: skip
    disputed = await api.client.post(f"/parties/{pid}/disputes", json=dispute, headers=api.auth("colleague-9"))
    assert disputed.status_code == 200 and disputed.json()["kind"] == "dispute", disputed.text
    nothing = dispute | {"correction_id": "dis-x", "about_id": "warn-none"}
    missing = await api.client.post(f"/parties/{pid}/disputes", json=nothing, headers=api.auth("colleague-9"))
    assert missing.status_code == 409 and missing.json()["rule"] == "Art. 16", missing.text
    # The originals are kept as they were; the timeline shows both beside them.
    assert [row.summary for row in store.incidents(pid)] == [first.summary] * 3
    assert store.warnings(pid)[0].data["reasons"] == warned.reasons
    file = store.party_file(pid)
    assert file is not None
    annexes = [e for e in timeline(file, settings.timezone, Viewer("manager-1", frozenset({Role.MANAGER})))
               if e.kind == EntryKind.CORRECTION]  # fmt: skip
    assert [(e.ref, e.facts[1].text) for e in annexes] == [
        (first.incident_id, corrected_text),
        (warned.warning_id, dispute["text"]),
    ]

    # Art. 15: the JSON holds every item on the file, and none of what is left out.
    exported = await api.client.get(f"/parties/{pid}/subject-access", headers=api.auth("manager-1"))
    assert exported.status_code == 200 and exported.headers["cache-control"] == "no-store", exported.text
    data = exported.json()
    f = data["file"]
    assert [i["incident_id"] for i in f["incidents"]] == [first.incident_id, second.incident_id, third.incident_id]
    assert [a["ask_id"] for a in f["asks"]] == [asked.ask_id]
    assert [(c["call_id"], c["ground_rules"]["text"]) for c in f["ended_calls"]] == [(asked.ask_id, GROUND_RULES)]
    assert [w["warning_id"] for w in f["warnings"]] == [warned.warning_id]
    assert [(r["restriction_id"], r["status"]) for r in f["restrictions"]] == [(restricted.restriction_id, "expired")]
    assert [a["adjustment_id"] for a in f["adjustments"]] == [f"adj-{pid}"]
    assert [c["case_reference"] for c in f["closed_cases"]] == ["CASE-1"]
    assert [x["letter_id"] for x in f["letters"]] == [*letters, on_letter]
    assert [c["contact_id"] for c in data["contacts"]] == [f"c-{pid}"]
    assert [c["correction_id"] for c in f["corrections"]] == [f"cor-{pid}", f"dis-{pid}"]
    assert {t["task_id"] for t in f["tasks"]} == {t.task_id for t in file.tasks} - {support}
    assert SUPPORT_REASON not in exported.text and "mental_health_first_aider" not in exported.text
    assert support not in exported.text and f["rejections"] == []
    assert f["incidents"][0]["reported_by"] == "Colin Colleague"  # the staff list's name (the default)
    assert len(status.restrictions) == 1

    # The readable document: a tagged PDF, read back.
    pdf = await api.client.get(f"/parties/{pid}/subject-access?format=pdf", headers=api.auth("manager-1"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    words = " ".join(text.split())
    for expected in ["What this is", "Dates and times", "What is not included, and why", first.incident_id,
                     warned.warning_id, restricted.restriction_id, "CASE-1", GROUND_RULES, "Large print helps.",
                     corrected_text, dispute["text"], "The person disputes the record"]:  # fmt: skip
        assert expected in words, expected
    assert "Talked through the call" not in words

    # Every export logged: who, which format, how many; never what it held.
    logged = [r for r in store.file_reads(pid) if r.what.startswith("subject access export")]
    assert [(r.staff_id, r.door, r.what.split(":")[0]) for r in logged] == [
        ("manager-1", "api", "subject access export (json)"),
        ("manager-1", "api", "subject access export (pdf)"),
    ]
    assert "incidents 3" in logged[0].what and first.summary not in logged[0].what

    # Only the roles that handle requests; a party with no file is a clear 404.
    colleague = await api.client.get(f"/parties/{pid}/subject-access", headers=api.auth("colleague-9"))
    assert colleague.status_code == 403 and colleague.json()["rule"] == "Art. 15"
    unknown = await api.client.get("/parties/p-nobody/subject-access", headers=api.auth("manager-1"))
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("No party p-nobody is on file")

    # The register: the restriction while it was in force, not after its end.
    during = await api.client.get("/markers", params={"at": in_force_at.isoformat()}, headers=api.auth("manager-1"))
    assert [(m["party_id"], m["restriction_id"]) for m in during.json() if m["party_id"] == pid] == [
        (pid, restricted.restriction_id)
    ]
    later = (await time_skipping_env.get_current_time()).isoformat()
    after = await api.client.get("/markers", params={"format": "csv", "at": later}, headers=api.auth("manager-1"))
    assert after.status_code == 200 and after.text.startswith("party_id,restriction_id,marker,")
    assert pid not in after.text

    # The same through `ubp`, signed in with a token: the export to a file, a dispute, the register.
    async with ubp_over_api(parties, store, settings, monkeypatch) as ubp:
        for staff_id in ("manager-1", "colleague-9"):
            ubp.token(store, staff_id)
        out = tmp_path / "export.json"
        done = await ubp("subject-access", pid, "--format", "json", "--out", str(out), as_="manager-1")
        assert done.exit_code == 0 and json.loads(out.read_text())["party_id"] == pid, done.output
        no = await ubp("subject-access", pid, "--out", str(out), as_="colleague-9")
        assert no.exit_code == 1 and "not permitted: Art. 15" in no.stderr, no.output
        said = ["--party", pid, "--about-kind", "ask", "--about", asked.ask_id, "--text", "I asked for help."]
        disputed = await ubp("dispute", *said, as_="colleague-9")
        assert disputed.exit_code == 0 and json.loads(disputed.stdout)["recorded_by"] == "colleague-9", disputed.output
        register = await ubp("markers", "--at", in_force_at.isoformat(), as_="manager-1")
        assert register.exit_code == 0 and f"{pid},{restricted.restriction_id}," in register.stdout, register.output
