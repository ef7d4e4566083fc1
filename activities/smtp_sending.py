"""Sending one e-mail through SMTP (smtplib), with STARTTLS and authentication from settings.

The conversation is spelled out (MAIL, RCPT, DATA) rather than left to `send_message`, so the
server's reply to DATA, the moment it took the message, is kept in the delivery log. What a
failure means (a 5xx reply is final; a 4xx or a lost connection is retried) is decided in
activities/failures.py.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage


class CredentialsInClear(Exception):
    """SMTP authentication is configured without STARTTLS to a server that is not local."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send e-mail (the SMTP_* and MAIL_FROM settings)."""

    host: str
    port: int
    mail_from: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 20.0


@dataclass(frozen=True)
class SmtpReply:
    """The server's reply to DATA, and how long the conversation took."""

    code: int
    text: str
    duration_ms: int

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def send_mail(config: SmtpConfig, message: EmailMessage, recipient: str) -> SmtpReply:
    """Send `message` to `recipient` from `config.mail_from`; the server's reply to DATA.

    Raises smtplib's errors (SMTPResponseException with the server's code, or a lost
    connection) and OSError for a server that cannot be reached.
    """
    if config.username and not config.starttls and config.host not in _LOCAL_HOSTS:
        raise CredentialsInClear(
            f"SMTP_USERNAME is set but SMTP_STARTTLS is off: the password would cross the "
            f"network to {config.host} in clear; set SMTP_STARTTLS=true"
        )
    started = time.monotonic()
    with smtplib.SMTP(config.host, config.port, timeout=config.timeout_s) as smtp:
        smtp.ehlo()
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
        code, reply = smtp.mail(config.mail_from)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, config.mail_from)
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        # DATA's final reply is returned, not raised: the server may refuse the message here.
        code, reply = smtp.data(message.as_bytes(policy=email.policy.SMTP))
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
    elapsed = int((time.monotonic() - started) * 1000)
    return SmtpReply(code, reply.decode("utf-8", "replace"), elapsed)
