"""The board report's doors (R10a): the inbox page, for the roles that may read it, and
`ubp report`; both validate the period. The figures themselves: tests/test_board_report.py."""

import csv
import re

import pytest
from typer.testing import CliRunner

from records.store import RecordStore
from settings import get_settings
from tests.test_api import Api, _sign_in, offline  # noqa: F401 - `offline` is a fixture

PERIOD = {"from": "2027-01-01", "to": "2027-12-31"}


async def test_r10a_a_manager_sees_the_board_report_with_charts_and_tables(offline: Api):  # noqa: F811
    await _sign_in(offline, "manager-1")
    inbox = await offline.client.get("/inbox")
    assert 'href="/inbox/report"' in inbox.text
    page = await offline.client.get("/inbox/report", params=PERIOD)
    assert page.status_code == 200, page.text
    html = page.text
    assert ">Board report</h1>" in html and "1 January 2027 to 31 December 2027" in html
    # WCAG: every chart stands for its numbers in words, and the same figures are in tables.
    alts = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', html)
    assert len(alts) == 2 and alts[0].startswith("Bar chart: Incidents recorded, by category. Unacceptable demands: 0")
    assert alts[1].startswith("Line chart: Incidents, warnings and restrictions by month. Incidents: January 2027 0")
    assert '<th scope="col">Figure</th>' in html and '<th scope="row">All incidents</th>' in html
    assert re.search(r'<label class="govuk-label" for="from">', html) and 'for="to">' in html


async def test_r10a_the_report_is_refused_to_a_colleague_and_a_bad_period_is_explained(offline: Api):  # noqa: F811
    await _sign_in(offline, "colleague-9")
    refused = await offline.client.get("/inbox/report", params=PERIOD)
    assert refused.status_code == 403 and "The board report is for staff with one of these roles" in refused.text
    assert 'href="/inbox/report"' not in (await offline.client.get("/inbox")).text

    await _sign_in(offline, "exec-1")
    backwards = await offline.client.get("/inbox/report", params={"from": "2027-02-01", "to": "2027-01-31"})
    assert backwards.status_code == 422
    assert "The period must not end before it starts (2027-02-01 is after 2027-01-31)." in backwards.text
    assert 'role="alert"' in backwards.text and 'value="2027-02-01"' in backwards.text
    garbled = await offline.client.get("/inbox/report", params={"from": "first of May", "to": "2027-01-31"})
    assert garbled.status_code == 422 and "From: Input should be a valid date" in garbled.text


@pytest.fixture
def cli(store: RecordStore, monkeypatch: pytest.MonkeyPatch):
    from starter.ubp import app

    monkeypatch.setenv("DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, list(args))
    get_settings.cache_clear()


def test_r10a_ubp_report_writes_one_html_file_and_the_csv(cli, tmp_path):
    out, figures = tmp_path / "board.html", tmp_path / "board.csv"
    result = cli("report", "--from", "2027-04-01", "--to", "2027-06-30", "--out", str(out), "--csv", str(figures))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.startswith("<!doctype html>") and html.count("data:image/png;base64,") == 2
    assert 'src="http' not in html and "<script" not in html  # nothing fetched when the board opens it
    rows = list(csv.DictReader(figures.open()))
    assert {"table": "Incidents recorded, by category (R2)", "figure": "All incidents", "count": "0"}.items() <= (
        next(r for r in rows if r["figure"] == "All incidents").items()
    )
    assert [r["figure"] for r in rows if r["table"] == "Incidents by month"] == ["April 2027", "May 2027", "June 2027"]


def test_r10a_ubp_report_refuses_a_period_that_ends_before_it_starts(cli, tmp_path):
    result = cli("report", "--from", "2027-06-30", "--to", "2027-04-01", "--out", str(tmp_path / "x.html"))
    assert result.exit_code == 2 and "the period must not end before it starts" in result.output
    assert not (tmp_path / "x.html").exists()
