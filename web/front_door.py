"""What every answer of the front door goes through, before and after the routes: the body
size limit (413, before anyone is signed in), the security headers, the rate limits (429
with Retry-After), and the security log of refusals (401, 403, 429).

OWASP ASVS level 2, V13/V14: one place, so that no route can forget them.
"""

import math
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from records.security_log import SecurityEvent
from records.store import RecordStore
from web.metrics import UNMATCHED

# The answers whose refusal the security log keeps.
_LOGGED = {
    status.HTTP_401_UNAUTHORIZED: SecurityEvent.UNAUTHORISED,
    status.HTTP_403_FORBIDDEN: SecurityEvent.FORBIDDEN,
    status.HTTP_429_TOO_MANY_REQUESTS: SecurityEvent.RATE_LIMITED,
}
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class BodyLimit:
    """Refuses a body over `max_bytes` (413), or one of no declared length (411), before
    the app reads it or anyone is signed in: nothing upstream holds a large body in memory.
    A client that declares a length and sends more is cut off at the length (the server
    reads no further)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is None and b"chunked" in headers.get(b"transfer-encoding", b""):
            answer = JSONResponse({"detail": "send the body with a Content-Length"}, status.HTTP_411_LENGTH_REQUIRED)
        elif length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            answer = JSONResponse(
                {"detail": f"the body is larger than {self.max_bytes} bytes"}, status.HTTP_413_CONTENT_TOO_LARGE
            )
        else:
            await self.app(scope, receive, send)
            return
        await answer(scope, receive, send)


class RateLimit:
    """At most `per_minute` hits per key in each minute (a fixed window: cheap, and a burst
    at a window's edge is at most twice the rate). Kept in the process: with several API
    replicas each counts its own (docs/operations.md)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def _hit(self, key: str) -> tuple[int | None, bool]:
        """Count a hit for `key`: the seconds until the next window (None: allowed), and
        whether this is the window's first refusal."""
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= 60:
            start, count = now, 0
        if len(self._windows) > 10_000:
            # Forget finished windows, so that many keys cannot grow the table without bound.
            self._windows = {k: w for k, w in self._windows.items() if now - w[0] < 60}
        self._windows[key] = (start, count + 1)
        if count < self.per_minute:
            return None, False
        return max(1, math.ceil(60 - (now - start))), count == self.per_minute

    def check(self, key: str, what: str, request: Request | None = None) -> None:
        """Raises HTTPException: (429) with Retry-After, when `key` is over its rate. With
        `request`, only the window's first refusal goes to the security log: a flood of
        refusals would otherwise flood the log too."""
        wait, first = self._hit(key)
        if wait is not None:
            if request is not None and not first:
                request.state.security_logged = True
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"too many {what}: try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )


def content_security_policy(issuer: str | None) -> str:
    """No script at all, styles and images from the inbox itself (charts are data: images),
    forms only to the inbox and the identity provider (the sign-in form redirects there),
    never framed."""
    form_action = "'self'"
    if issuer:
        parts = urlsplit(issuer)
        form_action += f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )


# The API's docs page (Swagger UI), when the settings turn it on: its scripts come from a
# CDN and one is inline, so it gets a policy of its own, and only it (docs/operations.md).
DOCS_CSP = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")


def security_headers(
    store: RecordStore, csp: str
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The middleware that sets the headers on every answer and logs its refusals."""

    async def secure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        headers = response.headers
        own = headers.get("Content-Security-Policy")
        if own is not None:
            # A route's own, stricter policy stands (a letter's HTML is sandboxed); it is never framed either.
            if "frame-ancestors" not in own:
                headers["Content-Security-Policy"] = f"{own}; frame-ancestors 'none'"
        else:
            headers["Content-Security-Policy"] = DOCS_CSP if request.url.path in DOCS_PATHS else csp
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        # Pages and answers carry personal data: no cache keeps them. A static file says otherwise.
        headers.setdefault("Cache-Control", "no-store")
        if request.url.scheme == "https":
            headers["Strict-Transport-Security"] = "max-age=31536000"
        event = _LOGGED.get(response.status_code)
        if event is not None and not getattr(request.state, "security_logged", False):
            route = request.scope.get("route")
            await run_in_threadpool(
                store.record_security_event,
                event,
                staff_id=getattr(request.state, "principal_id", None),
                route=getattr(route, "path", UNMATCHED),
                status=response.status_code,
            )
        return response

    return secure
