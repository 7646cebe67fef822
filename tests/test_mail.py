"""Notices and digests by mail, through a real SMTP server in the test process (aiosmtpd).

Under time skipping: each notice in a task's life (opened, reminder, escalated,
overdue) goes once to those who may decide the task then, and the digest
lists the right tasks on a working day and nothing on a bank holiday. On the
dev server (real time, real retries): a mail server down for a while loses
nothing and sends nothing twice, retries that run out leave the notice
undeliverable where managers see it, and the schedules exist once however
often a worker starts.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime, time, timedelta

import httpx
import pytest
import pytest_asyncio
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import ScheduleActionStartWorkflow, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.mail import MAIL_REFUSED, MAIL_SERVER_UNAVAILABLE, Mailer
from activities.notices import NoticeActivities
from activities.tasks import bank_holidays
from client.parties import PartyClient
from client.schedules import DAILY_DIGEST, NOTICE_DISPATCH, apply_schedules, digest_input, dispatch_input
from devstack.mail import CaughtMail, MailCatcher
from devstack.server import free_port
from policy.dates import written_day, written_time
from policy.effects import EffectBatch, NoticeQueued, TaskSaved
from policy.payloads import DigestReport, DispatchReport, NoticeDelivery, NoticeRef
from policy.state import HumanTask
from policy.vocabulary import NoticeKind, NoticeStatus, Role, TaskKind, TaskStatus
from policy.working_days import is_working_day
from records.store import RecordStore
from records.tables import NoticeRow
from settings import Settings
from tests.helpers import LONDON, new_party, restriction, warned_party
from tests.sessions import sign_in
from web.app import create_app
from worker import build_worker
from workflows.mail import DailyDigestWorkflow, NoticeDispatchWorkflow

PUBLIC_URL = "https://ubp.example.org"
STAFF = {
    "exec-1": [Role.EXECUTIVE_TEAM],
    "exec-2": [Role.EXECUTIVE_TEAM],
    "ado-1": [Role.ASSISTANT_DEPUTY_OMBUDSMAN],
    "assurance-1": [Role.HEAD_OF_OMBUDSMAN_ASSURANCE],
    "manager-1": [Role.MANAGER],
}
NO_EMAIL = {"assurance-1"}


def address(staff_id: str) -> str:
    return f"{staff_id}@example.org"


@pytest.fixture
def catcher() -> Iterator[MailCatcher]:
    """The SMTP server, on a port of its own; not listening until a test starts it."""
    catcher = MailCatcher(port=free_port())
    yield catcher
    catcher.stop()


@pytest.fixture
def settings(database_url, catcher, key_ring, door_key_file) -> Settings:
    """The test's settings, mailing through `catcher`, with retries quick enough to watch; the
    keys are the suite's (the replay fixtures' while histories are recorded)."""
    return Settings(
        DATABASE_URL=database_url,
        task_queue=f"test-{uuid.uuid4()}",
        encryption_keys=key_ring.to_json(),
        door_key_file=door_key_file,
        smtp_port=catcher.port,
        public_url=PUBLIC_URL,
        mail_retry_first_seconds=0.2,
        mail_retry_max_seconds=0.5,
        mail_attempts=100,
    )


@pytest.fixture
def staff(store: RecordStore) -> RecordStore:
    for staff_id, roles in STAFF.items():
        email = None if staff_id in NO_EMAIL else address(staff_id)
        store.add_staff(staff_id, staff_id.replace("-", " ").title(), roles, email=email)
    return store


async def start_dispatch(env: WorkflowEnvironment, settings: Settings) -> WorkflowHandle:
    """A run of the notice dispatch, started as its schedule starts it."""
    workflow_id = f"dispatch-{uuid.uuid4()}"
    return await env.client.start_workflow(
        NoticeDispatchWorkflow.run, dispatch_input(settings), id=workflow_id, task_queue=settings.task_queue
    )


async def dispatch(env: WorkflowEnvironment, settings: Settings) -> DispatchReport:
    """One run of the notice dispatch, to its end."""
    # Not under auto time skipping: the parties' timers must not fire meanwhile.
    with env.auto_time_skipping_disabled():
        return await (await start_dispatch(env, settings)).result()


async def eventually(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.1)


def by_message_id(catcher: MailCatcher) -> dict[str, CaughtMail]:
    """Every mail caught, by Message-ID; fails if one went twice."""
    mails = catcher.received
    found = {m.message_id: m for m in mails}
    assert len(found) == len(mails), f"a mail went twice: {sorted(m.message_id for m in mails)}"
    return found


# --- a task's life, under time skipping -----------------------------------------------


def deciders(notice: NoticeRow) -> set[str]:
    """Who may decide the notice's task when it was queued, worked out by hand from TASK_RULES."""
    escalated = notice.kind in (NoticeKind.ESCALATED, NoticeKind.OVERDUE)
    if notice.task_id.startswith("approve-"):
        # R7: the Executive Team but exec-1, who proposed it; then the alternates
        # (assurance-1 holds that role too, but has no address).
        return {"exec-2", "ado-1"} if escalated else {"exec-2"}
    if notice.task_id.startswith("support-"):
        # R18: a manager; then the Ombudsman or the Executive Team.
        return {"manager-1", "exec-1", "exec-2"} if escalated else {"manager-1"}
    raise AssertionError(f"unexpected notice {notice.notice_id}")


