"""The colleagues' forms without a browser (issue 26), against the time-skipping server: the API's
own validation and the policy's refusals come back as the form's error summary, a role the
permission table does not allow is refused with its rule in plain words, a form without the
session's token changes nothing, and who acts is the signed-in person whatever the form says.
The same pages in Chromium, by keyboard: tests/test_staff_pages_browser.py."""

import html as html_text
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest_asyncio

from policy.vocabulary import Role
from tests.helpers import new_party
from tests.sessions import sign_in
from tests.test_api import Api, _staff_and_tokens
from web.app import create_app


@pytest_asyncio.fixture
async def pages(parties, store, settings) -> AsyncIterator[Api]:
    tokens = _staff_and_tokens(store)
    store.add_staff("adviser-1", "Sam Specialist", [Role.SPECIALIST_ADVISER])
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, tokens, store)


def _local(at: datetime) -> str:
    """As the form's date and time field gives it: London wall-clock time, to the minute."""
    return at.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")


def _summary(html: str) -> str:
    """The error summary's words, tags left out."""
    found = re.search(r'<div class="govuk-error-summary.*?</ul>', html, re.S)
    assert found, "no error summary"
    return html_text.unescape(" ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split()))


async def test_a_colleagues_incident_is_validated_by_the_apis_model_and_sent_as_the_signed_in_person(
    pages, parties, store
):
    party_id = new_party().party_id
    form_key = sign_in(pages.client, store, "colleague-9")
    when = _local(datetime.now(UTC) - timedelta(hours=1))
    report = {
        "form_key": form_key,
        "message_id": "inc-from-the-form-1",
        "category": "aggressive_or_abusive",
        "behaviour_code": "unreasonable_timescales",  # under another category: the model refuses it
        "occurred_at": when,
        "reported_by": "manager-1",  # a form never chooses who acts
    }
    refused = await pages.client.post(f"/inbox/parties/{party_id}/incident", data=report)
    assert refused.status_code == 422
    assert "behaviour_code 'unreasonable_timescales' is not under category 'aggressive_or_abusive'" in _summary(
        refused.text
    )
    assert "<title>Error: Report an incident" in refused.text and 'href="#behaviour_code"' in refused.text
    assert 'value="inc-from-the-form-1"' in refused.text  # sent again, it is the same message

    forged = await pages.client.post(
        f"/inbox/parties/{party_id}/incident", data=report | {"form_key": "0" * 43, "behaviour_code": "verbal_abuse"}
    )
    assert forged.status_code == 403 and "did not come from your inbox" in forged.text

    done = await pages.client.post(
        f"/inbox/parties/{party_id}/incident", data=report | {"behaviour_code": "verbal_abuse"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/inbox/parties/{party_id}"
    status = await parties.status(party_id)
    assert status.recent_incident_ids == ["inc-from-the-form-1"]
    timeline = (await pages.client.get(done.headers["location"])).text
    assert "Incident inc-from-the-form-1 is on the party&#39;s file" in timeline
    assert "colleague-9 (colleague)" in timeline and "manager-1 (manager)" not in timeline

    # R14: no restriction without grounds (one incident, no warning): refused, the rule in words.
    restriction = {
        "form_key": form_key,
        "message_id": "res-from-the-form-1",
        "incident_ids": "inc-from-the-form-1",
        "measures": "single_named_contact",
        "single_named_contact-named_contact": "manager-1",
        "reasons": "Abuse on the phone.",
        "contact_arrangements": "Email your named contact.",
    }
    r14 = await pages.client.post(f"/inbox/parties/{party_id}/restriction", data=restriction)
    assert r14.status_code == 409
    assert "R14" in _summary(r14.text), _summary(r14.text)
    assert 'value="manager-1"' in r14.text  # what they gave is kept

    # A measure's parameter missing: the model's message, on that parameter's field.
    unnamed = await pages.client.post(
        f"/inbox/parties/{party_id}/restriction", data=restriction | {"single_named_contact-named_contact": ""}
    )
    assert unnamed.status_code == 422
    assert 'href="#single_named_contact-named_contact"' in unnamed.text
    assert "Single named contact: named contact:" in _summary(unnamed.text)


async def test_a_role_the_permission_table_does_not_allow_is_refused_with_its_rule_in_words(pages, store):
    party_id = new_party().party_id
    form_key = sign_in(pages.client, store, "adviser-1")
    page = await pages.client.get(f"/inbox/parties/{party_id}/incident")
    assert page.status_code == 403
    assert "Your role may not do this" in page.text
    assert "Rule R18: adviser-1 may not report incident (a colleague reports behaviour they saw or experienced)" in (
        page.text
    )
    assert 'action="/inbox/parties/' not in page.text  # no form to send
    posted = await pages.client.post(
        f"/inbox/parties/{party_id}/incident",
        data={"form_key": form_key, "category": "aggressive_or_abusive", "behaviour_code": "verbal_abuse"},
    )
    assert posted.status_code == 403 and "Rule R18" in posted.text
    # Nor does the navigation or "Act on a party" offer it.
    tasks = (await pages.client.get("/inbox")).text
    assert 'href="/inbox/act"' not in tasks and 'href="/inbox/contact"' not in tasks

    sign_in(pages.client, store, "colleague-9")
    act = (await pages.client.get("/inbox/act", params={"party_id": party_id})).text
    assert f'href="/inbox/parties/{party_id}/incident"' in act
    decide = await pages.client.get(f"/inbox/parties/{party_id}/adjustments/adj-1/decision")
    assert decide.status_code == 403 and "Rule R16: colleague-9 may not decide adjustment" in decide.text
