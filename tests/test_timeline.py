"""A party's timeline (R10, issue 11): everything on the file in date order, in words,
built pure (policy.timeline) and shown in the inbox to staff whose role may read it,
with the party's letters to download; who acted on each entry as they signed in; every
read logged. Need to know (R16, R18) is tested pure in tests/test_need_to_know.py."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from policy.effects import Acted, DecisionRecorded, Effect, EffectBatch, IncidentRecorded, TaskSaved
from policy.fields import Authority, Door
from policy.letters import LetterDate, LetterKind
from policy.state import AdjustmentEntry, DecisionEntry, HumanTask, Rejection, RestrictionEntry, WarningEntry
from policy.timeline import ActedOnFile, EntryKind, IncidentOnFile, LetterOnFile, PartyFile, Viewer, timeline
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    LetterFormat,
    Measure,
    PartyKind,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    SendingMethod,
    Stage,
    SupportOption,
    TaskKind,
    TaskOutcome,
    TaskStatus,
    WarningMethod,
    WarningStatus,
)
from records.store import RecordStore
from settings import Settings
from tests.party_file import SUMMARY, T0, write_long_file, write_party_file
from tests.policy_builders import PARTY_ID, incident, utc
from tests.test_api import Api, _sign_in, offline  # noqa: F401 - `offline` is a fixture

T = utc(2027, 1, 4, 10)
# A manager reads every detail on the file (need to know: tests/test_need_to_know.py).
MANAGER = Viewer(staff_id="manager-1", roles=frozenset({Role.MANAGER}))


def _incident(incident_id: str, at) -> IncidentOnFile:
    return IncidentOnFile(
        incident_id=incident_id,
        category=Category.AGGRESSIVE_OR_ABUSIVE,
        behaviour_code="verbal_abuse",
        occurred_at=at,
        received_at=at + timedelta(days=2),
        reported_by="colleague-1",
        channel="phone",
        summary="Shouted at the caseworker",
    )


def _file() -> PartyFile:
    """A file whose tables are each in their own order, not the timeline's."""
    approval = HumanTask(
        task_id="approve-r1",
        kind=TaskKind.RESTRICTION_APPROVAL,
        subject_id="r1",
        created_at=T + timedelta(days=9),
        status=TaskStatus.DONE,
        summary="Approve restriction r1",
        decisions=[
            DecisionEntry(
                decision_id="d1",
                task_id="approve-r1",
                decided_by="exec-1",
                role=Role.EXECUTIVE_TEAM,
                outcome=TaskOutcome.APPROVE,
                reason="Proportionate",
                decided_at=T + timedelta(days=12),
            )
        ],
    )
    return PartyFile(
        party_id="p-1",
        kind=PartyKind.ORGANISATION,
        stage=Stage.RESTRICTED,
        # Received in another order than they occurred.
        incidents=[_incident("i2", T + timedelta(days=8)), _incident("i1", T)],
        warnings=[
            WarningEntry(
                warning_id="w1",
                categories=[Category.AGGRESSIVE_OR_ABUSIVE],
                incident_ids=["i1"],
                communicated_at=T,  # the same instant as i1: the incident comes first
                expires_at=T + timedelta(days=200),
                issued_by="manager-1",
                method=WarningMethod.VERBAL,
                reasons="Shouting",
                status=WarningStatus.EXPIRED,
                repeat_incident_ids=["i2", "i-erased"],
                extended_by_incident_id="i2",
            )
        ],
        restrictions=[
            RestrictionEntry(
                restriction_id="r1",
                categories=[Category.AGGRESSIVE_OR_ABUSIVE],
                incident_ids=["i2"],
                measures=[Measure.SINGLE_NAMED_CONTACT, Measure.BLOCK_ALL_CONTACT],
                grounds=RestrictionGrounds.WARNING_IN_PLACE,
                status=RestrictionStatus.EXPIRED,
                proposed_by="manager-1",
                reasons="Repeated shouting",
                contact_arrangements="Through the named caseworker",
                decided_at=T + timedelta(days=9),
                last_instance_at=T + timedelta(days=8),
                needs_approval_because=["R9: block all contact"],
                starts_at=T + timedelta(days=12),
                ends_at=T + timedelta(days=190),
                ended_at=T + timedelta(days=190),
                recurrence_window_ends_at=T + timedelta(days=372),
            )
        ],
        tasks=[approval],
        adjustments=[
            AdjustmentEntry(
                adjustment_id="adj-1",
                description="Large print",
                requested_at=T + timedelta(days=1),
                recorded_by="colleague-1",
                status=AdjustmentStatus.AGREED,
                decided_by="manager-1",
                decided_at=T + timedelta(days=3),
                letter_format=LetterFormat.LARGE_PRINT,
            )
        ],
        letters=[
            LetterOnFile(
                letter_id="letter:restriction:r1",
                kind=LetterKind.RESTRICTION,
                subject_id="r1",
                decided_at=T + timedelta(days=12),
                produced_at=T + timedelta(days=12),  # the same instant as the approval it follows
                sent_at=T + timedelta(days=13),
                sent_method=SendingMethod.RECORDED_POST,
                dates=[LetterDate(label="Restrictions last until", written="13 July 2027")],
            )
        ],
        rejections=[
            Rejection(received_at=T + timedelta(days=5), message="ask", message_id="a9", reason="R4: no such incident")
        ],
    )