async def test_each_notice_of_a_tasks_life_goes_once_to_those_who_may_decide_it(
    time_skipping_env, parties: PartyClient, staff: RecordStore, catcher: MailCatcher, settings: Settings
):
    """Opened, reminder, escalated, overdue: one mail per notice, to the right people, with the inbox link."""
    catcher.start()
    mailer = Mailer(settings.mail)
    party = new_party(professional_capacity=True)
    repeat_id, now = await warned_party(time_skipping_env, parties, party)
    request = restriction(party, [repeat_id], now).model_copy(update={"proposed_by": "exec-1"})
    await parties.apply_restriction(request)
    approval_id = f"approve-{request.restriction_id}"

    def notice_ids() -> set[str]:
        return {n.notice_id for n in staff.notices(party_id=party.party_id)}

    await eventually(lambda: (t := staff.task_listing(approval_id)) is not None and t.planned, "the approval planned")
    approval = staff.task_listing(approval_id)
    support_id = next(t.task_id for t in staff.open_tasks(kind=TaskKind.COLLEAGUE_SUPPORT, party_id=party.party_id))
    assert approval.due_at is not None and approval.escalation_due_at is not None and approval.reminder_at is not None

    phases = [
        (None, NoticeKind.TASK_OPENED),
        (approval.reminder_at, NoticeKind.REMINDER),
        (approval.due_at, NoticeKind.ESCALATED),
        (approval.escalation_due_at, NoticeKind.OVERDUE),
    ]
    expected: set[str] = set()
    for at, kind in phases:
        if at is not None:
            await time_skipping_env.sleep(at - await time_skipping_env.get_current_time() + timedelta(minutes=1))
        # The support task's dates fall before the approval's (1, 3 and 6 working days against 2, 5 and 10).
        expected |= {f"{approval_id}:{kind.value}", f"{support_id}:{kind.value}"}
        await eventually(lambda: notice_ids() == expected, f"the {kind.value} notices queued")  # noqa: B023

        report = await dispatch(time_skipping_env, settings)
        assert sorted(report.sent) == sorted({f"{approval_id}:{kind.value}", f"{support_id}:{kind.value}"})
        mails = by_message_id(catcher)
        notices = staff.notices(party_id=party.party_id)
        assert {n.status for n in notices} == {NoticeStatus.SENT}
        assert set(mails) == {mailer.message_id("notice", n.notice_id) for n in notices}
        for notice in notices:
            mail = mails[mailer.message_id("notice", notice.notice_id)]
            assert set(mail.recipients) == {address(s) for s in deciders(notice)}, notice.notice_id
            assert set(notice.recipients or []) == deciders(notice)
            task = staff.task_listing(notice.task_id)
            assert task.due_at is not None
            assert f"{PUBLIC_URL}/inbox/tasks/{notice.task_id}" in mail.body
            assert f"Party:  {party.party_id}" in mail.body and party.party_id in str(mail.message["Subject"])
            assert f"Due:    {written_time(task.due_at, 'Europe/London')}" in mail.body
            # Nothing the inbox would not show them, and no incident at all.
            assert task.summary not in mail.body and "Raised voice" not in mail.body
        approval_notice = next(n for n in notices if n.notice_id == f"{approval_id}:{kind.value}")
        escalated = kind in (NoticeKind.ESCALATED, NoticeKind.OVERDUE)
        assert approval_notice.not_reached == (["assurance-1: no email address"] if escalated else [])

    assert await dispatch(time_skipping_env, settings) == DispatchReport()
    assert len(catcher.received) == 8  # four notices for each of the two tasks, none twice


