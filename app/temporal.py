"""The one way every process connects to Temporal, with the contract's converter.

The worker, the API and the CLI all connect here, so TLS, mutual TLS and API keys are set once,
by the TEMPORAL_TLS* and TEMPORAL_API_KEY settings:

- nothing set: plain gRPC, as the local dev server speaks;
- TEMPORAL_TLS=true, or any TEMPORAL_TLS_* file or name, or an API key: TLS, verified against
  the system's roots or TEMPORAL_TLS_CA_FILE;
- TEMPORAL_TLS_CERT_FILE with TEMPORAL_TLS_KEY_FILE: mutual TLS (both or neither);
- TEMPORAL_API_KEY: sent on every call, and only over TLS.

Settings that contradict each other, or a file that cannot be read or is not PEM, are refused
with SettingsError naming the variable and what is allowed, before any connection is tried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import temporalio.client
from temporalio.client import Client
from temporalio.service import TLSConfig

from app.exceptions import TemporalUnreachable
from app.tracing import tracing_interceptors
from settings import Settings, SettingsError
from workflows.converter import DATA_CONVERTER

CONNECT_TIMEOUT = timedelta(seconds=5)

# What each PEM file must hold. The SDK takes unencrypted keys only: PKCS#8, RSA or EC.
_CERTIFICATE = ("a certificate", (b"-----BEGIN CERTIFICATE-----",))
_PRIVATE_KEY = (
    "an unencrypted private key",
    (
        b"-----BEGIN PRIVATE KEY-----",
        b"-----BEGIN RSA PRIVATE KEY-----",
        b"-----BEGIN EC PRIVATE KEY-----",
    ),
)


@dataclass(frozen=True)
class ConnectionSecurity:
    """How a client protects its connection: the `tls` and `api_key` of `Client.connect`."""

    tls: bool | TLSConfig
    api_key: str | None = None


def unreachable(settings: Settings, error: BaseException | str) -> TemporalUnreachable:
    """The error for a failed connection to Temporal, from the SDK's error or a detail."""
    detail = str(error).removeprefix("Failed client connect: ")
    return TemporalUnreachable(
        settings.temporal_address, settings.temporal_namespace, _short(detail)
    )


def connection_security(settings: Settings) -> ConnectionSecurity:
    """The TLS and API key the settings ask for, with the PEM files read; or SettingsError.

    Processes that should refuse bad settings before they start serving may call this first;
    `connect` calls it too.
    """
    ca_file = _given(settings.temporal_tls_ca_file)
    cert_file = _given(settings.temporal_tls_cert_file)
    key_file = _given(settings.temporal_tls_key_file)
    server_name = _given(settings.temporal_tls_server_name)
    api_key = (
        _given(settings.temporal_api_key.get_secret_value())
        if settings.temporal_api_key is not None
        else None
    )
    if (cert_file is None) != (key_file is None):
        given, missing = (
            ("TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE")
            if key_file is None
            else ("TEMPORAL_TLS_KEY_FILE", "TEMPORAL_TLS_CERT_FILE")
        )
        raise SettingsError(
            f"bad setting: {given} is set but {missing} is not; mutual TLS needs both the "
            "client certificate and its private key. Set both, or neither for TLS without a "
            "client certificate"
        )
    tls_settings = {
        "TEMPORAL_TLS_CA_FILE": ca_file,
        "TEMPORAL_TLS_CERT_FILE": cert_file,
        "TEMPORAL_TLS_KEY_FILE": key_file,
        "TEMPORAL_TLS_SERVER_NAME": server_name,
    }
    named = [name for name, value in tls_settings.items() if value is not None]
    if settings.temporal_tls is False and named:
        raise SettingsError(
            f"bad setting: TEMPORAL_TLS is false but {' and '.join(named)} "
            f"{'is' if len(named) == 1 else 'are'} set, which only TLS uses. Set TEMPORAL_TLS "
            "to true (or leave it unset), or unset them for a plain connection"
        )
    if settings.temporal_tls is False and api_key is not None:
        # The key is a bearer credential: in clear text anyone on the path could reuse it.
        raise SettingsError(
            "bad setting: TEMPORAL_API_KEY is set but TEMPORAL_TLS is false; an API key is "
            "sent only over TLS. Set TEMPORAL_TLS to true (or leave it unset), or unset "
            "TEMPORAL_API_KEY"
        )
    if not (settings.temporal_tls or named or api_key is not None):
        return ConnectionSecurity(tls=False)
    if not named:
        return ConnectionSecurity(tls=True, api_key=api_key)
    return ConnectionSecurity(
        tls=TLSConfig(
            server_root_ca_cert=_pem("TEMPORAL_TLS_CA_FILE", ca_file, _CERTIFICATE),
            client_cert=_pem("TEMPORAL_TLS_CERT_FILE", cert_file, _CERTIFICATE),
            client_private_key=_pem("TEMPORAL_TLS_KEY_FILE", key_file, _PRIVATE_KEY),
            domain=server_name,
        ),
        api_key=api_key,
    )


async def connect(
    settings: Settings, *, interceptors: Sequence[temporalio.client.Interceptor] = ()
) -> Client:
    """A client on the settings' frontend and namespace, secured as the settings say.

    Raises SettingsError for TLS or API-key settings that cannot be used (before connecting)
    and TemporalUnreachable when the frontend does not answer. `interceptors` are the client's
    (the API's attestation).
    """
    security = connection_security(settings)
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=DATA_CONVERTER,
            connect_timeout=CONNECT_TIMEOUT,
            # Tracing first (when OTEL_EXPORTER_OTLP_ENDPOINT is set): it carries the trace on.
            interceptors=[*tracing_interceptors(), *interceptors],
            tls=security.tls,
            api_key=security.api_key,
        )
    except RuntimeError as error:  # the SDK reports every connection failure this way
        raise unreachable(settings, error) from None


def _given(value: str | None) -> str | None:
    # A variable set to nothing (compose's `${VAR:-}`) means unset.
    if value is None or not value.strip():
        return None
    return value.strip()


def _pem(variable: str, path: str | None, kind: tuple[str, tuple[bytes, ...]]) -> bytes | None:
    """The bytes of the PEM file at `path`, or SettingsError naming `variable` and the path."""
    if path is None:
        return None
    what, headings = kind
    try:
        content = Path(path).read_bytes()
    except FileNotFoundError:
        problem = "no such file"
    except IsADirectoryError:
        problem = "it is a directory"
    except PermissionError:
        problem = "permission denied"
    except OSError as error:
        problem = error.strerror or str(error)
    else:
        if any(heading in content for heading in headings):
            return content
        expected = " or ".join(heading.decode() for heading in headings)
        raise SettingsError(
            f"bad setting: {variable}={path} is not {what} in PEM; the file must hold a "
            f"block that starts {expected}"
        )
    raise SettingsError(
        f"bad setting: {variable}={path} cannot be read ({problem}); it must name a readable "
        f"PEM file holding {what}"
    )


def _short(detail: str) -> str:
    if "Connection refused" in detail:
        return "connection refused"
    if "dns error" in detail.lower() or "resolve" in detail.lower():
        return "the host name does not resolve"
    return detail.splitlines()[0][:200]