def test_r10_the_timeline_puts_the_whole_file_in_date_order_in_words():
    entries = timeline(_file(), "Europe/London", MANAGER)
    assert [(e.kind, e.ref) for e in entries] == [
        (EntryKind.INCIDENT, "i1"),
        (EntryKind.WARNING, "w1"),
        (EntryKind.ADJUSTMENT, "adj-1"),
        (EntryKind.ADJUSTMENT_DECIDED, "adj-1"),
        (EntryKind.REJECTION, "a9"),
        (EntryKind.INCIDENT, "i2"),
        (EntryKind.REPEAT, "w1"),  # i-erased is no longer on file: no date to show it at
        (EntryKind.RESTRICTION, "r1"),
        (EntryKind.TASK, "approve-r1"),
        (EntryKind.DECISION, "approve-r1"),  # the approval, then what it put in force, then its letter
        (EntryKind.IN_FORCE, "r1"),
        (EntryKind.LETTER, "letter:restriction:r1"),
        (EntryKind.RESTRICTION_ENDED, "r1"),
    ]
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    by_kind = {e.kind: e for e in entries}

    incident = by_kind[EntryKind.INCIDENT]
    assert incident.title == "Incident: aggressive or abusive behaviour" and incident.by == "colleague-1"
    assert {"Behaviour": "verbal abuse", "What happened": "Shouted at the caseworker"}.items() <= {
        f.label: f.text for f in incident.facts
    }.items()
    warning = {f.label: f for f in by_kind[EntryKind.WARNING].facts}
    assert by_kind[EntryKind.WARNING].title == "Warning given, verbal (R5)"
    assert warning["Lasted until"].text == "23 July 2027" and warning["Lasted until"].at == T + timedelta(days=200)
    repeat = {f.label: f.text for f in by_kind[EntryKind.REPEAT].facts}
    assert repeat == {"Incident": "i2", "The warning now lasts until": "23 July 2027"}

    proposed = by_kind[EntryKind.RESTRICTION]
    assert proposed.title == "Restriction proposed" and proposed.by == "manager-1"
    facts = {f.label: f.text for f in proposed.facts}
    assert facts["Measures"] == "Single named contact; Block all contact"
    assert facts["Grounds"] == "the behaviour continued while a warning was in place (R6)"
    assert facts["Needs approval because"] == "R9: block all contact" and facts["Status now"] == "expired"
    in_force = {f.label: f.text for f in by_kind[EntryKind.IN_FORCE].facts}
    assert in_force["Until"] == "13 July 2027"

    decision = by_kind[EntryKind.DECISION]
    assert decision.title == "Decided: approve" and decision.by == "exec-1 (executive team)"
    assert [(f.label, f.text) for f in decision.facts] == [
        ("Task", "Restriction approval (R7, R9)"),
        ("Reason", "Proportionate"),
    ]
    ended = by_kind[EntryKind.RESTRICTION_ENDED]
    assert ended.title == "Restriction ended" and ended.facts[0].text == "11 January 2028"
    assert by_kind[EntryKind.ADJUSTMENT_DECIDED].title == "Adjustment agreed (R16)"
    assert {"Letters from now on": "large print"}.items() <= {
        f.label: f.text for f in by_kind[EntryKind.ADJUSTMENT_DECIDED].facts
    }.items()

    letter = by_kind[EntryKind.LETTER]
    assert letter.title == "Letter: Restrictions on your contact with us"
    assert letter.letter_id == "letter:restriction:r1"
    assert [(f.label, f.text) for f in letter.facts] == [
        ("Explains the decision on", "r1"),
        ("Sent", "17 January 2027"),
        ("Sent by", "recorded post"),
        ("Restrictions last until", "13 July 2027"),
    ]