async def test_a_notice_about_a_decided_task_is_skipped_and_nobody_to_mail_is_undeliverable(
    time_skipping_env, parties: PartyClient, store: RecordStore, catcher: MailCatcher, settings: Settings
):
    """A reminder for a task decided since goes to nobody; a notice nobody can be mailed is
    undeliverable at once, naming who lacks an address, and goes once an address is added."""
    catcher.start()
    store.add_staff("manager-1", "Morgan Manager", [Role.MANAGER])  # no address
    store.add_staff("manager-2", "Mo Manager", [Role.MANAGER], email="MO@Example.ORG")
    store.add_staff("colleague-2", "Casey", [Role.MANAGER], email=address("colleague-2"))
    now = await time_skipping_env.get_current_time()
    done = task_entry("t-done", now, now + timedelta(days=1), status=TaskStatus.DONE)
    lonely = task_entry("t-lonely", now, now + timedelta(days=2), excluded=["manager-2", "colleague-2"])
    queue(store, "P-1", done, NoticeKind.REMINDER, now)
    queue(store, "P-1", lonely, NoticeKind.TASK_OPENED, now)

    report = await dispatch(time_skipping_env, settings)
    assert (report.skipped, report.undeliverable, report.sent) == (["t-done:reminder"], ["t-lonely:task_opened"], [])
    skipped, undeliverable = store.notices(party_id="P-1")
    assert skipped.problem == "the task was done before the notice went out"
    assert undeliverable.problem == "nobody who may decide it has an email address"
    assert undeliverable.not_reached == ["manager-1: no email address"]
    assert catcher.received == []

    store.set_email("manager-1", "manager-1@example.org")
    assert store.requeue_notice("t-lonely:task_opened") and not store.requeue_notice("t-lonely:task_opened")
    assert (await dispatch(time_skipping_env, settings)).sent == ["t-lonely:task_opened"]
    [mail] = catcher.received
    assert mail.recipients == ("manager-1@example.org",)
    assert store.staff("manager-2").email == "MO@example.org"  # the domain normalised, as validated


def task_entry(
    task_id: str,
    created: datetime,
    due: datetime,
    *,
    kind: TaskKind = TaskKind.COLLEAGUE_SUPPORT,
    roles: tuple[Role, ...] = (Role.MANAGER,),
    excluded: list[str] | None = None,
    status: TaskStatus = TaskStatus.OPEN,
) -> HumanTask:
    return HumanTask(
        task_id=task_id,
        kind=kind,
        subject_id="colleague-2",
        created_at=created,
        status=status,
        summary=f"R18: discuss support with colleague colleague-2 ({task_id})",
        candidate_roles=list(roles),
        escalation_roles=[Role.OMBUDSMAN],
        excluded_staff=excluded if excluded is not None else ["colleague-2"],
        reminder_at=due - timedelta(hours=1),
        due_at=due,
        escalation_due_at=due + timedelta(days=2),
    )


def queue(store: RecordStore, party_id: str, task: HumanTask, kind: NoticeKind, at: datetime) -> None:
    """The task and a notice about it, written as the party workflow writes them."""
    notice = NoticeQueued(
        notice_id=f"{task.task_id}:{kind.value}",
        party_id=party_id,
        task_id=task.task_id,
        notice=kind,
        roles=task.deciding_roles(),
        at=at,
        text=f"{kind.value}: {task.summary}",
    )
    store.apply(EffectBatch(party_id=party_id, effects=[TaskSaved(party_id=party_id, task=task), notice]))


# --- the daily digest, under time skipping ---------------------------------------------


def next_day(after: date, wanted: Callable[[date], bool]) -> date:
    day = after + timedelta(days=1)
    while not wanted(day):
        day += timedelta(days=1)
    return day


async def digest_at(env: WorkflowEnvironment, settings: Settings, day: date) -> DigestReport:
    """Move the server's clock to the digest's hour on `day`, and run it as its schedule would."""
    at = datetime.combine(day, settings.digest_time, tzinfo=LONDON)
    await env.sleep(at - await env.get_current_time())
    with env.auto_time_skipping_disabled():
        return await env.client.execute_workflow(
            DailyDigestWorkflow.run, digest_input(settings), id=f"digest-{uuid.uuid4()}", task_queue=settings.task_queue
        )


