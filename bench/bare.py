"""The bare Temporal ceiling: an entity workflow that only counts messages and
waits on a timer. No policy, no records, no search attributes."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue

BARE_SIGNAL = "incident"
BARE_UPDATE = "incident_and_wait"


@workflow.defn(name="BareEntityWorkflow")
class BareEntityWorkflow:
    def __init__(self) -> None:
        self.count = 0

    @workflow.run
    async def run(self) -> int:
        await workflow.sleep(timedelta(days=30))
        return self.count

    @workflow.signal(name=BARE_SIGNAL)
    def incident(self, _payload: RawValue) -> None:
        """The same payload a party gets, left undecoded."""
        self.count += 1

    @workflow.update(name=BARE_UPDATE)
    def incident_and_wait(self, _payload: RawValue) -> int:
        self.count += 1
        return self.count

    @workflow.query(name="count")
    def get_count(self) -> int:
        return self.count
