"""A local SMTP server that keeps the mail it is sent: the dev stack's mail catcher.

`ubp dev` runs it on UBP_SMTP_HOST:UBP_SMTP_PORT (127.0.0.1:1025) and keeps
every message in the Maildir `var/mail/` (one file per message under `new/`,
readable as text or with any mail client, e.g. `mutt -f var/mail`), logging
a line for each. The tests run it in their own process as the real SMTP
server the notices go through.
"""

import email
import email.policy
import logging
import mailbox
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)
# aiosmtpd logs every SMTP command at INFO; one line per message (below) is enough.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class CaughtMail:
    """One message as the server took it: the envelope's recipients, and the message."""

    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        # A long one is folded onto a line of its own: unfolded, it keeps the leading space.
        return str(self.message["Message-ID"]).strip()

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if isinstance(part, EmailMessage) else ""


class MailCatcher:
    """An SMTP server on `host:port` that accepts every message and keeps it.

    Args:
        host: The address to listen on.
        port: The port.
        maildir: A Maildir folder to keep each message in as well; None: in memory only.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 1025, maildir: Path | None = None) -> None:
        self.host = host
        self.port = port
        self.maildir = maildir
        self._received: list[CaughtMail] = []
        self._lock = threading.Lock()
        # For tests of a server that pushes back: replies to give instead of
        # accepting, one per message ("451 4.3.0 Try again later"), and
        # recipients to refuse (address: "550 5.1.1 No such user").
        self.answers: list[str] = []
        self.refused: dict[str, str] = {}
        self._controller = Controller(_Handler(self), hostname=host, port=port)

    @property
    def received(self) -> list[CaughtMail]:
        """Every message accepted so far, in order."""
        with self._lock:
            return list(self._received)

    def start(self) -> None:
        """Listen (in a thread of its own); raises if the port is taken."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening; nothing if it is not running. It may be started again."""
        self._controller.stop(no_assert=True)

    def _take(self, recipients: tuple[str, ...], content: bytes) -> str:
        with self._lock:
            if self.answers:
                return self.answers.pop(0)
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            self._received.append(CaughtMail(recipients, message))
        stored = ""
        if self.maildir is not None:
            stored = f" ({self.maildir / 'new' / mailbox.Maildir(self.maildir).add(content)})"
        log.info("mail to %s: %s%s", ", ".join(recipients), message["Subject"], stored)
        return "250 OK"


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self._catcher = catcher

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        refusal = self._catcher.refused.get(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return self._catcher._take(tuple(envelope.rcpt_tos), envelope.original_content or envelope.content)
