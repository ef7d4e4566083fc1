"""The one way every process connects to Temporal, with the contract's converter."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client

from app.exceptions import TemporalUnreachable
from settings import Settings
from workflows.converter import DATA_CONVERTER

CONNECT_TIMEOUT = timedelta(seconds=5)


def unreachable(settings: Settings, error: BaseException | str) -> TemporalUnreachable:
    """The error for a failed connection to Temporal, from the SDK's error or a detail."""
    detail = str(error).removeprefix("Failed client connect: ")
    return TemporalUnreachable(
        settings.temporal_address, settings.temporal_namespace, _short(detail)
    )


async def connect(settings: Settings) -> Client:
    """A client on the settings' frontend and namespace, or TemporalUnreachable."""
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=DATA_CONVERTER,
            connect_timeout=CONNECT_TIMEOUT,
        )
    except RuntimeError as error:  # the SDK reports every connection failure this way
        raise unreachable(settings, error) from None


def _short(detail: str) -> str:
    if "Connection refused" in detail:
        return "connection refused"
    if "dns error" in detail.lower() or "resolve" in detail.lower():
        return "the host name does not resolve"
    return detail.splitlines()[0][:200]