async def test_the_digest_lists_open_tasks_soonest_first_on_a_working_day_and_nothing_on_a_bank_holiday(
    time_skipping_env, parties: PartyClient, store: RecordStore, catcher: MailCatcher, settings: Settings
):
    """Each member of staff who asked gets one mail with the open tasks they may decide, soonest due first."""
    catcher.start()
    for staff_id, digest in (("manager-1", True), ("manager-2", True), ("manager-3", False), ("adviser-1", True)):
        roles = [Role.SPECIALIST_ADVISER] if staff_id == "adviser-1" else [Role.MANAGER]
        store.add_staff(staff_id, staff_id.title(), roles, email=address(staff_id), digest=digest)
    now = await time_skipping_env.get_current_time()
    holidays = bank_holidays(range(now.year, now.year + 3))
    working = next_day(now.astimezone(LONDON).date(), lambda d: is_working_day(d, holidays))
    holiday = next_day(working, lambda d: d in holidays and d.weekday() < 5)
    created = now - timedelta(days=1)
    later = task_entry("t-later", created, now + timedelta(days=9))
    sooner = task_entry("t-sooner", created, now + timedelta(days=4), excluded=["manager-2"])
    done = task_entry("t-done", created, now + timedelta(days=2), status=TaskStatus.DONE)
    senior = task_entry("t-senior", created, now + timedelta(days=1), roles=(Role.EXECUTIVE_TEAM,))
    for task in (later, sooner, done, senior):
        queue(store, "P-9", task, NoticeKind.TASK_OPENED, created)

    report = await digest_at(time_skipping_env, settings, working)
    assert report.working_day and report.day == working
    assert (sorted(report.sent_to), report.nothing_for, report.undeliverable) == (
        ["manager-1", "manager-2"],
        ["adviser-1"],
        {},
    )
    mails = {m.recipients: m for m in catcher.received}
    assert set(mails) == {(address("manager-1"),), (address("manager-2"),)}
    first = mails[(address("manager-1"),)]
    assert str(first.message["Subject"]) == f"Your 2 open tasks on {written_day(working)}"
    body = first.body
    assert body.index("/inbox/tasks/t-sooner") < body.index("/inbox/tasks/t-later")  # soonest due first
    assert sooner.due_at is not None and f"Due {written_time(sooner.due_at, 'Europe/London')}" in body
    assert "party P-9" in body
    assert "t-done" not in body and "t-senior" not in body and sooner.summary not in body
    assert "t-sooner" not in mails[(address("manager-2"),)].body  # excluded from it: four eyes
    assert sorted(d.staff_id for d in store.digests()) == ["manager-1", "manager-2"]  # sent at once, any order

    again = await digest_at(time_skipping_env, settings, working)  # the same day again: nothing twice
    assert sorted(again.sent_to) == ["manager-1", "manager-2"] and len(catcher.received) == 2

    on_holiday = await digest_at(time_skipping_env, settings, holiday)
    assert on_holiday == DigestReport(day=holiday, working_day=False)
    assert len(catcher.received) == 2


# --- the mail server down, on the dev server (real time, real retries) ------------------


@pytest_asyncio.fixture
async def dev_worker(dev_server_env, settings) -> AsyncIterator[WorkflowEnvironment]:
    async with build_worker(dev_server_env.client, settings):
        yield dev_server_env


async def pending_attempts(env: WorkflowEnvironment, workflow_id: str) -> list[tuple[int, str]]:
    """The pending activities' attempt numbers and last failures (decoded: a
    failure's message is encrypted like any payload)."""
    described = await env.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=env.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    converter = env.client.data_converter
    return [(a.attempt, str(await converter.decode_failure(a.last_failure))) for a in described.pending_activities]


