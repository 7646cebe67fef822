"""Bad input gets a clear error and loses nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from client.door import Acting
from policy.fields import Door
from policy.messages import IncidentReport, RestrictionRequest
from policy.vocabulary import Category, Role
from tests.helpers import incident, new_party, restriction, wait_for_status, warning
from workflows.party import INCIDENT_SIGNAL


async def _refusal(call) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await call
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == "PolicyRefusal"
    return cause.message


def test_edge_validation_names_what_is_wrong():
    """R2: wrong category codes, naive datetimes and empty measures never leave the client."""
    party = new_party()
    good = incident(party, occurred_at=datetime(2026, 1, 5, 10, tzinfo=UTC))
    with pytest.raises(ValidationError, match="must include a time zone offset"):
        IncidentReport.model_validate({**good.model_dump(), "occurred_at": "2026-01-05T10:00:00"})
    with pytest.raises(ValidationError, match="behaviour_code 'doxing' is not under category 'unacceptable_demands'"):
        IncidentReport.model_validate(
            {**good.model_dump(), "category": Category.UNACCEPTABLE_DEMANDS, "behaviour_code": "doxing"}
        )
    with pytest.raises(ValidationError, match="category"):
        IncidentReport.model_validate({**good.model_dump(), "category": "rude"})
    with pytest.raises(ValidationError, match="measures"):
        RestrictionRequest.model_validate(
            {**restriction(party, [good.incident_id], good.occurred_at).model_dump(), "measures": []}
        )


async def test_future_incident_and_warning_without_incident_are_refused(time_skipping_env, parties, store):
    """R3, R5: an incident dated in the future and a warning for a party with no incident."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    message = await _refusal(parties.report_incident(incident(party, now + timedelta(days=2))))
    assert message.startswith("R3: incident") and "in the future" in message

    message = await _refusal(parties.issue_warning(warning(party, ["inc-unknown"], now)))
    assert f"party {party.party_id} has no incident on record" in message
    assert store.incidents(party.party_id) == []


async def test_restriction_without_warning_is_refused(time_skipping_env, parties, store):
    """R14: no restriction without a fair warning."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    first = incident(party, now - timedelta(hours=1))
    await parties.report_incident(first)
    message = await _refusal(parties.apply_restriction(restriction(party, [first.incident_id], now)))
    assert message.startswith("R14: a restriction only follows a fair warning")
    assert (await parties.status(party.party_id)).restrictions == []
    assert store.restrictions(party.party_id) == []


async def test_invalid_signal_is_recorded_as_rejected_and_the_party_goes_on(time_skipping_env, parties, store):
    """R3: a malformed signal is kept where staff can see it; the workflow is not wedged."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    first = incident(party, now - timedelta(hours=1))
    await parties.report_incident(first)
    bad = {**first.model_dump(mode="json"), "incident_id": "inc-bad", "occurred_at": "2026-01-05T10:00:00"}
    await parties.handle(party.party_id).signal(INCIDENT_SIGNAL, bad)
    future = incident(party, now + timedelta(days=30))
    # Sealed by the door, so that the policy is what refuses it (R3: not in the future).
    sealed = parties.door.seal(INCIDENT_SIGNAL, future, Acting(future.reported_by, Role.COLLEAGUE, Door.LOCAL))
    await parties.handle(party.party_id).signal(INCIDENT_SIGNAL, sealed)

    status = await wait_for_status(parties, party.party_id, lambda s: len(s.rejections) == 2)
    naive, early = status.rejections
    assert naive.message_id == "inc-bad" and "time zone offset" in naive.reason
    # Where it was wrong, not what was given (the reason may reach a log): issue 24.
    assert naive.reason.startswith("occurred_at: ") and "2026-01-05" not in naive.reason
    assert early.message_id == future.incident_id and "in the future" in early.reason

    second = incident(party, now)
    assert not (await parties.report_incident(second)).duplicate
    assert [r.message_id for r in store.rejections(party.party_id)] == ["inc-bad", future.incident_id]
    assert [i.incident_id for i in store.incidents(party.party_id)] == [first.incident_id, second.incident_id]
