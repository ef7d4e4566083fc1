"""A local SMTP sink for development: every message it is sent is written to a directory.

`partnerships dev` runs one (aiosmtpd) beside the worker and points the SMTP settings at it,
so milestone e-mails can be read without a mail server: each is a `.eml` file under
`DATA_DIR/mail/`, which any mail client opens, and `partnerships mail` lists them.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

MAIL_SUBDIRECTORY = "mail"
DEFAULT_SMTP_PORT = 8025


class MailSink:
    """The aiosmtpd handler: writes each message to `directory`, with its envelope."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Write the message as `<UTC time>-<id>.eml`; answer 250 with its file name."""
        content = envelope.original_content or b""
        if isinstance(envelope.content, str) and not content:
            content = envelope.content.encode("utf-8")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        header = (
            f"X-Sink-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Sink-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        await asyncio.to_thread(self._write, name, header + bytes(content))
        return f"250 OK saved as {name}"

    def _write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f".{name}.part"
        partial.write_bytes(data)
        partial.rename(self.directory / name)  # readers never see half a message


async def start_mail_sink(directory: Path, host: str, port: int) -> asyncio.Server:
    """Serve SMTP on `host:port` (0: any free port) in the running loop, writing to `directory`.

    The caller closes the returned server; `server.sockets[0].getsockname()[1]` is its port.
    """
    loop = asyncio.get_running_loop()
    sink = MailSink(directory)
    return await loop.create_server(lambda: SMTP(sink, hostname="mail-sink"), host=host, port=port)


@dataclass(frozen=True)
class CaughtMail:
    """A message the sink caught."""

    path: Path
    received: datetime
    sender: str
    to: str
    subject: str
    parts: list[str]
    """Content types of its parts, e.g. text/plain, text/html, application/pdf."""
    attachments: list[str]
    message: EmailMessage


def read_mail(path: Path) -> CaughtMail:
    """One caught message, parsed."""
    parsed: Any = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    message: EmailMessage = parsed
    received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return CaughtMail(
        path=path,
        received=received,
        sender=str(message.get("X-Sink-Envelope-From", message.get("From", ""))),
        to=str(message.get("X-Sink-Envelope-To", message.get("To", ""))),
        subject=str(message.get("Subject", "")),
        parts=[part.get_content_type() for part in message.walk() if not part.is_multipart()],
        attachments=[
            str(part.get_filename()) for part in message.iter_attachments() if part.get_filename()
        ],
        message=message,
    )


def caught(directory: Path) -> list[CaughtMail]:
    """Every message in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    return [read_mail(path) for path in sorted(directory.glob("*.eml"))]