def test_r10_a_restriction_lifted_early_and_a_letter_not_sent_say_so():
    file = _file()
    file.tasks[0].decisions[0] = file.tasks[0].decisions[0].model_copy(update={"outcome": TaskOutcome.LIFT_EARLY})
    file.letters[0] = file.letters[0].model_copy(update={"sent_at": None, "sent_method": None})
    entries = {e.kind: e for e in timeline(file, "Europe/London", MANAGER)}
    assert entries[EntryKind.RESTRICTION_ENDED].title == "Restriction lifted"
    assert ("Sent", "not sent yet") in [(f.label, f.text) for f in entries[EntryKind.LETTER].facts]


def test_who_acted_is_shown_as_the_door_authenticated_them():
    """Each entry names the principal the door authenticated, their role, the case system that
    carried it and the door; an entry from before that was recorded names who the message said."""
    file = _file()
    file.acted = [
        ActedOnFile(message_kind=kind, message_id=message_id, actor=actor, role=role, door=door, via=via)
        for kind, message_id, actor, role, door, via in [
            ("incident", "i1", "colleague-1", Role.COLLEAGUE, Door.API, "case-system"),
            ("decision", "d1", "exec-1", Role.EXECUTIVE_TEAM, Door.INBOX, None),
            ("adjustment_request", "adj-1", "colleague-1", Role.COLLEAGUE, Door.INBOX, None),
        ]
    ]
    who = {(e.kind, e.ref): (e.by, e.how) for e in timeline(file, "Europe/London", MANAGER)}
    assert who[EntryKind.INCIDENT, "i1"] == ("colleague-1 (colleague)", "carried by case-system, through the API")
    assert who[EntryKind.DECISION, "approve-r1"] == ("exec-1 (executive team)", "in the inbox")
    assert who[EntryKind.ADJUSTMENT, "adj-1"] == ("colleague-1 (colleague)", "in the inbox")
    # Before principals were recorded: as the message named them.
    assert who[EntryKind.INCIDENT, "i2"] == ("colleague-1", None)
    assert who[EntryKind.WARNING, "w1"] == ("manager-1", None)
    assert who[EntryKind.ADJUSTMENT_DECIDED, "adj-1"] == ("manager-1", None)


