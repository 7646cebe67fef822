"""R10's letters through the HTTP API and `ubp letters`: listed without their text,
downloaded exactly as stored, marked sent once. The letters are made as the
`make_letter` activity makes them (tests/party_file.py); no Temporal is needed."""

import hashlib
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from policy.letters import LetterKind
from policy.vocabulary import Role
from records.store import RecordStore
from settings import Settings
from tests.cli_api import ubp_over_api
from tests.party_file import PartyOnFile, write_party_file
from tests.test_api import Api, offline  # noqa: F401 - `offline` is a fixture


@pytest.fixture
def on_file(store: RecordStore, settings: Settings) -> PartyOnFile:
    return write_party_file(store, settings)


def _url(letter_id: str, tail: str = "") -> str:
    return f"/letters/{quote(letter_id, safe='')}{tail}"


async def test_r10_a_partys_letters_are_listed_in_order_without_their_text(
    offline: Api,  # noqa: F811
    on_file,
    store,
):
    answer = await offline.client.get(f"/parties/{on_file.party_id}/letters", headers=offline.auth())
    assert answer.status_code == 200, answer.text
    listed = answer.json()
    # w1 was held open by i2 (R5a) before r1 restricted the party.
    assert [letter["kind"] for letter in listed] == ["warning", "warning_held_open", "restriction", "end_moved"]
    first = listed[0]
    assert first["letter_id"] == "letter:warning:w1" and first["subject_id"] == "w1"
    assert first["produced_at"] == "2026-03-06T10:00:00Z" and len(first["content_hash"]) == 64
    assert first["sent_at"] is None and first["sent_method"] is None
    assert not {"html", "pdf", "data"} & set(first)

    one = await offline.client.get(_url(first["letter_id"]), headers=offline.auth())
    assert one.status_code == 200 and one.json() == first
    # Each read is logged on the party's file: who, what, which door; never the content.
    assert [(r.staff_id, r.via, r.what, r.door) for r in store.file_reads(on_file.party_id)] == [
        ("case-system", None, "letters", "api"),
        ("case-system", None, "letter letter:warning:w1", "api"),
    ]


async def test_r10_a_letter_downloads_as_stored_and_matches_its_hash(offline: Api, on_file, store):  # noqa: F811
    letter_id = on_file.letter_ids[LetterKind.RESTRICTION]
    pdf = await offline.client.get(_url(letter_id, "/pdf"), headers=offline.auth())
    html = await offline.client.get(_url(letter_id, "/html"), headers=offline.auth())
    assert pdf.status_code == 200 and html.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="letter-restriction-r1.pdf"'
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["content-disposition"] == 'attachment; filename="letter-restriction-r1.html"'
    assert pdf.headers["cache-control"] == "no-store" and "sandbox" in html.headers["content-security-policy"]
    # What the case system sends is what is on file: the stored hash covers these bytes.
    digest = hashlib.sha256(html.content)
    digest.update(b"\0")
    digest.update(pdf.content)
    assert digest.hexdigest() == store.letter_info(letter_id).content_hash
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "Abuse continued while a warning was in place." in text
    # A letter is personal data: who read it is logged, by door, without its content.
    reads = store.letter_reads(letter_id)
    assert [(r.staff_id, r.part, r.door, r.party_id) for r in reads] == [
        ("case-system", "pdf", "api", on_file.party_id),
        ("case-system", "html", "api", on_file.party_id),
    ]
    assert all(r.at > datetime.now(UTC) - timedelta(minutes=1) for r in reads)
    assert (await offline.client.get(_url(letter_id))).status_code == 401
    assert (await offline.client.get(_url("letter:warning:nope", "/pdf"), headers=offline.auth())).status_code == 404
    assert len(store.letter_reads(letter_id)) == 2 and store.letter_reads("letter:warning:nope") == []


async def test_r10_a_letter_is_marked_sent_once_and_a_repeat_answers_the_first(offline: Api, on_file):  # noqa: F811
    url = _url(on_file.letter_ids[LetterKind.WARNING], "/sent")
    first = await offline.client.post(
        url, json={"sent_at": "2026-03-07T09:30:00+00:00", "method": "post"}, headers=offline.auth()
    )
    assert first.status_code == 200, first.text
    assert first.json()["sent_at"] == "2026-03-07T09:30:00Z" and first.json()["sent_method"] == "post"
    assert first.json()["duplicate"] is False
    again = await offline.client.post(url, json={"method": "email"}, headers=offline.auth())
    assert again.status_code == 200
    assert again.json() == first.json() | {"duplicate": True}

    # Without `sent_at` the letter was sent now.
    before = datetime.now(UTC)
    now = await offline.client.post(
        _url(on_file.letter_ids[LetterKind.RESTRICTION], "/sent"), json={"method": "hand"}, headers=offline.auth()
    )
    assert now.status_code == 200 and datetime.fromisoformat(now.json()["sent_at"]) >= before - timedelta(seconds=1)
    listed = (await offline.client.get(f"/parties/{on_file.party_id}/letters", headers=offline.auth())).json()
    assert [(x["sent_method"], x["sent_at"] is not None) for x in listed] == [
        ("post", True),
        (None, False),
        ("hand", True),
        (None, False),
    ]


async def test_r10_unknown_letters_and_parties_are_404_naming_them(offline: Api, on_file):  # noqa: F811
    auth = offline.auth()
    for answer in [
        await offline.client.get(_url("letter:warning:nope"), headers=auth),
        await offline.client.get(_url("letter:warning:nope", "/pdf"), headers=auth),
        await offline.client.get(_url("letter:warning:nope", "/html"), headers=auth),
        await offline.client.post(_url("letter:warning:nope", "/sent"), json={"method": "post"}, headers=auth),
    ]:
        assert answer.status_code == 404 and answer.json() == {"detail": "no letter 'letter:warning:nope' is on file"}
    party = await offline.client.get("/parties/nobody/letters", headers=auth)
    assert party.status_code == 404 and party.json() == {"detail": "no party 'nobody' is on file"}


