"""Send what pushgate writes (the release's status update, a flight's report) as a mail, over
SMTP: the server, STARTTLS and the login come from the settings (`PUSHGATE_SMTP_*`)."""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from gate.settings import Settings

TIMEOUT = 30.0  # seconds to connect to the server and for each of its answers
# Lines as long as SMTP allows, so that a long osstest header (a job:step:status word) is folded
# at its spaces, as osstest's mails are, and never encoded.
POLICY = email.policy.SMTP.clone(max_line_length=998)


class MailError(RuntimeError):
    """A mail that could not be sent: one sentence that names the server and the reason."""


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str
    headers: Mapping[str, str] | None = None


def message(mail: Mail, sender: str) -> EmailMessage:
    """Build the message: plain text, UTF-8, with a date and an id of its own."""
    found = EmailMessage(policy=POLICY)
    found["From"] = sender
    found["To"] = ", ".join(mail.to)
    found["Subject"] = mail.subject
    found["Date"] = formatdate(localtime=False, usegmt=True)
    found["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    for name, value in (mail.headers or {}).items():
        found[name] = value
    found.set_content(mail.body)
    return found


def send(settings: Settings, mail: Mail) -> str:
    """Send a mail through the SMTP server of the settings; return where it went."""
    if not settings.smtp_host:
        raise MailError("no mail server: set PUSHGATE_SMTP_HOST (and PUSHGATE_SMTP_PORT)")
    if not mail.to:
        raise MailError("nobody to send to: give --to ADDRESS")
    server = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            refused = smtp.send_message(message(mail, settings.mail_from))
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"{server} refused every recipient: {_refusals(exc.recipients)}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"{server} refused the login of {settings.smtp_user!r}: {_said(exc)}"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"{server} refused the mail: {_said(exc)}") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"{server}: {exc}") from None
    except (TimeoutError, OSError) as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise MailError(f"cannot reach the mail server {server}: {reason}") from None
    if refused:
        raise MailError(f"{server} refused some recipients: {_refusals(refused)}")
    return f"{', '.join(mail.to)} via {server}"


def _said(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode(errors="replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {text}".strip()


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address} ({code} {answer.decode(errors='replace')})"
        for address, (code, answer) in sorted(refused.items())
    )


def addresses(values: Sequence[str]) -> tuple[str, ...]:
    """Read --to values: each may hold several addresses, comma-separated."""
    return tuple(a.strip() for value in values for a in value.split(",") if a.strip())
