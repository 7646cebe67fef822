"""Signing a test's HTTP client in to the inbox as the identity provider's sign-in ends: a
session opened on the server, its id in the session cookie. The sign-in itself, through a
real OpenID provider in Chromium, is tests/test_sign_in_browser.py's."""

import httpx

from records.store import RecordStore
from services.signing_in import SignInRules
from settings import Settings
from web.deps import SESSION_COOKIE


def sign_in(client: httpx.AsyncClient, store: RecordStore, staff_id: str) -> str:
    """Open a session for `staff_id` and give `client` its cookie; returns the session's CSRF token."""
    staff = store.staff(staff_id)
    assert staff is not None, f"{staff_id} is not on the staff list"
    session_id, row = store.open_session(staff_id, staff.roles, SignInRules.of(Settings()).timeouts)
    client.cookies.set(SESSION_COOKIE, session_id)
    return row.csrf_token
