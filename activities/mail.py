"""Sending mail through the SMTP server in the settings, and what every mail shares.

Each message goes in one SMTP conversation. Its failures are sorted for the
retry policy: the server down, busy or answering 4xx is retryable (the
dispatch retries with back-off); a 5xx refusal, a failed login or a server
without STARTTLS is not, since sending the same message again cannot fix it.
"""

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import quote

from temporalio import activity
from temporalio.exceptions import ApplicationError

from settings import MailSettings

MAIL_SERVER_UNAVAILABLE = "MailServerUnavailable"
MAIL_REFUSED = "MailRefused"


@dataclass(frozen=True)
class Recipient:
    """Who a mail goes to: a member of staff's id, name and address."""

    staff_id: str
    name: str
    email: str


class Mailer:
    """The SMTP server notices and digests go through.

    Args:
        settings: Host, port, STARTTLS, login and sender (`Settings.mail`).
    """

    def __init__(self, settings: MailSettings) -> None:
        self._settings = settings
        self.sender_address = parseaddr(settings.sender)[1]
        if "@" not in self.sender_address:
            raise ValueError(f"UBP_MAIL_FROM is not an address: {settings.sender!r}")

    def message(
        self, recipients: Sequence[Recipient], subject: str, body: str, message_id: str, at: datetime
    ) -> EmailMessage:
        """A plain-text mail from the sender in the settings.

        Args:
            recipients: Everyone it goes to, all named in `To` (they are colleagues).
            subject: The subject line.
            body: The text.
            message_id: From `message_id`: the same for every attempt to send it,
                so a mail client can drop a copy that went twice.
            at: The `Date` header.
        """
        message = EmailMessage()
        message["From"] = self._settings.sender
        message["To"] = [Address(display_name=r.name, addr_spec=r.email) for r in recipients]
        message["Subject"] = subject
        message["Date"] = format_datetime(at)
        message["Message-ID"] = message_id
        # Out-of-office replies and list software should leave these alone (RFC 3834).
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        return message

    def message_id(self, kind: str, key: str) -> str:
        """A Message-ID made from a key, so that every attempt to send one mail carries the same one.

        Args:
            kind: What the mail is: `notice`, `digest`.
            key: Its idempotency key (a notice id, `staff_id:day`).
        """
        # A Message-ID's left side is dot-atom text: no ':' and no '..', which ids may hold.
        atom = quote(key, safe="").replace(".", "%2E")
        return f"<ubp.{kind}.{atom}@{self._settings.sender_domain}>"

    def send(self, message: EmailMessage) -> dict[str, str]:
        """Send one message to every address in its `To` header.

        Returns:
            The addresses the server refused while taking the rest, each with
            the server's answer; empty if it took them all.

        Raises:
            ApplicationError: Retryable (`MailServerUnavailable`) if the server
                cannot be reached or answers 4xx; not retryable (`MailRefused`)
                if it refuses the mail or the login outright, or lacks STARTTLS.
        """
        settings = self._settings
        to = [address.addr_spec for address in message["To"].addresses]
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.user and settings.password is not None:
                    smtp.login(settings.user, settings.password.get_secret_value())
                refused = smtp.send_message(message, from_addr=self.sender_address, to_addrs=to)
        except smtplib.SMTPRecipientsRefused as err:
            # The answers without the addresses: the message is kept in the workflow's history.
            answers = "; ".join(sorted({_answer(code, text) for code, text in err.recipients.values()}))
            busy = all(400 <= code < 500 for code, _ in err.recipients.values())
            raise _failure(f"every recipient was refused: {answers}", retryable=busy) from err
        except smtplib.SMTPResponseException as err:
            # Sender refused, data refused, login refused, greeting refused.
            busy = 400 <= err.smtp_code < 500
            raise _failure(f"{type(err).__name__}: {_answer(err.smtp_code, err.smtp_error)}", retryable=busy) from err
        except smtplib.SMTPServerDisconnected as err:
            raise _failure(f"the mail server hung up: {err}", retryable=True) from err
        except (smtplib.SMTPException, ssl.SSLCertVerificationError) as err:
            # No STARTTLS or no AUTH on offer, or a certificate that does not
            # verify: a setting or the server must change first.
            raise _failure(f"{type(err).__name__}: {err}", retryable=False) from err
        except OSError as err:
            # Refused connection, timeout, unknown host: the server is down or away.
            raise _failure(
                f"cannot reach the mail server {settings.host}:{settings.port}: {type(err).__name__}: {err}",
                retryable=True,
            ) from err
        return {address: _answer(code, text) for address, (code, text) in refused.items()}


def task_link(inbox_url: str, task_id: str) -> str:
    """The task's page in the inbox."""
    return f"{inbox_url}/tasks/{quote(task_id, safe='')}"


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {words}"


def _failure(message: str, *, retryable: bool) -> ApplicationError:
    activity.logger.warning("mail not sent (%s): %s", "will retry" if retryable else "giving up", message)
    return ApplicationError(
        message, type=MAIL_SERVER_UNAVAILABLE if retryable else MAIL_REFUSED, non_retryable=not retryable
    )
