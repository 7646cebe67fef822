"""R4a in real Chromium: a party's timeline in the inbox shows the call a colleague ended
after an ask and the ground rules for future calls, one lifted since; axe-core finds
nothing against WCAG 2.2 AA. The file is written as the workflow writes it (tests/test_ground_rules.py
checks the rules; here, the page)."""

from datetime import timedelta

from policy import rules
from policy.effects import EffectBatch
from policy.messages import AskRecord, EndedCall, EndedCallRecord, GroundRulesLift
from policy.vocabulary import ContactChannel
from records.store import RecordStore
from tests.browser import Browser, Inbox, assert_accessible, browser_marks, screenshot
from tests.policy_builders import PARTY_ID, Party, incident, utc

pytestmark = browser_marks()

AGREED = utc(2026, 3, 2, 10)
RULES = "We end the call if voices are raised; we discuss case CASE-1 only."


def _write_file(store: RecordStore) -> None:
    """An incident, an ask whose call was ended with ground rules, a meeting ended later whose
    ground rules a colleague lifted."""
    party = Party()

    def write(effects) -> None:
        store.apply(EffectBatch(party_id=PARTY_ID, effects=effects))

    write(party.incident(incident("i1", AGREED - timedelta(hours=2)), AGREED)[1])
    call = EndedCall(ended_at=AGREED, channel=ContactChannel.PHONE, why="Shouting went on.", ground_rules=RULES)
    asked = AskRecord(
        ask_id="a1",
        party_id=PARTY_ID,
        incident_ids=["i1"],
        asked_at=AGREED - timedelta(minutes=10),
        asked_by="colleague-9",
        ended_call=call,
    )
    write(party.ask(asked, AGREED))
    meeting = EndedCallRecord(
        call_id="m1",
        party_id=PARTY_ID,
        ask_id="a1",
        ended_at=AGREED + timedelta(days=7),
        channel=ContactChannel.IN_PERSON,
        why="Insults in the meeting.",
        ground_rules="Meetings end at the first insult.",
        ended_by="colleague-9",
    )
    write(rules.apply_ended_call(party.state, meeting, meeting.ended_at))
    lift = GroundRulesLift(
        party_id=PARTY_ID, call_id="m1", lifted_at=AGREED + timedelta(days=20), lifted_by="manager-1", reason="Calm."
    )
    write(rules.apply_ground_rules_lift(party.state, lift, lift.lifted_at))


async def test_r4a_the_timeline_shows_the_ended_call_and_the_ground_rules(chromium: Browser, inbox: Inbox):
    _write_file(inbox.store)
    page = await chromium.new_page()
    try:
        path = f"/inbox/parties/{PARTY_ID}"
        await inbox.sign_in(page, "colleague-9", path)
        await page.get_by_role("heading", name=f"Timeline for party {PARTY_ID}", level=1).wait_for()
        rows = page.get_by_role("row")
        ended = rows.filter(has_text="Call ended, the behaviour continued (R4a)")
        assert await ended.count() == 1
        assert RULES in await ended.inner_text()
        assert "They stand until" in await ended.inner_text()
        assert await rows.filter(has_text="Meeting ended, the behaviour continued (R4a)").count() == 1
        lifted = rows.filter(has_text="Ground rules lifted (R4a)")
        assert await lifted.count() == 1 and "manager-1" in await lifted.inner_text()
        await assert_accessible(page)
        await screenshot(page, "inbox-party-timeline-ground-rules")
    finally:
        await page.close()