async def test_r10_a_bad_method_a_future_date_or_a_date_before_the_letter_is_422(offline: Api, on_file):  # noqa: F811
    url, auth = _url(on_file.letter_ids[LetterKind.WARNING], "/sent"), offline.auth()
    pigeon = await offline.client.post(url, json={"method": "pigeon"}, headers=auth)
    assert pigeon.status_code == 422 and pigeon.json()["detail"][0]["loc"] == ["body", "method"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    future = await offline.client.post(url, json={"method": "post", "sent_at": tomorrow}, headers=auth)
    assert future.status_code == 422 and future.json()["detail"][0]["loc"] == ["body", "sent_at"]
    assert "must not be in the future" in future.json()["detail"][0]["msg"]
    naive = await offline.client.post(url, json={"method": "post", "sent_at": "2026-03-07T09:30:00"}, headers=auth)
    assert naive.status_code == 422
    early = await offline.client.post(url, json={"method": "post", "sent_at": "2026-03-01T09:30:00Z"}, headers=auth)
    assert early.status_code == 422
    assert early.json()["detail"][0]["msg"].startswith("sent_at 2026-03-01T09:30:00+00:00 is before the letter")
    # None of them marked it.
    assert (await offline.client.get(_url(on_file.letter_ids[LetterKind.WARNING]), headers=auth)).json()[
        "sent_at"
    ] is None


async def test_r10_letters_are_for_signed_in_staff_only(offline: Api, on_file):  # noqa: F811
    assert (await offline.client.get(f"/parties/{on_file.party_id}/letters")).status_code == 401
    letter = _url(on_file.letter_ids[LetterKind.WARNING], "/pdf")
    assert (await offline.client.get(letter, headers={"Authorization": "Bearer wrong"})).status_code == 401


async def test_r10_ubp_letters_list_get_and_sent(parties, on_file, store, settings, tmp_path, monkeypatch):
    """`ubp letters` through the API, as who signed in: each download logged as theirs."""
    store.add_staff("records-1", "Rae Records", [Role.COLLEAGUE])
    store.add_staff("ops-1", "Oli Operations", [Role.OPERATIONS])
    store.add_system("case-system", "The case system", [])
    async with ubp_over_api(parties, store, settings, monkeypatch) as ubp:
        for staff_id in ("records-1", "ops-1", "case-system"):
            ubp.token(store, staff_id)
        listed = await ubp("letters", "list", on_file.party_id, as_="records-1")
        assert listed.exit_code == 0, listed.output
        lines = [line.split("\t") for line in listed.output.splitlines()]
        assert [line[:2] for line in lines] == [
            ["letter:warning:w1", "warning"],
            [on_file.letter_ids[LetterKind.WARNING_HELD_OPEN], "warning_held_open"],
            ["letter:restriction:r1", "restriction"],
            [on_file.letter_ids[LetterKind.END_MOVED], "end_moved"],
        ]
        assert lines[0][3:5] == ["not sent", "-"]

        out = tmp_path / "warning.pdf"
        got = await ubp("letters", "get", "letter:warning:w1", "--pdf", "--out", str(out), as_="records-1")
        assert got.exit_code == 0, got.output
        assert out.read_bytes() == store.letter("letter:warning:w1").pdf
        html = tmp_path / "warning.html"
        got = await ubp("letters", "get", "letter:warning:w1", "--html", "--out", str(html), as_="records-1")
        assert got.exit_code == 0, got.output
        assert html.read_text() == store.letter("letter:warning:w1").html
        assert [(r.staff_id, r.part, r.door) for r in store.letter_reads("letter:warning:w1")] == [
            ("records-1", "pdf", "api"),
            ("records-1", "html", "api"),
        ]
        stranger = await ubp("letters", "get", "letter:warning:w1", "--out", str(out), as_="ops-1")
        assert stranger.exit_code == 1 and "not permitted: R10: ops-1 may not read letters" in stranger.stderr
        assert len(store.letter_reads("letter:warning:w1")) == 2

        sent_at = ("--at", "2026-03-07T09:30:00Z")
        sent = await ubp(
            "letters", "sent", "letter:warning:w1", "--method", "recorded_post", *sent_at, as_="case-system"
        )
        assert sent.exit_code == 0, sent.output
        assert '"sent_method": "recorded_post"' in sent.output and '"duplicate": false' in sent.output
        again = await ubp("letters", "sent", "letter:warning:w1", "--method", "email", as_="case-system")
        assert again.exit_code == 0 and '"sent_method": "recorded_post"' in again.output
        assert '"duplicate": true' in again.output
        relisted = await ubp("letters", "list", on_file.party_id, as_="case-system")
        assert relisted.output.splitlines()[0].split("\t")[3:5] == ["2026-03-07T09:30:00+00:00", "recorded_post"]

        unknown = await ubp("letters", "get", "letter:warning:nope", "--out", str(out), as_="records-1")
        assert unknown.exit_code == 1 and "no letter 'letter:warning:nope' is on file" in unknown.stderr
        pigeon = await ubp("letters", "sent", "letter:warning:w1", "--method", "pigeon", as_="case-system")
        assert pigeon.exit_code == 2
        future = await ubp(
            "letters", "sent", "letter:restriction:r1", "--method", "post", "--at", "2099-01-01T00:00:00Z", as_="ops-1"
        )
        assert future.exit_code == 2 and "must not be in the future" in future.output
