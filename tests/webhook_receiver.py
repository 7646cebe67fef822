"""A case system's webhook receiver for the tests (issue 25): a local HTTP server that checks
each delivery with the `standardwebhooks` library, as a case system would, and keeps what came;
and the feed read to its end, to check the deliveries against."""

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from standardwebhooks import Webhook


class Receiver:
    """Answers 500 while `failing`; else verifies the signature (400 if it is wrong) and keeps the event."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.failing = False
        self.received: list[dict[str, Any]] = []
        self.refused = 0
        self.unverified: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def unique(self) -> list[dict[str, Any]]:
        """What came, each event once (the first time), in the order it came: what a case system keeps."""
        seen: set[str] = set()
        with self._lock:
            return [e for e in self.received if not (e["id"] in seen or seen.add(e["id"]))]  # type: ignore[func-returns-value]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                if receiver.failing or receiver.secret is None:
                    with receiver._lock:
                        receiver.refused += 1
                    self.send_response(500)
                    self.end_headers()
                    return
                try:
                    event = Webhook(receiver.secret).verify(body, dict(self.headers))
                except Exception as err:  # any failure to verify is the test's finding
                    with receiver._lock:
                        receiver.unverified.append(f"{type(err).__name__}: {err}")
                    self.send_response(400)
                    self.end_headers()
                    return
                assert event["id"] == self.headers["webhook-id"]
                with receiver._lock:
                    receiver.received.append(event)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    @contextlib.contextmanager
    def running(self) -> Iterator["Receiver"]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


async def feed(api: httpx.AsyncClient, token: str, **params: str) -> list[dict[str, Any]]:
    """Every event the feed gives, page after page, from the start."""
    events: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {**params, "limit": "50"} | ({"after": after} if after else {})
        answer = await api.get("/events", params=query, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        if not page["events"]:
            assert page["next"] == after or after is None
            return events
        events += page["events"]
        after = page["next"]


async def caught_up(receiver: Receiver, api: httpx.AsyncClient, token: str, timeout: float = 30.0) -> list[dict]:
    """Wait until the receiver holds every event of the feed; return the feed."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        events = await feed(api, token)
        got = {e["id"] for e in receiver.unique()}
        if events and all(e["id"] in got for e in events):
            return events
        if asyncio.get_running_loop().time() > deadline:
            missing = [e["type"] for e in events if e["id"] not in got]
            raise AssertionError(f"the receiver never got {missing}; refused {receiver.refused}, {receiver.unverified}")
        await asyncio.sleep(0.2)


def in_party_order(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Each party's sequence numbers, in the order given."""
    order: dict[str, list[int]] = {}
    for e in events:
        order.setdefault(e["party_id"], []).append(e["sequence"])
    return order


def as_json(events: list[dict[str, Any]]) -> str:
    return json.dumps([(e["type"], e["sequence"]) for e in events])