async def test_r10_the_inbox_shows_a_partys_timeline_with_its_letters(offline: Api, store, settings):  # noqa: F811
    on_file = write_party_file(store, settings)
    await _sign_in(offline, "manager-1")

    # Reachable from the task list and from every task page.
    inbox = (await offline.client.get("/inbox")).text
    assert (
        'href="/inbox/parties/party-1">Timeline<span class="govuk-visually-hidden"> for party party-1</span></a>'
        in inbox
    )
    task = (await offline.client.get("/inbox/tasks/support-i1")).text
    link = re.search(r'<a class="govuk-link" href="/inbox/parties/party-1">([^<]*timeline[^<]*)</a>', task)
    assert link, "the task page links to the party's timeline"

    page = await offline.client.get("/inbox/parties/party-1")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<h1 class="govuk-heading-l app-wrap">Timeline for party party-1</h1>' in html
    assert "<title>Timeline for party party-1 · Unacceptable behaviour · The Ombudsman</title>" in html
    assert html.count("<strong>Incident: aggressive or abusive behaviour</strong>") == 4 and SUMMARY in html
    assert '<strong>Restriction put in force</strong> <span class="govuk-body-s">(r1)</span>' in html
    assert re.search(r"Measures</dt>\s*<dd[^>]*>Single named contact</dd>", html)
    assert "<strong>Restriction&#39;s end moved by a repeat (R12): restriction r1</strong>" in html
    assert '<time datetime="2026-03-13T10:00:00+00:00">Fri 13 Mar 2026, 10:00 GMT</time>' in html
    assert "The party's file, oldest first</caption>" in html
    # In date order: the incidents, the warning, then the restriction and its letter.
    order = [html.index(text) for text in ("(i1)", "(w1)", "(i3)", "(r1)", "letter%3Arestriction%3Ar1.pdf", "(i4)")]
    assert order == sorted(order)

    pdf_links = re.findall(r'<a class="govuk-link" href="(/inbox/letters/[^"]+\.pdf)">Download letter \(PDF\)', html)
    html_links = re.findall(r'<a class="govuk-link" href="(/inbox/letters/[^"]+\.html)">Download letter \(HTML\)', html)
    letter_id = on_file.letter_ids[LetterKind.END_MOVED]
    assert pdf_links == [f"/inbox/letters/{quote(i, safe='')}.pdf" for i in on_file.letter_ids.values()]
    assert len(html_links) == 4
    pdf = await offline.client.get(pdf_links[-1])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == store.letter(letter_id).pdf
    assert pdf.headers["content-disposition"].startswith('attachment; filename="letter-end_moved-r1-2026-09-22T09')
    assert (await offline.client.get(html_links[0])).text == store.letter("letter:warning:w1").html
    assert [(r.staff_id, r.part, r.door) for r in store.letter_reads(letter_id)] == [("manager-1", "pdf", "inbox")]
    assert [(r.staff_id, r.part, r.door) for r in store.letter_reads("letter:warning:w1")] == [
        ("manager-1", "html", "inbox")
    ]
    # The timeline's read is logged like the downloads: who, what, which door; never the content.
    assert [(r.staff_id, r.via, r.what, r.door) for r in store.file_reads("party-1")] == [
        ("manager-1", None, "timeline page 1", "inbox")
    ]


async def test_r10_the_timeline_and_its_letters_are_for_staff_signed_in(offline: Api, store, settings):  # noqa: F811
    write_party_file(store, settings)
    for url in ("/inbox/parties/party-1", "/inbox/letters/letter%3Awarning%3Aw1.pdf"):
        answer = await offline.client.get(url)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/inbox/sign-in?next="), url
    await _sign_in(offline, "colleague-9")
    assert (await offline.client.get("/inbox/parties/party-1")).status_code == 200
    nobody = await offline.client.get("/inbox/parties/nobody")
    assert nobody.status_code == 404 and "No party nobody is on file." in nobody.text
    wrong = await offline.client.get("/inbox/letters/letter%3Awarning%3Aw1.docx")
    assert wrong.status_code == 404 and "letters are .pdf or .html" in wrong.text