@pytest.mark.devserver
async def test_a_mail_server_down_for_a_while_loses_nothing_and_sends_nothing_twice(
    dev_worker, staff: RecordStore, catcher: MailCatcher, settings: Settings
):
    """Refused connections, then a 451: each notice is retried with back-off and goes once."""
    now = datetime.now(LONDON)
    tasks = [task_entry(f"t-{n}", now, now + timedelta(days=n + 1)) for n in range(3)]
    for task in tasks:
        queue(staff, "P-2", task, NoticeKind.TASK_OPENED, now)
    handle = await start_dispatch(dev_worker, settings)
    retried: list[tuple[int, str]] = []

    async def retrying() -> bool:
        retried[:] = await pending_attempts(dev_worker, handle.id)
        return len(retried) == 3 and all(attempt >= 3 for attempt, _ in retried)

    for _ in range(200):
        if await retrying():
            break
        await asyncio.sleep(0.1)
    assert retried and all("cannot reach the mail server" in failure for _, failure in retried), retried
    assert {n.status for n in staff.notices(party_id="P-2")} == {NoticeStatus.QUEUED}

    catcher.answers = ["451 4.3.0 Try again later"]  # back, but busy for one more mail
    catcher.start()
    report = await handle.result()
    assert sorted(report.sent) == [f"t-{n}:task_opened" for n in range(3)]
    assert len(by_message_id(catcher)) == 3
    assert all(set(m.recipients) == {address("manager-1")} for m in catcher.received)
    assert {n.status for n in staff.notices(party_id="P-2")} == {NoticeStatus.SENT}

    second = await dispatch(dev_worker, settings)
    assert second == DispatchReport() and len(catcher.received) == 3


