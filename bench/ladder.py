"""Steps from the bare entity workflow towards what the party workflow does per
message, one feature at a time, to show where the throughput goes
(`python -m bench.run --phases ladder`).

Each step adds one thing to the one before it:

1. bare: count signals, one 30-day timer;
2. + write: a local activity writes each wake's messages to a SQLite table;
3. + upsert: a search attribute upserted on each wake (a new value each time,
   as the party's next deadline is);
4. + timer: a new timer on each wake (wait_condition with a timeout that
   moves), the old one cancelled;
5. + remote load: a remote activity reads the file when a workflow starts
   (the party's load_party_state);
6. local load instead: the same read as a local activity;
7. (4) without the upsert;
8. the party workflow's shape since issue 13 A: (6) with one upsert (on the
   first wake only: the published values rarely change) and one timer kept
   across wakes.

The bench adds the party workflow itself as the last rung.
"""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue, SearchAttributeKey

LADDER_SIGNAL = "incident"
FOLLOW_UP = timedelta(days=30)
DEADLINE = SearchAttributeKey.for_datetime("UbpNextDeadline")


@dataclass
class Step:
    name: str
    write: bool = False
    upsert: bool = False
    timer_restart: bool = False
    load: str = ""  # "", "remote" or "local"
    upsert_once: bool = False


STEPS = [
    Step("1 bare"),
    Step("2 + local-activity write", write=True),
    Step("3 + upsert per wake", write=True, upsert=True),
    Step("4 + timer per wake", write=True, upsert=True, timer_restart=True),
    Step("5 + remote load at start", write=True, upsert=True, timer_restart=True, load="remote"),
    Step("6 (5) with a local load", write=True, upsert=True, timer_restart=True, load="local"),
    Step("7 (4) without upsert", write=True, timer_restart=True),
    Step("8 (6) one upsert, timer kept", write=True, load="local", upsert_once=True),
]


@workflow.defn(name="LadderWorkflow")
class LadderWorkflow:
    @workflow.init
    def __init__(self, step: Step) -> None:
        self.received = 0
        self.written = 0
        self.loaded = not step.load
        self.writes = step.write

    @workflow.run
    async def run(self, step: Step) -> int:
        wid = workflow.info().workflow_id
        timeout = timedelta(seconds=30)
        if step.load == "remote":
            await workflow.execute_activity("ladder_load", wid, start_to_close_timeout=timeout)
        elif step.load == "local":
            await workflow.execute_local_activity("ladder_load", wid, start_to_close_timeout=timeout)
        self.loaded = True
        if not step.write:
            await workflow.sleep(FOLLOW_UP)
            return self.received
        timer = None if step.timer_restart else asyncio.ensure_future(workflow.sleep(FOLLOW_UP))
        published = False
        while True:
            if self.received > self.written:
                upto = self.received
                await workflow.execute_local_activity(
                    "ladder_write", args=[wid, self.written, upto], start_to_close_timeout=timeout
                )
                self.written = upto
            if step.upsert or (step.upsert_once and not published):
                workflow.upsert_search_attributes([DEADLINE.value_set(workflow.now() + FOLLOW_UP)])
                published = True
            if timer is None:
                try:
                    await workflow.wait_condition(lambda: self.received > self.written, timeout=FOLLOW_UP)
                except TimeoutError:
                    return self.written
            else:
                await workflow.wait_condition(lambda: self.received > self.written or timer.done())
                if timer.done():
                    return self.written

    @workflow.signal(name=LADDER_SIGNAL)
    async def incident(self, _payload: RawValue) -> None:
        # Like the party's handler: messages wait for the file to be read.
        await workflow.wait_condition(lambda: self.loaded)
        self.received += 1

    @workflow.query(name="processed")
    def processed(self) -> int:
        """Messages counted (bare) or written (every other step)."""
        return self.written if self.writes else self.received