def test_r10_each_page_read_from_the_database_is_that_page_of_the_whole_timeline(
    store: RecordStore,
    settings: Settings,
) -> None:
    """Issue 30: a page reads its own incidents only; pages of any size, end to end, are the whole
    timeline, even with incidents at the very instants of other entries (an incident comes first)."""
    write_party_file(store, settings)
    file = store.party_file(PARTY_ID)
    assert file is not None
    instants = sorted({e.at for e in timeline(file, settings.timezone, MANAGER)})
    # Two incidents at each instant already on file, and one an hour after it.
    times = [at for at in instants for at in (at, at, at + timedelta(hours=1))]
    reports = [incident(f"x-{n:03d}", at) for n, at in enumerate(times)]
    seal = Authority(
        actor="staff-1", role=Role.COLLEAGUE, door=Door.API, sealed_at=T0, key_id="door-1", signature="c2Vh"
    )
    effects: list[Effect] = [IncidentRecorded(report=r, received_at=r.occurred_at) for r in reports]
    effects += [
        Acted(party_id=PARTY_ID, message_kind="incident", message_id=r.incident_id, authority=seal, at=r.occurred_at)
        for r in reports[::2]
    ]
    store.apply(EffectBatch(party_id=PARTY_ID, effects=effects))
    file = store.party_file(PARTY_ID)
    assert file is not None
    whole = timeline(file, settings.timezone, MANAGER)
    assert len(whole) > len(reports) + len(instants)
    for size in (1, 7, 50):
        pages = [
            store.timeline_page(PARTY_ID, settings.timezone, MANAGER, start, size)
            for start in range(0, len(whole), size)
        ]
        assert all(p is not None and p.total == len(whole) and p.incidents == len(file.incidents) for p in pages)
        assert [e for p in pages if p is not None for e in p.entries] == whole, size
    past = store.timeline_page(PARTY_ID, settings.timezone, MANAGER, len(whole), 50)
    assert past is not None and past.entries == []
    assert store.timeline_page("nobody", settings.timezone, MANAGER, 0, 50) is None


async def test_r10_a_long_file_is_shown_a_page_at_a_time_oldest_first(offline: Api, store, settings):  # noqa: F811
    """A file at the policy's bounds (thousands of entries) is paged, 200 entries a page."""
    write_long_file(store, "long-1", 450)
    file = store.party_file("long-1")
    assert file is not None
    total = len(timeline(file, settings.timezone, MANAGER))
    assert total >= 450
    await _sign_in(offline, "manager-1")

    first = (await offline.client.get("/inbox/parties/long-1")).text
    assert f"Entries 1 to 200 of {total}." in first and "Page 1 of 3" in first
    assert "<title>Timeline for party long-1 (page 1 of 3) · Unacceptable behaviour · The Ombudsman</title>" in first
    assert "(long-000)" in first and "(long-199)" in first and "(long-200)" not in first
    assert 'href="?page=2" rel="next">' in first and 'rel="prev"' not in first
    assert first.count('aria-label="Timeline pages') == 2

    last = (await offline.client.get("/inbox/parties/long-1?page=3")).text
    assert f"Entries 401 to {total} of {total}." in last and "(long-449)" in last and "(long-399)" not in last
    assert 'href="?page=2" rel="prev">' in last and 'rel="next"' not in last

    for page in ("4", "0", "two"):
        missing = await offline.client.get(f"/inbox/parties/long-1?page={page}")
        assert missing.status_code == 404, page
        assert "No such page: the timeline of party long-1 has pages 1 to 3." in missing.text

    # Each page read is logged; a page that does not exist showed nothing, and is not.
    assert [r.what for r in store.file_reads("long-1")] == ["timeline page 1", "timeline page 3"]

    write_party_file(store, settings)
    short = (await offline.client.get("/inbox/parties/party-1")).text
    assert "Page 1 of" not in short and 'aria-label="Timeline pages' not in short


SUPPORT_REASON = "Talked it through and agreed time off for counselling"


