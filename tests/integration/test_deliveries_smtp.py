"""SMTP sending against a real aiosmtpd server that requires STARTTLS and authentication, with a
certificate of a test CA trusted through SSL_CERT_FILE; and what each failure means."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import smtplib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from activities.failures import Kind, classify_delivery, delivery_failure
from activities.smtp_sending import CredentialsInClear, SmtpConfig, send_mail

USER, PASSWORD = "secretariat", "correct horse battery staple"


def certificate_files(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for 127.0.0.1 with its key: (ca, cert, key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@dataclass
class Mailbox:
    """What the server took: each message with the user it was authenticated as."""

    taken: list[tuple[str, bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        user = str(session.auth_data)
        self.taken.append((user, bytes(envelope.original_content or b"")))
        return "250 2.0.0 queued as 42"


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    def text(value: str | bytes) -> str:
        return value.decode() if isinstance(value, bytes) else value

    ok = (
        isinstance(auth_data, LoginPassword)
        and text(auth_data.login) == USER
        and text(auth_data.password) == PASSWORD
    )
    # handled=False: aiosmtpd answers (235, or 535 on failure) itself.
    return AuthResult(success=ok, handled=False, auth_data=text(auth_data.login) if ok else None)


@pytest.fixture
async def tls_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[int, Mailbox]]:
    """An SMTP server on 127.0.0.1:0 requiring STARTTLS and AUTH; its CA trusted by clients."""
    ca, cert, key = certificate_files(tmp_path)
    # How an operator trusts a private CA: OpenSSL's SSL_CERT_FILE, read by the default context.
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            mailbox,
            hostname="relay.test",
            require_starttls=True,
            tls_context=context,
            authenticator=authenticator,
            auth_require_tls=True,
        ),
        "127.0.0.1",
        0,
    )
    try:
        yield server.sockets[0].getsockname()[1], mailbox
    finally:
        server.close()
        await server.wait_closed()


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = "Deadline reminder"
    mail["From"] = "pilot@partnerships.example.eu"
    mail["To"] = "presidency@consilium.example.eu"
    mail.set_content("The Council's decision is due in 14 days.")
    return mail


def config(port: int, **changes: Any) -> SmtpConfig:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "mail_from": "pilot@partnerships.example.eu",
        "starttls": True,
        "username": USER,
        "password": PASSWORD,
        "timeout_s": 5.0,
    } | changes
    return SmtpConfig(**fields)


async def test_a_message_goes_through_starttls_and_authentication(
    tls_server: tuple[int, Mailbox],
) -> None:
    port, mailbox = tls_server
    reply = await asyncio.to_thread(send_mail, config(port), message(), "presidency@x.eu")
    assert (reply.code, reply.text) == (250, "2.0.0 queued as 42")
    [(user, data)] = mailbox.taken
    assert user == USER
    assert b"14 days" in data


async def test_a_wrong_password_is_final(tls_server: tuple[int, Mailbox]) -> None:
    port, mailbox = tls_server
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        await asyncio.to_thread(
            send_mail, config(port, password="wrong"), message(), "presidency@x.eu"
        )
    found = classify_delivery(refused.value)
    assert (found.kind, found.type) == (Kind.PERMANENT, "SMTPAuthenticationError")
    assert "535" in found.reason
    assert mailbox.taken == []


async def test_without_starttls_the_server_refuses_and_that_is_final(
    tls_server: tuple[int, Mailbox],
) -> None:
    port, mailbox = tls_server
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        await asyncio.to_thread(
            send_mail, config(port, starttls=False, username=None), message(), "p@x.eu"
        )
    found = classify_delivery(refused.value)
    assert found.kind is Kind.PERMANENT
    assert "530" in found.reason
    assert mailbox.taken == []


def test_credentials_are_never_sent_in_clear_to_a_remote_server() -> None:
    remote = config(25, host="mail.example.eu", starttls=False)
    with pytest.raises(CredentialsInClear, match="SMTP_STARTTLS=true"):
        send_mail(remote, message(), "p@x.eu")
    failure = delivery_failure(CredentialsInClear("in clear"), "sending", attempt=1)
    assert getattr(failure, "non_retryable", False) is True


def test_a_server_that_cannot_be_reached_is_retried(unused_tcp_port: int) -> None:
    with pytest.raises(ConnectionRefusedError) as refused:
        send_mail(config(unused_tcp_port, starttls=False, username=None), message(), "p@x.eu")
    failure = delivery_failure(refused.value, "sending", attempt=1)
    assert getattr(failure, "non_retryable", True) is False
    assert "could not be reached" in str(failure)