@pytest.mark.devserver
async def test_retries_that_run_out_leave_the_notice_undeliverable_for_managers_to_see(
    dev_server_env, staff: RecordStore, catcher: MailCatcher, settings: Settings, door_keys
):
    """The server never answers: after its attempts the notice is undeliverable, with why,
    and the managers' inbox says so; queued again, it goes once the server is back."""
    settings = settings.model_copy(update={"mail_attempts": 3})
    now = datetime.now(LONDON)
    queue(staff, "P-3", task_entry("t-lost", now, now + timedelta(days=1)), NoticeKind.REMINDER, now)
    async with build_worker(dev_server_env.client, settings):
        report = await dispatch(dev_server_env, settings)
        assert report.undeliverable == ["t-lost:reminder"]
        [notice] = staff.notices(party_id="P-3")
        assert notice.status == NoticeStatus.UNDELIVERABLE and notice.closed_at is not None
        assert notice.problem.startswith("not sent after 3 attempts: cannot reach the mail server")

        app = create_app(
            PartyClient(dev_server_env.client, settings.task_queue, settings.timezone, door_keys), staff, settings
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as web:
            for staff_id, sees in (("manager-1", True), ("exec-1", False)):
                web.cookies.clear()
                sign_in(web, staff, staff_id)
                page = (await web.get("/inbox")).text
                assert ("1 notice could not be delivered by email" in page) is sees
                assert ('href="/inbox/tasks/t-lost"' in page) is sees
                assert ("Assurance 1 (assurance-1)" in page) is sees  # no address, no notices

        catcher.start()
        assert staff.requeue_notice("t-lost:reminder")
        again = await dispatch(dev_server_env, settings)
    assert again.sent == ["t-lost:reminder"] and len(catcher.received) == 1


# --- the schedules, on the dev server (the time-skipping server has none) ---------------


@pytest.mark.devserver
async def test_the_schedules_exist_once_after_two_deploys_and_a_pause_survives_a_redeploy(
    dev_server_env, staff: RecordStore, catcher: MailCatcher, settings: Settings
):
    """The deploy job (`ubp schedules apply`) twice, one copy of each schedule, an operator's pause
    kept; the dispatch schedule, triggered, mails a notice through the worker."""
    client = dev_server_env.client
    catcher.start()
    try:
        await apply_schedules(client, settings)
        dispatch_schedule = client.get_schedule_handle(NOTICE_DISPATCH)
        await dispatch_schedule.pause(note="paused by an operator")
        now = datetime.now(LONDON)
        queue(staff, "P-4", task_entry("t-scheduled", now, now + timedelta(days=1)), NoticeKind.TASK_OPENED, now)
        await apply_schedules(client, settings)
        async with build_worker(client, settings):
            ours = {NOTICE_DISPATCH, DAILY_DIGEST}
            found: list[str] = []
            for _ in range(100):  # the schedule list is eventually consistent
                found = sorted([s.id async for s in await client.list_schedules() if s.id in ours])
                if found == sorted(ours):
                    break
                await asyncio.sleep(0.1)
            assert found == sorted(ours)

            dispatching = await dispatch_schedule.describe()
            assert dispatching.schedule.state.paused and dispatching.schedule.state.note == "paused by an operator"
            assert [i.every for i in dispatching.schedule.spec.intervals] == [timedelta(minutes=1)]
            action = dispatching.schedule.action
            assert isinstance(action, ScheduleActionStartWorkflow)
            assert (action.workflow, action.task_queue) == ("NoticeDispatch", settings.task_queue)

            digesting = await client.get_schedule_handle(DAILY_DIGEST).describe()
            assert not digesting.schedule.state.paused
            [calendar] = digesting.schedule.spec.calendars
            assert (calendar.hour[0].start, calendar.minute[0].start) == (8, 30)
            assert (calendar.day_of_week[0].start, calendar.day_of_week[0].end) == (1, 5)  # Monday to Friday
            assert digesting.schedule.spec.time_zone_name == "Europe/London"
            assert digesting.info.next_action_times[0].astimezone(LONDON).time() == time(8, 30)

            await dispatch_schedule.trigger()  # runs even while paused, as "Trigger" in the UI does
            await eventually(lambda: len(catcher.received) == 1, "the triggered dispatch mailed the notice")
            # Closed by the next activity, a moment after the mail went.
            await eventually(lambda: staff.notices(party_id="P-4")[0].status == NoticeStatus.SENT, "the notice closed")
    finally:
        for schedule_id in (NOTICE_DISPATCH, DAILY_DIGEST):
            await client.get_schedule_handle(schedule_id).delete()


# --- the mail server's answers, without Temporal ----------------------------------------


@pytest.fixture
def notices(store: RecordStore, settings: Settings) -> NoticeActivities:
    store.add_staff("manager-1", "Morgan Manager", [Role.MANAGER], email=address("manager-1"))
    store.add_staff("manager-2", "Mo Manager", [Role.MANAGER], email=address("manager-2"))
    now = datetime.now(LONDON)
    queue(store, "P-5", task_entry("t-1", now, now + timedelta(days=1)), NoticeKind.TASK_OPENED, now)
    return NoticeActivities(store, Mailer(settings.mail), settings.inbox_url, settings.timezone)


def send(notices: NoticeActivities) -> NoticeDelivery:
    return ActivityEnvironment().run(notices.send_notice, NoticeRef(notice_id="t-1:task_opened"))


def failure(notices: NoticeActivities) -> ApplicationError:
    with pytest.raises(ApplicationError) as failed:
        send(notices)
    return failed.value


def test_a_server_down_or_busy_is_retried_and_a_refusal_is_not(notices: NoticeActivities, catcher: MailCatcher):
    """Down or 4xx: retryable; 5xx for everyone: not (sending again cannot help); nothing recorded meanwhile."""
    down = failure(notices)
    assert (down.type, down.non_retryable) == (MAIL_SERVER_UNAVAILABLE, False)
    catcher.start()
    catcher.answers = ["451 4.3.0 Try again later"]
    busy = failure(notices)
    assert (busy.type, busy.non_retryable) == (MAIL_SERVER_UNAVAILABLE, False) and "451" in busy.message
    catcher.refused = {address("manager-1"): "550 5.1.1 No such user", address("manager-2"): "550 5.1.1 Gone"}
    refused = failure(notices)
    assert (refused.type, refused.non_retryable) == (MAIL_REFUSED, True) and "550 5.1.1 Gone" in refused.message
    assert catcher.received == []


def test_a_recipient_refused_is_reported_and_the_rest_get_the_mail(notices: NoticeActivities, catcher: MailCatcher):
    catcher.start()
    catcher.refused = {address("manager-2"): "550 5.1.1 No such user"}
    delivery = send(notices)
    assert (delivery.status, delivery.recipients) == (NoticeStatus.SENT, ["manager-1"])
    assert delivery.not_reached == ["manager-2: refused by the mail server (550 5.1.1 No such user)"]
    [mail] = catcher.received
    assert mail.recipients == (address("manager-1"),)


def test_a_closed_notice_is_not_sent_again(notices: NoticeActivities, store: RecordStore, catcher: MailCatcher):
    """The activity retried after the dispatch recorded it (or a second dispatch): no second mail."""
    catcher.start()
    first = send(notices)
    assert ActivityEnvironment().run(notices.close_notice, first)
    assert not ActivityEnvironment().run(notices.close_notice, first)  # the first close counts
    again = send(notices)
    assert again.already_closed and again.status == NoticeStatus.SENT and len(catcher.received) == 1
    assert Mailer(Settings().mail).message_id("notice", "a:b..c@d") == "<ubp.notice.a%3Ab%2E%2Ec%40d@ubp.example.org>"