def _decide_support(store: RecordStore) -> None:
    """The file's colleague-support task (R18: staff-1 reported incident i1) decided by
    manager-1 in the inbox, and incident i1 carried by the case system, written as the
    workflow writes them, with who acted."""
    file = store.party_file(PARTY_ID)
    assert file is not None
    task = next(t for t in file.tasks if t.kind == TaskKind.COLLEAGUE_SUPPORT)
    at = datetime.now(UTC)
    decision = DecisionEntry(
        decision_id="d-support",
        task_id=task.task_id,
        decided_by="manager-1",
        role=Role.MANAGER,
        outcome=TaskOutcome.SUPPORT_RECORDED,
        reason=SUPPORT_REASON,
        decided_at=at,
        support_offered=[SupportOption.EMPLOYEE_ASSISTANCE_PROGRAMME],
    )
    task.decisions.append(decision)
    task.status = TaskStatus.DONE

    def acted(kind: str, message_id: str, actor: str, role: Role, door: Door, via: str | None = None) -> Acted:
        seal = Authority(actor=actor, role=role, via=via, door=door, sealed_at=at, key_id="door-1", signature="c2Vh")
        return Acted(party_id=PARTY_ID, message_kind=kind, message_id=message_id, authority=seal, at=at)

    effects = [
        DecisionRecorded(party_id=PARTY_ID, decision=decision),
        TaskSaved(party_id=PARTY_ID, task=task),
        acted("decision", "d-support", "manager-1", Role.MANAGER, Door.INBOX),
        acted("incident", "i1", "staff-1", Role.COLLEAGUE, Door.API, via="case-system"),
    ]
    store.apply(EffectBatch(party_id=PARTY_ID, effects=effects))


async def test_r18_the_inbox_shows_a_colleagues_support_only_to_those_who_need_to_know(
    offline: Api,  # noqa: F811
    store,
    settings,
):
    write_party_file(store, settings)
    _decide_support(store)
    store.add_staff("staff-1", "Sam Staff", [Role.COLLEAGUE])  # the colleague concerned
    offline.tokens["staff-1"] = store.issue_token("staff-1")

    await _sign_in(offline, "colleague-9")
    other = (await offline.client.get("/inbox/parties/party-1")).text
    assert (
        "Support was recorded for a colleague: shown only to the roles manager, ombudsman and executive team,"
        " and to the colleague concerned (R18)" in other
    )
    assert SUPPORT_REASON not in other and "employee assistance programme" not in other
    # Who acted, as the door authenticated them.
    assert 'manager-1 (manager)<br><span class="govuk-body-s">in the inbox</span>' in other
    assert 'staff-1 (colleague)<br><span class="govuk-body-s">carried by case-system, through the API</span>' in other

    for reader in ("manager-1", "staff-1"):
        await _sign_in(offline, reader)
        html = (await offline.client.get("/inbox/parties/party-1")).text
        assert SUPPORT_REASON in html and "employee assistance programme" in html, reader
        assert "shown only to" not in html, reader
    assert [(r.staff_id, r.what) for r in store.file_reads("party-1")] == [
        ("colleague-9", "timeline page 1"),
        ("manager-1", "timeline page 1"),
        ("staff-1", "timeline page 1"),
    ]


async def test_r3_the_timeline_and_letters_are_refused_to_roles_that_may_not_read_them(
    offline: Api,  # noqa: F811
    store,
    settings,
):
    """Operations runs the system and reads no party's file: a 403 page naming the rule, nothing logged."""
    write_party_file(store, settings)
    store.add_staff("ops-1", "Olly Ops", [Role.OPERATIONS])
    offline.tokens["ops-1"] = store.issue_token("ops-1")
    await _sign_in(offline, "ops-1")
    timeline_page = await offline.client.get("/inbox/parties/party-1")
    assert timeline_page.status_code == 403 and ">Not permitted</h1>" in timeline_page.text
    assert "R3: ops-1 may not read timeline" in timeline_page.text and SUMMARY not in timeline_page.text
    letter = await offline.client.get("/inbox/letters/letter%3Awarning%3Aw1.pdf")
    assert letter.status_code == 403 and "R10: ops-1 may not read letters" in letter.text
    assert store.file_reads("party-1") == [] and store.letter_reads("letter:warning:w1") == []
