"""How the TEMPORAL_TLS* and TEMPORAL_API_KEY settings become the arguments of Client.connect
(app/temporal.py), what they refuse, and that a real TLS handshake carries what they say.

The worker, the API and the CLI all connect through `app.temporal.connect`, so these tests hold
for each of them. Certificates are made in the test with `cryptography`; no server but a
loopback TLS listener is started.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import itertools
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import temporalio.client
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from temporalio.client import Client
from temporalio.service import TLSConfig

from app.exceptions import TemporalUnreachable
from app.temporal import CONNECT_TIMEOUT, ConnectionSecurity, connect, connection_security
from settings import Settings, SettingsError, load_settings
from workflows.converter import DATA_CONVERTER

SERVER_NAME = "temporal.internal"
API_KEY = "tk-9f2c41d0-very-secret"


TLS_VARIABLES = (
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CA_FILE",
    "TEMPORAL_TLS_CERT_FILE",
    "TEMPORAL_TLS_KEY_FILE",
    "TEMPORAL_TLS_SERVER_NAME",
    "TEMPORAL_API_KEY",
)


@pytest.fixture(autouse=True)
def no_tls_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*TLS_VARIABLES, "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)


def settings_of(**given: Any) -> Settings:
    """Settings from `given` and the defaults only (no `.env`)."""
    return Settings(_env_file=None, **given)


# --- certificates made here ------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    """A CA, a server certificate it signed for SERVER_NAME, and a client certificate `worker`."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    common_name: str,
    *,
    server: bool,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    usage = (
        x509.oid.ExtendedKeyUsageOID.SERVER_AUTH
        if server
        else (x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH)
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False
        )
    return key, builder.sign(ca_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _ca("Pilot Partnerships test CA")
    server_key, server_cert = _leaf(ca_key, ca_cert, SERVER_NAME, server=True)
    client_key, client_cert = _leaf(ca_key, ca_cert, "worker", server=False)
    _, other_cert = _ca("Somebody else's CA")
    pem = serialization.Encoding.PEM
    return Pki(
        ca=_write(folder / "ca.pem", ca_cert.public_bytes(pem)),
        server_cert=_write(folder / "server.pem", server_cert.public_bytes(pem)),
        server_key=_write(folder / "server-key.pem", _key_pem(server_key)),
        client_cert=_write(folder / "client.pem", client_cert.public_bytes(pem)),
        client_key=_write(folder / "client-key.pem", _key_pem(client_key)),
        other_ca=_write(folder / "other-ca.pem", other_cert.public_bytes(pem)),
    )


# --- what Client.connect is given -------------------------------------------------------------


def recording_connect(patch: pytest.MonkeyPatch, calls: list[dict[str, Any]]) -> None:
    """Client.connect replaced by a recorder of each call's arguments; nothing is dialled."""

    async def recorded(target_host: str, **kwargs: Any) -> str:
        calls.append({"target_host": target_host, **kwargs})
        return "a client"

    patch.setattr(Client, "connect", recorded)


@pytest.fixture
def connect_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    recording_connect(monkeypatch, calls)
    return calls


async def connected_with(settings: Settings, **kwargs: Any) -> dict[str, Any]:
    """The arguments `connect(settings, **kwargs)` gives Client.connect."""
    calls: list[dict[str, Any]] = []
    with pytest.MonkeyPatch.context() as patch:
        recording_connect(patch, calls)
        await connect(settings, **kwargs)
    [call] = calls
    return call


def tls_config(call: dict[str, Any]) -> TLSConfig:
    tls = call["tls"]
    assert isinstance(tls, TLSConfig)
    return tls


async def test_without_tls_settings_the_connection_is_plain_as_the_dev_server_speaks() -> None:
    call = await connected_with(settings_of(temporal_address="localhost:7233"))
    assert call["target_host"] == "localhost:7233"
    assert call["tls"] is False
    assert call["api_key"] is None
    assert call["namespace"] == "default"
    assert call["data_converter"] is DATA_CONVERTER
    assert call["connect_timeout"] == CONNECT_TIMEOUT


async def test_interceptors_given_to_connect_reach_the_client() -> None:
    class Marker(temporalio.client.Interceptor):
        pass

    marker = Marker()
    call = await connected_with(settings_of(), interceptors=[marker])
    assert list(call["interceptors"]) == [marker]


async def test_temporal_tls_true_alone_verifies_the_frontend_against_the_system_roots() -> None:
    call = await connected_with(settings_of(temporal_tls=True))
    assert call["tls"] is True
    assert call["api_key"] is None


async def test_an_api_key_is_sent_and_turns_tls_on() -> None:
    call = await connected_with(settings_of(temporal_api_key=API_KEY))
    assert call["api_key"] == API_KEY
    assert call["tls"] is True


async def test_a_ca_file_and_a_server_name_verify_the_frontend_with_that_ca_and_name(
    pki: Pki,
) -> None:
    settings = settings_of(temporal_tls_ca_file=str(pki.ca), temporal_tls_server_name=SERVER_NAME)
    tls = tls_config(await connected_with(settings))
    assert tls.server_root_ca_cert == pki.ca.read_bytes()
    assert tls.domain == SERVER_NAME
    assert tls.client_cert is None
    assert tls.client_private_key is None


async def test_a_client_certificate_and_its_key_make_mutual_tls(pki: Pki) -> None:
    settings = settings_of(
        temporal_tls_cert_file=str(pki.client_cert),
        temporal_tls_key_file=str(pki.client_key),
        temporal_api_key=API_KEY,
    )
    call = await connected_with(settings)
    tls = tls_config(call)
    assert tls.client_cert == pki.client_cert.read_bytes()
    assert tls.client_private_key == pki.client_key.read_bytes()
    assert tls.server_root_ca_cert is None  # the system's roots
    assert call["api_key"] == API_KEY


async def test_the_settings_are_read_from_their_environment_variables(
    pki: Pki, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no `.env` but these variables
    for name, value in {
        "TEMPORAL_TLS": "true",
        "TEMPORAL_TLS_CA_FILE": str(pki.ca),
        "TEMPORAL_TLS_CERT_FILE": str(pki.client_cert),
        "TEMPORAL_TLS_KEY_FILE": str(pki.client_key),
        "TEMPORAL_TLS_SERVER_NAME": SERVER_NAME,
        "TEMPORAL_API_KEY": API_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    security = connection_security(load_settings())
    assert isinstance(security.tls, TLSConfig)
    assert security.tls.server_root_ca_cert == pki.ca.read_bytes()
    assert security.tls.client_cert == pki.client_cert.read_bytes()
    assert security.tls.domain == SERVER_NAME
    assert security.api_key == API_KEY


@pytest.mark.parametrize(
    "blank",
    [
        {"temporal_tls_ca_file": ""},
        {"temporal_tls_cert_file": " ", "temporal_tls_key_file": ""},
        {"temporal_tls_server_name": ""},
        {"temporal_api_key": ""},
    ],
)
def test_a_setting_given_as_nothing_counts_as_unset(blank: dict[str, str]) -> None:
    # compose passes `${VAR:-}` through as an empty value
    assert connection_security(settings_of(**blank)) == ConnectionSecurity(tls=False)


def test_the_api_key_is_never_shown_with_the_settings() -> None:
    settings = settings_of(temporal_api_key=API_KEY)
    assert API_KEY not in repr(settings)
    assert API_KEY not in str(settings.model_dump())


# --- refusals ----------------------------------------------------------------------------------


def refusal(settings: Settings) -> str:
    with pytest.raises(SettingsError) as refused:
        connection_security(settings)
    return str(refused.value)


def test_a_client_certificate_without_its_key_is_refused_with_what_is_allowed(pki: Pki) -> None:
    message = refusal(settings_of(temporal_tls_cert_file=str(pki.client_cert)))
    assert "TEMPORAL_TLS_CERT_FILE is set but TEMPORAL_TLS_KEY_FILE is not" in message
    assert "Set both, or neither" in message


def test_a_key_without_its_client_certificate_is_refused_with_what_is_allowed(pki: Pki) -> None:
    message = refusal(settings_of(temporal_tls_key_file=str(pki.client_key)))
    assert "TEMPORAL_TLS_KEY_FILE is set but TEMPORAL_TLS_CERT_FILE is not" in message
    assert "Set both, or neither" in message


def test_tls_files_with_tls_turned_off_are_refused_naming_each(pki: Pki) -> None:
    message = refusal(
        settings_of(
            temporal_tls=False,
            temporal_tls_ca_file=str(pki.ca),
            temporal_tls_server_name=SERVER_NAME,
        )
    )
    assert "TEMPORAL_TLS is false but TEMPORAL_TLS_CA_FILE and TEMPORAL_TLS_SERVER_NAME" in message
    assert "Set TEMPORAL_TLS to true (or leave it unset)" in message


def test_an_api_key_over_a_plain_connection_is_refused_without_showing_the_key() -> None:
    message = refusal(settings_of(temporal_tls=False, temporal_api_key=API_KEY))
    assert "TEMPORAL_API_KEY is set but TEMPORAL_TLS is false" in message
    assert "only over TLS" in message
    assert API_KEY not in message


def test_a_missing_file_is_refused_naming_the_variable_and_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "ca.pem"
    message = refusal(settings_of(temporal_tls_ca_file=str(missing)))
    assert f"TEMPORAL_TLS_CA_FILE={missing} cannot be read (no such file)" in message
    assert "a readable PEM file" in message


def test_a_directory_given_for_a_file_is_refused(tmp_path: Path, pki: Pki) -> None:
    message = refusal(
        settings_of(temporal_tls_cert_file=str(tmp_path), temporal_tls_key_file=str(pki.client_key))
    )
    assert f"TEMPORAL_TLS_CERT_FILE={tmp_path} cannot be read (it is a directory)" in message


def test_a_file_that_is_not_pem_is_refused_with_the_block_it_must_hold(tmp_path: Path) -> None:
    der = tmp_path / "ca.der"
    der.write_bytes(b"\x30\x82\x01\x0a not PEM")
    message = refusal(settings_of(temporal_tls_ca_file=str(der)))
    assert f"TEMPORAL_TLS_CA_FILE={der} is not a certificate in PEM" in message
    assert "-----BEGIN CERTIFICATE-----" in message


def test_a_certificate_given_as_the_key_is_refused(pki: Pki) -> None:
    message = refusal(
        settings_of(
            temporal_tls_cert_file=str(pki.client_cert),
            temporal_tls_key_file=str(pki.client_cert),
        )
    )
    assert "TEMPORAL_TLS_KEY_FILE" in message
    assert "is not an unencrypted private key in PEM" in message


async def test_a_refused_setting_stops_connect_before_it_dials(
    connect_calls: list[dict[str, Any]], pki: Pki
) -> None:
    with pytest.raises(SettingsError):
        await connect(settings_of(temporal_tls_cert_file=str(pki.client_cert)))
    assert connect_calls == []


async def test_a_frontend_that_does_not_answer_is_temporal_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def refused(target_host: str, **kwargs: Any) -> None:
        raise RuntimeError("Failed client connect: tcp connect error: Connection refused")

    monkeypatch.setattr(Client, "connect", refused)
    with pytest.raises(TemporalUnreachable) as unreachable:
        await connect(settings_of(temporal_address="temporal.internal:7233", temporal_tls=True))
    assert unreachable.value.message == (
        "cannot reach Temporal at temporal.internal:7233 (namespace default): connection refused"
    )


def test_every_combination_of_settings_is_refused_or_secured_as_its_rule_says(pki: Pki) -> None:
    """TLS is on iff asked or implied; a client certificate comes only with its key; the API
    key travels only over TLS; anything set with TEMPORAL_TLS=false is refused."""
    for flag, ca, cert, key, name, api_key in itertools.product(
        (None, True, False), *([False, True],) * 5
    ):
        settings = settings_of(
            temporal_tls=flag,
            temporal_tls_ca_file=str(pki.ca) if ca else None,
            temporal_tls_cert_file=str(pki.client_cert) if cert else None,
            temporal_tls_key_file=str(pki.client_key) if key else None,
            temporal_tls_server_name=SERVER_NAME if name else None,
            temporal_api_key=API_KEY if api_key else None,
        )
        anything = ca or cert or key or name or api_key
        refused = cert != key or (flag is False and anything)
        case = dict(flag=flag, ca=ca, cert=cert, key=key, name=name, api_key=api_key)
        if refused:
            with pytest.raises(SettingsError):
                connection_security(settings)
            continue
        security = connection_security(settings)
        assert bool(security.tls) == bool(flag or anything), case
        assert (security.api_key == API_KEY) == api_key, case
        if isinstance(security.tls, TLSConfig):
            assert (security.tls.client_cert is not None) == cert, case
            assert (security.tls.server_root_ca_cert is not None) == ca, case
            assert security.tls.domain == (SERVER_NAME if name else None), case
        else:
            assert not ca, case
            assert not cert, case
            assert not name, case


# --- a real handshake ------------------------------------------------------------------------


@dataclass
class Handshakes:
    """What a loopback TLS listener saw: the name each client asked for, its certificate."""

    server_names: list[str | None] = field(default_factory=list)
    client_names: list[str | None] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seen: threading.Event = field(default_factory=threading.Event)


@contextlib.contextmanager
def tls_listener(pki: Pki) -> Iterator[tuple[str, Handshakes]]:
    """A TLS server on loopback with the CA's certificate for SERVER_NAME; it asks for a client
    certificate (optional), records each handshake, then holds the connection until the end."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.load_verify_locations(pki.ca)
    context.verify_mode = ssl.CERT_OPTIONAL
    context.set_alpn_protocols(["h2"])
    seen = Handshakes()

    def remember_name(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        seen.server_names.append(name)

    context.sni_callback = remember_name
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            raw.settimeout(5)
            try:
                conn = context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError) as error:
                seen.failures.append(str(error))
                raw.close()
            else:
                # The client's certificate as the ssl module decodes it, or None without one.
                peer = conn.getpeercert()
                subject = peer.get("subject", ()) if peer else ()
                names = [str(pair[1]) for rdn in subject for pair in rdn if pair[0] == "commonName"]
                seen.client_names.append(names[0] if names else None)
                held.append(conn)
            seen.seen.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


async def first_handshake(settings: Settings, seen: Handshakes) -> None:
    """Dial with `settings` until the listener has seen one handshake (the gRPC call that
    follows is never answered, so it is cancelled)."""
    dialling = asyncio.ensure_future(connect(settings))
    try:
        assert await asyncio.to_thread(seen.seen.wait, 10), "no client reached the listener"
    finally:
        dialling.cancel()
        with contextlib.suppress(asyncio.CancelledError, TemporalUnreachable):
            await dialling


async def test_a_real_handshake_sends_the_server_name_and_the_client_certificate(
    pki: Pki,
) -> None:
    with tls_listener(pki) as (address, seen):
        settings = settings_of(
            temporal_address=address,
            temporal_tls_ca_file=str(pki.ca),
            temporal_tls_server_name=SERVER_NAME,
            temporal_tls_cert_file=str(pki.client_cert),
            temporal_tls_key_file=str(pki.client_key),
        )
        await first_handshake(settings, seen)
    assert seen.failures == []
    assert seen.server_names == [SERVER_NAME]
    assert seen.client_names == ["worker"]


async def test_a_frontend_whose_certificate_another_ca_signed_is_not_trusted(pki: Pki) -> None:
    with tls_listener(pki) as (address, seen):
        settings = settings_of(
            temporal_address=address,
            temporal_tls_ca_file=str(pki.other_ca),
            temporal_tls_server_name=SERVER_NAME,
        )
        await first_handshake(settings, seen)
    # The client hung up on the certificate, so the server's side of the handshake failed.
    assert seen.client_names == []
    assert len(seen.failures) == 1
